// Forms with a file upload (multipart/form-data, RFC 7578). The project has no multipart package;
// uploads are small (a saved email, a screenshot), so the whole body is read under a byte limit and
// split here. Text fields land on the body like @fastify/formbody's (so the CSRF check and
// formText read them as ever); files are reached with uploadedFile(). Each file is capped: one over
// its cap is reported rather than cut, so the person can be told.
import type { FastifyInstance } from 'fastify';

export interface UploadedFile {
  /** As the browser named it (no path); '' when none was chosen. */
  filename: string;
  /** As the browser declared it: only a hint. */
  contentType: string;
  data: Buffer;
  /** The file was larger than its cap: `data` is empty. */
  tooLarge: boolean;
}

const FILES = Symbol('uploaded files');

export class MultipartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MultipartError';
  }
}

export interface MultipartOptions {
  /** The largest whole request body. */
  bodyLimit: number;
  /** The largest file kept, by field name; a file in another field is refused. */
  fileLimits: Record<string, number>;
  /** The longest text field. */
  maxFieldBytes?: number;
  maxParts?: number;
}

/**
 * Adds a multipart/form-data parser to this plugin's routes (Fastify keeps it to the plugin it is
 * added in, so other routes still refuse multipart bodies).
 */
export function acceptMultipartForms(app: FastifyInstance, options: MultipartOptions): void {
  app.addContentTypeParser(
    'multipart/form-data',
    { parseAs: 'buffer', bodyLimit: options.bodyLimit },
    (request, body, done) => {
      try {
        done(null, parseMultipartForm(request.headers['content-type'] ?? '', body as Buffer, options));
      } catch (error) {
        done(Object.assign(error as Error, { statusCode: 400 }), undefined);
      }
    },
  );
}

export function uploadedFile(body: unknown, name: string): UploadedFile | undefined {
  const files = (body as { [FILES]?: Map<string, UploadedFile> } | undefined)?.[FILES];
  const file = files?.get(name);
  return file && (file.data.length > 0 || file.tooLarge) ? file : undefined;
}

export function parseMultipartForm(
  contentType: string,
  body: Buffer,
  options: Pick<MultipartOptions, 'fileLimits' | 'maxFieldBytes' | 'maxParts'>,
): Record<string, string | string[]> {
  const boundary = /boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  if (!boundary) throw new MultipartError('The form has no boundary');
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const fields: Record<string, string | string[]> = {};
  const files = new Map<string, UploadedFile>();
  const maxField = options.maxFieldBytes ?? 64 * 1024;
  const maxParts = options.maxParts ?? 50;

  let position = body.indexOf(delimiter);
  if (position < 0) throw new MultipartError('The form is empty or damaged');
  let parts = 0;
  for (;;) {
    const afterDelimiter = position + delimiter.length;
    // "--" after the delimiter ends the form.
    if (body[afterDelimiter] === 0x2d && body[afterDelimiter + 1] === 0x2d) break;
    const headerStart = afterDelimiter + 2; // CRLF
    const headerEnd = body.indexOf('\r\n\r\n', headerStart);
    if (headerEnd < 0) throw new MultipartError('A part of the form is damaged');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) throw new MultipartError('The form is cut short');
    if (++parts > maxParts) throw new MultipartError('The form has too many parts');
    const headers = body.toString('utf8', headerStart, headerEnd);
    const content = body.subarray(headerEnd + 4, next);
    const disposition = /^content-disposition:\s*form-data(.*)$/im.exec(headers)?.[1] ?? '';
    const name = parameter(disposition, 'name');
    if (name === undefined) throw new MultipartError('A part of the form has no name');
    const filename = parameter(disposition, 'filename');
    if (filename !== undefined) {
      const limit = options.fileLimits[name];
      if (limit === undefined) throw new MultipartError(`The form does not take a file called ${name}`);
      const tooLarge = content.length > limit;
      files.set(name, {
        filename: filename.split(/[\\/]/).pop()!.slice(0, 200),
        contentType: /^content-type:\s*([^\s;]+)/im.exec(headers)?.[1]?.toLowerCase() ?? 'application/octet-stream',
        // A copy, so the rest of the body can be freed.
        data: tooLarge ? Buffer.alloc(0) : Buffer.from(content),
        tooLarge,
      });
    } else {
      if (content.length > maxField) throw new MultipartError(`The field ${name} is too long`);
      const value = content.toString('utf8');
      const existing = fields[name];
      fields[name] = existing === undefined ? value : [existing, value].flat();
    }
    position = next + 2;
  }
  Object.defineProperty(fields, FILES, { value: files, enumerable: false });
  return fields;
}

/** A parameter of a Content-Disposition header: name="x" or filename="y" (quotes escaped as \"). */
function parameter(header: string, key: string): string | undefined {
  const match =
    new RegExp(`;\\s*${key}="((?:[^"\\\\]|\\\\.)*)"`, 'i').exec(header) ??
    new RegExp(`;\\s*${key}=([^;\\s]+)`, 'i').exec(header);
  return match ? match[1]!.replace(/\\(.)/g, '$1') : undefined;
}
