// bench/public-page: how close Wardroom comes to a static file server when everyone opens the
// incident page at once. Wardroom is started as production starts it (`wardroom serve` with
// NODE_ENV=production: one HTTP worker process per CPU unless WEB_CONCURRENCY says otherwise, the
// job worker in a process of its own, logging at info) on a fresh SQLite database with the demo.
// nginx serves the very same bytes from files, with as many worker processes as Wardroom has HTTP
// processes. Both are loaded by wrk at 50 connections, first without Accept-Encoding (the page as
// rendered, 12 KB), then with `Accept-Encoding: gzip`, as browsers send (Wardroom's pre-compressed
// copy; nginx serves the same gzip bytes with gzip_static). During Wardroom's first run a service
// status changes through the database only (as another instance would) and the bench times how long
// until every worker shows it.
// Goal, in both runs: at least 0.85 of nginx's requests per second and p99 under 5 ms; and the
// change visible on every worker within 1 s.
// `npm run bench -- public-page --node-floor` also loads a bare node:http server (as many processes,
// answering with the same bytes and headers and doing nothing else): the most any Node server can
// do here, to tell Wardroom's own cost from Node's. It does not count towards the goal.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, loadAverage, productionEnv, startWardroom, wardroomCommand } from './support/wardroom-process.ts';
import { findOrganisationBySlug } from '../src/platform/accounts/accounts.repository.ts';
import { openDatabase } from '../src/platform/db/database.ts';
import { bumpPublicContentVersion } from '../src/platform/public-cache/public-content.repository.ts';

const CONNECTIONS = 50;
const SECONDS = 10;
const GOAL = { ratio: 0.85, p99Ms: 5, freshnessMs: 1000 };
const PATH = '/westminster/cyber-incident';
const CHANGED_TEXT = 'Libraries are open as normal again.';

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

function runWrk(url: string, headers: string[] = []): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    const args = ['-t2', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', ...headers.flatMap((h) => ['-H', h]), url];
    const child = spawn('wrk', args);
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

/** One GET on a connection of its own (so a cluster hands successive ones to different workers). */
function getBytes(url: string, headers: Record<string, string> = {}): Promise<{ headers: object; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

/** A node:http cluster that answers every request with the page's bytes and headers, and nothing else. */
async function startNodeFloor(
  dir: string,
  processes: number,
  body: Buffer,
  headers: object,
): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const flat = Object.entries(headers)
    .filter(([name]) => !['date', 'connection', 'keep-alive'].includes(name))
    .flat();
  writeFileSync(path.join(dir, 'floor-body'), body);
  writeFileSync(path.join(dir, 'floor-headers.json'), JSON.stringify(flat));
  const script = path.join(dir, 'node-floor.mjs');
  writeFileSync(
    script,
    `import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
if (cluster.isPrimary) {
  for (let i = 0; i < ${processes}; i += 1) cluster.fork();
} else {
  const body = readFileSync(${JSON.stringify(path.join(dir, 'floor-body'))});
  const headers = JSON.parse(readFileSync(${JSON.stringify(path.join(dir, 'floor-headers.json'))}, 'utf8'));
  createServer((req, res) => {
    res.writeHead(200, headers);
    res.end(body);
  }).listen(${port}, '127.0.0.1');
}
`,
  );
  const child = spawn(process.execPath, [script], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}/`;
  for (let tries = 0; ; tries += 1) {
    try {
      await getBytes(url);
      await new Promise((r) => setTimeout(r, 500)); // the other workers start as fast
      return { child, url };
    } catch (err) {
      if (tries > 100) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function main(): Promise<number> {
  ensureInstalled('wrk', 'wrk');
  ensureInstalled('nginx', 'nginx-light');

  const dir = mkdtempSync(path.join(tmpdir(), 'wardroom-bench-'));
  const databaseFile = path.join(dir, 'wardroom.sqlite');
  const env = productionEnv(dir, await freePort());
  wardroomCommand(['seed-demo'], env);
  const wardroom = await startWardroom(env, path.join(dir, 'wardroom.log'));
  const appUrl = `${wardroom.url}${PATH}`;

  // nginx serves the bytes Wardroom sends, as rendered and gzipped, from files.
  const rendered = await getBytes(appUrl);
  const plain = rendered.body;
  const gzipped = await getBytes(appUrl, { 'accept-encoding': 'gzip' });
  if ((gzipped.headers as Record<string, string>)['content-encoding'] !== 'gzip')
    throw new Error('Wardroom did not send its gzip copy');
  const root = path.join(dir, 'www');
  const file = path.join(root, 'westminster', 'cyber-incident');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, plain);
  writeFileSync(`${file}.gz`, gzipped.body);
  // nginx's workers run as an unprivileged user: let them read the files.
  for (const p of [dir, root, path.dirname(file)]) chmodSync(p, 0o755);
  for (const p of [file, `${file}.gz`]) chmodSync(p, 0o644);
  // And the same headers: Wardroom's cache, security and Vary headers, added by nginx to each answer
  // (nginx makes its own Date, ETag, Content-Length and connection headers).
  const ownHeaders = new Set(['date', 'etag', 'content-length', 'content-type', 'connection', 'keep-alive']);
  const addHeaders = Object.entries(rendered.headers as Record<string, string>)
    .filter(([name]) => !ownHeaders.has(name))
    .map(([name, value]) => `    add_header ${name} "${value.replace(/["\\]/g, '\\$&')}" always;`)
    .join('\n');
  const nginxPort = await freePort();
  const nginxConf = path.join(dir, 'nginx.conf');
  writeFileSync(
    nginxConf,
    `worker_processes ${wardroom.processes};
daemon off;
pid ${path.join(dir, 'nginx.pid')};
error_log ${path.join(dir, 'nginx-error.log')};
events { worker_connections 1024; }
http {
  access_log off;
  default_type text/html;
  charset utf-8;
  server_tokens off;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:${nginxPort} reuseport;
    root ${root};
    etag on;
    gzip_static on;
${addHeaders}
  }
}
`,
  );
  const nginx = spawn('nginx', ['-c', nginxConf, '-p', dir], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  const nginxUrl = `http://127.0.0.1:${nginxPort}${PATH}`;

  try {
    const fromNginx = await getBytes(nginxUrl);
    const gzippedFromNginx = await getBytes(nginxUrl, { 'accept-encoding': 'gzip' });
    if (!fromNginx.body.equals(plain) || !gzippedFromNginx.body.equals(gzipped.body))
      throw new Error('nginx does not serve the same bytes as Wardroom');
    const comparable = (headers: object) =>
      JSON.stringify(
        Object.entries(headers)
          .filter(
            ([name]) =>
              !['date', 'etag', 'connection', 'keep-alive', 'last-modified', 'accept-ranges', 'server'].includes(name),
          )
          .sort(),
      );
    if (comparable(fromNginx.headers) !== comparable(rendered.headers))
      throw new Error(
        `nginx does not send the same headers:\n${comparable(fromNginx.headers)}\n${comparable(rendered.headers)}`,
      );

    console.log(
      `Page: ${PATH}, ${plain.length} bytes (${gzipped.body.length} gzipped); ${CONNECTIONS} connections for ${SECONDS} s each (wrk -t2) on ${availableParallelism()} CPUs.`,
    );
    console.log(
      `Wardroom: wardroom serve, NODE_ENV=production, ${wardroom.processes} HTTP process(es); nginx: worker_processes ${wardroom.processes}.`,
    );
    console.log(`Load average before: ${loadAverage()}`);

    const results: Array<{ name: string; ratio: number; p99Ms: number }> = [];
    let freshnessMs = Number.POSITIVE_INFINITY;
    const label = `${wardroom.processes} process${wardroom.processes === 1 ? '' : 'es'}`;
    for (const run of [
      { name: 'as rendered', headers: [] as string[] },
      { name: 'gzip', headers: ['Accept-Encoding: gzip'] },
    ]) {
      const nginxResult = await runWrk(nginxUrl, run.headers);
      console.log(
        `[${run.name}] nginx (${label}, static file):  ${nginxResult.rps.toFixed(0)} req/s, p99 ${nginxResult.p99Ms.toFixed(2)} ms`,
      );
      const wardroomRun = runWrk(appUrl, run.headers);
      if (run.name === 'as rendered') freshnessMs = await changeUnderLoad(databaseFile, appUrl);
      const wardroomResult = await wardroomRun;
      console.log(
        `[${run.name}] Wardroom (${label}, from memory): ${wardroomResult.rps.toFixed(0)} req/s, p99 ${wardroomResult.p99Ms.toFixed(2)} ms`,
      );
      if (nginxResult.errors || wardroomResult.errors)
        console.log(`errors: nginx ${nginxResult.errors}, Wardroom ${wardroomResult.errors}`);
      results.push({ name: run.name, ratio: wardroomResult.rps / nginxResult.rps, p99Ms: wardroomResult.p99Ms });
    }
    if (process.argv.includes('--node-floor')) {
      const floor = await startNodeFloor(dir, wardroom.processes, plain, rendered.headers);
      try {
        const floorResult = await runWrk(floor.url);
        console.log(
          `[as rendered] bare node:http (${label}, same bytes and headers): ${floorResult.rps.toFixed(0)} req/s, p99 ${floorResult.p99Ms.toFixed(2)} ms (not part of the goal)`,
        );
      } finally {
        floor.child.kill('SIGTERM');
      }
    }
    console.log(`Load average after: ${loadAverage()}`);
    console.log(
      `Change under load visible on every worker after ${Number.isFinite(freshnessMs) ? `${freshnessMs} ms` : 'more than 5 s'}`,
    );
    const met = results.every((r) => r.ratio >= GOAL.ratio && r.p99Ms < GOAL.p99Ms) && freshnessMs < GOAL.freshnessMs;
    const figures = results
      .map((r) => `${r.name}: ratio ${r.ratio.toFixed(2)} of nginx, p99 ${r.p99Ms.toFixed(2)} ms`)
      .join('; ');
    console.log(
      `public-page: ${figures}; fresh after ${freshnessMs} ms (goal: ratio >= ${GOAL.ratio} and p99 < ${GOAL.p99Ms} ms in both, fresh < ${GOAL.freshnessMs} ms): ${met ? 'MET' : 'MISSED'}`,
    );
    return met ? 0 : 1;
  } finally {
    nginx.kill('SIGTERM');
    await wardroom.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Halfway through a run, changes a service through the database only, as another instance would,
 * and returns how long until ten answers in a row, each on a new connection (so from every worker),
 * show it.
 */
async function changeUnderLoad(databaseFile: string, appUrl: string): Promise<number> {
  await new Promise((r) => setTimeout(r, (SECONDS * 1000) / 2));
  const database = openDatabase({ kind: 'sqlite', file: databaseFile });
  try {
    const wcc = (await findOrganisationBySlug(database.db, 'westminster'))!.id;
    const changedAt = Date.now();
    await database.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('services')
        .set({ status: 'restored', workaround: CHANGED_TEXT, changed_at: new Date().toISOString() })
        .where('organisation_id', '=', wcc)
        .where('slug', '=', 'libraries')
        .execute();
      await bumpPublicContentVersion(trx);
    });
    let freshInARow = 0;
    let freshSince = 0;
    while (freshInARow < 10 && Date.now() - changedAt < 5000) {
      const fresh = (await getBytes(appUrl)).body.includes(CHANGED_TEXT);
      if (fresh && freshInARow === 0) freshSince = Date.now();
      freshInARow = fresh ? freshInARow + 1 : 0;
      if (!fresh) await new Promise((r) => setTimeout(r, 10));
    }
    return freshInARow === 10 ? freshSince - changedAt : Number.POSITIVE_INFINITY;
  } finally {
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
