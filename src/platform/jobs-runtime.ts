// The job handlers the platform knows. Capabilities register theirs here as they arrive.
import { JobHandlerRegistry } from './jobs/job-handlers.ts';

export function createJobHandlers(): JobHandlerRegistry {
  const handlers = new JobHandlerRegistry();
  return handlers;
}
