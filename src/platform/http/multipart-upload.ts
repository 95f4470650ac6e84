// Receiving a file upload from a plain HTML form (multipart/form-data) as a stream: the file goes
// straight to disk as it arrives, so a file of any size up to the cap costs a little memory, and
// the small text fields (the CSRF token among them) come back as the request body. Register it
// only in the plugin whose routes take uploads, and check who is uploading before the bytes are
// read (see `mayUpload`).
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export interface UploadedFile {
  /** The file's name as the browser gave it: for display only. */
  fileName: string;
  /** Where it was written. */
  storedPath: string;
  bytes: number;
}

export interface UploadOptions {
  /** The folder files are written to. */
  dir: string;
  maxFileBytes: number;
  /** Refuses the upload before any byte is read (say, no one is signed in). */
  mayUpload(request: FastifyRequest): boolean;
}

const MAX_FIELD_BYTES = 64 * 1024;
const MAX_HEADER_BYTES = 8 * 1024;
const MAX_PARTS = 100;

class UploadError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

/**
 * Parses multipart/form-data bodies of this plugin's routes. The body becomes the text fields
 * (repeated fields as arrays) with `file` holding the UploadedFile, if one was sent. A file that
 * the route does not keep must be removed by the route; files are also removed when parsing fails.
 */
export function acceptUploads(app: FastifyInstance, options: UploadOptions): void {
  app.addContentTypeParser('multipart/form-data', async (request: FastifyRequest, payload: AsyncIterable<Buffer>) => {
    if (!options.mayUpload(request)) throw new UploadError('You cannot upload files here', 403);
    const type = request.headers['content-type'] ?? '';
    const boundary = /boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(type);
    if (!boundary) throw new UploadError('The form was not sent as expected', 400);
    mkdirSync(options.dir, { recursive: true });
    return parseMultipart(payload, boundary[1] ?? boundary[2]!, options);
  });
}

async function parseMultipart(
  payload: AsyncIterable<Buffer>,
  boundary: string,
  options: UploadOptions,
): Promise<Record<string, unknown>> {
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const fields: Record<string, unknown> = {};
  let file: UploadedFile | undefined;
  let out: WriteStream | undefined;
  let buffer: Buffer = Buffer.from('\r\n');
  let state: 'preamble' | 'after-delimiter' | 'headers' | 'body' | 'done' = 'preamble';
  let part: { name: string; fileName: string | undefined; text: Buffer[]; bytes: number } | undefined;
  let parts = 0;

  const addField = (name: string, value: string) => {
    const existing = fields[name];
    if (existing === undefined) fields[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else fields[name] = [existing, value];
  };
  const write = async (bytes: Buffer) => {
    if (!part || bytes.length === 0) return;
    part.bytes += bytes.length;
    if (part.fileName !== undefined && out) {
      if (part.bytes > options.maxFileBytes) throw new UploadError('The file is too big', 413);
      if (!out.write(bytes)) await once(out, 'drain');
    } else if (part.fileName === undefined) {
      if (part.bytes > MAX_FIELD_BYTES) throw new UploadError('A form field is too long', 413);
      part.text.push(Buffer.from(bytes));
    }
  };
  const finishPart = async () => {
    if (!part) return;
    if (part.fileName !== undefined && out && file) {
      out.end();
      await once(out, 'finish');
      file.bytes = part.bytes;
      out = undefined;
    } else if (part.fileName === undefined) addField(part.name, Buffer.concat(part.text).toString('utf8'));
    part = undefined;
  };

  try {
    for await (const chunk of payload) {
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      for (;;) {
        if (state === 'preamble' || state === 'body') {
          const at = buffer.indexOf(delimiter);
          if (at === -1) {
            // Keep enough to find a delimiter that straddles the next chunk.
            const keep = Math.min(buffer.length, delimiter.length - 1);
            if (state === 'body') await write(buffer.subarray(0, buffer.length - keep));
            buffer = buffer.subarray(buffer.length - keep);
            break;
          }
          if (state === 'body') {
            await write(buffer.subarray(0, at));
            await finishPart();
          }
          buffer = buffer.subarray(at + delimiter.length);
          state = 'after-delimiter';
        }
        if (state === 'after-delimiter') {
          if (buffer.length < 2) break;
          if (buffer[0] === 0x2d && buffer[1] === 0x2d) {
            state = 'done';
            break;
          }
          state = 'headers';
        }
        if (state === 'headers') {
          const end = buffer.indexOf('\r\n\r\n');
          if (end === -1) {
            if (buffer.length > MAX_HEADER_BYTES) throw new UploadError('The form was not sent as expected', 400);
            break;
          }
          parts += 1;
          if (parts > MAX_PARTS) throw new UploadError('The form has too many fields', 413);
          const headers = buffer.subarray(0, end).toString('utf8');
          buffer = buffer.subarray(end + 4);
          const disposition = /content-disposition:\s*form-data;([^\r\n]*)/i.exec(headers)?.[1] ?? '';
          const name = /\bname="([^"]*)"/i.exec(disposition)?.[1] ?? '';
          const fileName = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
          part = { name, fileName, text: [], bytes: 0 };
          if (fileName !== undefined) {
            if (file) throw new UploadError('Send one file at a time', 400);
            const storedPath = path.join(options.dir, `${Date.now()}-${randomBytes(8).toString('hex')}.upload`);
            file = { fileName: path.basename(fileName.replace(/\\/g, '/')).slice(0, 200), storedPath, bytes: 0 };
            out = createWriteStream(storedPath, { mode: 0o600 });
          }
          state = 'body';
          continue;
        }
        break;
      }
      if (state === 'done') break;
    }
    if (state !== 'done') throw new UploadError('The upload was cut off before the end', 400);
  } catch (error) {
    out?.destroy();
    if (file) rmSync(file.storedPath, { force: true });
    throw error;
  }
  if (file) fields['file'] = file;
  return fields;
}

/** Removes an uploaded file that a request did not keep (refused by CSRF, invalid, and so on). */
export function discardUpload(body: unknown): void {
  const file = (body as { file?: UploadedFile } | undefined)?.file;
  if (file?.storedPath) rmSync(file.storedPath, { force: true });
}
