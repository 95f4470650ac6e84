// bench/breach-import: the breach duties at scale (issue 6). Phases run in order, each printing its
// figures and returning whether it met its goal:
//
// 1. Import (this file): a generated CSV of 1,000,000 residents (with duplicates and bad rows that
//    the generator counts) is imported through the product's own path: the file is registered as an
//    upload (size, SHA-256, encoding), the import is started (its job enqueued) and a job worker with
//    the import handler runs it in checkpointed batches, on a fresh SQLite file database. It runs in
//    a process of its own (bench/support/affected-import-child.ts), so the peak memory is that of the
//    process doing the import, read from process.resourceUsage().maxRSS. Accepted, rejected and
//    people counts are checked against what the generator knows.
// 2. Campaign (bench/support/breach-campaign-phases.ts), on the people the import made: a breach
//    notice campaign for all of them is queued through the real campaign.queue job (one recipient
//    row and verification reference each), then a slice of it (--send N, default 20,000) is sent
//    through the real campaign.dispatch job over SMTP to a local sink. SQLite only: on PostgreSQL
//    the import's schema is dropped after the import phase.
//
// Goals (issue 6): import 1,000,000 rows in under 60 s with peak memory under 300 MB, on SQLite; a
// 1,000,000-person campaign queued in under 60 s (the time for the people imported, scaled to
// 1,000,000); sending to a local SMTP sink at 500 messages a second or more.
//
// Options: --rows N (default 1,000,000), --send N (campaign messages sent, default 20,000), --database-url postgres://… (run the import on PostgreSQL
// instead, in a schema of its own that is dropped after; reported against the same goal), --keep
// (keep the temporary folder), --cpu-prof DIR (write a CPU profile of the importing process there),
// --import-only (skip the campaign phases). Environment: BENCH_IMPORT_NODE_OPTIONS adds Node options
// to the importing process (--trace-gc, say); BENCH_MEMORY_TRACE=1 makes it print its memory every 2 s.
//
// The machine may be busy with other work, which stretches the elapsed time: the importing
// process's own CPU time (user + system) is printed beside it, and the load average.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { ImportChildInput, ImportChildResult } from './support/affected-import-child.ts';
import { openDatabase, SERVE_DATABASE_OPTIONS } from '../src/platform/db/database.ts';
import { runCampaignPhases } from './support/breach-campaign-phases.ts';
import { loadAverage, nodeOptionsFrom } from './support/wardroom-process.ts';

const GOAL = { rows: 1_000_000, seconds: 60, rssMb: 300 };

function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

export interface BenchContext {
  dir: string;
  rows: number;
  databaseUrl: string | undefined;
  /** How many of the campaign's messages to send over SMTP. */
  sendSlice: number;
}

export interface PhaseResult {
  /** The phase's goal in words and whether it was met, for the last line. */
  goal: string;
  met: boolean;
}

/** What the generator wrote, and so what the import must find. */
export interface GeneratedFile {
  file: string;
  bytes: number;
  rows: number;
  accepted: number;
  rejected: number;
  people: number;
}

const STREETS = ['High Street', 'Church Road', 'Station Road', 'Victoria Road', 'Green Lane', 'Park Road'];
const POSTCODES = ['SW1A 1AA', 'W2 1AA', 'SW3 1AA', 'W11 2BQ', 'NW8 7PB', 'SW7 5BD', 'W9 3HR'];
const BAD = [
  (i: number) => `Bad Email ${i},person${i}-at-example.com,,,,`, // not an email address
  (i: number) => `Bad Postcode ${i},,,${i} High Street,London,NOT A POSTCODE`,
  (i: number) => `Ragged ${i},ragged${i}@example.com`, // too few fields
  (i: number) => `Unreachable ${i},,,,,`, // no way to contact
];

/**
 * Writes the file. In every hundred rows: two bad rows (i % 100 of 49 and 99), five that name a
 * person of three rows before again, written differently (10, 30, 50, 70, 90), and 93 new people;
 * one new person in seven has only a postal address.
 */
export async function generateCsv(dir: string, rows: number): Promise<GeneratedFile> {
  const file = path.join(dir, 'affected-people.csv');
  const out = createWriteStream(file, { highWaterMark: 1 << 20 });
  const newPersonRow = (i: number, variant: boolean) => {
    const street = STREETS[i % STREETS.length];
    const postcode = POSTCODES[i % POSTCODES.length]!;
    if ((i % 100) % 7 === 3) {
      // Address only: a letter is the only way to reach them.
      return variant
        ? `"RESIDENT  ${i}",,,"${i} ${street}",London,${postcode.toLowerCase().replace(' ', '')}`
        : `Resident ${i},,,"${i} ${street}",London,${postcode}`;
    }
    const mobile = `071${String(i).padStart(8, '0')}`;
    return variant
      ? `"Resident ${i}",resident${i}@EXAMPLE.COM,+44 ${mobile.slice(1, 5)} ${mobile.slice(5)},,,`
      : `Resident ${i},resident${i}@example.com,${mobile},"${i} ${street}",London,${postcode}`;
  };
  let accepted = 0;
  let rejected = 0;
  let people = 0;
  let chunk = '\uFEFFFull name,Email,Mobile,Address line 1,Town,Postcode\r\n';
  for (let i = 0; i < rows; i += 1) {
    const k = i % 100;
    let line: string;
    if (k === 49 || k === 99) {
      line = BAD[Math.floor(i / 50) % BAD.length]!(i);
      rejected += 1;
    } else if (k % 20 === 10) {
      line = newPersonRow(i - 3, true);
      accepted += 1;
    } else {
      line = newPersonRow(i, false);
      accepted += 1;
      people += 1;
    }
    chunk += `${line}\r\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  return { file, bytes: statSync(file).size, rows, accepted, rejected, people };
}

async function runChild(input: ImportChildInput): Promise<ImportChildResult> {
  const profileDir = option('cpu-prof');
  const child = fork(path.join(import.meta.dirname, 'support/affected-import-child.ts'), {
    execArgv: [
      '--import',
      'tsx',
      ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
      ...nodeOptionsFrom('BENCH_IMPORT_NODE_OPTIONS'),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let result: ImportChildResult | undefined;
  child.on('message', (m) => (result = m as ImportChildResult));
  child.send(input);
  const [code] = (await once(child, 'exit')) as [number | null];
  if (!result) throw new Error(`the import process exited with ${code} before reporting`);
  return result;
}

/** Phase 1: generate, import, check. */
export async function importPhase(context: BenchContext): Promise<PhaseResult> {
  const generatedAt = performance.now();
  const generated = await generateCsv(context.dir, context.rows);
  console.log(
    `Generated ${generated.rows.toLocaleString('en-GB')} rows (${(generated.bytes / 1e6).toFixed(1)} MB) in ${((performance.now() - generatedAt) / 1000).toFixed(1)} s: ` +
      `${generated.accepted.toLocaleString('en-GB')} good, ${generated.rejected.toLocaleString('en-GB')} bad, ${generated.people.toLocaleString('en-GB')} distinct people`,
  );
  let schema: string | undefined;
  let input: ImportChildInput = {
    file: generated.file,
    database: { kind: 'sqlite', file: path.join(context.dir, 'wardroom.sqlite') },
  };
  if (context.databaseUrl) {
    schema = `bench_import_${process.pid}`;
    const client = new pg.Client({ connectionString: context.databaseUrl });
    await client.connect();
    await client.query(`create schema ${schema}`);
    await client.end();
    input = { file: generated.file, database: { kind: 'postgres', url: context.databaseUrl }, schema };
  }
  let result: ImportChildResult;
  try {
    result = await runChild(input);
  } finally {
    if (schema) {
      const client = new pg.Client({ connectionString: context.databaseUrl });
      await client.connect();
      await client.query(`drop schema ${schema} cascade`);
      await client.end();
    }
  }
  const seconds = result.elapsedMs / 1000;
  const rssMb = result.maxRssBytes / (1024 * 1024);
  const countsRight =
    result.status === 'done' &&
    result.accepted === generated.accepted &&
    result.rejected === generated.rejected &&
    result.peopleAdded === generated.people &&
    result.people === generated.people &&
    result.councilLinks === generated.people;
  console.log(
    `Import on ${context.databaseUrl ? 'PostgreSQL' : 'SQLite'}: ${seconds.toFixed(1)} s, ${Math.round(generated.rows / seconds).toLocaleString('en-GB')} rows/s, ` +
      `peak RSS of the importing process ${rssMb.toFixed(0)} MB, CPU ${(result.cpuUserMs / 1000).toFixed(1)} s user + ${(result.cpuSystemMs / 1000).toFixed(1)} s system (load average ${loadAverage()})`,
  );
  console.log(
    `  accepted ${result.accepted.toLocaleString('en-GB')} (expected ${generated.accepted.toLocaleString('en-GB')}), ` +
      `rejected ${result.rejected.toLocaleString('en-GB')} (expected ${generated.rejected.toLocaleString('en-GB')}), ` +
      `people ${result.people.toLocaleString('en-GB')} (expected ${generated.people.toLocaleString('en-GB')}), ` +
      `council links ${result.councilLinks.toLocaleString('en-GB')}: ${countsRight ? 'all as generated' : 'WRONG'}`,
  );
  const met = countsRight && generated.rows >= GOAL.rows && seconds < GOAL.seconds && rssMb < GOAL.rssMb;
  return {
    goal: `import ${GOAL.rows.toLocaleString('en-GB')} rows < ${GOAL.seconds} s, peak memory < ${GOAL.rssMb} MB (${generated.rows.toLocaleString('en-GB')} rows: ${seconds.toFixed(1)} s, ${rssMb.toFixed(0)} MB, counts ${countsRight ? 'right' : 'wrong'})`,
    met,
  };
}

const CAMPAIGN_GOAL = { people: 1_000_000, queueSeconds: 60, perSecond: 500 };

/** Phase 2: a campaign to everyone the import found, queued, then a slice of it sent over SMTP. */
async function campaignPhase(context: BenchContext): Promise<PhaseResult> {
  if (context.databaseUrl) {
    console.log('Campaign: skipped on PostgreSQL (the import phase drops its schema); run bench/breach-campaign.');
    return { goal: 'campaign: not run on PostgreSQL', met: true };
  }
  const database = openDatabase(
    { kind: 'sqlite', file: path.join(context.dir, 'wardroom.sqlite') },
    SERVE_DATABASE_OPTIONS,
  );
  try {
    const incident = await database.db.selectFrom('incidents').select('id').executeTakeFirstOrThrow();
    const council = await database.db
      .selectFrom('affected_person_councils')
      .select('organisation_id')
      .executeTakeFirstOrThrow();
    const r = await runCampaignPhases(database, {
      incidentId: incident.id,
      organisationId: council.organisation_id,
      sendSlice: context.sendSlice,
    });
    const scaled = r.queueSeconds * (CAMPAIGN_GOAL.people / Math.max(1, r.people));
    console.log(
      `Campaign queue: ${r.people.toLocaleString('en-GB')} recipients made in ${r.queueSeconds.toFixed(1)} s ` +
        `(${scaled.toFixed(1)} s scaled to ${CAMPAIGN_GOAL.people.toLocaleString('en-GB')}); load ${loadAverage()}`,
    );
    console.log(
      `Campaign send: ${r.sent.toLocaleString('en-GB')} messages over SMTP in ${r.sendSeconds.toFixed(1)} s = ${r.perSecond.toFixed(0)}/s; load ${loadAverage()}`,
    );
    const met = scaled < CAMPAIGN_GOAL.queueSeconds && r.perSecond >= CAMPAIGN_GOAL.perSecond;
    return {
      goal: `campaign of ${CAMPAIGN_GOAL.people.toLocaleString('en-GB')} queued < ${CAMPAIGN_GOAL.queueSeconds} s (${scaled.toFixed(1)} s), sent ≥ ${CAMPAIGN_GOAL.perSecond}/s (${r.perSecond.toFixed(0)}/s)`,
      met,
    };
  } finally {
    await database.close();
  }
}

/** The phases, in order. */
const PHASES: ((context: BenchContext) => Promise<PhaseResult>)[] = [importPhase, campaignPhase];

async function main(): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'wardroom-breach-import-'));
  const context: BenchContext = {
    dir,
    rows: Number(option('rows') ?? GOAL.rows),
    databaseUrl: option('database-url'),
    sendSlice: Number(option('send') ?? 20_000),
  };
  const results: PhaseResult[] = [];
  try {
    for (const phase of process.argv.includes('--import-only') ? [importPhase] : PHASES)
      results.push(await phase(context));
  } finally {
    if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  }
  const met = results.every((r) => r.met);
  console.log(`Goal: ${results.map((r) => r.goal).join('; ')}: ${met ? 'MET' : 'MISSED'}`);
  return met ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(2);
    },
  );
}
