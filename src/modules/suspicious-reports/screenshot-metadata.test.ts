import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inflateSync } from 'node:zlib';
import { ScreenshotError, stripScreenshotMetadata } from './screenshot-metadata.ts';
import { jpegWithExif, pngWithText } from './test-images.ts';

const SECRET = 'Flat 3, 10 Example Street, 51.5072N 0.1276W';

function pngChunks(png: Buffer): Array<{ type: string; data: Buffer }> {
  const chunks = [];
  for (let offset = 8; offset < png.length;) {
    const length = png.readUInt32BE(offset);
    chunks.push({
      type: png.toString('latin1', offset + 4, offset + 8),
      data: png.subarray(offset + 8, offset + 8 + length),
    });
    offset += 12 + length;
  }
  return chunks;
}

function jpegMarkers(jpeg: Buffer): number[] {
  const markers = [];
  for (let offset = 2; offset < jpeg.length;) {
    const marker = jpeg[offset + 1]!;
    markers.push(marker);
    if (marker === 0xd9) break;
    const length = jpeg.readUInt16BE(offset + 2);
    offset += 2 + length;
    if (marker === 0xda) offset = jpeg.length - 2;
  }
  return markers;
}

test('a PNG loses its text, time and EXIF chunks and keeps its pixels', () => {
  const original = pngWithText(SECRET);
  assert.ok(original.includes(SECRET));
  const { type, data } = stripScreenshotMetadata(original);
  assert.equal(type, 'image/png');
  assert.ok(!data.includes(Buffer.from(SECRET)), 'the secret is gone');
  const chunks = pngChunks(data);
  assert.deepEqual(
    chunks.map((c) => c.type),
    ['IHDR', 'IDAT', 'IEND'],
  );
  // Still an image: its pixel data inflates to the two rows of the original.
  assert.equal(inflateSync(chunks[1]!.data).length, 14);
  assert.deepEqual(pngChunks(original).find((c) => c.type === 'IHDR')!.data, chunks[0]!.data);
});

test('a JPEG loses APP1 (EXIF) and its comment, keeps APP0 (JFIF) and the image', () => {
  const original = jpegWithExif(SECRET);
  assert.ok(original.includes(SECRET));
  const { type, data } = stripScreenshotMetadata(original);
  assert.equal(type, 'image/jpeg');
  assert.ok(!data.includes(Buffer.from(SECRET)), 'the secret is gone');
  assert.deepEqual(jpegMarkers(original), [0xe0, 0xe1, 0xfe, 0xdb, 0xc0, 0xc4, 0xc4, 0xda, 0xd9]);
  assert.deepEqual(jpegMarkers(data), [0xe0, 0xdb, 0xc0, 0xc4, 0xc4, 0xda, 0xd9]);
  assert.deepEqual(data.subarray(0, 2), Buffer.from([0xff, 0xd8]));
  assert.deepEqual(data.subarray(-2), Buffer.from([0xff, 0xd9]));
  // Stripping again changes nothing: what is left is all image.
  assert.deepEqual(stripScreenshotMetadata(data).data, data);
});

test('anything that is not a whole PNG or JPEG is refused', () => {
  const png = pngWithText('x');
  const jpeg = jpegWithExif('x');
  for (const bad of [
    Buffer.from('GIF89a...'),
    Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'),
    png.subarray(0, png.length - 20),
    jpeg.subarray(0, 30),
    Buffer.alloc(0),
  ]) {
    assert.throws(() => stripScreenshotMetadata(bad), ScreenshotError);
  }
});
