// A streaming CSV reader (RFC 4180) for councils' files of affected people, which can run to
// millions of rows: it takes the file as byte chunks, keeps only the record it is part-way through,
// and gives each record with the file line it starts on and the byte offset just after it, so an
// import can stop after any record and start again from that offset. Quoted fields may hold commas,
// doubled quotes and line breaks (CRLF, LF or CR); a byte order mark is skipped. Bytes are decoded
// as UTF-8 or Windows-1252 field by field: the delimiters are ASCII, so they are found in the bytes.
import { createReadStream } from 'node:fs';

export type CsvEncoding = 'utf-8' | 'windows-1252';

export type CsvProblem =
  /** The file ended inside a quoted field. */
  | 'unclosed-quote'
  /** Text follows a closing quote before the next comma or line end, as in "a"b. */
  | 'text-after-quote'
  /** The record is longer than the reader keeps in memory. */
  | 'too-long';

export interface CsvRecord {
  /** The file line the record starts on, from 1. */
  line: number;
  fields: string[];
  /** The byte offset just after the record and its line end: where reading can start again. */
  endByte: number;
  /** The line number the next record starts on. */
  nextLine: number;
  problem?: CsvProblem;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const CR = 0x0d;
const LF = 0x0a;

/** Records longer than this are reported as too long rather than held in memory. */
export const MAX_RECORD_BYTES = 1024 * 1024;

/**
 * Windows-1252 differs from Latin-1 only in 0x80–0x9F (Node's TextDecoder treats the two as one, so
 * the table is here): the euro sign, curly quotes, dashes and so on.
 */
const WINDOWS_1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';
const C1_CONTROLS = /[\u0080-\u009f]/g;

function decoderFor(encoding: CsvEncoding): (bytes: Buffer, start: number, end: number) => string {
  if (encoding === 'utf-8') return (bytes, start, end) => bytes.toString('utf8', start, end);
  return (bytes, start, end) => {
    const text = bytes.toString('latin1', start, end);
    return text.replace(C1_CONTROLS, (c) => WINDOWS_1252_HIGH[c.charCodeAt(0) - 0x80] as string);
  };
}

interface Scanned {
  fields: string[];
  /** Offset (in the scanned buffer) where the next record starts. */
  next: number;
  lineBreaks: number;
  problem?: CsvProblem;
}

/**
 * The push side of the reader: give it chunks in order with push(), then end(). Each returns the
 * records completed so far.
 */
export class CsvReader {
  readonly #decode: (bytes: Buffer, start: number, end: number) => string;
  #pending: Buffer = Buffer.alloc(0);
  /** Byte offset in the file of #pending[0]. */
  #offset: number;
  #line: number;
  #checkBom: boolean;
  /** While skipping a record that is too long: whether the scan is inside quotes, and where it began. */
  #skipping: { inQuotes: boolean; line: number; lineBreaks: number; afterCr: boolean } | undefined;

  constructor(options: { encoding: CsvEncoding; startByte?: number; startLine?: number }) {
    this.#decode = decoderFor(options.encoding);
    this.#offset = options.startByte ?? 0;
    this.#line = options.startLine ?? 1;
    this.#checkBom = this.#offset === 0;
  }

  push(chunk: Buffer): CsvRecord[] {
    return this.#read(chunk, false);
  }

  end(): CsvRecord[] {
    return this.#read(Buffer.alloc(0), true);
  }

  #read(chunk: Buffer, final: boolean): CsvRecord[] {
    let data = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    if (this.#checkBom) {
      if (data.length < 3 && !final) {
        this.#pending = data;
        return [];
      }
      this.#checkBom = false;
      if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) {
        data = data.subarray(3);
        this.#offset += 3;
      }
    }
    const records: CsvRecord[] = [];
    let at = 0;
    if (this.#skipping) {
      const skipped = this.#skip(data, final, records);
      if (skipped === undefined) {
        this.#offset += data.length;
        this.#pending = Buffer.alloc(0);
        return records;
      }
      at = skipped;
    }
    while (at < data.length) {
      const scanned = this.#scan(data, at, final);
      if (!scanned) {
        if (data.length - at > MAX_RECORD_BYTES) {
          // Give up holding it: note where it began and skip to its end, however far that is.
          this.#skipping = { inQuotes: false, line: this.#line, lineBreaks: 0, afterCr: false };
          const rest = data.subarray(at);
          this.#offset += at;
          const skipped = this.#skip(rest, final, records);
          if (skipped === undefined) {
            this.#offset += rest.length;
            this.#pending = Buffer.alloc(0);
            return records;
          }
          data = rest;
          at = skipped;
          continue;
        }
        break;
      }
      const line = this.#line;
      this.#line += scanned.lineBreaks;
      // A blank line is no record: it is counted and passed over.
      const blank = scanned.fields.length === 1 && scanned.fields[0] === '' && !scanned.problem;
      if (!blank) {
        const record: CsvRecord = {
          line,
          fields: scanned.fields,
          endByte: this.#offset + scanned.next,
          nextLine: this.#line,
        };
        if (scanned.problem) record.problem = scanned.problem;
        records.push(record);
      }
      at = scanned.next;
    }
    this.#offset += at;
    this.#pending = at < data.length ? Buffer.from(data.subarray(at)) : Buffer.alloc(0);
    return records;
  }

  /**
   * Passes over the rest of a record that is too long, from the start of `data`. Returns where the
   * next record starts, having added the too-long record, or undefined when `data` ran out first.
   */
  #skip(data: Buffer, final: boolean, records: CsvRecord[]): number | undefined {
    const state = this.#skipping!;
    for (let i = 0; i < data.length; i += 1) {
      const byte = data[i];
      if (state.afterCr) return this.#skipped(byte === LF ? i + 1 : i, records);
      if (byte === QUOTE) state.inQuotes = !state.inQuotes;
      else if (byte === LF) {
        state.lineBreaks += 1;
        if (!state.inQuotes) return this.#skipped(i + 1, records);
      } else if (byte === CR) {
        state.lineBreaks += 1;
        if (i + 1 < data.length) {
          if (data[i + 1] === LF) i += 1;
          if (!state.inQuotes) return this.#skipped(i + 1, records);
        } else if (!state.inQuotes) {
          if (final) return this.#skipped(i + 1, records);
          state.afterCr = true; // an LF may start the next chunk
        }
      }
    }
    if (final) {
      if (!state.afterCr) state.lineBreaks += 1;
      return this.#skipped(data.length, records);
    }
    return undefined;
  }

  #skipped(next: number, records: CsvRecord[]): number {
    const state = this.#skipping!;
    this.#skipping = undefined;
    this.#line = state.line + state.lineBreaks;
    records.push({
      line: state.line,
      fields: [],
      endByte: this.#offset + next,
      nextLine: this.#line,
      problem: state.inQuotes ? 'unclosed-quote' : 'too-long',
    });
    return next;
  }

  /** Scans one record starting at `start`; undefined when more bytes are needed to finish it. */
  #scan(data: Buffer, start: number, final: boolean): Scanned | undefined {
    const fields: string[] = [];
    const length = data.length;
    let lineBreaks = 0;
    let problem: CsvProblem | undefined;
    let i = start;
    for (;;) {
      if (data[i] === QUOTE) {
        // A quoted field: find its closing quote, counting the line breaks inside it.
        let from = i + 1;
        let doubled = false;
        let close: number;
        for (;;) {
          close = data.indexOf(QUOTE, from);
          if (close === -1) {
            if (!final) return undefined;
            lineBreaks += countLineBreaks(data, from, length);
            fields.push(this.#decode(data, i + 1, length));
            return { fields, next: length, lineBreaks: lineBreaks + 1, problem: 'unclosed-quote' };
          }
          if (close + 1 === length && !final) return undefined;
          if (data[close + 1] === QUOTE) {
            doubled = true;
            from = close + 2;
            continue;
          }
          break;
        }
        lineBreaks += countLineBreaks(data, i + 1, close);
        let text = this.#decode(data, i + 1, close);
        if (doubled) text = text.replaceAll('""', '"');
        i = close + 1;
        // Anything between the closing quote and the delimiter is kept, but the record is flagged.
        const after = i;
        while (i < length && data[i] !== COMMA && data[i] !== LF && data[i] !== CR) i += 1;
        if (i > after) {
          problem = 'text-after-quote';
          text += this.#decode(data, after, i);
        }
        fields.push(text);
      } else {
        const begin = i;
        while (i < length) {
          const byte = data[i];
          if (byte === COMMA || byte === LF || byte === CR) break;
          i += 1;
        }
        fields.push(this.#decode(data, begin, i));
      }
      // At a delimiter, a line end or the end of the data.
      if (i >= length) {
        if (!final) return undefined;
        return { fields, next: length, lineBreaks: lineBreaks + 1, ...(problem ? { problem } : {}) };
      }
      const byte = data[i];
      if (byte === COMMA) {
        i += 1;
        if (i >= length && !final) return undefined;
        continue;
      }
      if (byte === LF) return { fields, next: i + 1, lineBreaks: lineBreaks + 1, ...(problem ? { problem } : {}) };
      // CR: with LF after it, or alone.
      if (i + 1 >= length && !final) return undefined;
      const next = data[i + 1] === LF ? i + 2 : i + 1;
      return { fields, next, lineBreaks: lineBreaks + 1, ...(problem ? { problem } : {}) };
    }
  }
}

/** Line breaks in bytes [from, to): CRLF, LF and CR each count once. */
function countLineBreaks(data: Buffer, from: number, to: number): number {
  // A plain scan of the field: searching the buffer for a CR instead ran to the end of the chunk
  // for every quoted field of a file with LF line ends.
  let count = 0;
  for (let at = from; at < to; at += 1) {
    const byte = data[at];
    if (byte === LF) count += 1;
    else if (byte === CR) {
      count += 1;
      if (data[at + 1] === LF && at + 1 < to) at += 1;
    }
  }
  return count;
}

/**
 * Reads a file's records from `startByte` (a record boundary: 0, or an endByte the reader gave),
 * in groups as they come off the disk.
 */
export async function* readCsvFile(
  file: string,
  options: { encoding: CsvEncoding; startByte?: number; startLine?: number; chunkBytes?: number },
): AsyncGenerator<CsvRecord[]> {
  const reader = new CsvReader(options);
  const stream = createReadStream(file, {
    start: options.startByte ?? 0,
    highWaterMark: options.chunkBytes ?? 1 << 20,
  });
  for await (const chunk of stream) {
    const records = reader.push(chunk as Buffer);
    if (records.length) yield records;
  }
  const last = reader.end();
  if (last.length) yield last;
}

/**
 * Which of the two encodings a file is in: UTF-8 when every byte sequence is valid UTF-8 (ASCII is),
 * Windows-1252 otherwise (what Excel on Windows saves as "CSV").
 */
export class EncodingDetector {
  readonly #decoder = new TextDecoder('utf-8', { fatal: true });
  #valid = true;

  push(chunk: Uint8Array): void {
    if (!this.#valid) return;
    try {
      this.#decoder.decode(chunk, { stream: true });
    } catch {
      this.#valid = false;
    }
  }

  end(): CsvEncoding {
    if (this.#valid) {
      try {
        this.#decoder.decode();
      } catch {
        this.#valid = false;
      }
    }
    return this.#valid ? 'utf-8' : 'windows-1252';
  }
}
