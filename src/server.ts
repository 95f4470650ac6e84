// Starts the platform: migrate, seed the demo on an empty database, listen, run the job worker,
// and shut down gracefully on SIGINT/SIGTERM. Nothing else.
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.ts';
import type { Config } from './platform/config.ts';
import { openDatabase } from './platform/db/database.ts';
import { migrateToLatest } from './platform/db/migrate.ts';
import { formatDemoCredentials, loadDemoCredentials, saveDemoCredentials } from './platform/demo/demo-credentials.ts';
import { seedDemo } from './platform/demo/seed-demo.ts';
import { listOrganisations } from './platform/accounts/accounts.repository.ts';
import { platformJobDeps, startPlatformWorker } from './platform/jobs-runtime.ts';
import { startInboundMail } from './platform/mail-in-runtime.ts';

export async function startServer(config: Config): Promise<void> {
  const database = openDatabase(config.database);
  await migrateToLatest(database);
  const app = await buildApp({ config, database });

  if (config.demoMode) {
    if ((await listOrganisations(database.db)).length === 0) {
      const seeded = await seedDemo(database.db, { sessionSecret: config.sessionSecret });
      saveDemoCredentials(config.dataDir, seeded.credentials);
      app.log.info({ organisations: seeded.organisationsCreated }, 'demo data loaded');
    }
  }

  const jobDeps = platformJobDeps(config);
  app.log.info({ transport: jobDeps.mailTransport }, 'outgoing mail');
  const worker = config.runWorker
    ? startPlatformWorker(database, app.log.child({ component: 'jobs' }), jobDeps)
    : undefined;
  // The SMTP listener for inbound mail, when configured. One process only: with several processes,
  // call this in just one of them.
  const inboundMail = await startInboundMail({
    mailIn: config.mailIn,
    db: database.db,
    mailboxes: jobDeps.mailboxes,
    logger: app.log.child({ component: 'mail-in' }),
  });

  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    else app.log.info({ signal }, 'shutting down');
    await inboundMail.stop();
    await worker?.stop();
    await app.close();
    await database.close();
  });

  const address = await app.listen({ port: config.port, host: config.host });
  app.log.info({ address, database: database.dialect }, 'Wardroom is listening');
  if (config.demoMode) {
    const credentials = loadDemoCredentials(config.dataDir);
    if (credentials.length > 0) process.stdout.write(`${formatDemoCredentials(credentials, config.publicBaseUrl)}\n`);
  }
}
