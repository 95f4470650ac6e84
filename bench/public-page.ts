// bench/public-page: how close Wardroom comes to a static file server when everyone opens the
// incident page at once. In one run it serves /westminster/cyber-incident from Wardroom (one Node
// process, the page cached in memory) and the very same bytes from nginx (one worker, from a file),
// each loaded by wrk at 50 connections; then, with the load still on, a service status changes
// through the database and the bench measures how long until the page shows it.
// Goal: at least 0.85 of nginx's requests per second, p99 under 5 ms, a change visible within 1 s.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { buildApp } from '../src/app.ts';
import { findOrganisationBySlug } from '../src/platform/accounts/accounts.repository.ts';
import { loadConfig } from '../src/platform/config.ts';
import { openDatabase } from '../src/platform/db/database.ts';
import { migrateToLatest } from '../src/platform/db/migrate.ts';
import { seedDemo } from '../src/platform/demo/seed-demo.ts';
import { bumpPublicContentVersion } from '../src/platform/public-cache/public-content.repository.ts';

const CONNECTIONS = 50;
const SECONDS = 10;
const GOAL = { ratio: 0.85, p99Ms: 5, freshnessMs: 1000 };
const PATH = '/westminster/cyber-incident';

function ensureInstalled(binary: string, pkg: string): void {
  if (spawnSync('which', [binary]).status === 0) return;
  console.log(`Installing ${pkg} (Debian package)…`);
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

interface WrkResult {
  rps: number;
  p99Ms: number;
  errors: string | null;
}

function parseLatencyMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text.trim());
  if (!m) throw new Error(`cannot read latency ${text}`);
  const value = Number(m[1]);
  return m[2] === 'us' ? value / 1000 : m[2] === 's' ? value * 1000 : value;
}

function runWrk(url: string): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', ['-t2', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', url]);
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('exit', () => {
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
      const p99 = /^\s+99%\s+(\S+)/m.exec(out);
      const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(out);
      if (!rps || !p99) return reject(new Error(`could not read wrk output:\n${out}`));
      resolve({ rps: Number(rps[1]), p99Ms: parseLatencyMs(p99[1] as string), errors: errors ? errors[0] : null });
    });
  });
}

async function main(): Promise<number> {
  ensureInstalled('wrk', 'wrk');
  ensureInstalled('nginx', 'nginx-light');

  const dir = mkdtempSync(path.join(tmpdir(), 'wardroom-bench-'));
  const config = loadConfig({
    NODE_ENV: 'production',
    WARDROOM_DATA_DIR: dir,
    SESSION_SECRET: 'bench-secret-bench-secret-bench-secret-0123',
    PUBLIC_BASE_URL: 'https://incident.example.gov.uk',
    LOG_LEVEL: 'silent',
  });
  const database = openDatabase({ kind: 'sqlite', file: path.join(dir, 'bench.sqlite') });
  await migrateToLatest(database);
  await seedDemo(database.db, { sessionSecret: config.sessionSecret });
  const app = await buildApp({ config, database });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const appPort = (app.server.address() as AddressInfo).port;
  const appUrl = `http://127.0.0.1:${appPort}${PATH}`;

  // nginx serves the page Wardroom renders, byte for byte, from a file.
  const page = await fetch(appUrl);
  const body = Buffer.from(await page.arrayBuffer());
  const root = path.join(dir, 'www');
  mkdirSync(path.join(root, 'westminster'), { recursive: true });
  writeFileSync(path.join(root, 'westminster', 'cyber-incident'), body);
  // nginx's worker runs as an unprivileged user: let it read the file.
  for (const p of [dir, root, path.join(root, 'westminster')]) chmodSync(p, 0o755);
  chmodSync(path.join(root, 'westminster', 'cyber-incident'), 0o644);
  const nginxPort = appPort + 1;
  const nginxConf = path.join(dir, 'nginx.conf');
  writeFileSync(
    nginxConf,
    `worker_processes 1;
daemon off;
pid ${path.join(dir, 'nginx.pid')};
error_log ${path.join(dir, 'nginx-error.log')};
events { worker_connections 1024; }
http {
  access_log off;
  default_type text/html;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:${nginxPort};
    root ${root};
    etag on;
  }
}
`,
  );
  const nginx = spawn('nginx', ['-c', nginxConf, '-p', dir], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));

  try {
    console.log(`Page: ${PATH}, ${body.length} bytes; ${CONNECTIONS} connections for ${SECONDS} s each (wrk -t2).`);
    const nginxResult = await runWrk(`http://127.0.0.1:${nginxPort}${PATH}`);
    console.log(
      `nginx (1 worker, static file):  ${nginxResult.rps.toFixed(0)} req/s, p99 ${nginxResult.p99Ms.toFixed(2)} ms`,
    );

    // Under load, change a service as another instance would (through the database only), and
    // time how long this instance takes to show it.
    const wardroomRun = runWrk(appUrl);
    await new Promise((r) => setTimeout(r, (SECONDS * 1000) / 2));
    const wcc = (await findOrganisationBySlug(database.db, 'westminster'))!.id;
    const changedAt = Date.now();
    await database.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('services')
        .set({
          status: 'restored',
          workaround: 'Libraries are open as normal again.',
          changed_at: new Date().toISOString(),
        })
        .where('organisation_id', '=', wcc)
        .where('slug', '=', 'libraries')
        .execute();
      await bumpPublicContentVersion(trx);
    });
    let freshnessMs = Number.POSITIVE_INFINITY;
    while (Date.now() - changedAt < 5000) {
      const text = await (await fetch(appUrl)).text();
      if (text.includes('Libraries are open as normal again.')) {
        freshnessMs = Date.now() - changedAt;
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    const wardroomResult = await wardroomRun;
    console.log(
      `Wardroom (1 Node process, cached): ${wardroomResult.rps.toFixed(0)} req/s, p99 ${wardroomResult.p99Ms.toFixed(2)} ms`,
    );
    if (nginxResult.errors || wardroomResult.errors)
      console.log(`errors: nginx ${nginxResult.errors}, Wardroom ${wardroomResult.errors}`);
    const ratio = wardroomResult.rps / nginxResult.rps;
    console.log(
      `Change under load visible after ${Number.isFinite(freshnessMs) ? `${freshnessMs} ms` : 'more than 5 s'}`,
    );
    const met = ratio >= GOAL.ratio && wardroomResult.p99Ms < GOAL.p99Ms && freshnessMs < GOAL.freshnessMs;
    console.log(
      `public-page: ratio ${ratio.toFixed(2)} of nginx (goal >= ${GOAL.ratio}), p99 ${wardroomResult.p99Ms.toFixed(2)} ms (goal < ${GOAL.p99Ms}), fresh after ${freshnessMs} ms (goal < ${GOAL.freshnessMs}): ${met ? 'MET' : 'MISSED'}`,
    );
    return met ? 0 : 1;
  } finally {
    nginx.kill('SIGTERM');
    await app.close();
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
