// The job worker in a process of its own: `wardroom worker`, and the process `serve` starts for it
// when it runs a cluster of HTTP workers (WEB_CONCURRENCY above 1).
//
// With `lowPriority` the process asks the operating system for the lowest CPU priority (nice 19 on
// Linux) before it starts any work, so that on a machine it shares with HTTP workers, answering
// residents comes first: during a surge the form's submissions take the CPU and acknowledgements
// wait in the queue, durable, until there is CPU to spare; on a machine that is not full, the
// priority changes nothing. See docs/decisions.md, "Answering residents comes before background
// work". It is asked for the process's main thread, which the threads made after it (libuv's pool,
// used for DNS lookups, files and compression) inherit; V8's own helper threads are made before any
// code runs and keep the normal priority, which matters little, as they only compile and collect
// garbage for this process.
import { constants, getPriority, setPriority } from 'node:os';
import closeWithGrace from 'close-with-grace';
import type pino from 'pino';
import type { Config } from './config.ts';
import { openDatabase, SERVE_DATABASE_OPTIONS, type OpenOptions } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import { platformJobDeps, startPlatformWorker } from './jobs-runtime.ts';
import { processLogger } from './logger.ts';

/** What `serve`'s primary sends a process it supervises to have it finish its work and exit. */
export const SHUT_DOWN_MESSAGE = 'wardroom:shut-down';

/** How `serve` and the job process open the database (SERVE_DATABASE_OPTIONS), with checkpoint failures logged. */
export function serveDatabaseOptions(config: Pick<Config, 'logLevel'>): OpenOptions {
  return {
    ...SERVE_DATABASE_OPTIONS,
    onCheckpointError: (message) =>
      processLogger(config.logLevel).error({ error: message }, 'the background SQLite checkpoint failed'),
  };
}

/**
 * Lowers this process's CPU priority to the lowest there is; returns the priority it has after.
 * Lowering needs no privilege, so a failure (an unusual sandbox) is logged and the work goes on.
 */
export function lowerCpuPriority(log: pino.Logger): number {
  try {
    setPriority(constants.priority.PRIORITY_LOW);
  } catch (err) {
    log.warn({ err }, 'could not lower the job worker’s CPU priority; it runs at the normal priority');
  }
  return getPriority();
}

/** Runs the job worker until SIGINT, SIGTERM, the primary's shut-down message or the primary's exit. */
export async function runJobProcess(config: Config, options: { lowPriority: boolean }): Promise<void> {
  const log = processLogger(config.logLevel);
  const priority = options.lowPriority ? lowerCpuPriority(log) : getPriority();
  const database = openDatabase(config.database, serveDatabaseOptions(config));
  await migrateToLatest(database);
  const deps = platformJobDeps(config);
  const worker = startPlatformWorker(database, log.child({ component: 'jobs' }), deps);
  log.info({ priority, transport: deps.mailTransport }, 'job worker started');

  const grace = closeWithGrace({ delay: 30_000 }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'job worker shutting down after an error');
    else log.info({ signal }, 'job worker shutting down');
    await worker.stop();
    await database.close();
  });
  if (process.send) {
    let closing = false;
    const close = (): void => {
      if (closing) return;
      closing = true;
      grace.close();
    };
    process.on('message', (message) => {
      if (message === SHUT_DOWN_MESSAGE) close();
    });
    // The primary is gone (killed, or crashed): finish what is running and stop, rather than run on
    // unsupervised beside the next primary's own job worker.
    process.on('disconnect', close);
  }
}
