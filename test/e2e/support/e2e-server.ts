// The real app for browser journeys: buildApp on a fresh SQLite file with the demo data, listening
// on 127.0.0.1 over HTTP, its job worker sending email to a real SMTP server in this process, its
// own SMTP listener taking inbound mail, and the `wardroom` command pointed at the same database.
import { execFile } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '../../../src/platform/db/test-databases.ts';
import { seedDemo, type DemoCredential } from '../../../src/platform/demo/seed-demo.ts';
import { createTestApp, TEST_SESSION_SECRET, type TestApp } from '../../../src/platform/testing/test-app.ts';
import type { Role } from '../../../src/platform/policy/policy.ts';
import { platformJobDeps, startPlatformWorker } from '../../../src/platform/jobs-runtime.ts';
import { startInboundMail } from '../../../src/platform/mail-in-runtime.ts';
import { createMemoryLogger } from '../../../src/platform/jobs/test-fixtures/memory-logger.ts';
import { startSmtpTestServer, type SmtpTestServer } from '../../../src/platform/mail/test-fixtures/smtp-test-server.ts';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const run = promisify(execFile);

export interface E2eServer {
  /** Where the browser goes, e.g. http://127.0.0.1:40123 (no trailing slash). */
  baseUrl: string;
  database: TestDatabase;
  /** The mail server the app sends through: what residents' inboxes received. */
  smtp: SmtpTestServer;
  /** The port of the app's own SMTP listener for inbound mail (enquiry mailboxes). */
  mailInPort: number;
  /** The demo staff accounts seeded into this server's database. */
  demo(role: Role): DemoCredential;
  /** Runs `wardroom <args>` as its own process on this server's database; resolves with its stdout. */
  cli(args: string[]): Promise<string>;
  close(): Promise<void>;
}

export async function startE2eServer(): Promise<E2eServer> {
  const database = await createTestDatabase('sqlite');
  const smtp = await startSmtpTestServer();
  let testApp: TestApp | undefined;
  let worker: { stop(): Promise<void> } | undefined;
  try {
    const seeded = await seedDemo(database.db, { sessionSecret: TEST_SESSION_SECRET });
    // The app's public address is where the browser finds it, so the links in its emails work.
    const port = await freePort();
    const mailInPort = await freePort();
    testApp = await createTestApp(database, {
      env: {
        PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
        MAIL_IN_SMTP_PORT: String(mailInPort),
        SMTP_HOST: smtp.config.host,
        SMTP_PORT: String(smtp.config.port),
        SMTP_FROM: smtp.config.from,
      },
    });
    const baseUrl = (await testApp.app.listen({ port, host: '127.0.0.1' })).replace(/\/$/, '');
    const app = testApp;
    const deps = platformJobDeps(app.config);
    const logger = createMemoryLogger();
    const jobWorker = startPlatformWorker(database, logger, deps);
    const inbound = await startInboundMail({
      mailIn: app.config.mailIn,
      db: database.db,
      mailboxes: deps.mailboxes,
      logger,
    });
    const background = {
      async stop() {
        await inbound.stop();
        await jobWorker.stop();
      },
    };
    worker = background;
    return {
      baseUrl,
      database,
      smtp,
      mailInPort,
      demo(role) {
        const credential = seeded.credentials.find((c) => c.role === role);
        if (!credential) throw new Error(`the demo data has no ${role} account`);
        return credential;
      },
      async cli(args) {
        const env = {
          PATH: process.env['PATH'] ?? '/usr/bin:/bin',
          HOME: process.env['HOME'] ?? app.config.dataDir,
          NODE_ENV: 'test',
          WARDROOM_DATA_DIR: app.config.dataDir,
          DATABASE_URL: database.connection.url,
          SESSION_SECRET: TEST_SESSION_SECRET,
          PUBLIC_BASE_URL: baseUrl,
          LOG_LEVEL: 'silent',
        };
        try {
          const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
            cwd: repositoryRoot,
            env,
            timeout: 30_000,
          });
          return stdout;
        } catch (err) {
          const failed = err as Error & { code?: number; stdout?: string; stderr?: string };
          throw new Error(
            `wardroom ${args.join(' ')} failed (exit ${String(failed.code)}):\n${failed.stderr ?? ''}${failed.stdout ?? ''}`,
          );
        }
      },
      async close() {
        await background.stop();
        await app.close();
        await smtp.close();
        await database.close();
      },
    };
  } catch (err) {
    await worker?.stop();
    await testApp?.close();
    await smtp.close();
    await database.close();
    throw err;
  }
}

/** A port nothing listens on now, found by asking the system for one and letting it go. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
