// Small real images for tests, built byte by byte: a PNG with a text chunk and a JPEG with an EXIF
// segment and a comment, both otherwise whole images a decoder accepts.
import { deflateSync } from 'node:zlib';

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A 2×2 red PNG carrying a tEXt chunk ("Author": the secret), a tIME chunk and an eXIf chunk. */
export function pngWithText(secret: string): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(2, 0);
  ihdr.writeUInt32BE(2, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  const rows = Buffer.from([0, 255, 0, 0, 255, 0, 0, 0, 255, 0, 0, 255, 0, 0]);
  const time = Buffer.from([0x07, 0xe9, 11, 24, 10, 0, 0]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('tEXt', Buffer.from(`Author\0${secret}`, 'latin1')),
    pngChunk('tIME', time),
    pngChunk('eXIf', Buffer.from(`MM\0*${secret}`, 'latin1')),
    pngChunk('IDAT', deflateSync(rows)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * A JPEG with APP0 (JFIF), APP1 (EXIF carrying the secret), a comment (COM) and a minimal
 * baseline 8×8 grey image: quantisation and Huffman tables, one component, one scan.
 */
export function jpegWithExif(secret: string): Buffer {
  const segment = (marker: number, data: Buffer) => {
    const head = Buffer.from([0xff, marker, 0, 0]);
    head.writeUInt16BE(data.length + 2, 2);
    return Buffer.concat([head, data]);
  };
  const app0 = segment(0xe0, Buffer.from([0x4a, 0x46, 0x49, 0x46, 0x00, 1, 1, 0, 0, 1, 0, 1, 0, 0]));
  const app1 = segment(0xe1, Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), Buffer.from(`MM\0*GPS ${secret}`)]));
  const com = segment(0xfe, Buffer.from(`Taken by ${secret}`));
  const dqt = segment(0xdb, Buffer.concat([Buffer.from([0]), Buffer.alloc(64, 1)]));
  const sof0 = segment(0xc0, Buffer.from([8, 0, 8, 0, 8, 1, 1, 0x11, 0]));
  // DC table: one code of length 1 for category 0; AC table: one code of length 1 for EOB (0x00).
  const dhtDc = segment(0xc4, Buffer.concat([Buffer.from([0x00, 1]), Buffer.alloc(15), Buffer.from([0])]));
  const dhtAc = segment(0xc4, Buffer.concat([Buffer.from([0x10, 1]), Buffer.alloc(15), Buffer.from([0])]));
  const sos = segment(0xda, Buffer.from([1, 1, 0x00, 0, 63, 0]));
  // DC diff 0 (code "0"), then EOB (code "0"): bits 00, padded with ones.
  const scan = Buffer.from([0x3f]);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    app0,
    app1,
    com,
    dqt,
    sof0,
    dhtDc,
    dhtAc,
    sos,
    scan,
    Buffer.from([0xff, 0xd9]),
  ]);
}
