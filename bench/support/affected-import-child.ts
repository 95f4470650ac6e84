// Bench support for bench/breach-import: the process that imports. It opens a fresh database,
// registers the generated file as a council's upload, starts the import as the product does (the
// job is enqueued) and runs a job worker with the import handler until the import is done, then
// sends its figures, with its own peak memory, to the parent.
import { performance } from 'node:perf_hooks';
import { upsertOrganisation } from '../../src/platform/accounts/accounts.repository.ts';
import { openDatabase, SERVE_DATABASE_OPTIONS } from '../../src/platform/db/database.ts';
import { migrateToLatest } from '../../src/platform/db/migrate.ts';
import { newId, nowIso } from '../../src/platform/ids.ts';
import { JobHandlerRegistry } from '../../src/platform/jobs/job-handlers.ts';
import { startJobWorker } from '../../src/platform/jobs/job-worker.ts';
import { insertIncident, linkOrganisation } from '../../src/modules/incidents/incidents.repository.ts';
import { registerAffectedImportJobs } from '../../src/modules/affected-people/affected-import-jobs.ts';
import { firstRecords } from '../../src/modules/affected-people/affected-import.ts';
import { guessColumnMap } from '../../src/modules/affected-people/affected-rows.ts';
import { registerImport, startImport } from '../../src/modules/affected-people/affected-people.service.ts';
import type { DatabaseConfig } from '../../src/platform/config.ts';

export interface ImportChildInput {
  file: string;
  database: DatabaseConfig;
  schema?: string | undefined;
}

export interface ImportChildResult {
  elapsedMs: number;
  accepted: number;
  rejected: number;
  peopleAdded: number;
  people: number;
  councilLinks: number;
  status: string;
  maxRssBytes: number;
  /** CPU time (user and system) this process spent from the start of the import to its end. */
  cpuUserMs: number;
  cpuSystemMs: number;
}

async function main(input: ImportChildInput): Promise<ImportChildResult> {
  const database = openDatabase(input.database, {
    ...SERVE_DATABASE_OPTIONS,
    ...(input.schema ? { schema: input.schema } : {}),
  });
  await migrateToLatest(database);
  const { db } = database;
  const council = await upsertOrganisation(db, {
    slug: 'westminster',
    name: 'Westminster City Council',
    shortName: 'Westminster',
    kind: 'council',
    websiteUrl: null,
    officialDomains: ['westminster.gov.uk'],
  });
  const incidentId = newId();
  const now = nowIso();
  await insertIncident(db, {
    id: incidentId,
    reference: 'BENCH-1',
    title: 'Bench incident',
    status: 'investigating',
    severity: 'high',
    lead_organisation_id: council.id,
    detected_at: now,
    declared_at: null,
    summary: '',
    data_affected: '',
    data_categories: '[]',
    advice: '',
    restoration_outlook: '',
    created_at: now,
    updated_at: now,
  });
  await linkOrganisation(db, incidentId, council.id, 'affected');
  const actor = { userId: null, label: 'bench' };

  // BENCH_MEMORY_TRACE=1: where the memory is, every 2 s (RSS against V8's heap and Buffers).
  if (process.env.BENCH_MEMORY_TRACE) {
    const mb = (bytes: number) => (bytes / 1e6).toFixed(0);
    setInterval(() => {
      const m = process.memoryUsage();
      console.log(
        `memory: RSS ${mb(m.rss)} MB, V8 heap ${mb(m.heapUsed)} of ${mb(m.heapTotal)} MB, external ${mb(m.external)} MB`,
      );
    }, 2000).unref();
  }
  const started = performance.now();
  const before = process.resourceUsage();
  const registered = await registerImport(db, actor, {
    incidentId,
    organisationId: council.id,
    fileName: 'bench.csv',
    storedPath: input.file,
    categories: ['contact', 'basic-identity'],
    hasHeader: true,
  });
  const header = (await firstRecords(input.file, registered.encoding, 1))[0]!.fields;
  const result = await startImport(db, actor, registered.id, guessColumnMap(header), true);
  if (!result.ok) throw new Error(result.errors.join('; '));

  const handlers = new JobHandlerRegistry();
  registerAffectedImportJobs(handlers);
  const quiet = { info() {}, warn() {}, error: (d: Record<string, unknown>, m: string) => console.error(m, d) };
  const worker = startJobWorker({ database, handlers, logger: quiet, pollIntervalMs: 50, concurrency: 1 });
  let row;
  for (;;) {
    row = await db.selectFrom('affected_imports').selectAll().where('id', '=', registered.id).executeTakeFirstOrThrow();
    if (row.status === 'done' || row.status === 'failed') break;
    const job = await db
      .selectFrom('jobs')
      .select('status')
      .where('kind', '=', 'affected-import.run')
      .executeTakeFirst();
    if (job?.status === 'dead') throw new Error('the import job died');
    await new Promise((r) => setTimeout(r, 100));
  }
  const elapsedMs = performance.now() - started;
  const usage = process.resourceUsage();
  await worker.stop();
  const count = async (table: 'affected_people' | 'affected_person_councils') =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const figures: ImportChildResult = {
    elapsedMs,
    accepted: Number(row.rows_accepted),
    rejected: Number(row.rows_rejected),
    peopleAdded: Number(row.people_added),
    people: await count('affected_people'),
    councilLinks: await count('affected_person_councils'),
    status: row.status,
    maxRssBytes: usage.maxRSS * 1024,
    cpuUserMs: (usage.userCPUTime - before.userCPUTime) / 1000,
    cpuSystemMs: (usage.systemCPUTime - before.systemCPUTime) / 1000,
  };
  await database.close();
  return figures;
}

process.once('message', (input: ImportChildInput) => {
  main(input).then(
    (result) => process.send!(result, () => process.exit(0)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
});
