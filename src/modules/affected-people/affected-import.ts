// Importing a council's file of affected people: read it as a stream, check and normalise each row,
// find each person again by any of their keys (so a person named in several files, or by several
// councils, is one person), and store the rows in batches. Each batch is one transaction that also
// moves the import's checkpoint (the byte offset and line after the batch), so an import that stops
// anywhere, a killed process included, carries on from the checkpoint with no row lost or repeated.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Transaction } from 'kysely';
import { withSmallPageCache, type Database } from '../../platform/db/database.ts';
import type { DB } from '../../platform/db/schema.ts';
import { newId, nowIso } from '../../platform/ids.ts';
import { isDataCategory, type DataCategory } from '../breaches/breach-record.ts';
import * as repo from './affected-people.repository.ts';
import {
  checkRow,
  columnNames,
  type ColumnMap,
  type PersonRow,
  type RowContext,
  type RowOutcome,
} from './affected-rows.ts';
import { CsvReader, EncodingDetector, readCsvFile, type CsvEncoding, type CsvRecord } from './csv-reader.ts';

/**
 * Rows per batch (one transaction and checkpoint each). A batch's rows live until it is stored: at
 * 1,000 rows they are made and stored within one young-generation cycle of V8's heap and die there,
 * where 5,000 rows outlived two scavenges, were promoted, and grew the old generation to four times
 * what was live between full collections (peak RSS 280–330 MB against 220–230 MB for a million rows,
 * and more CPU in garbage collection than the extra commits cost; bench/breach-import).
 */
export const DEFAULT_BATCH_ROWS = 1000;

/**
 * The file is read this much at a time, so each row is read shortly before its batch is stored
 * rather than thousands of rows ahead (which kept them alive long enough to be moved to the
 * long-lived part of the heap, growing it between collections).
 */
const READ_CHUNK_BYTES = 64 * 1024;

/** SQLite page cache while an import runs, in KiB (the platform's is 64 MiB). */
const IMPORT_PAGE_CACHE_KIB = 8 * 1024;

/** Uploaded files are kept in this folder of the data directory until their import is done. */
export const UPLOADS_FOLDER = 'affected-imports';

export function isUploadedFile(file: string): boolean {
  return path.basename(path.dirname(file)) === UPLOADS_FOLDER;
}

export interface FileFacts {
  byteSize: number;
  sha256: string;
  encoding: CsvEncoding;
}

/** Size, SHA-256 and encoding of a file, in one pass. */
export async function inspectFile(file: string): Promise<FileFacts> {
  const hash = createHash('sha256');
  const detector = new EncodingDetector();
  // One buffer, read into again and again, of a size whose decoded text dies young: a stream of 1 MB
  // chunks left some 70 MB of spent buffers and strings for the collector as an import began, and
  // the process kept that memory (bench/breach-import).
  const buffer = Buffer.allocUnsafe(64 * 1024);
  const handle = await open(file, 'r');
  let byteSize = 0;
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      const bytes = buffer.subarray(0, bytesRead);
      hash.update(bytes);
      detector.push(bytes);
      byteSize += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return { byteSize, sha256: hash.digest('hex'), encoding: detector.end() };
}

/** The first `count` records of a file (the header among them, if it has one). */
export async function firstRecords(file: string, encoding: CsvEncoding, count: number): Promise<CsvRecord[]> {
  const records: CsvRecord[] = [];
  const reader = new CsvReader({ encoding });
  const stream = createReadStream(file, { highWaterMark: 64 * 1024 });
  try {
    for await (const chunk of stream) {
      records.push(...reader.push(chunk as Buffer));
      if (records.length >= count) return records.slice(0, count);
    }
    records.push(...reader.end());
    return records.slice(0, count);
  } finally {
    stream.destroy();
  }
}

export interface RunImportOptions {
  batchRows?: number;
  /** Stops between batches when aborted; what is stored stays stored. */
  signal?: AbortSignal;
  /**
   * Runs one batch's writes in a transaction. The job handler passes its `once`, which also checks
   * the job's lease; on its own, a plain transaction.
   */
  transact?: (key: string, effect: (trx: Transaction<DB>) => Promise<void>) => Promise<boolean>;
  /** Told after each stored batch. */
  onBatch?: (progress: { bytesDone: number; byteSize: number; linesDone: number }) => Promise<void> | void;
}

export class ImportStoppedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportStoppedError';
  }
}

/** The import was cancelled while it ran: it stopped at the end of its last stored batch. */
class ImportCancelledError extends Error {}

/** Runs (or carries on) an import that has been started; returns the import as it ended. */
export async function runImport(
  database: Pick<Database, 'db' | 'dialect'>,
  importId: string,
  options: RunImportOptions = {},
): Promise<repo.ImportRow> {
  const { db, dialect } = database;
  const found = await repo.findImport(db, importId);
  if (!found) throw new ImportStoppedError(`No import ${importId}`);
  if (found.status === 'done' || found.status === 'cancelled' || found.status === 'failed') return found;
  if (found.status === 'uploaded') throw new ImportStoppedError('The import has not been started');
  if (found.status === 'queued') {
    await repo.updateImport(db, importId, { status: 'importing', started_at: nowIso() }, ['queued']);
  }
  const row = (await repo.findImport(db, importId))!;
  // Cancelled before it began.
  if (row.status !== 'importing') return row;
  const map = JSON.parse(row.column_map ?? '{}') as ColumnMap;
  const encoding = row.encoding;
  const first = (await firstRecords(row.stored_path, encoding, 1))[0];
  const columns = first?.fields.length ?? 0;
  const context: RowContext = {
    map,
    columns,
    columnNames: columnNames(row.has_header ? first?.fields : undefined, columns),
    fileCategories: [...new Set((JSON.parse(row.data_categories) as string[]).filter(isDataCategory))],
  };
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  const transact =
    options.transact ?? ((_key, effect) => db.transaction().execute(async (trx) => (await effect(trx), true)));

  let bytesDone = row.bytes_done;
  let skipHeader = Boolean(row.has_header) && bytesDone === 0;
  // Each row is checked as it is read, so the raw fields are dropped at once and the batch holds
  // only the checked rows (less to keep alive while the batch is stored).
  let batch: RowOutcome[] = [];
  let batchEnd = { byte: 0, line: 0 };
  const store = async (rows: readonly RowOutcome[], endByte: number, endLine: number) => {
    options.signal?.throwIfAborted();
    const fromByte = bytesDone;
    try {
      await transact(`affected-import:${importId}:${fromByte}`, async (trx) => {
        await storeBatch(trx, dialect, row, rows, { fromByte, toByte: endByte, toLine: endLine });
      });
    } catch (error) {
      // Cancelled while this batch was being stored: the batch is undone and the import stops here.
      if (error instanceof ImportStoppedError && (await repo.findImport(db, importId))?.status === 'cancelled') {
        throw new ImportCancelledError();
      }
      throw error;
    }
    bytesDone = endByte;
    await options.onBatch?.({ bytesDone, byteSize: row.byte_size, linesDone: endLine });
  };

  // The import's pages are written once and seldom read again: a small cache keeps its memory down.
  const reading = withSmallPageCache(database, IMPORT_PAGE_CACHE_KIB, async () => {
    for await (const records of readCsvFile(row.stored_path, {
      encoding,
      startByte: row.bytes_done,
      startLine: row.lines_done + 1,
      chunkBytes: READ_CHUNK_BYTES,
    })) {
      for (const record of records) {
        if (skipHeader) {
          skipHeader = false;
          // The header is stored as a batch of no rows, so a resumed import never reads it as one.
          await store([], record.endByte, record.nextLine - 1);
          continue;
        }
        batch.push(checkRow(record, context));
        batchEnd = { byte: record.endByte, line: record.nextLine - 1 };
        if (batch.length >= batchRows) {
          await store(batch, batchEnd.byte, batchEnd.line);
          batch = [];
        }
      }
    }
    if (batch.length) await store(batch, batchEnd.byte, batchEnd.line);
  });
  try {
    await reading;
  } catch (error) {
    if (error instanceof ImportCancelledError) return (await repo.findImport(db, importId))!;
    throw error;
  }
  // Trailing blank lines leave the checkpoint short of the end: the file is read all the same.
  const finished = await repo.updateImport(db, importId, { status: 'done', finished_at: nowIso() }, ['importing']);
  // Cancelled after the last batch: it stays cancelled, with everything stored.
  if (!finished) return (await repo.findImport(db, importId))!;
  // Uploaded files are Wardroom's to remove; a file imported from the command line is the operator's.
  if (isUploadedFile(row.stored_path)) await rm(row.stored_path, { force: true });
  return (await repo.findImport(db, importId))!;
}

/** A person as this batch knows them: stored before, or new in this batch. */
interface Known {
  person: repo.StoredPerson;
  isNew: boolean;
  changed: boolean;
  /** This council's categories for them, as stored plus this batch. */
  categories: Set<string> | undefined;
  storedCategories: string[] | undefined;
}

/** Stores one batch of checked rows, and moves the checkpoint past them. */
export async function storeBatch(
  trx: Transaction<DB>,
  dialect: Database['dialect'],
  row: repo.ImportRow,
  rows: readonly RowOutcome[],
  checkpoint: { fromByte: number; toByte: number; toLine: number },
): Promise<void> {
  const rejections: { line: number; reason: string }[] = [];
  const accepted: PersonRow[] = [];
  for (const outcome of rows) {
    if (outcome.ok) accepted.push(outcome.person);
    else rejections.push({ line: outcome.line, reason: outcome.reason });
  }

  await repo.lockIncidentPeople(trx, row.incident_id);
  const batchKeys = new Set<string>();
  for (const person of accepted) for (const key of person.keys) batchKeys.add(key);
  const keyOwners = await repo.personIdsByKey(trx, dialect, row.incident_id, [...batchKeys]);
  const stored = await repo.peopleByIds(trx, dialect, [...new Set(keyOwners.values())], row.organisation_id);
  const known = new Map<string, Known>();
  for (const [id, person] of stored.people) {
    const categories = stored.councilCategories.get(id);
    known.set(id, {
      person,
      isNew: false,
      changed: false,
      categories: categories ? new Set(categories) : undefined,
      storedCategories: categories,
    });
  }

  const newKeys: { key: string; personId: string }[] = [];
  let peopleAdded = 0;
  for (const incoming of accepted) {
    // The first key that is known decides who this is; email first, then mobile, then address.
    let owner: Known | undefined;
    for (const key of incoming.keys) {
      const id = keyOwners.get(key);
      if (id) {
        owner = known.get(id);
        if (owner) break;
      }
    }
    if (!owner) {
      owner = {
        person: {
          id: newId(),
          fullName: incoming.fullName,
          email: incoming.email ?? null,
          phone: incoming.phone ?? null,
          addressLines: incoming.addressLines,
          postcode: incoming.postcode ?? null,
        },
        isNew: true,
        changed: false,
        categories: new Set(),
        storedCategories: undefined,
      };
      known.set(owner.person.id, owner);
      peopleAdded += 1;
    } else {
      fillMissing(owner, incoming);
    }
    for (const key of incoming.keys) {
      if (!keyOwners.has(key)) {
        keyOwners.set(key, owner.person.id);
        newKeys.push({ key, personId: owner.person.id });
      }
    }
    owner.categories ??= new Set();
    for (const c of incoming.categories) owner.categories.add(c);
  }

  const now = nowIso();
  const all = [...known.values()];
  await repo.insertPeople(
    trx,
    dialect,
    row.incident_id,
    all.filter((k) => k.isNew).map((k) => k.person),
    now,
  );
  for (const k of all) if (!k.isNew && k.changed) await repo.updatePerson(trx, k.person, now);
  await repo.insertKeys(trx, dialect, row.incident_id, newKeys);
  await repo.upsertCouncilLinks(
    trx,
    dialect,
    row.organisation_id,
    row.id,
    all
      .filter((k) => k.categories && (k.isNew || !sameSet(k.storedCategories, k.categories)))
      .map((k) => ({ personId: k.person.id, categoriesJson: JSON.stringify(sortedCategories(k.categories!)) })),
  );
  await repo.insertRejections(trx, dialect, row.id, rejections);
  const moved = await repo.advanceCheckpoint(trx, {
    id: row.id,
    fromByte: checkpoint.fromByte,
    toByte: checkpoint.toByte,
    toLine: checkpoint.toLine,
    accepted: accepted.length,
    rejected: rejections.length,
    peopleAdded,
  });
  // Another run stored this batch, or the import was cancelled: undo this one.
  if (!moved) throw new ImportStoppedError(`Import ${row.id} is no longer at byte ${checkpoint.fromByte}`);
}

/** What a later row adds to a known person: details they had none of. */
function fillMissing(owner: Known, incoming: PersonRow): void {
  const p = owner.person;
  if (!p.fullName && incoming.fullName) {
    p.fullName = incoming.fullName;
    owner.changed = true;
  }
  if (!p.email && incoming.email) {
    p.email = incoming.email;
    owner.changed = true;
  }
  if (!p.phone && incoming.phone) {
    p.phone = incoming.phone;
    owner.changed = true;
  }
  if (p.addressLines.length === 0 && incoming.addressLines.length > 0) {
    p.addressLines = incoming.addressLines;
    p.postcode = incoming.postcode ?? p.postcode;
    owner.changed = true;
  } else if (!p.postcode && incoming.postcode) {
    p.postcode = incoming.postcode;
    owner.changed = true;
  }
}

function sameSet(stored: readonly string[] | undefined, now: Set<string>): boolean {
  return stored !== undefined && stored.length === now.size && stored.every((c) => now.has(c));
}

function sortedCategories(categories: Set<string>): DataCategory[] {
  return [...categories].filter(isDataCategory).sort();
}
