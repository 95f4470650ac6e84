// Screenshots residents upload, kept without the metadata a phone or camera writes into them (where
// it was taken, the device, the owner's name, a thumbnail of the uncropped picture). The image data
// itself is kept as it is: a JPEG loses its APP1–APP15 segments (EXIF, XMP, IPTC, ICC…) and its
// comments, keeping APP0 (JFIF); a PNG loses its text, time and EXIF chunks. Anything that does not
// read as a whole PNG or JPEG is refused, so nothing else is stored as an "image".

export type ScreenshotType = 'image/png' | 'image/jpeg';

export class ScreenshotError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScreenshotError';
  }
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Chunks that carry words, times or camera data rather than pixels. */
const PNG_METADATA_CHUNKS = new Set(['tEXt', 'zTXt', 'iTXt', 'eXIf', 'tIME']);

/** The image without its metadata, or a ScreenshotError saying why it is not a PNG or JPEG. */
export function stripScreenshotMetadata(data: Buffer): { type: ScreenshotType; data: Buffer } {
  if (data.length >= 8 && data.subarray(0, 8).equals(PNG_SIGNATURE)) return { type: 'image/png', data: stripPng(data) };
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) {
    return { type: 'image/jpeg', data: stripJpeg(data) };
  }
  throw new ScreenshotError('The file is not a PNG or JPEG image');
}

function stripPng(data: Buffer): Buffer {
  const kept: Buffer[] = [PNG_SIGNATURE];
  let offset = 8;
  let sawHeader = false;
  while (offset < data.length) {
    if (offset + 12 > data.length) throw new ScreenshotError('The PNG image is cut short');
    const length = data.readUInt32BE(offset);
    const type = data.toString('latin1', offset + 4, offset + 8);
    if (!/^[A-Za-z]{4}$/.test(type)) throw new ScreenshotError('The PNG image is damaged');
    const end = offset + 12 + length;
    if (length > 0x7fffffff || end > data.length) throw new ScreenshotError('The PNG image is cut short');
    if (!sawHeader && type !== 'IHDR') throw new ScreenshotError('The PNG image is damaged');
    sawHeader = true;
    if (!PNG_METADATA_CHUNKS.has(type)) kept.push(data.subarray(offset, end));
    offset = end;
    if (type === 'IEND') return Buffer.concat(kept);
  }
  throw new ScreenshotError('The PNG image is cut short');
}

function stripJpeg(data: Buffer): Buffer {
  const kept: Buffer[] = [data.subarray(0, 2)];
  let offset = 2;
  while (offset < data.length) {
    if (data[offset] !== 0xff) throw new ScreenshotError('The JPEG image is damaged');
    // Fill bytes before a marker.
    let markerAt = offset;
    while (data[markerAt + 1] === 0xff) markerAt += 1;
    const marker = data[markerAt + 1];
    if (marker === undefined) break;
    if (marker === 0xd9) {
      kept.push(data.subarray(markerAt, markerAt + 2));
      return Buffer.concat(kept);
    }
    // Markers without a length.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      kept.push(data.subarray(markerAt, markerAt + 2));
      offset = markerAt + 2;
      continue;
    }
    if (markerAt + 4 > data.length) break;
    const length = data.readUInt16BE(markerAt + 2);
    if (length < 2) throw new ScreenshotError('The JPEG image is damaged');
    const end = markerAt + 2 + length;
    if (end > data.length) break;
    const metadata = (marker >= 0xe1 && marker <= 0xef) || marker === 0xfe;
    if (!metadata) kept.push(data.subarray(markerAt, end));
    offset = end;
    if (marker === 0xda) {
      // Start of scan: entropy-coded data runs to the end of the image (EOI), with restart markers
      // and stuffed 0xFF00 bytes in it; the last EOI ends the image.
      const eoi = data.lastIndexOf(Buffer.from([0xff, 0xd9]));
      if (eoi < offset) break;
      kept.push(data.subarray(offset, eoi + 2));
      return Buffer.concat(kept);
    }
  }
  throw new ScreenshotError('The JPEG image is cut short');
}
