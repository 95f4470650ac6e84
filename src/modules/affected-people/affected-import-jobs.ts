// The job that runs an import of affected people. It is enqueued when the data protection officer
// starts the import; a run that stops (the worker shut down, the process was killed) leaves the
// checkpoint where its last batch ended, and the next run of the job carries on from there.
import type { Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.ts';
import { dialectOf } from '../../platform/db/database.ts';
import { PermanentJobError, type JobHandlerRegistry } from '../../platform/jobs/job-handlers.ts';
import { enqueueJob } from '../../platform/jobs/job-queue.ts';
import { isId } from '../../platform/ids.ts';
import { runImport, ImportStoppedError, type RunImportOptions } from './affected-import.ts';

export const AFFECTED_IMPORT_JOB = 'affected-import.run';

export interface AffectedImportPayload {
  importId: string;
}

export async function enqueueAffectedImport(trx: Transaction<DB>, importId: string, organisationId: string) {
  return enqueueJob(trx, {
    kind: AFFECTED_IMPORT_JOB,
    payload: { importId } satisfies AffectedImportPayload,
    idempotencyKey: `${AFFECTED_IMPORT_JOB}:${importId}`,
    organisationId,
    maxAttempts: 10,
  });
}

export function registerAffectedImportJobs(
  handlers: JobHandlerRegistry,
  deps: { batchRows?: RunImportOptions['batchRows'] } = {},
): void {
  handlers.register<AffectedImportPayload>(AFFECTED_IMPORT_JOB, async (ctx) => {
    const importId = ctx.job.payload?.importId;
    if (typeof importId !== 'string' || !isId(importId)) throw new PermanentJobError('The payload names no import');
    try {
      await runImport({ db: ctx.db, dialect: dialectOf(ctx.db) }, importId, {
        batchRows: deps.batchRows,
        signal: ctx.signal,
        transact: (key, effect) => ctx.once(key, effect),
        onBatch: ({ bytesDone, byteSize }) => ctx.progress(bytesDone, byteSize),
      });
    } catch (error) {
      if (error instanceof ImportStoppedError) throw new PermanentJobError(error.message, { cause: error });
      throw error;
    }
  });
}
