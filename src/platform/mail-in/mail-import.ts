// `wardroom mail import FILE.eml …`: each file is stored raw (source `import`) like any other inbound
// message, then processed at once rather than left to a worker, so the command can say what became
// of it. Its processing job is queued all the same: if processing fails here, a worker tries again.
import { open, stat } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import { OVERSIZE_KEPT_BYTES, sha256, storeInboundMail } from './inbound-mail-intake.ts';
import type { ParseLimits } from './inbound-mail-parser.ts';
import { InboundMailHandlerError, processInboundMail, type ProcessingOutcome } from './inbound-mail-processing.ts';
import { findImportBySha256 } from './inbound-mail.repository.ts';
import { normaliseAddress, type InboundMailboxes } from './inbound-mailboxes.ts';

export interface MailImportDeps {
  db: Kysely<DB>;
  mailboxes: InboundMailboxes;
  maxBytes: number;
  parseLimits?: Partial<ParseLimits> | undefined;
}

export interface MailImportOptions {
  /** Deliver every file to this mailbox, whatever its headers say. */
  mailbox?: string | undefined;
  /** Envelope recipients to route by, instead of the headers. */
  to?: string[] | undefined;
}

export type ImportedMail = ({ file: string; duplicate: boolean } & ProcessingOutcome) | { file: string; error: string };

export async function importMailFile(
  deps: MailImportDeps,
  file: string,
  options: MailImportOptions = {},
): Promise<ImportedMail> {
  let raw: Buffer;
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) return { file, error: 'not a file' };
    size = info.size;
    // Of a file over the limit, read only the start that is kept.
    raw = await readStart(file, size > deps.maxBytes ? OVERSIZE_KEPT_BYTES : size);
  } catch (error) {
    return { file, error: `could not be read (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }

  const earlier = await findImportBySha256(deps.db, sha256(raw));
  if (earlier) {
    return {
      file,
      duplicate: true,
      mailId: earlier.id,
      status: earlier.status,
      reason: earlier.reason,
      produced: earlier.produced,
    };
  }

  const to = (options.to ?? []).map((a) => normaliseAddress(a) ?? a);
  const stored = await storeInboundMail(
    deps.db,
    { source: 'import', mailbox: options.mailbox, envelopeTo: to, raw, size },
    { maxBytes: deps.maxBytes },
  );
  if (stored.status === 'rejected') {
    return { file, duplicate: false, mailId: stored.id, status: 'rejected', reason: stored.reason, produced: [] };
  }
  try {
    return { file, duplicate: false, ...(await processInboundMail(deps, stored.id)) };
  } catch (error) {
    if (!(error instanceof InboundMailHandlerError)) throw error;
    return { file, duplicate: false, mailId: stored.id, status: 'failed', reason: error.message, produced: [] };
  }
}

async function readStart(file: string, length: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const { bytesRead } = await handle.read(buffer, read, length - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return buffer.subarray(0, read);
  } finally {
    await handle.close();
  }
}

/** One line a file, for the command's output. */
export function describeImport(result: ImportedMail): string {
  if ('error' in result) return `${result.file}: ${result.error}`;
  const again = result.duplicate ? ` (already imported as ${result.mailId})` : '';
  switch (result.status) {
    case 'processed':
      return `${result.file}: processed${again}: ${result.produced.map((p) => `${p.mailbox} made ${p.kind} ${p.id}`).join(', ')}${result.reason ? ` (${result.reason})` : ''}`;
    case 'rejected':
      return `${result.file}: rejected${again}: ${result.reason ?? 'no reason recorded'} (kept as ${result.mailId})`;
    case 'failed':
      return `${result.file}: failed${again}: ${result.reason ?? 'no reason recorded'} (kept as ${result.mailId}; it can be retried from /staff/admin/inbound-mail)`;
    default:
      return `${result.file}: received${again} as ${result.mailId}; a worker will process it`;
  }
}
