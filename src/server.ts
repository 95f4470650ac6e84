// Starts the platform: migrate, seed the demo on an empty database, listen, run the job worker and
// the inbound mail listener, and shut down gracefully on SIGINT/SIGTERM. Nothing else.
//
// With WEB_CONCURRENCY above 1 it runs as a node:cluster: this process (the primary) migrates,
// seeds, runs the inbound mail listener, and supervises that many HTTP worker processes, which share
// the port and only serve, and one job process (`wardroom worker --low-priority`: the job worker and
// its schedules, at the lowest CPU priority, so that a surge of residents gets the CPU first). Each
// HTTP worker keeps its own public page cache and polls the database's public content version, as
// separate instances do.
import { fork as forkProcess, type ChildProcess } from 'node:child_process';
import cluster, { type Worker } from 'node:cluster';
import closeWithGrace from 'close-with-grace';
import type { FastifyBaseLogger } from 'fastify';
import { buildApp } from './app.ts';
import type { Config } from './platform/config.ts';
import { openDatabase, type Database } from './platform/db/database.ts';
import { migrateToLatest } from './platform/db/migrate.ts';
import { formatDemoCredentials, loadDemoCredentials, saveDemoCredentials } from './platform/demo/demo-credentials.ts';
import { seedDemo } from './platform/demo/seed-demo.ts';
import { listOrganisations } from './platform/accounts/accounts.repository.ts';
import { serveDatabaseOptions, SHUT_DOWN_MESSAGE } from './platform/job-process.ts';
import { processLogger } from './platform/logger.ts';
import { platformJobDeps, startPlatformWorker } from './platform/jobs-runtime.ts';
import { createInboundMailboxes, startInboundMail } from './platform/mail-in-runtime.ts';
import { serveClusterMetrics } from './platform/metrics.ts';

/** Messages between the primary and its HTTP workers (and, for shutting down, its job process). */
const LISTENING = 'wardroom:listening';
const SHUT_DOWN = SHUT_DOWN_MESSAGE;

/** More worker deaths than this in a minute means something is wrong that restarting will not fix. */
const MAX_RESTARTS_PER_MINUTE = 10;

/** Counts restarts over the last minute: `record()` says how many there were, this one included. */
function restartCounter(): { record(): number } {
  const restarts: number[] = [];
  return {
    record() {
      const now = Date.now();
      restarts.push(now);
      while (restarts.length > 0 && (restarts[0] as number) < now - 60_000) restarts.shift();
      return restarts.length;
    },
  };
}

export async function startServer(config: Config): Promise<void> {
  if (cluster.isWorker) return startHttpWorker(config);
  if (config.webConcurrency > 1) return startPrimary(config);
  return startSingleProcess(config);
}

/** One process does everything: the default outside production, and WEB_CONCURRENCY=1. */
async function startSingleProcess(config: Config): Promise<void> {
  const database = openDatabase(config.database, serveDatabaseOptions(config));
  await migrateToLatest(database);
  const app = await buildApp({ config, database });
  await seedDemoIfEmpty(config, database, app.log);

  const background = await startBackgroundWork(config, database, app.log);

  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    else app.log.info({ signal }, 'shutting down');
    await background.stop();
    await app.close();
    await database.close();
  });

  const address = await app.listen({ port: config.port, host: config.host });
  app.log.info({ address, database: database.dialect }, 'Wardroom is listening');
  printDemoCredentials(config);
}

/** The cluster's primary: migrations, the demo, inbound mail, and the lives of the HTTP workers and the job process. */
async function startPrimary(config: Config): Promise<void> {
  const log = processLogger(config.logLevel);
  const database = openDatabase(config.database, serveDatabaseOptions(config));
  await migrateToLatest(database);
  await seedDemoIfEmpty(config, database, log);
  const background = await startBackgroundWork(config, database, log, { jobs: 'own-process' });

  let shuttingDown = false;
  let started = false;
  const restarts = restartCounter();
  const addresses = new Map<number, string>();
  let markReady: () => void = () => {};
  let failStart: (err: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failStart = reject;
  });

  cluster.setupPrimary({ execArgv: [...process.execArgv, ...config.httpWorkerNodeOptions] });
  const fork = (): Worker => {
    const worker = cluster.fork();
    worker.on('message', (message: { type?: string; address?: string }) => {
      if (message?.type !== LISTENING || typeof message.address !== 'string') return;
      addresses.set(worker.id, message.address);
      if (!started && addresses.size === config.webConcurrency) {
        started = true;
        markReady();
      }
    });
    return worker;
  };

  const stopWorkers = async (): Promise<void> => {
    const running = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    await Promise.all(
      running.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            worker.once('exit', () => resolve());
            // Each worker closes its server and waits for requests in flight; a worker that already
            // had the signal (Ctrl-C reaches the whole process group) is closing anyway.
            if (worker.isConnected()) worker.send(SHUT_DOWN);
            else worker.kill('SIGTERM');
          }),
      ),
    );
  };

  let stopped: Promise<void> | undefined;
  const shutDown = (): Promise<void> =>
    (stopped ??= (async () => {
      shuttingDown = true;
      await Promise.all([stopWorkers(), background.stop()]);
      await database.close();
    })());

  cluster.on('exit', (worker, code, signal) => {
    addresses.delete(worker.id);
    if (shuttingDown) return;
    if (!started) {
      failStart(new Error(`an HTTP worker stopped while starting (exit code ${code ?? signal})`));
      return;
    }
    const recent = restarts.record();
    if (recent > MAX_RESTARTS_PER_MINUTE) {
      log.fatal({ restarts: recent }, 'HTTP workers keep stopping; shutting down');
      void shutDown().finally(() => process.exit(1));
      return;
    }
    log.error({ worker: worker.id, code, signal }, 'an HTTP worker stopped; starting another');
    fork();
  });

  closeWithGrace({ delay: 20_000 }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error');
    else log.info({ signal }, 'shutting down');
    await shutDown();
  });

  serveClusterMetrics();
  for (let i = 0; i < config.webConcurrency; i += 1) fork();
  try {
    await ready;
  } catch (err) {
    await shutDown();
    throw err;
  }
  log.info(
    { address: [...addresses.values()][0], processes: config.webConcurrency, database: database.dialect },
    'Wardroom is listening',
  );
  printDemoCredentials(config);
}

/** An HTTP worker of the cluster: serves, and nothing else (the primary migrated and runs jobs). */
async function startHttpWorker(config: Config): Promise<void> {
  const database = openDatabase(config.database, serveDatabaseOptions(config));
  const app = await buildApp({ config, database });

  let closing = false;
  const grace = closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    closing = true;
    if (err) app.log.error({ err }, 'HTTP worker shutting down after an error');
    else app.log.debug({ signal }, 'HTTP worker shutting down');
    await app.close();
    await database.close();
  });
  process.on('message', (message) => {
    if (message === SHUT_DOWN && !closing) void grace.close();
  });

  const address = await app.listen({ port: config.port, host: config.host });
  app.log.debug({ address, worker: cluster.worker?.id }, 'HTTP worker listening');
  process.send?.({ type: LISTENING, address });
}

async function seedDemoIfEmpty(config: Config, database: Database, log: FastifyBaseLogger): Promise<void> {
  if (!config.demoMode) return;
  if ((await listOrganisations(database.db)).length > 0) return;
  const seeded = await seedDemo(database.db, { sessionSecret: config.sessionSecret });
  saveDemoCredentials(config.dataDir, seeded.credentials);
  log.info({ organisations: seeded.organisationsCreated }, 'demo data loaded');
}

/**
 * What runs once, not in every HTTP worker: the job worker with its schedules (unless
 * WARDROOM_WORKER=false), in this process or, in a cluster, in a process of its own at low
 * priority; and the SMTP listener for inbound mail (when configured), in this process.
 */
async function startBackgroundWork(
  config: Config,
  database: Database,
  log: FastifyBaseLogger,
  options: { jobs: 'this-process' | 'own-process' } = { jobs: 'this-process' },
): Promise<{ stop(): Promise<void> }> {
  // The job process builds its own senders (and logs which transport they use) from the same settings.
  const jobDeps = options.jobs === 'this-process' ? platformJobDeps(config) : undefined;
  if (jobDeps) log.info({ transport: jobDeps.mailTransport }, 'outgoing mail');
  const worker = !config.runWorker
    ? undefined
    : jobDeps
      ? startPlatformWorker(database, log.child({ component: 'jobs' }), jobDeps)
      : superviseJobProcess(log);
  const inboundMail = await startInboundMail({
    mailIn: config.mailIn,
    db: database.db,
    mailboxes: jobDeps?.mailboxes ?? createInboundMailboxes(config),
    logger: log.child({ component: 'mail-in' }),
  });
  return {
    async stop() {
      await inboundMail.stop();
      await worker?.stop();
    },
  };
}

/**
 * Runs `wardroom worker --low-priority` (the same entry as this process, so under tsx or from
 * bin/wardroom.js alike) and starts it again if it stops unexpectedly, at most
 * MAX_RESTARTS_PER_MINUTE times a minute, a second apart; past that it logs and leaves the jobs
 * queued (the HTTP workers go on taking enquiries). stop() asks it to finish its running jobs.
 */
function superviseJobProcess(log: FastifyBaseLogger): { stop(): Promise<void> } {
  const entry = process.argv[1];
  if (entry === undefined) throw new Error('cannot start the job process: this process has no script to run');
  let child: ChildProcess | undefined;
  let stopping = false;
  let restartTimer: NodeJS.Timeout | undefined;
  const restarts = restartCounter();

  const start = (): void => {
    const started = forkProcess(entry, ['worker', '--low-priority'], { stdio: 'inherit' });
    child = started;
    started.on('exit', (code, signal) => {
      if (stopping) return;
      const recent = restarts.record();
      if (recent > MAX_RESTARTS_PER_MINUTE) {
        log.fatal({ restarts: recent }, 'the job process keeps stopping; jobs stay queued until Wardroom is restarted');
        return;
      }
      log.error({ code, signal }, 'the job process stopped; starting another');
      restartTimer = setTimeout(start, 1000);
    });
  };
  start();

  return {
    async stop() {
      stopping = true;
      clearTimeout(restartTimer);
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
      if (running.connected) running.send(SHUT_DOWN);
      else running.kill('SIGTERM');
      await exited;
    },
  };
}

function printDemoCredentials(config: Config): void {
  if (!config.demoMode) return;
  const credentials = loadDemoCredentials(config.dataDir);
  if (credentials.length > 0) process.stdout.write(`${formatDemoCredentials(credentials, config.publicBaseUrl)}\n`);
}
