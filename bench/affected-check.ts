// bench/affected-check: can the time "Were you affected?" takes to answer tell a listed address from
// an unlisted one? The page is the same either way (tested); this measures the response time.
//
// Wardroom is started as production starts it (`wardroom seed-demo`, then `wardroom serve` with
// NODE_ENV=production, the job worker in the supervising process (WEB_CONCURRENCY=1) sending the answers to a mail relay
// that takes everything, bench/support/smtp-sink.ts), on SQLite. Before it starts, LISTED people
// are put into the affected-people tables, each found in the data of one or two councils. Then one
// client (one keep-alive connection, one request at a time: an attacker's quietest measurement)
// gets the form once for its CSRF cookie and token and posts a check after check, listed and
// unlisted addresses in a random order, each address new (the per-address limit never applies) and
// each request from its own client address through TRUST_PROXY=1 (the per-client limit never
// applies). The time of each POST, from sending to the whole answer read, is kept by kind.
//
// The test: Mann-Whitney U on the two sets of times (two-sided, normal approximation with the tie
// correction). "Distinguishable" is p < 0.01. For scale, the difference of the medians is printed
// beside the noise: the spread of the difference of medians between two random halves of all times
// (the 95th percentile of |difference| over 200 random splits).
//
// Goal (issue 6 item 5): listed and unlisted not distinguishable, p >= 0.01.
//
// Options: --requests N (per kind, default 1500), --warmup N (default 200), --listed N (people, default 5000).
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, Agent } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../src/platform/db/database.ts';
import { insertAffectedPerson } from '../src/modules/affected-check/affected-people.test-support.ts';
import {
  freePort,
  loadAverage,
  percentiles,
  productionEnv,
  startWardroom,
  wardroomCommand,
} from './support/wardroom-process.ts';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}
const REQUESTS = option('requests', 1500);
const WARMUP = option('warmup', 200);
const LISTED = option('listed', 5000);
const ALPHA = 0.01;
const FORM_PATH = '/westminster/cyber-incident/were-you-affected';

const listedAddress = (i: number) => `listed-${i}@residents.example.org`;
const unlistedAddress = (i: number) => `unlisted-${i}@residents.example.org`;

/** The normal distribution's upper tail, by Abramowitz and Stegun 26.2.17 (error below 1e-7). */
function normalUpperTail(z: number): number {
  const t = 1 / (1 + 0.2316419 * Math.abs(z));
  const d = 0.3989423 * Math.exp((-z * z) / 2);
  const p = d * t * (0.3193815 + t * (-0.3565638 + t * (1.781478 + t * (-1.821256 + t * 1.330274))));
  return z >= 0 ? p : 1 - p;
}

/** Two-sided p-value of the Mann-Whitney U test, normal approximation with the tie correction. */
export function mannWhitneyP(a: number[], b: number[]): { u: number; z: number; p: number } {
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v);
  const ranks = new Array<number>(all.length);
  let tieTerm = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j += 1;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k += 1) ranks[k] = rank;
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  let rankSumA = 0;
  all.forEach((x, i) => {
    if (x.g === 0) rankSumA += ranks[i]!;
  });
  const n1 = a.length;
  const n2 = b.length;
  const n = n1 + n2;
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const sd = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const z = (u - mean) / sd;
  return { u, z, p: Math.min(1, 2 * normalUpperTail(Math.abs(z))) };
}

const median = (xs: number[]) => percentiles(xs, [50])[0] as number;

function shuffle<T>(xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [xs[i], xs[j]] = [xs[j] as T, xs[i] as T];
  }
  return xs;
}

interface Answer {
  status: number;
  location: string | undefined;
  cookies: string[];
  body: string;
  ms: number;
}

function send(
  agent: Agent,
  base: URL,
  method: 'GET' | 'POST',
  url: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = httpRequest({ agent, host: base.hostname, port: base.port, method, path: url, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          location: res.headers.location,
          cookies: res.headers['set-cookie'] ?? [],
          body: Buffer.concat(chunks).toString('utf8'),
          ms: performance.now() - started,
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function startMailRelay(): Promise<{ port: number; stop(): void }> {
  const child = fork(path.join(import.meta.dirname, 'support', 'smtp-sink.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`the mail relay exited with ${code}`)));
  });
  return { port, stop: () => child.kill() };
}

async function main(): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'wardroom-bench-'));
  const relay = await startMailRelay();
  let stopWardroom: (() => Promise<void>) | undefined;
  try {
    console.log(`Load average before: ${loadAverage()}`);
    const env: NodeJS.ProcessEnv = {
      ...productionEnv(dir, await freePort()),
      WEB_CONCURRENCY: '1',
      // Each request names its own client address, as residents behind the council's proxy would.
      TRUST_PROXY: '1',
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(relay.port),
      SMTP_FROM: 'Cyber incident <noreply@incident.example.gov.uk>',
    };
    wardroomCommand(['seed-demo'], env);
    const database = openDatabase({ kind: 'sqlite', file: path.join(dir, 'wardroom.sqlite') });
    try {
      const incident = await database.db.selectFrom('incidents').select('id').executeTakeFirstOrThrow();
      const councils = await database.db
        .selectFrom('organisations')
        .select('id')
        .where('slug', 'in', ['westminster', 'kensington-chelsea', 'hammersmith-fulham'])
        .execute();
      for (let i = 0; i < LISTED; i += 1) {
        await insertAffectedPerson(database.db, {
          incidentId: incident.id,
          councilIds: i % 3 === 0 ? councils.slice(0, 2).map((c) => c.id) : [councils[i % councils.length]!.id],
          email: listedAddress(i),
        });
      }
    } finally {
      await database.close();
    }
    const wardroom = await startWardroom(env, path.join(dir, 'wardroom.log'));
    stopWardroom = wardroom.stop;
    const base = new URL(wardroom.url);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });

    const form = await send(agent, base, 'GET', FORM_PATH, {});
    const token = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1];
    if (form.status !== 200 || !token) throw new Error(`the form did not load: ${form.status}`);
    const cookie = form.cookies.map((c) => c.split(';')[0]).join('; ');

    let listedUsed = 0;
    let unlistedUsed = 0;
    let clientIp = 0;
    const post = async (kind: 'listed' | 'unlisted') => {
      const email = kind === 'listed' ? listedAddress(listedUsed++ % LISTED) : unlistedAddress(unlistedUsed++);
      clientIp += 1;
      const answer = await send(
        agent,
        base,
        'POST',
        FORM_PATH,
        {
          'content-type': 'application/x-www-form-urlencoded',
          cookie,
          'x-forwarded-for': `10.${(clientIp >> 16) & 255}.${(clientIp >> 8) & 255}.${clientIp & 255}`,
        },
        new URLSearchParams({ _csrf: token, email }).toString(),
      );
      if (answer.status !== 303 || answer.location !== `${FORM_PATH}/check-your-email`) {
        throw new Error(`a check was answered ${answer.status} ${answer.location ?? ''}: ${answer.body.slice(0, 200)}`);
      }
      return answer.ms;
    };

    const order = (n: number) =>
      shuffle([
        ...Array.from({ length: n }, () => 'listed' as const),
        ...Array.from({ length: n }, () => 'unlisted' as const),
      ]);
    for (const kind of order(WARMUP)) await post(kind);
    const times = { listed: [] as number[], unlisted: [] as number[] };
    const started = performance.now();
    for (const kind of order(REQUESTS)) times[kind].push(await post(kind));
    const seconds = (performance.now() - started) / 1000;
    agent.destroy();

    const [l50, l90, l99] = percentiles(times.listed, [50, 90, 99]) as [number, number, number];
    const [u50, u90, u99] = percentiles(times.unlisted, [50, 90, 99]) as [number, number, number];
    const difference = l50 - u50;
    const all = [...times.listed, ...times.unlisted];
    const splits = Array.from({ length: 200 }, () => {
      const s = shuffle([...all]);
      return Math.abs(median(s.slice(0, REQUESTS)) - median(s.slice(REQUESTS)));
    });
    const noise = percentiles(splits, [95])[0] as number;
    const test = mannWhitneyP(times.listed, times.unlisted);
    console.log(
      `${REQUESTS} checks of each kind in random order (after ${WARMUP} of each to warm up), one at a time, in ${seconds.toFixed(1)} s; ${LISTED} listed people`,
    );
    console.log(`listed:   median ${l50.toFixed(3)} ms, p90 ${l90.toFixed(3)} ms, p99 ${l99.toFixed(3)} ms`);
    console.log(`unlisted: median ${u50.toFixed(3)} ms, p90 ${u90.toFixed(3)} ms, p99 ${u99.toFixed(3)} ms`);
    console.log(
      `difference of medians ${difference >= 0 ? '+' : ''}${(difference * 1000).toFixed(0)} µs; noise (95th percentile between random halves) ${(noise * 1000).toFixed(0)} µs`,
    );
    console.log(`Mann-Whitney U = ${test.u.toFixed(0)}, z = ${test.z.toFixed(2)}, p = ${test.p.toFixed(3)}`);
    console.log(`Load average after: ${loadAverage()}`);
    const met = test.p >= ALPHA;
    console.log(
      `Goal: listed and unlisted not distinguishable by response time (Mann-Whitney p >= ${ALPHA}): p = ${test.p.toFixed(3)}, ${met ? 'met' : 'MISSED'}`,
    );
    return met ? 0 : 1;
  } finally {
    await stopWardroom?.();
    relay.stop();
    if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
