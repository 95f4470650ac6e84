// The handler used by the crash test, shared by the worker child process and the worker that
// takes over in the test, so both runs of the job run the same code: record an effect with
// once(), then hang on the first attempt (until the process is killed) and finish on later ones.
import type { JobHandler } from '../job-handlers.ts';
import { logEffect } from './effect-log.ts';

export const CRASH_TEST_KIND = 'test.effect-then-hang';

export interface CrashTestRun {
  attempt: number;
  /** Whether once() applied the effect in this run (false: an earlier run had applied it). */
  appliedEffect: boolean;
  startedAtMs: number;
}

export function effectThenHangHandler(workerId: string, onRun?: (run: CrashTestRun) => void): JobHandler {
  return async (ctx) => {
    const startedAtMs = Date.now();
    const appliedEffect = await ctx.once('record-effect', (trx) =>
      logEffect(trx, { jobId: ctx.job.id, workerId, attempt: ctx.job.attempt }),
    );
    onRun?.({ attempt: ctx.job.attempt, appliedEffect, startedAtMs });
    if (ctx.job.attempt === 1) {
      // Hang as a stuck or dying worker would; only an abort (or SIGKILL) ends this run.
      await new Promise<never>((_, reject) => {
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error), { once: true });
      });
    }
  };
}
