// Registrable domains (Public Suffix List, private section included, so gov.uk is a suffix and
// westminster.gov.uk is what a council registers) and lookalikes of official domains: the
// dnstwist permutations read backwards (omission, repetition, transposition, neighbouring keys,
// homoglyphs, hyphenation, TLD swap, added words, subdomain tricks), UTS #39 confusable skeletons
// and punycode.
import { domainToUnicode } from 'node:url';
import { parse } from 'tldts';

export interface HostInfo {
  /** Lower-case ASCII host as written (punycode stays punycode). */
  host: string;
  /** The host with punycode labels decoded. */
  unicodeHost: string;
  /** The registrable domain, or the host itself for IPs and hosts with no known suffix. */
  registrable: string;
  /** The registrable domain's own label, decoded (`westminster` for westminster.gov.uk). */
  label: string;
  suffix: string;
  /** Labels left of the registrable domain. */
  subdomain: string;
  isIp: boolean;
  punycode: boolean;
}

const hostCache = new Map<string, HostInfo>();

export function hostInfo(rawHost: string): HostInfo {
  const host = rawHost.toLowerCase().replace(/\.$/, '');
  const cached = hostCache.get(host);
  if (cached) return cached;
  const parsed = parse(host, { allowPrivateDomains: true });
  const isIp = parsed.isIp === true || /^\d+$/.test(host) || /^0x[0-9a-f]+$/.test(host);
  const registrable = parsed.domain ?? host;
  const suffix = parsed.publicSuffix ?? '';
  const rawLabel = parsed.domainWithoutSuffix ?? registrable;
  const info: HostInfo = {
    host,
    unicodeHost: host.includes('xn--') ? domainToUnicode(host) || host : host,
    registrable,
    label: rawLabel.startsWith('xn--') ? domainToUnicode(rawLabel) || rawLabel : rawLabel,
    suffix,
    subdomain: parsed.subdomain ?? '',
    isIp,
    punycode: host.split('.').some((l) => l.startsWith('xn--')),
  };
  if (hostCache.size > 50_000) hostCache.clear();
  hostCache.set(host, info);
  return info;
}

/** True when `host` is `domain` or under it. */
export function isUnder(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

/** Suffixes whose registries vet who registers: a domain under them is not a lookalike registration. */
const VETTED_SUFFIXES = ['gov.uk', 'ac.uk', 'nhs.uk', 'police.uk', 'sch.uk', 'mod.uk', 'parliament.uk', 'nhs.net'];

export function isVettedPublicSectorDomain(host: string): boolean {
  const info = hostInfo(host);
  return VETTED_SUFFIXES.some((s) => info.registrable !== s && isUnder(info.registrable, s));
}

export type LookalikeKind =
  | 'homoglyph'
  | 'punycode'
  | 'omission'
  | 'repetition'
  | 'insertion'
  | 'transposition'
  | 'neighbouring-key'
  | 'replacement'
  | 'hyphenation'
  | 'tld-swap'
  | 'added-word'
  | 'subdomain'
  | 'contains-name';

export interface LookalikeMatch {
  official: string;
  kind: LookalikeKind;
  /** Plain words: what was changed. */
  detail: string;
  /** Contains-name alone is weak: the name may be a place, not the council. */
  strong: boolean;
}

/** Words scammers add to an official name: westminster-refund.com, rbkc-secure-portal.co.uk. */
export const ADDED_WORDS = [
  'refund',
  'refunds',
  'rebate',
  'secure',
  'security',
  'verify',
  'verification',
  'portal',
  'online',
  'login',
  'signin',
  'account',
  'accounts',
  'myaccount',
  'my',
  'pay',
  'payment',
  'payments',
  'support',
  'help',
  'helpline',
  'helpdesk',
  'service',
  'services',
  'update',
  'claim',
  'claims',
  'tax',
  'counciltax',
  'benefit',
  'benefits',
  'council',
  'cc',
  'city',
  'gov',
  'govuk',
  'uk',
  'co',
  'org',
  'residents',
  'resident',
  'cyber',
  'data',
  'breach',
  'incident',
  'notice',
  'alert',
  'info',
  'official',
  'check',
  'web',
  'www',
  'app',
  'team',
  'contact',
  'parking',
  'permit',
  'permits',
  'housing',
  'grant',
  'compensation',
];
const ADDED_WORD_SET = new Set(ADDED_WORDS);

interface Target {
  domain: string;
  /** What a lookalike's label is compared with: `westminster`, or `govuk` for gov.uk. */
  label: string;
  suffix: string;
  skeleton: string;
}

const targetCache = new Map<string, Target>();

function targetOf(domain: string): Target {
  let target = targetCache.get(domain);
  if (!target) {
    const info = hostInfo(domain);
    // gov.uk is itself a public suffix: compare lookalikes with its letters run together.
    const label = info.registrable === domain && info.label !== domain ? info.label : domain.replace(/\./g, '');
    target = { domain, label, suffix: info.suffix, skeleton: skeleton(label) };
    targetCache.set(domain, target);
  }
  return target;
}

/**
 * Whether `host` imitates one of `officialDomains`. Hosts under an official domain, or registered
 * under a vetted public-sector suffix, are never lookalikes.
 */
/** Answers by official-domain list and host: the same hosts come back in message after message. */
const lookalikeCache = new WeakMap<readonly string[], Map<string, LookalikeMatch | undefined>>();

export function findLookalike(rawHost: string, officialDomains: readonly string[]): LookalikeMatch | undefined {
  let cache = lookalikeCache.get(officialDomains);
  if (!cache) lookalikeCache.set(officialDomains, (cache = new Map()));
  if (cache.has(rawHost)) return cache.get(rawHost);
  const match = lookalikeOf(rawHost, officialDomains);
  if (cache.size > 50_000) cache.clear();
  cache.set(rawHost, match);
  return match;
}

function lookalikeOf(rawHost: string, officialDomains: readonly string[]): LookalikeMatch | undefined {
  const info = hostInfo(rawHost);
  if (info.isIp) return undefined;
  if (officialDomains.some((d) => isUnder(info.host, d))) return undefined;
  if (isVettedPublicSectorDomain(info.host)) return undefined;
  const label = info.label;
  const plain = label.replace(/-/g, '');
  const labelSkeleton = skeleton(label);
  const plainSkeleton = labelSkeleton.replace(/-/g, '');
  let weak: LookalikeMatch | undefined;
  for (const domain of officialDomains) {
    const target = targetOf(domain);
    const t = target.label;
    if (t.length < 3) continue;
    // Subdomain tricks: westminster.gov.uk.example.com, westminster.secure-pay.com.
    const subLabels = info.subdomain.split('.').filter(Boolean);
    if (info.subdomain && (isUnder(info.subdomain, domain) || info.subdomain.includes(`${domain}.`)))
      return strong(domain, 'subdomain', `"${domain}" is placed in front of ${info.registrable}`);
    if (
      t.length >= 4 &&
      subLabels.some((l) => {
        const plainSub = l.replace(/-/g, '');
        return (
          skeleton(plainSub) === target.skeleton ||
          damerauLevenshtein(plainSub, t, t.length >= 7 ? 2 : 1) <= (t.length >= 7 ? 2 : 1)
        );
      })
    )
      return strong(domain, 'subdomain', `"${t}" is a subdomain of ${info.registrable}`);
    if (label === t && info.suffix !== target.suffix) {
      if (t.length >= 4)
        return strong(domain, 'tld-swap', `${info.registrable} swaps .${target.suffix} for .${info.suffix}`);
      continue;
    }
    if (label !== t && labelSkeleton.replace(/-/g, '') === target.skeleton && plain !== t)
      return strong(
        domain,
        info.punycode ? 'punycode' : 'homoglyph',
        info.punycode
          ? `${info.host} is punycode for "${info.unicodeHost}", which looks like ${domain}`
          : `"${label}" uses look-alike characters for "${t}"`,
      );
    if (plain === t && label !== t) return strong(domain, 'hyphenation', `"${label}" adds hyphens to "${t}"`);
    if (t.length >= 4) {
      const inPlain = plain.indexOf(t);
      const at = inPlain >= 0 ? inPlain : plainSkeleton.indexOf(target.skeleton);
      if (at >= 0) {
        const rest = [plain.slice(0, at), plain.slice(at + t.length)];
        const words = label.split(/[-]/).filter((w) => skeleton(w) !== target.skeleton);
        if (rest.every((r) => r === '' || splitsIntoAddedWords(r)))
          return strong(domain, 'added-word', `"${label}" adds ${describeWords(words, rest)} to "${t}"`);
        weak ??= { official: domain, kind: 'contains-name', detail: `"${label}" contains "${t}"`, strong: false };
        continue;
      }
    }
    if (t.length >= 4) {
      const max = t.length >= 7 ? 2 : 1;
      const distance = damerauLevenshtein(plain, t, max);
      if (distance > 0 && distance <= max) {
        const kind = classifyEdit(plain, t);
        // A letter dropped from, added to or changed in a short name is mostly another real name
        // (rbkc → rbc): only the typing slips and look-alike swaps count there.
        if (t.length >= 6 || kind === 'transposition' || kind === 'repetition' || kind === 'neighbouring-key')
          return strong(domain, kind, `"${label}" is ${describeEdit(kind, distance)} "${t}"`);
      }
      // An edit plus added words: westminter-refund.com.
      for (const word of label.split('-')) {
        if (word.length < 4 || word === label) continue;
        const d = damerauLevenshtein(word, t, max);
        if (d > 0 && d <= max && label.split('-').every((w) => w === word || ADDED_WORD_SET.has(w)))
          return strong(domain, 'added-word', `"${label}" misspells "${t}" and adds words`);
      }
    }
  }
  return weak;

  function strong(official: string, kind: LookalikeKind, detail: string): LookalikeMatch {
    return { official, kind, detail, strong: true };
  }
}

function describeWords(words: string[], rest: string[]): string {
  const shown = words.length ? words : rest.filter(Boolean);
  return shown.map((w) => `"${w}"`).join(' and ');
}

function splitsIntoAddedWords(text: string): boolean {
  // Small dynamic programme: can `text` be cut into words from the list?
  const ok = new Array<boolean>(text.length + 1).fill(false);
  ok[0] = true;
  for (let end = 1; end <= text.length; end++)
    for (let start = Math.max(0, end - 14); start < end && !ok[end]; start++)
      if (ok[start] && ADDED_WORD_SET.has(text.slice(start, end))) ok[end] = true;
  return ok[text.length] === true;
}

function describeEdit(kind: LookalikeKind, distance: number): string {
  switch (kind) {
    case 'omission':
      return 'missing a letter of';
    case 'repetition':
      return 'a repeated letter away from';
    case 'insertion':
      return 'an extra letter away from';
    case 'transposition':
      return 'two swapped letters away from';
    case 'neighbouring-key':
      return 'a neighbouring key away from';
    default:
      return `${distance} letter${distance === 1 ? '' : 's'} different from`;
  }
}

const KEYBOARD_ROWS = ['1234567890-', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm'];

function neighbouringKeys(a: string, b: string): boolean {
  const pos = (c: string) => {
    for (let r = 0; r < KEYBOARD_ROWS.length; r++) {
      const col = KEYBOARD_ROWS[r]!.indexOf(c);
      if (col >= 0) return [r, col] as const;
    }
    return undefined;
  };
  const pa = pos(a);
  const pb = pos(b);
  if (!pa || !pb) return false;
  return Math.abs(pa[0] - pb[0]) <= 1 && Math.abs(pa[1] - pb[1]) <= 1;
}

function classifyEdit(candidate: string, target: string): LookalikeKind {
  if (candidate.length === target.length - 1) return 'omission';
  if (candidate.length === target.length + 1) {
    for (let i = 0; i < candidate.length; i++) {
      if (candidate.slice(0, i) + candidate.slice(i + 1) === target)
        return candidate[i] === candidate[i - 1] || candidate[i] === candidate[i + 1] ? 'repetition' : 'insertion';
    }
    return 'insertion';
  }
  if (candidate.length === target.length) {
    const diff: number[] = [];
    for (let i = 0; i < target.length; i++) if (candidate[i] !== target[i]) diff.push(i);
    if (diff.length === 2 && diff[1] === diff[0]! + 1 && candidate[diff[0]!] === target[diff[1]!])
      return 'transposition';
    if (diff.length === 1 && neighbouringKeys(candidate[diff[0]!]!, target[diff[0]!]!)) return 'neighbouring-key';
  }
  return 'replacement';
}

/** Optimal string alignment distance, giving up (returning max + 1) once past `max`. */
export function damerauLevenshtein(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => {
    const row = new Array<number>(cols).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j < cols; j++) d[0]![j] = j;
  for (let i = 1; i < rows; i++) {
    let rowMin = Infinity;
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        value = Math.min(value, d[i - 2]![j - 2]! + 1);
      d[i]![j] = value;
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > max) return max + 1;
  }
  return d[a.length]![b.length]!;
}

/**
 * A compact UTS #39 skeleton for domain labels: Cyrillic and Greek letters that look Latin, accented
 * letters, digits that pass for letters, and the multi-letter look-alikes rn→m and vv→w. The letters
 * i, l, 1 and | all become l, as they do at a glance in most typefaces.
 */
const CONFUSABLES: Record<string, string> = {
  а: 'a',
  в: 'b',
  с: 'c',
  ԁ: 'd',
  е: 'e',
  ё: 'e',
  һ: 'h',
  і: 'l',
  ї: 'l',
  ј: 'j',
  к: 'k',
  ӏ: 'l',
  м: 'm',
  н: 'h',
  о: 'o',
  р: 'p',
  ԛ: 'q',
  г: 'r',
  ѕ: 's',
  т: 't',
  и: 'u',
  ѵ: 'v',
  ԝ: 'w',
  х: 'x',
  у: 'y',
  ү: 'y',
  ʏ: 'y',
  α: 'a',
  β: 'b',
  ϲ: 'c',
  ε: 'e',
  η: 'n',
  ι: 'l',
  κ: 'k',
  μ: 'u',
  ν: 'v',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  χ: 'x',
  γ: 'y',
  ω: 'w',
  ɑ: 'a',
  ɡ: 'g',
  ɩ: 'l',
  ı: 'l',
  ł: 'l',
  ø: 'o',
  đ: 'd',
  ħ: 'h',
  '0': 'o',
  '1': 'l',
  '|': 'l',
  i: 'l',
  '3': 'e',
  '5': 's',
  $: 's',
  '@': 'a',
};

export function skeleton(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFKD').toLowerCase()) {
    if (/\p{Mn}/u.test(ch)) continue;
    out += CONFUSABLES[ch] ?? ch;
  }
  return out.replace(/rn/g, 'm').replace(/vv/g, 'w').replace(/cl/g, 'd');
}
