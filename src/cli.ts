// The `wardroom` command: serve, worker, migrate, seed-demo, user add, audit verify, demo-code, mail import,
// reports group, analyse.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { findOrganisationBySlug } from './platform/accounts/accounts.repository.ts';
import * as accounts from './platform/accounts/accounts.repository.ts';
import { recordAudit, verifyAuditChain, type AuditAnchor } from './platform/audit/audit.service.ts';
import { createAuthService } from './platform/auth/auth.service.ts';
import { totpCode, totpStep } from './platform/auth/totp.ts';
import { ConfigError, loadConfig, type Config } from './platform/config.ts';
import { openDatabase, type Database } from './platform/db/database.ts';
import { migrateToLatest } from './platform/db/migrate.ts';
import { formatDemoCredentials, loadDemoCredentials, saveDemoCredentials } from './platform/demo/demo-credentials.ts';
import { DEMO_ORGANISATIONS, seedDemo } from './platform/demo/seed-demo.ts';
import { runJobProcess } from './platform/job-process.ts';
import { createInboundMailboxes } from './platform/mail-in-runtime.ts';
import { describeImport, importMailFile } from './platform/mail-in/mail-import.ts';
import { ROLES, isRole } from './platform/policy/policy.ts';
import { importAffectedPeopleFile } from './modules/affected-people/affected-people.service.ts';
import { isDataCategory } from './modules/breaches/breach-record.ts';
import { CAMPAIGN_USAGE, runCampaignProgress } from './modules/notification-campaigns/campaign-progress-command.ts';
import { groupReportBacklog } from './modules/report-campaigns/report-grouping-job.ts';
import { ANALYSE_USAGE, runAnalyseCommand } from './modules/suspicious-messages/analyse-command.ts';
import { reportOutcomeNotifier } from './modules/suspicious-reports/suspicious-reports.service.ts';
import { startServer } from './server.ts';

const USAGE = `Usage: wardroom <command>

  serve                         start the platform (migrates, seeds the demo on an empty database)
  worker [--low-priority]       run the job worker on its own (--low-priority: at the lowest CPU priority,
                                so that HTTP processes on the same machine come first, as serve runs it)
  migrate                       bring the database schema up to date
  seed-demo                     load the demo councils, agencies and staff
  user add --email E --org O --role R [--role R2] [--name N]
                                create a staff account and print its one-time set-up link
  audit verify [--anchor N:HASH] check the audit log's hash chain (and earlier anchors); exits 1 naming
                                the first bad event
  demo-code --role R            print the current MFA code of a demo account (demo mode only)
  import affected-people --incident ID --council SLUG --categories a,b FILE.csv
                                import a council's file of affected people, printing progress; run it
                                again after a stop and it carries on where it stopped
  mail import [--mailbox M] [--to ADDRESS] FILE.eml [...]
                                store each message as inbound mail and process it; prints what became
                                of each (exits 1 if any was rejected or failed)
${CAMPAIGN_USAGE}
  reports group [--council SLUG] put every reported message not yet in a campaign in its campaign, a
                                batch to a transaction (run it again to carry on after a stop)
${ANALYSE_USAGE}`;

async function withDatabase<T>(config: Config, run: (database: Database) => Promise<T>): Promise<T> {
  const database = openDatabase(config.database);
  try {
    await migrateToLatest(database);
    return await run(database);
  } finally {
    await database.close();
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }

  switch (command) {
    case 'serve':
      await startServer(config);
      return -1; // keep running
    case 'worker': {
      const { values } = parseArgs({
        args: argv.slice(1),
        options: { 'low-priority': { type: 'boolean' } },
        strict: true,
      });
      await runJobProcess(config, { lowPriority: values['low-priority'] ?? false });
      return -1;
    }
    case 'migrate':
      return withDatabase(config, async (database) => {
        const applied = await migrateToLatest(database);
        process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'The database is up to date.\n');
        return 0;
      });
    case 'seed-demo':
      return withDatabase(config, async (database) => {
        const result = await seedDemo(database.db, { sessionSecret: config.sessionSecret });
        process.stdout.write(
          `Organisations added: ${result.organisationsCreated}. Demo staff added: ${result.credentials.length}.\n`,
        );
        if (config.demoMode && result.credentials.length > 0) {
          saveDemoCredentials(config.dataDir, result.credentials);
          process.stdout.write(`${formatDemoCredentials(result.credentials, config.publicBaseUrl)}\n`);
        }
        return 0;
      });
    case 'user': {
      if (sub !== 'add') break;
      const { values } = parseArgs({
        args: rest,
        options: {
          email: { type: 'string' },
          org: { type: 'string' },
          role: { type: 'string', multiple: true },
          name: { type: 'string' },
        },
        strict: true,
      });
      const roles = values.role ?? [];
      const problems: string[] = [];
      if (!values.email || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.email))
        problems.push('--email must be an email address');
      if (!values.org) problems.push('--org must name an organisation by its short name (e.g. westminster)');
      if (roles.length === 0 || !roles.every(isRole)) problems.push(`--role must be one of ${ROLES.join(', ')}`);
      if (problems.length) {
        process.stderr.write(`${problems.join('\n')}\n`);
        return 2;
      }
      return withDatabase(config, async (database) => {
        const org = await findOrganisationBySlug(database.db, values.org as string);
        if (!org) {
          process.stderr.write(`No organisation called "${values.org}". Run "wardroom seed-demo" or check the name.\n`);
          return 2;
        }
        const auth = createAuthService(database.db, { sessionSecret: config.sessionSecret });
        const email = values.email as string;
        const link = await database.db.transaction().execute(async (trx) => {
          if (await accounts.findUserRowByEmail(trx, email)) return null;
          const user = await accounts.insertUser(trx, {
            email,
            displayName: values.name ?? email.split('@')[0] ?? email,
            status: 'invited',
          });
          for (const role of roles.filter(isRole)) await accounts.addMembership(trx, user.id, org.id, role);
          await recordAudit(
            trx,
            { userId: null, label: 'cli' },
            {
              action: 'admin.user.invited',
              organisationId: org.id,
              targetType: 'user',
              targetId: user.id,
              details: { roles, email },
            },
          );
          return auth.issueSetupLink(user.id, null, trx);
        });
        if (!link) {
          process.stderr.write(`An account for ${email} already exists.\n`);
          return 2;
        }
        process.stdout.write(
          `Account created for ${email} (${roles.join(', ')} at ${org.name}).\nOne-time set-up link (valid until ${link.expiresAt}):\n${config.publicBaseUrl}/sign-in/set-up/${link.token}\n`,
        );
        return 0;
      });
    }
    case 'audit': {
      if (sub !== 'verify') break;
      const { values } = parseArgs({
        args: rest,
        options: { anchor: { type: 'string', multiple: true } },
        strict: true,
      });
      const anchors: AuditAnchor[] = [];
      for (const text of values.anchor ?? []) {
        const match = /^(\d+):([0-9a-f]{64})$/i.exec(text);
        if (!match) {
          process.stderr.write(`--anchor must look like 1234:<64 hex characters>, as printed by a previous verify\n`);
          return 2;
        }
        anchors.push({ seq: Number(match[1]), hash: match[2] as string });
      }
      return withDatabase(config, async (database) => {
        const result = await verifyAuditChain(database.db, anchors);
        if (result.ok) {
          process.stdout.write(
            `Audit log verified: ${result.events} events, chain intact${anchors.length ? `, ${anchors.length} anchor(s) match` : ''}.\n` +
              `Anchor: ${result.head.seq}:${result.head.hash}\n` +
              'Keep the anchor somewhere the database administrators cannot change it; verify with --anchor <it> later\n' +
              'proves that nothing up to that event has been rewritten since.\n',
          );
          return 0;
        }
        process.stderr.write(
          `Audit log verification FAILED at event ${result.seq}${result.id ? ` (${result.id})` : ''}: ${result.reason}. ${result.events} events before it are intact.\n`,
        );
        return 1;
      });
    }
    case 'demo-code': {
      const { values } = parseArgs({
        args: [sub ?? '', ...rest].filter(Boolean),
        options: { role: { type: 'string' } },
        strict: true,
      });
      if (!config.demoMode) {
        process.stderr.write('demo-code only works in demo mode.\n');
        return 2;
      }
      const credential = loadDemoCredentials(config.dataDir).find((c) => c.role === (values.role ?? 'admin'));
      if (!credential) {
        process.stderr.write('No demo credentials found for that role. Start the platform once with npm start.\n');
        return 2;
      }
      process.stdout.write(`${totpCode(credential.totpSecret, totpStep())}\n`);
      return 0;
    }
    case 'campaign': {
      if (sub !== 'progress') break;
      const { values, positionals } = parseArgs({
        args: rest,
        options: { watch: { type: 'boolean' } },
        allowPositionals: true,
        strict: true,
      });
      return withDatabase(config, (database) =>
        runCampaignProgress(database.db, positionals[0], {
          watch: values.watch === true,
          viaNotify: config.notifyApiKey !== undefined && config.notifyEmailTemplateId !== undefined,
          write: (text) => process.stdout.write(text),
        }),
      );
    }
    case 'mail': {
      if (sub !== 'import') break;
      const { values, positionals } = parseArgs({
        args: rest,
        options: { mailbox: { type: 'string' }, to: { type: 'string', multiple: true } },
        allowPositionals: true,
        strict: true,
      });
      if (positionals.length === 0) {
        process.stderr.write('Name at least one .eml file: wardroom mail import FILE.eml [...]\n');
        return 2;
      }
      const mailboxes = createInboundMailboxes(config);
      if (values.mailbox !== undefined && !mailboxes.byName(values.mailbox)) {
        process.stderr.write(
          `No mailbox called "${values.mailbox}". Mailboxes: ${mailboxes.names().join(', ') || 'none are set up'}.\n`,
        );
        return 2;
      }
      return withDatabase(config, async (database) => {
        let allProcessed = true;
        for (const file of positionals) {
          const result = await importMailFile({ db: database.db, mailboxes, maxBytes: config.mailIn.maxBytes }, file, {
            mailbox: values.mailbox,
            to: values.to,
          });
          if ('error' in result || result.status !== 'processed') allProcessed = false;
          process.stdout.write(`${describeImport(result)}\n`);
        }
        return allProcessed ? 0 : 1;
      });
    }
    case 'import': {
      if (sub !== 'affected-people') break;
      const { values, positionals } = parseArgs({
        args: rest,
        options: { incident: { type: 'string' }, council: { type: 'string' }, categories: { type: 'string' } },
        allowPositionals: true,
        strict: true,
      });
      const categories = (values.categories ?? '').split(',').filter(Boolean);
      if (
        !values.incident ||
        !values.council ||
        positionals.length !== 1 ||
        !categories.every(isDataCategory) ||
        !categories.length
      ) {
        process.stderr.write(
          'Usage: wardroom import affected-people --incident ID --council SLUG --categories a,b FILE.csv\n',
        );
        return 2;
      }
      return withDatabase(config, async (database) => {
        const org = await findOrganisationBySlug(database.db, values.council as string);
        if (!org) {
          process.stderr.write(`No organisation called "${values.council}".\n`);
          return 2;
        }
        const file = path.resolve(positionals[0] as string);
        const result = await importAffectedPeopleFile(database, {
          incidentId: values.incident as string,
          organisationId: org.id,
          file,
          categories: categories.filter(isDataCategory),
          onProgress: (line) => process.stdout.write(`${line}\n`),
        });
        process.stdout.write(`${result}\n`);
        return 0;
      });
    }
    case 'reports': {
      if (sub !== 'group') break;
      const { values } = parseArgs({ args: rest, options: { council: { type: 'string' } } });
      return withDatabase(config, async (database) => {
        let organisationId: string | undefined;
        if (values.council) {
          organisationId = (await findOrganisationBySlug(database.db, values.council))?.id;
          if (!organisationId) {
            process.stderr.write(`No council ${values.council}\n`);
            return 2;
          }
        }
        const grouped = await groupReportBacklog(database.db, {
          organisationId,
          // Reports joining a campaign an analyst has decided on: their reporters hear the outcome.
          onOutcome: reportOutcomeNotifier({ publicBaseUrl: config.publicBaseUrl }),
          progress: (done, total) => void process.stderr.write(`grouped ${done} of ${total}\n`),
        });
        process.stdout.write(`Reports grouped into campaigns: ${grouped}.\n`);
        return 0;
      });
    }
    case 'analyse': {
      const code = await runAnalyseCommand(argv.slice(1), {
        write: (line) => process.stdout.write(`${line}\n`),
        error: (line) => process.stderr.write(`${line}\n`),
        organisations: DEMO_ORGANISATIONS,
      });
      // process.exit would drop what a pipe has not taken yet: wait until it has all gone.
      await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
      return code;
    }
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(USAGE);
      return 0;
  }
  process.stderr.write(`Unknown command: ${[command, sub].filter(Boolean).join(' ')}\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
