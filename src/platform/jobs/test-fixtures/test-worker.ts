// Test support: a job worker with timings fit for tests (polls every 20 ms, retries after 50 ms),
// so a test waits milliseconds, not seconds, for queued work.
import type { Database } from '../../db/database.ts';
import type { JobHandlerRegistry } from '../job-handlers.ts';
import { startJobWorker, type JobWorker } from '../job-worker.ts';
import { createMemoryLogger } from './memory-logger.ts';

export function startTestWorker(database: Database, handlers: JobHandlerRegistry): JobWorker {
  return startJobWorker({
    database,
    handlers,
    logger: createMemoryLogger(),
    pollIntervalMs: 20,
    leaseMs: 5000,
    retryDelayMs: () => 50,
  });
}
