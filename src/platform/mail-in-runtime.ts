// Inbound mail, wired: the mailboxes capabilities register, the jobs that process mail and poll
// IMAP accounts, and the SMTP listener. Capabilities register their mailboxes here as they arrive.
import type { Kysely } from 'kysely';
import type { Config, MailInConfig } from './config.ts';
import type { DB } from './db/schema.ts';
import type { JobHandlerRegistry } from './jobs/job-handlers.ts';
import type { JobLogger } from './jobs/job-worker.ts';
import { registerImapPolling } from './mail-in/imap-poller.ts';
import { InboundMailboxes } from './mail-in/inbound-mailboxes.ts';
import { registerMailInProcessing } from './mail-in/inbound-mail-processing.ts';
import { startSmtpListener, type SmtpListener } from './mail-in/smtp-listener.ts';
import { createEnquiryMailbox } from '../modules/enquiries/enquiry-mailbox.ts';
import { createReportMailbox } from '../modules/suspicious-reports/report-mailbox.ts';

/** Every mailbox that takes inbound mail. */
export function createInboundMailboxes(config: Config): InboundMailboxes {
  const mailboxes = new InboundMailboxes();
  // Capabilities.
  mailboxes.register(createEnquiryMailbox({ publicBaseUrl: config.publicBaseUrl }));
  mailboxes.register(createReportMailbox({ publicBaseUrl: config.publicBaseUrl }));
  return mailboxes;
}

export function registerMailInJobs(
  handlers: JobHandlerRegistry,
  deps: { mailboxes: InboundMailboxes; mailIn: MailInConfig },
): void {
  registerMailInProcessing(handlers, { mailboxes: deps.mailboxes });
  registerImapPolling(handlers, { accounts: deps.mailIn.imap, maxBytes: deps.mailIn.maxBytes });
}

/**
 * Starts the SMTP listener when MAIL_IN_SMTP_PORT is set. Run it in one process only (one port);
 * workers in any process store nothing from SMTP and need only the job handlers.
 */
export async function startInboundMail(options: {
  mailIn: MailInConfig;
  db: Kysely<DB>;
  mailboxes: InboundMailboxes;
  logger: JobLogger;
}): Promise<{ smtp: SmtpListener | undefined; stop(): Promise<void> }> {
  const { mailIn } = options;
  const smtp = mailIn.smtp
    ? await startSmtpListener({
        db: options.db,
        mailboxes: options.mailboxes,
        config: mailIn.smtp,
        maxBytes: mailIn.maxBytes,
        logger: options.logger,
      })
    : undefined;
  return { smtp, stop: async () => smtp?.stop() };
}
