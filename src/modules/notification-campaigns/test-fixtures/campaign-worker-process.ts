// The real job worker with the campaign jobs, in a process of its own, for the crash test that
// kills it: --url sqlite:/path | --url postgres://… --schema s, --smtp-port N, --lease-ms N.
import { parseArgs } from 'node:util';
import { JobHandlerRegistry } from '../../../platform/jobs/job-handlers.ts';
import { startJobWorker } from '../../../platform/jobs/job-worker.ts';
import { openTestConnection } from '../../../platform/jobs/test-fixtures/open-test-connection.ts';
import { registerCampaignJobs } from '../campaign-jobs.ts';
import { createCampaignSmtpSender } from '../campaign-smtp.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    schema: { type: 'string' },
    'smtp-port': { type: 'string' },
    'lease-ms': { type: 'string', default: '1000' },
  },
});
const database = openTestConnection({ url: values.url as string, schema: values.schema });
const registry = new JobHandlerRegistry();
registerCampaignJobs(registry, {
  senders: {
    email: createCampaignSmtpSender(
      {
        host: '127.0.0.1',
        port: Number(values['smtp-port']),
        secure: false,
        user: undefined,
        password: undefined,
        from: 'Council <notices@example.gov.uk>',
      },
      { connections: 8 },
    ),
    sms: undefined,
  },
  queueBatchSize: 2000,
});
const quiet = () => undefined;
startJobWorker({
  database,
  handlers: registry,
  logger: { info: quiet, warn: quiet, error: (d, m) => process.stderr.write(`${m} ${JSON.stringify(d)}\n`) },
  leaseMs: Number(values['lease-ms']),
  pollIntervalMs: 50,
});
process.stdout.write('ready\n');
