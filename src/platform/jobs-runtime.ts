// The job handlers the platform knows, and the worker with its schedules. Capabilities register
// their handlers here as they arrive.
import type { Database } from './db/database.ts';
import { registerHousekeeping, scheduleHousekeeping } from './housekeeping/housekeeping.ts';
import { JobHandlerRegistry } from './jobs/job-handlers.ts';
import { startJobWorker, type JobLogger } from './jobs/job-worker.ts';

export function createJobHandlers(): JobHandlerRegistry {
  const handlers = new JobHandlerRegistry();
  registerHousekeeping(handlers);
  return handlers;
}

/** Starts a worker with the platform's handlers and its recurring jobs; stop() ends both. */
export function startPlatformWorker(database: Database, logger: JobLogger): { stop(): Promise<void> } {
  const worker = startJobWorker({ database, handlers: createJobHandlers(), logger });
  const schedule = scheduleHousekeeping(database.db, (err) => logger.error({ err }, 'could not request housekeeping'));
  return {
    async stop() {
      schedule.stop();
      await worker.stop();
    },
  };
}
