// The job worker: claims ready jobs from the database, runs their handlers, keeps their leases
// alive while they run, and records the outcome: done, retry later with back-off, or dead.
// Any number of workers, in any number of processes, can share one database: a job is claimed by
// one lease at a time, and a worker that loses a lease can no longer change the job.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Database } from '../db/database.ts';
import { isoPlus, newId, nowIso } from '../ids.ts';
import { createJobContext, LeaseLostError, PermanentJobError, type JobHandlerRegistry } from './job-handlers.ts';
import {
  claimNextJob,
  completeJob,
  deadLetterAbandonedJobs,
  markJobDead,
  releaseJob,
  renewLease,
  scheduleRetry,
  type Job,
} from './jobs.repository.ts';

/** The part of a pino logger the worker uses, so Fastify's logger can be passed as it is. */
export interface JobLogger {
  info(details: Record<string, unknown>, message: string): void;
  warn(details: Record<string, unknown>, message: string): void;
  error(details: Record<string, unknown>, message: string): void;
}

export interface JobWorkerOptions {
  database: Pick<Database, 'db' | 'dialect'>;
  handlers: JobHandlerRegistry;
  logger: JobLogger;
  /** Names this worker in leases and logs; host, process id and a random suffix by default. */
  workerId?: string | undefined;
  /** How many jobs this worker runs at once. */
  concurrency?: number | undefined;
  /** How long to wait before looking again when no job is ready. */
  pollIntervalMs?: number | undefined;
  /**
   * How long a claim lasts without renewal: after a crash, the job waits this long before another
   * worker runs it. Renewed every third of it while the handler runs.
   */
  leaseMs?: number | undefined;
  /** How long stop() waits for running jobs before it aborts them. */
  stopTimeoutMs?: number | undefined;
  /** How long stop() then waits for aborted jobs to settle before leaving them to their leases. */
  abortGraceMs?: number | undefined;
  /** The wait before retry number `attempt` (1 after the first failure); `retryDelayMs` by default. */
  retryDelayMs?: ((attempt: number) => number) | undefined;
}

export interface JobWorker {
  readonly workerId: string;
  /**
   * Stops claiming jobs and waits for running ones; after the timeout it aborts them. When it
   * resolves the worker makes no more database calls, so the database can be closed.
   */
  stop(): Promise<void>;
}

const MAX_RETRY_DELAY_MS = 60 * 60 * 1000;
const MAX_ERROR_LENGTH = 2000;

/**
 * About 2^attempt seconds, capped at an hour. The random half spreads out retries of jobs that
 * failed together (say, when a mail server went down), so they do not all return at once.
 */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(1000 * 2 ** attempt, MAX_RETRY_DELAY_MS);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** The reason given to handlers aborted because their worker is stopping. */
export class WorkerStoppingError extends Error {
  constructor() {
    super('The job was interrupted because its worker was stopping');
    this.name = 'WorkerStoppingError';
  }
}

interface RunningJob {
  controller: AbortController;
  /** Settles when the run is over and its outcome recorded; never rejects. */
  settled: Promise<void>;
  /** Gives up on a run that ignored its abort: stop renewing and never write its outcome. */
  abandon(): void;
}

type Outcome = { ok: true } | { ok: false; error: unknown };

export function startJobWorker(options: JobWorkerOptions): JobWorker {
  const { database, handlers, logger } = options;
  const { db, dialect } = database;
  const workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const concurrency = positiveInteger(options.concurrency ?? 2, 'concurrency');
  const pollIntervalMs = positiveInteger(options.pollIntervalMs ?? 500, 'pollIntervalMs');
  const leaseMs = positiveInteger(options.leaseMs ?? 30_000, 'leaseMs');
  if (leaseMs < 100) throw new Error(`leaseMs must be at least 100, not ${leaseMs}`);
  const stopTimeoutMs = positiveInteger(options.stopTimeoutMs ?? 10_000, 'stopTimeoutMs');
  const abortGraceMs = positiveInteger(options.abortGraceMs ?? 1_000, 'abortGraceMs');
  const delayBeforeRetry = options.retryDelayMs ?? ((attempt: number) => retryDelayMs(attempt));

  const running = new Map<string, RunningJob>();
  let stopping = false;
  let stopped: Promise<void> | undefined;

  // The loop sleeps between polls; a finished job or stop() wakes it early. A wake that comes
  // while the loop is busy is remembered, so a freed slot is never left idle for a whole poll.
  let wakeSleeper: (() => void) | undefined;
  let wakePending = false;
  const wake = (): void => {
    if (wakeSleeper) wakeSleeper();
    else wakePending = true;
  };
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (wakePending) {
        wakePending = false;
        resolve();
        return;
      }
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wakeSleeper = undefined;
        resolve();
      }
      wakeSleeper = done;
    });

  let lastSweep = 0;
  const loop = (async () => {
    while (!stopping) {
      try {
        if (Date.now() - lastSweep >= pollIntervalMs) {
          lastSweep = Date.now();
          for (const jobId of await deadLetterAbandonedJobs(db, nowIso())) {
            logger.error({ workerId, jobId }, 'Job is dead: its worker stopped responding during its last attempt');
          }
        }
        while (!stopping && running.size < concurrency) {
          // A lease per claim, not per worker, so that if this worker stalls and then claims the
          // same job again, the stalled run cannot write over the new one.
          const leaseOwner = `${workerId}/${newId()}`;
          const job = await claimNextJob(db, dialect, { leaseOwner, leaseMs, now: nowIso() });
          if (!job) break;
          running.set(job.id, run(job, leaseOwner));
        }
      } catch (error) {
        logger.error({ workerId, err: error }, 'The job worker could not claim jobs; it will try again');
      }
      if (!stopping) await sleep(pollIntervalMs);
    }
  })();

  function run(job: Job, leaseOwner: string): RunningJob {
    const controller = new AbortController();
    const log = { workerId, jobId: job.id, kind: job.kind, attempt: job.attempts };
    let abandoned = false;
    let renewing = true;
    let renewTimer: NodeJS.Timeout | undefined;
    let renewal: Promise<void> = Promise.resolve();
    let leaseEndsAt = Date.now() + leaseMs;

    const loseLease = (why: string): void => {
      renewing = false;
      logger.warn({ ...log, why }, 'Job lease lost; stopping this run');
      controller.abort(new LeaseLostError(job.id));
    };
    const renew = async (): Promise<void> => {
      try {
        const now = nowIso();
        if (!(await renewLease(db, { id: job.id, leaseOwner, leaseMs, now }))) {
          loseLease('another worker has taken the job over');
          return;
        }
        leaseEndsAt = Date.parse(now) + leaseMs;
      } catch (error) {
        logger.warn({ ...log, err: error }, 'Could not renew a job lease; will try again');
        // Past this point another worker may already be running the job.
        if (Date.now() >= leaseEndsAt) loseLease('the lease expired before it could be renewed');
      }
    };
    const scheduleRenewal = (): void => {
      renewTimer = setTimeout(() => {
        renewal = renew().then(() => {
          if (renewing) scheduleRenewal();
        });
      }, leaseMs / 3);
    };
    const stopRenewing = async (): Promise<void> => {
      renewing = false;
      clearTimeout(renewTimer);
      await renewal;
    };

    const settled = (async () => {
      const handler = handlers.get(job.kind);
      if (!handler) {
        const error = `No handler is registered for job kind "${job.kind}" (this worker handles: ${handlers.kinds().join(', ') || 'none'})`;
        const recorded = await markJobDead(db, { id: job.id, leaseOwner, now: nowIso(), error });
        if (recorded) logger.error({ ...log, error }, 'Job is dead: its kind is unknown');
        else logger.warn(log, 'Job of an unknown kind was taken over by another worker before it could be marked dead');
        return;
      }
      scheduleRenewal();
      const startedAt = Date.now();
      let finished = false;
      const onFinished = (): void => {
        finished = true;
      };
      let outcome: Outcome;
      try {
        // Through a promise, so a handler that throws before its first await is caught the same way.
        await Promise.resolve().then(() =>
          handler(createJobContext({ db, job, leaseOwner, signal: controller.signal, onFinished })),
        );
        outcome = { ok: true };
      } catch (error) {
        outcome = { ok: false, error };
      }
      await stopRenewing();
      if (abandoned) return;
      const details = { ...log, durationMs: Date.now() - startedAt };
      if (finished) {
        // The handler's last step (finishOnce) marked the job succeeded in its own transaction.
        if (outcome.ok) logger.info(details, 'Job succeeded');
        else
          logger.error(
            { ...details, err: outcome.error },
            'Job failed after its last step had finished it; it stays succeeded',
          );
        return;
      }
      await recordOutcome(job, leaseOwner, outcome, controller.signal, details);
    })()
      .catch((error: unknown) => {
        // The database failed while recording the outcome: the lease will expire and the job run again.
        logger.error({ ...log, err: error }, 'Could not record the outcome of a job; it will run again');
      })
      .finally(() => {
        running.delete(job.id);
        wake();
      });

    return {
      controller,
      settled,
      abandon: () => {
        abandoned = true;
        renewing = false;
        clearTimeout(renewTimer);
      },
    };
  }

  async function recordOutcome(
    job: Job,
    leaseOwner: string,
    outcome: Outcome,
    signal: AbortSignal,
    log: Record<string, unknown>,
  ): Promise<void> {
    const holder = { id: job.id, leaseOwner, now: nowIso() };
    const lost = (): void => logger.warn(log, 'Job finished after its lease was lost; its outcome was not recorded');

    if (outcome.ok) {
      if (await completeJob(db, holder)) logger.info(log, 'Job succeeded');
      else lost();
      return;
    }
    const { error } = outcome;
    if (error instanceof LeaseLostError || signal.reason instanceof LeaseLostError) {
      logger.warn(log, 'Job run stopped because its lease was lost');
      return;
    }
    if (signal.reason instanceof WorkerStoppingError) {
      if (await releaseJob(db, { ...holder, reason: signal.reason.message })) {
        logger.info(log, 'Job interrupted by shutdown; queued to run again');
      } else lost();
      return;
    }
    const message = describeError(error);
    if (error instanceof PermanentJobError || job.attempts >= job.maxAttempts) {
      if (await markJobDead(db, { ...holder, error: message })) {
        logger.error({ ...log, err: error }, 'Job is dead: it failed and will not be tried again');
      } else lost();
      return;
    }
    const delayMs = delayBeforeRetry(job.attempts);
    const runAt = isoPlus(holder.now, delayMs);
    if (await scheduleRetry(db, { ...holder, runAt, error: message })) {
      logger.warn({ ...log, err: error, retryAt: runAt }, 'Job failed; it will be tried again');
    } else lost();
  }

  return {
    workerId,
    stop: () => {
      stopped ??= (async () => {
        stopping = true;
        wake();
        await loop;
        if (!(await settlesWithin(allRunning(), stopTimeoutMs))) {
          logger.warn({ workerId, jobs: running.size }, 'Jobs still running at shutdown; aborting them');
          for (const job of running.values()) job.controller.abort(new WorkerStoppingError());
          if (!(await settlesWithin(allRunning(), abortGraceMs))) {
            for (const [jobId, job] of running) {
              job.abandon();
              logger.warn({ workerId, jobId }, 'Job ignored the abort; it will run again when its lease expires');
            }
          }
        }
        logger.info({ workerId }, 'Job worker stopped');
      })();
      return stopped;
    },
  };

  function allRunning(): Promise<unknown> {
    return Promise.all([...running.values()].map((job) => job.settled));
  }
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function describeError(error: unknown): string {
  const text =
    error instanceof Error
      ? error.name === 'Error'
        ? error.message
        : `${error.name}: ${error.message}`
      : String(error);
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number above 0, not ${value}`);
  return value;
}
