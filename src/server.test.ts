// The start contract: `wardroom serve` on an empty data directory migrates, loads the demo, prints
// the demo logins, answers /healthz, and shuts down cleanly on SIGTERM; with DATABASE_URL the same
// happens on PostgreSQL; with WEB_CONCURRENCY above 1 it runs that many HTTP worker processes and a
// job process at low priority.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { findOrganisationBySlug } from './platform/accounts/accounts.repository.ts';
import { testDatabaseUrl } from './platform/config.ts';
import { openDatabase } from './platform/db/database.ts';
import { bumpPublicContentVersion } from './platform/public-cache/public-content.repository.ts';

interface RunningServer {
  address: string;
  dataDir: string;
  output(): string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
  kill(): void;
}

/** Runs the real CLI's `serve` and waits until it listens and has printed the demo logins. */
async function startServe(
  env: Record<string, string>,
  command: string[] = ['--import', 'tsx', 'src/cli.ts'],
): Promise<RunningServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wardroom-serve-'));
  const child = spawn(process.execPath, [...command, 'serve'], {
    env: {
      ...process.env,
      NODE_ENV: 'development',
      PORT: '0',
      HOST: '127.0.0.1',
      WARDROOM_DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      DATABASE_URL: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const kill = () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 40_000;
  for (;;) {
    const address = /"address":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(output)?.[1];
    if (address && output.includes('Demo staff logins')) {
      return {
        address,
        dataDir,
        output: () => output,
        kill,
        stop: async () => {
          child.kill('SIGTERM');
          const [code] = (await once(child, 'exit')) as [number | null];
          return code;
        },
      };
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      kill();
      throw new Error(`the server did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

test(
  '`npx wardroom serve` (bin/wardroom.js) serves, and SIGTERM reaches it and stops it cleanly',
  { timeout: 60_000 },
  async () => {
    const server = await startServe({}, ['bin/wardroom.js']);
    try {
      assert.equal((await fetch(`${server.address}/healthz`)).status, 200);
      assert.equal(await server.stop(), 0, server.output());
      assert.match(server.output(), /shutting down/);
    } finally {
      server.kill();
    }
  },
);

test(
  'serve starts on an empty data directory with the demo, and stops cleanly on SIGTERM',
  { timeout: 60_000 },
  async () => {
    const server = await startServe({});
    try {
      assert.ok(
        existsSync(path.join(server.dataDir, 'wardroom.sqlite')),
        'the embedded database is in the data directory',
      );
      assert.ok(existsSync(path.join(server.dataDir, 'session-secret')), 'the generated session secret is kept');
      assert.match(server.output(), /admin@demo\.wardroom\.test\s+password demo-\S+\s+TOTP key [A-Z2-7]{32}/);
      const health = await fetch(`${server.address}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok' });
      const home = await (await fetch(`${server.address}/`)).text();
      for (const name of [
        'Westminster City Council',
        'Royal Borough of Kensington and Chelsea',
        'Hammersmith &amp; Fulham Council',
      ]) {
        assert.ok(home.includes(name), name);
      }
      assert.equal(await server.stop(), 0, server.output());
      assert.match(server.output(), /shutting down/);
    } finally {
      server.kill();
    }
  },
);

test(
  'with DATABASE_URL the same start runs on PostgreSQL',
  { timeout: 60_000, skip: testDatabaseUrl() ? false : 'TEST_DATABASE_URL is not set' },
  async () => {
    const url = testDatabaseUrl() as string;
    const schema = `serve_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    let server: RunningServer | undefined;
    try {
      server = await startServe({
        DATABASE_URL: `${url}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
        SESSION_SECRET: 's'.repeat(48),
      });
      const ready = await fetch(`${server.address}/readyz`);
      assert.deepEqual(await ready.json(), { status: 'ready', database: 'postgres' });
      const councils = await admin.query(
        `select count(*)::int as n from ${schema}.organisations where kind = 'council'`,
      );
      assert.equal(councils.rows[0].n, 3, 'the demo was loaded into PostgreSQL');
      assert.equal(await server.stop(), 0, server.output());
    } finally {
      server?.kill();
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
    }
  },
);

/** GET on a new connection each time, so the cluster hands requests to its workers in turn. */
function getOnNewConnection(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test(
  'with WEB_CONCURRENCY=2 serve runs two HTTP workers on one port and a job process at low priority; a change shows on both within a second; metrics add up; SIGTERM stops all',
  { timeout: 90_000 },
  async (t) => {
    const server = await startServe({ WEB_CONCURRENCY: '2' });
    try {
      assert.match(server.output(), /"processes":2[^\n]*"msg":"Wardroom is listening"/);
      // Each worker logs its own "listening" line; the primary hears of it over IPC, so a worker's line
      // can reach the shared output just after the primary's.
      const listeningPids = () => [
        ...new Set(
          [...server.output().matchAll(/"pid":(\d+)[^\n]*"msg":"Server listening at http:\/\/127\.0\.0\.1:\d+"/g)].map(
            (m) => Number(m[1]),
          ),
        ),
      ];
      // Every process writes its log in blocks, a quarter of a second apart at most, and the job
      // process may finish starting after the HTTP workers: wait for what is looked for.
      const waitForOutput = async (found: () => boolean, ms = 30_000): Promise<void> => {
        const deadline = Date.now() + ms;
        while (!found() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      };
      await waitForOutput(() => listeningPids().length >= 2);
      const workerPids = listeningPids();
      assert.equal(workerPids.length, 2, 'two worker processes listen');

      // The job worker runs in a process of its own, at the lowest CPU priority, and runs the jobs
      // (the housekeeping requested at start).
      const jobPids = () =>
        [...server.output().matchAll(/"pid":(\d+)[^\n]*"priority":19[^\n]*"msg":"job worker started"/g)].map((m) =>
          Number(m[1]),
        );
      await waitForOutput(() => jobPids().length >= 1);
      const jobPid = jobPids()[0] ?? 0;
      assert.ok(jobPid > 0 && !workerPids.includes(jobPid), `a job process of its own: ${server.output()}`);
      if (process.platform === 'linux') {
        const stat = readFileSync(`/proc/${jobPid}/stat`, 'utf8');
        assert.equal(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16], '19', 'its nice value');
      }
      const ranHere = new RegExp(`"pid":${jobPid}[^\\n]*"kind":"platform.housekeeping"[^\\n]*"msg":"Job succeeded"`);
      await waitForOutput(() => ranHere.test(server.output()));
      assert.match(server.output(), ranHere);
      // Killed, it is started again.
      process.kill(jobPid, 'SIGKILL');
      const restarted = /"msg":"the job process stopped; starting another"/;
      await waitForOutput(() => jobPids().length >= 2 && restarted.test(server.output()));
      const restartedPid = jobPids()[1];
      assert.ok(restartedPid !== undefined && restartedPid !== jobPid, 'another job process started');
      assert.match(server.output(), restarted);

      const page = `${server.address}/westminster/cyber-incident`;
      for (let i = 0; i < 20; i += 1) {
        const answer = await getOnNewConnection(page);
        assert.equal(answer.status, 200);
        assert.match(answer.body, /Libraries/);
      }
      // The scrape reaches one worker; the answer counts both workers' pages.
      const metrics = await (await fetch(`${server.address}/metrics`)).text();
      const fromMemory = Number(
        /wardroom_public_pages_from_memory_total\{status_code="200",encoding="identity"\} (\d+)/.exec(metrics)?.[1],
      );
      assert.ok(fromMemory >= 18, `20 requests, at most one rendered per worker: ${fromMemory} from memory`);
      assert.equal(metrics.match(/^wardroom_jobs\{status="queued"\}/gm)?.length, 1, 'the shared queue, once');

      // Another instance (here, this test) changes a service through the database only.
      const database = openDatabase({ kind: 'sqlite', file: path.join(server.dataDir, 'wardroom.sqlite') });
      let changedAt = 0;
      try {
        const wcc = (await findOrganisationBySlug(database.db, 'westminster'))!.id;
        changedAt = Date.now();
        await database.db.transaction().execute(async (trx) => {
          await trx
            .updateTable('services')
            .set({ workaround: 'Libraries are open as normal again.', changed_at: new Date().toISOString() })
            .where('organisation_id', '=', wcc)
            .where('slug', '=', 'libraries')
            .execute();
          await bumpPublicContentVersion(trx);
        });
      } finally {
        await database.close();
      }
      // Fresh when 10 answers in a row, on new connections (so from both workers), show it.
      let freshInARow = 0;
      let freshSince = 0;
      while (freshInARow < 10 && Date.now() - changedAt < 5000) {
        const fresh = (await getOnNewConnection(page)).body.includes('Libraries are open as normal again.');
        if (fresh && freshInARow === 0) freshSince = Date.now();
        freshInARow = fresh ? freshInARow + 1 : 0;
      }
      assert.equal(freshInARow, 10, 'every worker shows the change');
      t.diagnostic(`every worker showed the change after ${freshSince - changedAt} ms`);
      assert.ok(freshSince - changedAt < 1000, `shown everywhere after ${freshSince - changedAt} ms`);

      assert.equal(await server.stop(), 0, server.output());
      assert.match(server.output(), /shutting down/);
      for (const pid of workerPids) assert.equal(isRunning(pid), false, `worker ${pid} stopped`);
      assert.equal(isRunning(restartedPid), false, 'the job process stopped');
      assert.match(server.output(), /"pid":\d+[^\n]*"msg":"Job worker stopped"/);
    } finally {
      server.kill();
    }
  },
);
