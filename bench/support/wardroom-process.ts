// Bench support: starting Wardroom as production starts it, in processes of its own, and the small
// things every benchmark prints (load average, ports).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { openSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';

/** Node options a bench takes from the environment variable `name` (space-separated), for its processes. */
export function nodeOptionsFrom(name: string): string[] {
  return process.env[name]?.split(' ').filter(Boolean) ?? [];
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  return port;
}

export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

/**
 * The environment of `wardroom serve` started as production starts it, on a fresh SQLite database in
 * `dir`, listening on 127.0.0.1:`port`. Benchmarks add what differs, and say why.
 */
export function productionEnv(dir: string, port: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'production',
    WARDROOM_DATA_DIR: dir,
    DATABASE_URL: '',
    SESSION_SECRET: 'bench-secret-bench-secret-bench-secret-0123',
    PUBLIC_BASE_URL: 'https://incident.example.gov.uk',
    HOST: '127.0.0.1',
    PORT: String(port),
  };
}

/** Runs a `wardroom` command (such as `seed-demo`) to completion. */
export function wardroomCommand(args: string[], env: NodeJS.ProcessEnv): void {
  execFileSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { env, stdio: 'ignore' });
}

export interface RunningWardroom {
  child: ChildProcess;
  url: string;
  processes: number;
  stop(): Promise<void>;
}

/**
 * Starts `wardroom serve` with `env` and waits until every HTTP process listens. BENCH_APP_NODE_ARGS
 * adds options for Node in Wardroom's processes, such as `--cpu-prof --cpu-prof-dir=/tmp/prof` to
 * profile them (Node refuses --cpu-prof in NODE_OPTIONS).
 */
export async function startWardroom(env: NodeJS.ProcessEnv, logFile: string): Promise<RunningWardroom> {
  const log = openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [...nodeOptionsFrom('BENCH_APP_NODE_ARGS'), '--import', 'tsx', 'src/cli.ts', 'serve'],
    {
      env,
      stdio: ['ignore', log, log],
    },
  );
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const line = readFileSync(logFile, 'utf8')
      .split('\n')
      .find((l) => l.includes('"msg":"Wardroom is listening"'));
    if (line) {
      const started = JSON.parse(line) as { address: string; processes?: number };
      return { child, url: started.address, processes: started.processes ?? 1, stop };
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`Wardroom did not start:\n${readFileSync(logFile, 'utf8')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Exact percentiles of a set of samples (every sample is kept: a run has at most a few hundred thousand). */
export function percentiles(samples: Float64Array | number[], points: number[]): number[] {
  const sorted = Float64Array.from(samples).sort();
  return points.map((p) => {
    if (sorted.length === 0) return Number.NaN;
    const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return sorted[rank] as number;
  });
}

const TICKS_PER_SECOND = 100;

/** CPU time (user and system, in seconds) of a process and all its descendants, from /proc (Linux). */
export function processTreeCpuSeconds(pid: number): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // The process ended while we looked.
    }
  }
  let seconds = 0;
  const visit = (p: number) => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
      seconds += (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    } catch {
      return;
    }
    for (const child of children.get(p) ?? []) visit(child);
  };
  visit(pid);
  return seconds;
}

/** The whole machine's CPU time (busy and idle, in seconds, all CPUs) from /proc/stat (Linux). */
export function machineCpuSeconds(): { busy: number; idle: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] as string;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number) as number[];
  return {
    busy: ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / TICKS_PER_SECOND,
    idle: ((idle ?? 0) + (iowait ?? 0)) / TICKS_PER_SECOND,
  };
}
