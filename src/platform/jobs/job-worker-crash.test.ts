// The case leases exist for: a worker process dies (SIGKILL: no shutdown, no clean-up) after its
// job changed something and before the job was marked done. Another worker must run the job again
// once the lease runs out, and the change must not be made a second time.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { before, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { describeEachDatabase, type TestDatabase } from '../db/test-databases.ts';
import { JobHandlerRegistry } from './job-handlers.ts';
import { enqueueJob } from './job-queue.ts';
import { startJobWorker } from './job-worker.ts';
import { countJobEffects, findJob } from './jobs.repository.ts';
import { CRASH_TEST_KIND, effectThenHangHandler, type CrashTestRun } from './test-fixtures/crash-test-handler.ts';
import { createEffectLog, readEffectLog } from './test-fixtures/effect-log.ts';
import { createMemoryLogger } from './test-fixtures/memory-logger.ts';
import { waitFor } from './test-fixtures/wait-for.ts';

const projectRoot = fileURLToPath(new URL('../../../', import.meta.url));
const LEASE_MS = 1000;

interface WorkerChild {
  process: ChildProcess;
  /** Everything it printed, for the failure message when it does not do what the test expects. */
  output(): string;
}

function spawnWorkerProcess(t: TestContext, connection: TestDatabase['connection'], workerId: string): WorkerChild {
  const args = ['--url', connection.url, '--worker-id', workerId, '--lease-ms', String(LEASE_MS), '--poll-ms', '50'];
  if (connection.schema) args.push('--schema', connection.schema);
  // The test runner marks its own children; the worker is not one of them.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/platform/jobs/test-fixtures/worker-process.ts', ...args],
    { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  t.after(() => {
    if (isRunning(child)) child.kill('SIGKILL');
  });
  return { process: child, output: () => output };
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

async function killHard(child: ChildProcess): Promise<void> {
  if (!isRunning(child)) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

describeEachDatabase('job worker after a crash', (database) => {
  before(() => createEffectLog(database().db));

  test('a job whose worker process was killed runs again once its lease expires, and its effect is applied once', async (t) => {
    const { db, connection } = database();
    const id = await enqueueJob(db, { kind: CRASH_TEST_KIND, payload: { recipient: 'resident-1' } });

    const child = spawnWorkerProcess(t, connection, 'child-1');
    await waitFor(
      'the worker process to apply the effect',
      async () => {
        if (!isRunning(child.process)) throw new Error(`The worker process exited early:\n${child.output()}`);
        return (await readEffectLog(db, id)).length > 0;
      },
      { timeoutMs: 20_000, intervalMs: 50 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nWorker process output:\n${child.output()}`);
    });

    await killHard(child.process);
    assert.equal(child.process.signalCode, 'SIGKILL');
    // Read after the kill: until then the child kept renewing its lease.
    const abandoned = await findJob(db, id);
    assert.equal(abandoned?.status, 'running');
    assert.equal(abandoned?.attempts, 1);
    assert.match(abandoned?.leaseOwner ?? '', /^child-1\//);
    const leaseExpiredAtMs = Date.parse(abandoned?.leaseExpiresAt ?? '');

    const runs: CrashTestRun[] = [];
    const worker = startJobWorker({
      database: database(),
      handlers: new JobHandlerRegistry().register(
        CRASH_TEST_KIND,
        effectThenHangHandler('in-process', (run) => runs.push(run)),
      ),
      logger: createMemoryLogger(),
      workerId: 'in-process',
      leaseMs: LEASE_MS,
      pollIntervalMs: 50,
    });
    t.after(() => worker.stop());

    const done = await waitFor(
      'the job to succeed on the second worker',
      async () => {
        const job = await findJob(db, id);
        return job?.status === 'succeeded' ? job : undefined;
      },
      { timeoutMs: 10_000 },
    );
    assert.equal(done.attempts, 2);
    assert.match(done.leaseOwner ?? '', /^in-process\//);

    assert.equal(runs.length, 1);
    assert.equal(runs[0]?.attempt, 2);
    assert.equal(runs[0]?.appliedEffect, false, 'the second run found the effect already applied');
    assert.ok(
      (runs[0]?.startedAtMs ?? 0) >= leaseExpiredAtMs,
      'the job was not taken over before the dead worker’s lease expired',
    );

    const effects = await readEffectLog(db, id);
    assert.equal(effects.length, 1);
    assert.equal(effects[0]?.workerId, 'child-1');
    assert.equal(effects[0]?.attempt, 1);
    assert.equal(await countJobEffects(db, id), 1);
  });
});
