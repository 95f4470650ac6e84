// Group commit: small write transactions from concurrent requests, run together in one database
// transaction, so a surge of residents costs one commit per batch rather than one per resident.
//
// Each piece of work is the body of the transaction it would otherwise have had: it writes only
// through the transaction it is given and does no network I/O. A caller's promise settles only after
// the transaction holding its work has committed (or failed), so nothing is answered as done that is
// not stored. Batches form by themselves: while one batch is being written, new work waits and goes
// into the next, so a quiet server commits each piece on its own at once and a busy one commits many
// together, with no timer adding delay.
//
// One piece of work that throws must not fail the others. The batch is then rolled back and each
// piece is run again in a transaction of its own, so each gets the outcome it would have had alone.
// Work may therefore run twice (the first run rolled back): it must not have effects outside the
// transaction. The same goes for a batch whose commit fails.
import type { Kysely, Transaction } from 'kysely';
import type { Dialect } from './database.ts';
import type { DB } from './schema.ts';

export type TransactionWork<T> = (trx: Transaction<DB>) => Promise<T>;

export interface GroupCommit {
  /** Runs `work` in a transaction shared with other waiting work; settles after it commits. */
  run<T>(work: TransactionWork<T>): Promise<T>;
  /** Waits until every batch started or waiting has been written. */
  drain(): Promise<void>;
}

export interface GroupCommitOptions {
  /** The most pieces of work in one transaction. */
  maxBatch?: number;
  /**
   * How many batches may be written at once. SQLite has one writer (and Kysely one connection), so
   * one; on PostgreSQL each batch holds a pooled connection for its round trips, so a few.
   */
  concurrency?: number;
  /** Told how many pieces each batch held and whether it had to be split (metrics, tests). */
  onBatch?: (batch: { size: number; split: boolean }) => void;
}

interface Waiting {
  work: TransactionWork<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export function defaultGroupCommitOptions(dialect: Dialect): GroupCommitOptions {
  return dialect === 'sqlite' ? { maxBatch: 200, concurrency: 1 } : { maxBatch: 100, concurrency: 4 };
}

export function createGroupCommit(db: Kysely<DB>, options: GroupCommitOptions = {}): GroupCommit {
  const maxBatch = options.maxBatch ?? 200;
  const concurrency = options.concurrency ?? 1;
  const queue: Waiting[] = [];
  const writing = new Set<Promise<void>>();
  let scheduled = false;

  const schedule = () => {
    if (scheduled || writing.size >= concurrency || queue.length === 0) return;
    scheduled = true;
    // Work from requests arriving in the same turn of the event loop joins the first batch.
    setImmediate(() => {
      scheduled = false;
      while (writing.size < concurrency && queue.length > 0) {
        const batch = queue.splice(0, maxBatch);
        const written: Promise<void> = write(batch).finally(() => {
          writing.delete(written);
          schedule();
        });
        writing.add(written);
      }
    });
  };

  async function write(batch: Waiting[]): Promise<void> {
    let results: unknown[];
    try {
      results = await db.transaction().execute(async (trx) => {
        const out: unknown[] = [];
        for (const waiting of batch) out.push(await waiting.work(trx));
        return out;
      });
    } catch (error) {
      if (batch.length === 1) {
        options.onBatch?.({ size: 1, split: false });
        (batch[0] as Waiting).reject(error);
        return;
      }
      // Something in the batch failed: each piece again on its own, so only what fails alone fails.
      options.onBatch?.({ size: batch.length, split: true });
      for (const waiting of batch) {
        try {
          waiting.resolve(await db.transaction().execute(waiting.work));
        } catch (alone) {
          waiting.reject(alone);
        }
      }
      return;
    }
    options.onBatch?.({ size: batch.length, split: false });
    batch.forEach((waiting, i) => waiting.resolve(results[i]));
  }

  return {
    run<T>(work: TransactionWork<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
        schedule();
      });
    },
    async drain() {
      while (queue.length > 0 || writing.size > 0 || scheduled) {
        if (writing.size > 0) await Promise.all(writing);
        else await new Promise((r) => setImmediate(r));
      }
    },
  };
}
