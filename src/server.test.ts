// The start contract: `wardroom serve` on an empty data directory migrates, loads the demo, prints
// the demo logins, answers /healthz, and shuts down cleanly on SIGTERM.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { test } from 'node:test';
import pg from 'pg';
import { testDatabaseUrl } from './platform/config.ts';

test(
  'serve starts on an empty data directory with the demo, and stops cleanly on SIGTERM',
  { timeout: 60_000 },
  async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'wardroom-serve-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
      env: {
        ...process.env,
        NODE_ENV: 'development',
        PORT: '0',
        HOST: '127.0.0.1',
        WARDROOM_DATA_DIR: dataDir,
        LOG_LEVEL: 'info',
        DATABASE_URL: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      const deadline = Date.now() + 40_000;
      let address: string | undefined;
      while (!address || !output.includes('Demo staff logins')) {
        if (Date.now() > deadline) throw new Error(`the server did not start:\n${output}`);
        if (child.exitCode !== null) throw new Error(`the server exited:\n${output}`);
        address = /"address":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(output)?.[1];
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(existsSync(path.join(dataDir, 'wardroom.sqlite')), 'the embedded database is in the data directory');
      assert.ok(existsSync(path.join(dataDir, 'session-secret')), 'the generated session secret is kept');
      assert.match(output, /admin@demo\.wardroom\.test\s+password demo-\S+\s+TOTP key [A-Z2-7]{32}/);
      const health = await fetch(`${address}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok' });
      const home = await (await fetch(`${address}/`)).text();
      for (const name of [
        'Westminster City Council',
        'Royal Borough of Kensington and Chelsea',
        'Hammersmith &amp; Fulham Council',
      ]) {
        assert.ok(home.includes(name), name);
      }
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0, output);
      assert.match(output, /shutting down/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
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
    const dataDir = mkdtempSync(path.join(tmpdir(), 'wardroom-serve-pg-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
      env: {
        ...process.env,
        NODE_ENV: 'development',
        PORT: '0',
        HOST: '127.0.0.1',
        WARDROOM_DATA_DIR: dataDir,
        LOG_LEVEL: 'info',
        DATABASE_URL: `${url}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
        SESSION_SECRET: 's'.repeat(48),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      const address = await waitForAddress(() => output, child);
      const ready = await fetch(`${address}/readyz`);
      assert.deepEqual(await ready.json(), { status: 'ready', database: 'postgres' });
      const councils = await admin.query(
        `select count(*)::int as n from ${schema}.organisations where kind = 'council'`,
      );
      assert.equal(councils.rows[0].n, 3, 'the demo was loaded into PostgreSQL');
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0, output);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
);

async function waitForAddress(output: () => string, child: ChildProcess): Promise<string> {
  const deadline = Date.now() + 40_000;
  for (;;) {
    const address = /"address":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(output())?.[1];
    if (address && output().includes('Demo staff logins')) return address;
    if (Date.now() > deadline) throw new Error(`the server did not start:\n${output()}`);
    if (child.exitCode !== null) throw new Error(`the server exited:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
