// What a job handler is given and how handlers are registered by kind. Jobs run at least once: a
// worker can die after a handler changed something but before the job was marked done, and the
// job then runs again. `once()` is how a handler makes each change exactly once all the same.
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/schema.ts';
import { nowIso } from '../ids.ts';
import {
  completeJob,
  confirmLease,
  hasJobEffect,
  recordJobEffect,
  recordProgress,
  type Job,
} from './jobs.repository.ts';

export interface JobContext<Payload = unknown> {
  job: {
    id: string;
    kind: string;
    /** As enqueued. It is not checked at run time, so handlers of untrusted input validate it. */
    payload: Payload;
    /** 1 on the first run, 2 on the first retry, and so on. */
    attempt: number;
    maxAttempts: number;
    organisationId: string | null;
  };
  db: Kysely<DB>;
  /** Stores how far a long job has got (done of total), for people watching it. */
  progress(done: number, total?: number): Promise<void>;
  /** Aborted when the worker shuts down or loses the job's lease; stop work when it fires. */
  signal: AbortSignal;
  /**
   * Runs `effect` in a transaction that also records `key` for this job. If the key was recorded
   * by an earlier run of the job, the effect is skipped. Returns true when the effect ran now.
   * Do all the effect's database work through `trx`: SQLite has one connection, which the
   * transaction holds. Keys belong to the job, so different jobs may use the same key.
   */
  once(key: string, effect: (trx: Transaction<DB>) => Promise<void>): Promise<boolean>;
  /**
   * once() as the handler's last step: the same transaction also marks the job succeeded, so a
   * job whose only effect this is takes one write transaction to finish rather than two (under a
   * surge of acknowledgements, every write is a turn of SQLite's one write lock that residents'
   * submissions wait for). Nothing may follow it: the handler returns once it resolves. If the key
   * was recorded by an earlier run, the effect is skipped and the job is still marked succeeded.
   */
  finishOnce(key: string, effect: (trx: Transaction<DB>) => Promise<void>): Promise<boolean>;
  /**
   * Whether an earlier run recorded `key` with once(). For effects that cannot sit inside a
   * transaction (a call to another service): check, act, then record with once().
   */
  wasRecorded(key: string): Promise<boolean>;
}

export type JobHandler<Payload = unknown> = (ctx: JobContext<Payload>) => Promise<void>;

/** Thrown when another worker has taken the job over: this run's work must stop and not be saved. */
export class LeaseLostError extends Error {
  constructor(jobId: string) {
    super(`The lease on job ${jobId} was lost to another worker`);
    this.name = 'LeaseLostError';
  }
}

/** Thrown by a handler when trying again cannot help (say, the payload names a deleted record). */
export class PermanentJobError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PermanentJobError';
  }
}

export class JobHandlerRegistry {
  readonly #handlers = new Map<string, JobHandler>();

  /** The payload type is the handler's promise about what `enqueueJob` is given for this kind. */
  register<Payload>(kind: string, handler: JobHandler<Payload>): this {
    if (this.#handlers.has(kind)) throw new Error(`A handler for job kind "${kind}" is already registered`);
    this.#handlers.set(kind, handler as JobHandler);
    return this;
  }

  get(kind: string): JobHandler | undefined {
    return this.#handlers.get(kind);
  }

  kinds(): string[] {
    return [...this.#handlers.keys()].sort();
  }
}

/** Builds the context for one run of a job, bound to the lease the worker holds on it. */
export function createJobContext(options: {
  db: Kysely<DB>;
  job: Job;
  leaseOwner: string;
  signal: AbortSignal;
  /** Told when finishOnce() has committed: the job is succeeded, and the worker need not mark it. */
  onFinished?: (() => void) | undefined;
}): JobContext {
  const { db, job, leaseOwner, signal, onFinished } = options;
  const runOnce = async (
    key: string,
    effect: (trx: Transaction<DB>) => Promise<void>,
    finish: boolean,
  ): Promise<boolean> => {
    if (key.length === 0) throw new Error('An effect key must not be empty');
    // Stop at the next effect rather than start one that the worker no longer wants.
    signal.throwIfAborted();
    const ran = await db.transaction().execute(async (trx) => {
      const now = nowIso();
      // Checking the lease first also takes the write lock (SQLite) or the job's row lock
      // (PostgreSQL), so no other worker can take the job over while the effect is applied.
      if (!(await confirmLease(trx, { id: job.id, leaseOwner, now }))) throw new LeaseLostError(job.id);
      const recorded = await recordJobEffect(trx, { key: `${job.id}:${key}`, jobId: job.id, now });
      if (recorded) await effect(trx);
      if (finish && !(await completeJob(trx, { id: job.id, leaseOwner, now }))) throw new LeaseLostError(job.id);
      return recorded;
    });
    if (finish) onFinished?.();
    return ran;
  };
  return {
    job: {
      id: job.id,
      kind: job.kind,
      payload: job.payload,
      attempt: job.attempts,
      maxAttempts: job.maxAttempts,
      organisationId: job.organisationId,
    },
    db,
    signal,

    async progress(done: number, total?: number): Promise<void> {
      if (!Number.isInteger(done) || done < 0) throw new Error(`progress done must be a whole number ≥ 0, not ${done}`);
      if (total !== undefined && (!Number.isInteger(total) || total < 0)) {
        throw new Error(`progress total must be a whole number ≥ 0, not ${total}`);
      }
      const held = await recordProgress(db, { id: job.id, leaseOwner, now: nowIso(), done, total: total ?? null });
      if (!held) throw new LeaseLostError(job.id);
    },

    async wasRecorded(key: string): Promise<boolean> {
      return hasJobEffect(db, `${job.id}:${key}`);
    },

    once: (key, effect) => runOnce(key, effect, false),
    finishOnce: (key, effect) => runOnce(key, effect, true),
  };
}
