// Hostile and broken input for the analyser, made deterministically from a seed: the labelled corpus
// on disk (and messages made here) truncated at random bytes, with unknown or lying charsets and
// transfer encodings, broken multipart boundaries, 50-deep nested multiparts, a few 10 MB bodies,
// huge headers, thousands of links, pathologically nested HTML, zip attachments (one made with
// deflate, one declaring a 4 GB entry), binary garbage, empty input and text with no headers.
// The robustness test and bench/analyser-robustness.ts run the same messages through the path the
// `wardroom analyse` command takes.
import { createCipheriv } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync } from 'node:zlib';

export const CORPUS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'corpus');

export interface MutatedMessage {
  /** `<n>-<mutation>[-<source>]`: names what was done, so a failure can be reproduced from the seed. */
  id: string;
  mutation: string;
  kind: 'email' | 'sms';
  /** For emails: the raw bytes, as the CLI reads them from a file. */
  raw?: Buffer;
  sms?: { id: string; sender: string; body: string };
}

export interface MutationOptions {
  seed: number;
  count: number;
  /** How many of the messages carry a 10 MB body or attachment (spread evenly); 0 for none. */
  hugeMessages: number;
}

/** mulberry32: small, fast and the same on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Corpus {
  emails: Array<{ name: string; raw: Buffer }>;
  texts: Array<{ id: string; sender: string; body: string }>;
}

export function readCorpus(dir = CORPUS_DIR): Corpus {
  const emails: Corpus['emails'] = [];
  const visit = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (entry.name.endsWith('.eml')) emails.push({ name: path.relative(dir, full), raw: readFileSync(full) });
    }
  };
  visit(dir);
  const texts = readFileSync(path.join(dir, 'sms.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Corpus['texts'][number]);
  return { emails, texts };
}

const CRLF = '\r\n';
const MB = 1024 * 1024;

function headerAndBody(raw: Buffer): { head: string; body: Buffer } {
  const at = raw.indexOf('\r\n\r\n');
  if (at < 0) return { head: raw.toString('latin1'), body: Buffer.alloc(0) };
  return { head: raw.subarray(0, at).toString('latin1'), body: raw.subarray(at + 4) };
}

function withHeader(head: string, name: string, value: string): string {
  const pattern = new RegExp(`^${name}:.*$`, 'im');
  return pattern.test(head) ? head.replace(pattern, `${name}: ${value}`) : `${head}${CRLF}${name}: ${value}`;
}

function join(head: string, body: Buffer | string): Buffer {
  return Buffer.concat([
    Buffer.from(`${head}${CRLF}${CRLF}`, 'latin1'),
    Buffer.isBuffer(body) ? body : Buffer.from(body),
  ]);
}

const BASE_HEADERS = [
  'From: "Westminster City Council" <refunds@westminster-refund.co.uk>',
  'To: resident@example.com',
  'Subject: Council tax refund',
  'Date: Tue, 02 Dec 2025 10:00:00 +0000',
  'Message-ID: <mutated@example.com>',
  'MIME-Version: 1.0',
].join(CRLF);

const SCAM_TEXT =
  'Dear resident, you are owed a council tax refund of £248.50. Verify your identity and bank details at https://westminster-refund.co.uk/claim/ab12 within 24 hours or call 07700 900123.';

function multipart(contentType: string, boundary: string, parts: string[], close = true): string {
  return `--${boundary}${CRLF}${parts.join(`${CRLF}--${boundary}${CRLF}`)}${CRLF}${close ? `--${boundary}--${CRLF}` : ''}`;
}

/** A zip file with one deflated entry, written by hand (local header, data, central directory, end record). */
export function zipFile(name: string, content: Buffer, declaredSize?: number): Buffer {
  const data = deflateRawSync(content);
  const fileName = Buffer.from(name);
  const size = declaredSize ?? content.length;
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8); // deflate
  local.writeUInt32LE(crc32(content), 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(Math.min(size, 0xffffffff), 22);
  local.writeUInt16LE(fileName.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(crc32(content), 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(Math.min(size, 0xffffffff), 24);
  central.writeUInt16LE(fileName.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + fileName.length, 12);
  end.writeUInt32LE(local.length + fileName.length + data.length, 16);
  return Buffer.concat([local, fileName, data, central, fileName, end]);
}

function base64Lines(data: Buffer): string {
  return (data.toString('base64').match(/.{1,76}/g) ?? []).join(CRLF);
}

function withAttachment(body: string, name: string, type: string, content: Buffer): Buffer {
  const boundary = 'att-boundary';
  return join(
    `${BASE_HEADERS}${CRLF}Content-Type: multipart/mixed; boundary="${boundary}"`,
    multipart('multipart/mixed', boundary, [
      `Content-Type: text/plain; charset=utf-8${CRLF}${CRLF}${body}`,
      `Content-Type: ${type}; name="${name}"${CRLF}Content-Disposition: attachment; filename="${name}"${CRLF}Content-Transfer-Encoding: base64${CRLF}${CRLF}${base64Lines(content)}`,
    ]),
  );
}

function nested(depth: number, leaf: string, close: boolean): string {
  let part = `Content-Type: text/plain; charset=utf-8${CRLF}${CRLF}${leaf}`;
  for (let level = depth; level > 0; level--) {
    const boundary = `b${level}`;
    part = `Content-Type: multipart/mixed; boundary="${boundary}"${CRLF}${CRLF}${multipart('multipart/mixed', boundary, [part], close)}`;
  }
  return part;
}

type Maker = (random: () => number, source: Buffer, text: Corpus['texts'][number]) => Buffer;

const CHARSETS = [
  'x-unknown-42',
  'utf-7',
  'iso-2022-jp',
  'utf-16',
  'utf-32le',
  '""',
  'üñí',
  'a'.repeat(300),
  'windows-9999',
];
const ENCODINGS = ['base64', 'quoted-printable', 'x-uuencode', '8bitt', 'binary', 'base-64', '7bit; extra=1', ''];

/** Bytes from the PRNG's stream: AES-CTR keyed from it, since a byte at a time is slow for megabytes. */
function randomBytes(random: () => number, length: number): Buffer {
  const key = Buffer.alloc(16);
  for (let i = 0; i < 16; i += 4) key.writeUInt32LE(Math.floor(random() * 2 ** 32), i);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(length));
}

/** `length` picks from `choices`, fast. */
function randomRun(random: () => number, length: number, choices: readonly string[]): string {
  return Array.from(randomBytes(random, length), (b) => choices[b % choices.length]!).join('');
}

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}

/** The mutations, each a function of the PRNG and one corpus message. */
const MUTATIONS: Record<string, Maker> = {
  unchanged: (_r, source) => source,
  truncated: (random, source) => source.subarray(0, Math.floor(random() * source.length)),
  'truncated-header': (random, source) => {
    const end = source.indexOf('\r\n\r\n');
    return source.subarray(0, Math.floor(random() * (end > 0 ? end : source.length)));
  },
  'wrong-charset': (random, source) => {
    const { head, body } = headerAndBody(source);
    return join(withHeader(head, 'Content-Type', `text/plain; charset=${pick(random, CHARSETS)}`), body);
  },
  'charset-lies': (random, source) => {
    // Declares UTF-8 but carries Latin-1, Shift-JIS-like and stray bytes.
    const { head } = headerAndBody(source);
    const bytes = randomBytes(random, 2000).map((b) => (b < 32 && b !== 10 ? 0x80 + b : b));
    return join(
      withHeader(head, 'Content-Type', 'text/plain; charset=utf-8'),
      Buffer.concat([Buffer.from(SCAM_TEXT), bytes]),
    );
  },
  'wrong-transfer-encoding': (random, source) => {
    const { head, body } = headerAndBody(source);
    return join(withHeader(head, 'Content-Transfer-Encoding', pick(random, ENCODINGS)), body);
  },
  'broken-base64': (random, source) => {
    const { head } = headerAndBody(source);
    const junk = Buffer.from(SCAM_TEXT)
      .toString('base64')
      .replace(/[A-Z]/g, (c) => (random() < 0.1 ? '!' : c));
    return join(withHeader(head, 'Content-Transfer-Encoding', 'base64'), `${junk}===\r\n%%%==\r\nAAA`);
  },
  'broken-quoted-printable': (_r, source) => {
    const { head } = headerAndBody(source);
    return join(
      withHeader(head, 'Content-Transfer-Encoding', 'quoted-printable'),
      `${SCAM_TEXT}=ZZ=\r\n=4=\r\n${'='.repeat(5000)}`,
    );
  },
  'unknown-encoded-words': (random) =>
    join(
      `From: =?${pick(random, CHARSETS)}?B?${Buffer.from('Westminster Council').toString('base64')}?= <x@refund-westminster.com>${CRLF}Subject: =?utf-8?Q?=ZZbroken?= =?x?X?y?= ${'=?utf-8?B?QQ==?='.repeat(2000)}${CRLF}To: =?utf-8?B?!!!?= <a@b.c>`,
      SCAM_TEXT,
    ),
  'boundary-missing': (_r) =>
    join(
      `${BASE_HEADERS}${CRLF}Content-Type: multipart/mixed; boundary="never-used"`,
      `--other${CRLF}Content-Type: text/plain${CRLF}${CRLF}${SCAM_TEXT}${CRLF}--other--`,
    ),
  'boundary-empty': (_r) =>
    join(
      `${BASE_HEADERS}${CRLF}Content-Type: multipart/alternative; boundary=""`,
      `--${CRLF}${CRLF}${SCAM_TEXT}${CRLF}----`,
    ),
  'boundary-unclosed': (_r) =>
    join(
      `${BASE_HEADERS}${CRLF}Content-Type: multipart/mixed; boundary="x"`,
      multipart('multipart/mixed', 'x', [`Content-Type: text/html${CRLF}${CRLF}<p>${SCAM_TEXT}`], false),
    ),
  'boundary-in-body': (_r) =>
    join(
      `${BASE_HEADERS}${CRLF}Content-Type: multipart/mixed; boundary="--"`,
      `------${CRLF}${CRLF}----${CRLF}${SCAM_TEXT}${CRLF}--------${CRLF}------`,
    ),
  'boundary-long': (random) => {
    const boundary = 'q'.repeat(1000 + Math.floor(random() * 5000));
    return join(
      `${BASE_HEADERS}${CRLF}Content-Type: multipart/mixed; boundary="${boundary}"`,
      multipart('multipart/mixed', boundary, [`Content-Type: text/plain${CRLF}${CRLF}${SCAM_TEXT}`]),
    );
  },
  'nested-50': (random) => {
    const top = nested(50, SCAM_TEXT, random() < 0.7);
    const { head, body } = headerAndBody(Buffer.from(top));
    return join(`${BASE_HEADERS}${CRLF}${head}`, body);
  },
  'nested-deeper': (random) => {
    const depth = 200 + Math.floor(random() * 800);
    const top = nested(depth, SCAM_TEXT, true);
    const { head, body } = headerAndBody(Buffer.from(top));
    return join(`${BASE_HEADERS}${CRLF}${head}`, body);
  },
  'many-parts': (random) => {
    const parts = Array.from({ length: 2000 + Math.floor(random() * 2000) }, (_, i) =>
      i % 2 ? `Content-Type: text/plain${CRLF}${CRLF}part ${i}` : `Content-Type: text/html${CRLF}${CRLF}<b>${i}</b>`,
    );
    return join(`${BASE_HEADERS}${CRLF}Content-Type: multipart/mixed; boundary="m"`, multipart('', 'm', parts));
  },
  'huge-header': (random) => {
    const size = 100_000 + Math.floor(random() * 900_000);
    return join(
      `${BASE_HEADERS}${CRLF}X-Filler: ${'a'.repeat(size)}${CRLF}Subject: ${'refund '.repeat(size / 7)}`,
      SCAM_TEXT,
    );
  },
  'many-headers': (random) => {
    const lines = Array.from({ length: 5000 + Math.floor(random() * 20_000) }, (_, i) => `X-H${i}: v${i}`);
    return join(`${BASE_HEADERS}${CRLF}${lines.join(CRLF)}`, SCAM_TEXT);
  },
  'folded-header': (random) => {
    const folds = Array.from({ length: 5000 + Math.floor(random() * 20_000) }, () => ' x').join(CRLF);
    return join(`${BASE_HEADERS}${CRLF}Subject: a${CRLF}${folds}${CRLF}From: b${CRLF}${folds}`, SCAM_TEXT);
  },
  'many-addresses': (random) => {
    const list = Array.from({ length: 5000 + Math.floor(random() * 5000) }, (_, i) => `"N${i}" <p${i}@example.com>`);
    return join(`${BASE_HEADERS}${CRLF}To: ${list.join(', ')}${CRLF}Reply-To: ${list.join(',')}`, SCAM_TEXT);
  },
  'many-links': (random) => {
    const links = Array.from(
      { length: 5000 + Math.floor(random() * 15_000) },
      (_, i) => `https://refund-${i % 97}.westminster-claim.top/c/${i}?t=${i}`,
    );
    return join(BASE_HEADERS, `${SCAM_TEXT}\r\n${links.join(' ')}`);
  },
  'link-like-noise': (random) => {
    const noise = randomRun(random, 50_000, ['a.', 'http://', '@', '[.]', 'www.', '.co.uk/', ' [http', ']']);
    return join(BASE_HEADERS, `${SCAM_TEXT}\r\n${noise}`);
  },
  'digits-run': (random) =>
    join(BASE_HEADERS, `${SCAM_TEXT}\r\n${randomRun(random, 200_000, ['0', '7', ' ', '-', '+', '(', ')'])}`),
  'long-line': (random) => join(BASE_HEADERS, `${SCAM_TEXT} ${'x'.repeat(500_000 + Math.floor(random() * 500_000))}`),
  'long-sentence': (random) =>
    join(
      BASE_HEADERS,
      `${'please verify your account bank details urgently '.repeat(2000 + Math.floor(random() * 2000))}`,
    ),
  'html-nested': (random) => {
    const depth = 10_000 + Math.floor(random() * 40_000);
    const tag = pick(random, ['div', 'table', 'b', 'a href="https://x.top/"', 'span']);
    const name = tag.split(' ')[0];
    return join(
      `${BASE_HEADERS}${CRLF}Content-Type: text/html; charset=utf-8`,
      `<html><body>${`<${tag}>`.repeat(depth)}${SCAM_TEXT}${random() < 0.5 ? `</${name}>`.repeat(depth) : ''}`,
    );
  },
  'html-many-links': (random) => {
    const count = 20_000 + Math.floor(random() * 30_000);
    const anchors = Array.from(
      { length: count },
      (_, i) => `<a href="https://claim-${i}.top/x">westminster.gov.uk</a>`,
    );
    return join(`${BASE_HEADERS}${CRLF}Content-Type: text/html`, `<p>${SCAM_TEXT}</p>${anchors.join('')}`);
  },
  'html-broken': (random) =>
    join(
      `${BASE_HEADERS}${CRLF}Content-Type: text/html`,
      `<html><head><style>${'{'.repeat(10_000)}</style><script>${'<!--'.repeat(10_000)}<body <p <a href="${'"'.repeat(1000)}>${SCAM_TEXT}<!-- ${'<![CDATA['.repeat(5000)}${randomBytes(random, 5000).toString('latin1')}`,
    ),
  'html-entities': (random) =>
    join(
      `${BASE_HEADERS}${CRLF}Content-Type: text/html`,
      `<p>${SCAM_TEXT}</p>${randomRun(random, 100_000, ['&amp;', '&#x1F600;', '&#99999999;', '&bogus;', '&'])}`,
    ),
  'zip-attachment': (random) =>
    withAttachment(
      SCAM_TEXT,
      'refund-form.zip',
      'application/zip',
      zipFile('refund.html', Buffer.from(`<form>${'x'.repeat(Math.floor(random() * 5000))}</form>`)),
    ),
  'zip-bomb': () =>
    withAttachment(SCAM_TEXT, 'invoice.zip', 'application/zip', zipFile('invoice.pdf', Buffer.alloc(MB), 0xfffffff0)),
  'html-attachment': (random) =>
    withAttachment(
      SCAM_TEXT,
      'sign-in.html',
      'text/html',
      Buffer.from(
        `<html><body><form action="https://evil.top/p">${'<input>'.repeat(Math.floor(random() * 1000))}</form>`,
      ),
    ),
  'attachment-lies': (random) =>
    withAttachment(SCAM_TEXT, `${'a'.repeat(500)}.pdf.exe`, 'application/pdf', randomBytes(random, 20_000)),
  'binary-garbage': (random) => randomBytes(random, Math.floor(random() * 50_000)),
  'binary-after-headers': (random, source) =>
    Buffer.concat([
      headerAndBody(source).head
        ? Buffer.from(`${headerAndBody(source).head}${CRLF}${CRLF}`, 'latin1')
        : Buffer.alloc(0),
      randomBytes(random, 20_000),
    ]),
  empty: () => Buffer.alloc(0),
  'only-newlines': (random) => Buffer.from(pick(random, ['\r\n', '\n\n\n', '\r\r\r', ' ', '\t\r\n\r\n'])),
  'no-headers': () => Buffer.from(SCAM_TEXT),
  'only-headers': (_r, source) => Buffer.from(headerAndBody(source).head, 'latin1'),
  'bare-line-ends': (random, source) => {
    const ending = pick(random, ['\n', '\r', '\n\r']);
    return Buffer.from(source.toString('latin1').replace(/\r\n/g, ending), 'latin1');
  },
  'nul-bytes': (random, source) =>
    Buffer.from(
      source.toString('latin1').replace(/ /g, () => (random() < 0.2 ? '\0' : ' ')),
      'latin1',
    ),
  'byte-flips': (random, source) => {
    const copy = Buffer.from(source);
    for (let i = 0; i < Math.max(1, copy.length / 50); i++)
      copy[Math.floor(random() * copy.length)] = Math.floor(random() * 256);
    return copy;
  },
  spliced: (random, source) => {
    const at = Math.floor(random() * source.length);
    return Buffer.concat([source.subarray(0, at), source.subarray(Math.floor(random() * source.length))]);
  },
  'mbox-from-line': (_r, source) =>
    Buffer.concat([Buffer.from('From someone@example.com  Tue Aug  6 11:51:02 2002\n'), source]),
  'rfc822-loop': () => {
    let inner = `${BASE_HEADERS}${CRLF}${CRLF}${SCAM_TEXT}`;
    for (let i = 0; i < 60; i++) inner = `${BASE_HEADERS}${CRLF}Content-Type: message/rfc822${CRLF}${CRLF}${inner}`;
    return Buffer.from(inner);
  },
};

/** 10 MB mutations: few, since each holds tens of megabytes while it is parsed. */
const HUGE: Record<string, Maker> = {
  'huge-text': () => join(BASE_HEADERS, `${SCAM_TEXT}\r\n${'Your refund is waiting. '.repeat((10 * MB) / 24)}`),
  'huge-html': () =>
    join(
      `${BASE_HEADERS}${CRLF}Content-Type: text/html`,
      `<p>${SCAM_TEXT}</p>${'<div><a href="https://x.top/">click</a></div>'.repeat((10 * MB) / 44)}`,
    ),
  'huge-attachment': (random) =>
    withAttachment(SCAM_TEXT, 'data.bin', 'application/octet-stream', randomBytes(random, 10 * MB)),
  'huge-zip-bomb': () =>
    withAttachment(SCAM_TEXT, 'bomb.zip', 'application/zip', zipFile('bomb.bin', Buffer.alloc(10 * MB), 0xffffffff)),
  'huge-no-newline': () => Buffer.from(`Subject: x${CRLF}${CRLF}${'a'.repeat(10 * MB)}`),
};

export const MUTATION_NAMES = [...Object.keys(MUTATIONS), ...Object.keys(HUGE)];

const SMS_MUTATIONS: Record<string, (random: () => number, text: Corpus['texts'][number]) => MutatedMessage['sms']> = {
  'sms-truncated': (random, text) => ({ ...text, body: text.body.slice(0, Math.floor(random() * text.body.length)) }),
  'sms-huge': (random, text) => ({
    ...text,
    body: `${text.body} ${'https://bit.ly/x '.repeat(10_000 + Math.floor(random() * 50_000))}`,
  }),
  'sms-garbage': (random, text) => ({
    ...text,
    sender: randomBytes(random, 40).toString('latin1'),
    body: randomBytes(random, 5000).toString('utf8'),
  }),
  'sms-empty': () => ({ id: 'sms', sender: '', body: '' }),
};

/** The messages, generated one at a time so only one is held at once. */
export function* mutatedMessages(options: MutationOptions, corpus: Corpus = readCorpus()): Generator<MutatedMessage> {
  const random = seededRandom(options.seed);
  const names = Object.keys(MUTATIONS);
  const hugeNames = Object.keys(HUGE);
  const hugeEvery = options.hugeMessages > 0 ? Math.floor(options.count / options.hugeMessages) : Infinity;
  let huge = 0;
  for (let n = 0; n < options.count; n++) {
    const source = pick(random, corpus.emails);
    const text = pick(random, corpus.texts);
    if (n % hugeEvery === Math.floor(hugeEvery / 2) && huge < options.hugeMessages) {
      const name = hugeNames[huge++ % hugeNames.length]!;
      yield { id: `${n}-${name}`, mutation: name, kind: 'email', raw: HUGE[name]!(random, source.raw, text) };
      continue;
    }
    if (random() < 0.04) {
      const name = pick(random, Object.keys(SMS_MUTATIONS));
      yield {
        id: `${n}-${name}`,
        mutation: name,
        kind: 'sms',
        sms: { ...SMS_MUTATIONS[name]!(random, text)!, id: `${n}-${name}` },
      };
      continue;
    }
    // Mutations compose: a truncated message with a lying charset is what a real relay produces.
    let name = pick(random, names);
    let raw = MUTATIONS[name]!(random, source.raw, text);
    if (random() < 0.2) {
      const second = pick(random, [
        'truncated',
        'wrong-charset',
        'wrong-transfer-encoding',
        'byte-flips',
        'bare-line-ends',
      ]);
      raw = MUTATIONS[second]!(random, raw, text);
      name = `${name}+${second}`;
    }
    yield { id: `${n}-${name}-${source.name}`, mutation: name, kind: 'email', raw };
  }
}
