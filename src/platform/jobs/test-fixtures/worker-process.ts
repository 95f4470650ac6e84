// A job worker in a process of its own, for tests that kill it. The database comes through argv:
//   --url sqlite:/path/test.sqlite | --url postgres://... --schema test_schema
//   --worker-id child-1 --lease-ms 1000 --poll-ms 50
// It logs JSON lines to stdout, including {"msg":"ready"} once the worker has started.
import { parseArgs } from 'node:util';
import { JobHandlerRegistry } from '../job-handlers.ts';
import { startJobWorker, type JobLogger } from '../job-worker.ts';
import { CRASH_TEST_KIND, effectThenHangHandler } from './crash-test-handler.ts';
import { openTestConnection } from './open-test-connection.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    schema: { type: 'string' },
    'worker-id': { type: 'string' },
    'lease-ms': { type: 'string', default: '1000' },
    'poll-ms': { type: 'string', default: '50' },
  },
});
if (!values.url || !values['worker-id']) {
  console.error(
    'usage: worker-process.ts --url <url> [--schema <schema>] --worker-id <id> [--lease-ms n] [--poll-ms n]',
  );
  process.exit(2);
}
const workerId = values['worker-id'];

const write =
  (level: string) =>
  (details: Record<string, unknown>, msg: string): void => {
    const err = details['err'] instanceof Error ? { err: details['err'].message } : {};
    process.stdout.write(`${JSON.stringify({ level, msg, ...details, ...err })}\n`);
  };
const logger: JobLogger = { info: write('info'), warn: write('warn'), error: write('error') };

const database = openTestConnection({ url: values.url, schema: values.schema });
const handlers = new JobHandlerRegistry().register(CRASH_TEST_KIND, effectThenHangHandler(workerId));
const worker = startJobWorker({
  database,
  handlers,
  logger,
  workerId,
  concurrency: 1,
  leaseMs: Number(values['lease-ms']),
  pollIntervalMs: Number(values['poll-ms']),
  stopTimeoutMs: 500,
});
logger.info({ workerId }, 'ready');

// The crash test uses SIGKILL, which cannot be caught; a polite stop is for cleaning up.
process.once('SIGTERM', () => {
  void worker
    .stop()
    .then(() => database.close())
    .then(() => process.exit(0));
});
