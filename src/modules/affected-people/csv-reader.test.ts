import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CsvReader, EncodingDetector, MAX_RECORD_BYTES, type CsvEncoding, type CsvRecord } from './csv-reader.ts';

/** Reads `bytes` fed in chunks of `size` bytes (1 tests every boundary). */
function read(bytes: Buffer, size = bytes.length || 1, encoding: CsvEncoding = 'utf-8', startByte = 0, startLine = 1) {
  const reader = new CsvReader({ encoding, startByte, startLine });
  const records: CsvRecord[] = [];
  for (let at = 0; at < bytes.length; at += size) records.push(...reader.push(bytes.subarray(at, at + size)));
  records.push(...reader.end());
  return records;
}

const utf8 = (text: string) => Buffer.from(text, 'utf8');

describe('the CSV reader', () => {
  test('quoted commas, doubled quotes and embedded line breaks, with the line each record starts on', () => {
    const text = 'a,b,c\r\n"one, two","say ""hi""",x\r\n"multi\r\nline\nfield",y,z\r\nlast,row,here';
    for (const size of [1, 2, 3, 7, 1000]) {
      const records = read(utf8(text), size);
      assert.deepEqual(
        records.map((r) => [r.line, r.fields]),
        [
          [1, ['a', 'b', 'c']],
          [2, ['one, two', 'say "hi"', 'x']],
          [3, ['multi\r\nline\nfield', 'y', 'z']],
          [6, ['last', 'row', 'here']],
        ],
        `chunks of ${size}`,
      );
      assert.equal(records.at(-1)!.endByte, Buffer.byteLength(text));
    }
  });

  test('LF, CRLF and CR line ends; blank lines are passed over but counted', () => {
    const records = read(utf8('a,b\n\nc,d\r\n\r\ne,f\rg,h\n'), 1);
    assert.deepEqual(
      records.map((r) => [r.line, r.fields]),
      [
        [1, ['a', 'b']],
        [3, ['c', 'd']],
        [5, ['e', 'f']],
        [6, ['g', 'h']],
      ],
    );
  });

  test('a byte order mark is skipped, and UTF-8 split across chunks is decoded whole', () => {
    const records = read(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8('Zoë,£5,é\n')]), 1);
    assert.deepEqual(records[0]!.fields, ['Zoë', '£5', 'é']);
  });

  test('Windows-1252: £, é and the curly quotes of 0x80–0x9F', () => {
    const bytes = Buffer.from([
      0x52, 0x65, 0x6e, 0xe9, 0x65, 0x2c, 0xa3, 0x35, 0x2c, 0x93, 0x68, 0x69, 0x94, 0x80, 0x0a,
    ]);
    assert.deepEqual(read(bytes, 1, 'windows-1252')[0]!.fields, ['Renée', '£5', '\u201chi\u201d\u20ac']);
  });

  test('ragged rows are given as they are: the importer refuses them', () => {
    assert.deepEqual(
      read(utf8('a,b,c\n1,2\n1,2,3,4\n,,\n')).map((r) => r.fields.length),
      [3, 2, 4, 3],
    );
  });

  test('a quote left open at the end of the file is reported on the line it opened', () => {
    const records = read(utf8('a,b\n"open,b\nmore\n'), 2);
    assert.equal(records.length, 2);
    assert.equal(records[1]!.line, 2);
    assert.equal(records[1]!.problem, 'unclosed-quote');
  });

  test('text after a closing quote is flagged', () => {
    assert.equal(read(utf8('"a"b,c\n'))[0]!.problem, 'text-after-quote');
  });

  test('reading again from a record boundary gives the same records after it', () => {
    const text = utf8('\uFEFFh1,h2\n"x\ny",1\nz,2\nw,3\n');
    const all = read(text, 5);
    const second = all[1]!;
    const resumed = read(text.subarray(second.endByte), 3, 'utf-8', second.endByte, second.nextLine);
    assert.deepEqual(resumed, all.slice(2));
  });

  test('a record longer than the limit is reported, without holding it, and reading carries on', () => {
    const long = 'x'.repeat(MAX_RECORD_BYTES * 2);
    const records = read(utf8(`a,b\n${long},1\nc,d\n`), 64 * 1024);
    assert.deepEqual(
      records.map((r) => [r.line, r.problem ?? r.fields.join('|')]),
      [
        [1, 'a|b'],
        [2, 'too-long'],
        [3, 'c|d'],
      ],
    );
  });

  test('the encoding: valid UTF-8 is UTF-8, anything else Windows-1252', () => {
    const detect = (...chunks: number[][]) => {
      const detector = new EncodingDetector();
      for (const c of chunks) detector.push(Uint8Array.from(c));
      return detector.end();
    };
    assert.equal(detect([0x61, 0xc3], [0xa9]), 'utf-8'); // é split across chunks
    assert.equal(detect([0x61, 0xe9, 0x0a]), 'windows-1252');
    assert.equal(detect([0x61, 0xc3]), 'windows-1252'); // cut off mid-character
  });
});
