// Groups messages analysed together into campaigns: exact keys (the same unofficial link domain and
// path shape, the same sender, the same attachment) and near-duplicate text once personal details
// are replaced with placeholders (MinHash signatures, banded for LSH, then checked). Campaign ids
// are c1, c2, … in order of each campaign's first message, so the same input gives the same ids.
import { URL_SHORTENERS } from '../../platform/url-shorteners.ts';
import { isUnder } from './lookalike-domains.ts';
import { pathShape } from './message-links.ts';
import type { MessageFeatures } from './message-analysis.ts';

const HASHES = 64;
const BANDS = 16;
const ROWS = HASHES / BANDS;
const SIMILARITY = 0.6;

/** How much of a message's text campaign grouping reads. */
export const CAMPAIGN_TEXT_CHARS = 20_000;

/** Replaces what differs between victims of one campaign with placeholders. */
export function normaliseForCampaign(text: string): string {
  return text
    .slice(0, CAMPAIGN_TEXT_CHARS)
    .toLowerCase()
    .replace(/\b(dear|hi|hello|attn:?)\s+(?:(?:mr|mrs|ms|miss|dr)\.?\s+)?[a-z'’-]+(?:\s+[a-z'’-]+)?/g, '$1 <name>')
    .split(/\s+/)
    .map((token) => (token.length > 500 || !token.includes('.') ? token : placeholderFor(token)))
    .join(' ')
    .replace(/[£$€]\s?\d[\d,]*(?:\.\d+)?/g, '<amount>')
    .replace(/\b[a-z]*\d[a-z0-9-]*\b/g, '<ref>')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Per token, so no pattern backtracks across a long text: an email or a link becomes a placeholder. */
function placeholderFor(token: string): string {
  if (token.includes('@') && /^[([<]*[\w.+-]+@[\w-]+(?:\.[\w-]+)+[)\]>.,;:]*$/.test(token)) return '<email>';
  const match = /^[([<]*(?:(?:https?|hxxps?):\/\/)?([\w-]+(?:\.[\w-]+)*\.[a-z]{2,24})(?:[/:?#]\S*)?$/.exec(token);
  return match ? `<url:${match[1]}>` : token;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

const SEEDS = Array.from({ length: HASHES }, (_, i) => [fnv1a(`a${i}`) | 1, fnv1a(`b${i}`)] as const);

export function minHash(text: string): Uint32Array | undefined {
  const words = text.split(' ').filter(Boolean);
  const shingles = new Set<number>();
  for (let i = 0; i + 3 <= words.length || (i === 0 && words.length > 0); i++)
    shingles.add(fnv1a(words.slice(i, i + 3).join(' ')));
  if (shingles.size < 2) return undefined;
  const signature = new Uint32Array(HASHES).fill(0xffffffff);
  for (const shingle of shingles)
    for (let h = 0; h < HASHES; h++) {
      const [a, b] = SEEDS[h]!;
      const value = (Math.imul(shingle ^ b, a) ^ (shingle >>> 15)) >>> 0;
      if (value < signature[h]!) signature[h] = value;
    }
  return signature;
}

/** The share of two signatures' hashes that agree: an estimate of the texts' Jaccard similarity. */
export function signatureSimilarity(a: Uint32Array, b: Uint32Array): number {
  let same = 0;
  for (let i = 0; i < HASHES; i++) if (a[i] === b[i]) same++;
  return same / HASHES;
}

/** Two texts at least this similar are one campaign. */
export const CAMPAIGN_SIMILARITY = SIMILARITY;

/** The LSH band keys of a signature: texts that share any one are candidates to compare. */
export function signatureBands(signature: Uint32Array): string[] {
  const keys: string[] = [];
  for (let band = 0; band < BANDS; band++)
    keys.push(`${band}:${Array.from(signature.subarray(band * ROWS, band * ROWS + ROWS)).join(',')}`);
  return keys;
}

/** A signature as stored (little-endian 32-bit words), and back; undefined for anything else. */
export function signatureToBytes(signature: Uint32Array): Buffer {
  const bytes = Buffer.alloc(HASHES * 4);
  signature.forEach((value, i) => bytes.writeUInt32LE(value, i * 4));
  return bytes;
}

export function signatureFromBytes(bytes: Uint8Array | null | undefined): Uint32Array | undefined {
  if (!bytes || bytes.length !== HASHES * 4) return undefined;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Uint32Array.from({ length: HASHES }, (_, i) => buffer.readUInt32LE(i * 4));
}

export interface GroupingOptions {
  /** Domains whose links or senders are not a campaign key (official ones: genuine mail shares them). */
  officialDomains: readonly string[];
}

/** The exact keys a message is grouped by: its unofficial sender, attachments and link shapes. */
export function campaignKeys(message: MessageFeatures, options: GroupingOptions): string[] {
  const isOfficial = (host: string) => options.officialDomains.some((d) => isUnder(host, d));
  const keys: string[] = [];
  const add = (key: string) => {
    if (!keys.includes(key)) keys.push(key);
  };
  if (message.sender && !message.senderIsOfficial) add(`sender:${message.sender.toLowerCase()}`);
  for (const hash of message.attachmentHashes) add(`attachment:${hash}`);
  for (const link of message.links) {
    if (isOfficial(link.host.host)) continue;
    const shortened = URL_SHORTENERS.has(link.host.registrable);
    add(shortened ? `link:${link.url}` : `link:${link.host.registrable}${pathShape(link.path)}`);
  }
  return keys;
}

export function groupCampaigns(messages: readonly MessageFeatures[], options: GroupingOptions): string[] {
  const parent = messages.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  const union = (a: number, b: number) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  const firstWithKey = new Map<string, number>();
  const byKey = (key: string, i: number) => {
    const first = firstWithKey.get(key);
    if (first === undefined) firstWithKey.set(key, i);
    else union(first, i);
  };
  const signatures: Array<Uint32Array | undefined> = [];
  const buckets = new Map<string, number[]>();
  messages.forEach((message, i) => {
    for (const key of campaignKeys(message, options)) byKey(key, i);
    const signature = minHash(normaliseForCampaign(message.text));
    signatures.push(signature);
    if (!signature) return;
    for (const key of signatureBands(signature)) {
      const bucket = buckets.get(key);
      if (!bucket) buckets.set(key, [i]);
      else {
        // Compare with the bucket's earlier members (a few suffice: they are already joined).
        for (const j of bucket.slice(-8)) if (signatureSimilarity(signature, signatures[j]!) >= SIMILARITY) union(j, i);
        if (bucket.length < 64) bucket.push(i);
      }
    }
  });

  const ids = new Map<number, string>();
  return messages.map((_, i) => {
    const root = find(i);
    let id = ids.get(root);
    if (!id) {
      id = `c${ids.size + 1}`;
      ids.set(root, id);
    }
    return id;
  });
}

/** The near-duplicate signature of a message's text; undefined when the text is too short to have one. */
export function textSignature(text: string): Uint32Array | undefined {
  return minHash(normaliseForCampaign(text));
}
