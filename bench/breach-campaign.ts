// `npm run bench -- breach-campaign [people] [send-slice]`: a breach notification campaign on a fresh
// SQLite database (or DATABASE_URL=postgres://…): people are inserted directly (the import has its
// own bench), then the campaign phases run. Goals: 1,000,000 people queued in under 60 s; sending to
// a local SMTP sink at 500 messages a second or more.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findOrganisationBySlug } from '../src/platform/accounts/accounts.repository.ts';
import { openDatabase, SERVE_DATABASE_OPTIONS } from '../src/platform/db/database.ts';
import { migrateToLatest } from '../src/platform/db/migrate.ts';
import { seedDemo } from '../src/platform/demo/seed-demo.ts';
import { insertEmailPeople } from '../src/modules/notification-campaigns/test-support.ts';
import { runCampaignPhases } from './support/breach-campaign-phases.ts';

const people = Number(process.argv[2] ?? 1_000_000);
const slice = Number(process.argv[3] ?? 20_000);
const dir = mkdtempSync(path.join(tmpdir(), 'wardroom-bench-campaign-'));
const url = process.env['DATABASE_URL'];
const database = openDatabase(
  url ? { kind: 'postgres', url } : { kind: 'sqlite', file: path.join(dir, 'bench.sqlite') },
  SERVE_DATABASE_OPTIONS,
);
try {
  await migrateToLatest(database);
  await seedDemo(database.db, { sessionSecret: 'bench-secret-bench-secret-bench-secret-0123' });
  const council = (await findOrganisationBySlug(database.db, 'kensington-chelsea'))!.id;
  const incidentId = (await database.db.selectFrom('incidents').select('id').executeTakeFirstOrThrow()).id;
  const setupStarted = performance.now();
  await insertEmailPeople(database.db, incidentId, council, people);
  console.log(
    `set-up: ${people.toLocaleString('en-GB')} people inserted in ${((performance.now() - setupStarted) / 1000).toFixed(1)} s`,
  );
  const r = await runCampaignPhases(database, { incidentId, organisationId: council, sendSlice: slice });
  console.log(`queue: ${r.people.toLocaleString('en-GB')} recipients made in ${r.queueSeconds.toFixed(1)} s`);
  console.log(
    `send: ${r.sent.toLocaleString('en-GB')} messages over SMTP in ${r.sendSeconds.toFixed(1)} s = ${r.perSecond.toFixed(0)}/s`,
  );
  const queueGoal = r.queueSeconds * (1_000_000 / Math.max(1, r.people));
  const met = queueGoal < 60 && r.perSecond >= 500;
  console.log(
    `goal: queue 1,000,000 in < 60 s (scaled: ${queueGoal.toFixed(1)} s) and send >= 500/s (${r.perSecond.toFixed(0)}/s): ${met ? 'met' : 'MISSED'}`,
  );
  process.exitCode = met ? 0 : 1;
} finally {
  await database.close();
  rmSync(dir, { recursive: true, force: true });
}
