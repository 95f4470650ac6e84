// The job handlers the platform knows, and the worker with its schedules. Capabilities register
// their handlers here as they arrive.
import type { Database } from './db/database.ts';
import { registerHousekeeping, scheduleHousekeeping } from './housekeeping/housekeeping.ts';
import { JobHandlerRegistry } from './jobs/job-handlers.ts';
import { startJobWorker, type JobLogger } from './jobs/job-worker.ts';
import { registerMailJobs } from './mail/mail-jobs.ts';
import type { MailSender } from './mail/mail-sender.ts';
import { createMailSender } from './mail/mail-transport.ts';
import { DEFAULT_INBOUND_MAIL_MAX_BYTES, type Config, type MailInConfig } from './config.ts';
import { createInboundMailboxes, registerMailInJobs } from './mail-in-runtime.ts';
import { scheduleImapPolls } from './mail-in/imap-poller.ts';
import { InboundMailboxes } from './mail-in/inbound-mailboxes.ts';
import { registerSmsJobs } from './sms/sms-jobs.ts';
import { createSmsSender, type SmsSender } from './sms/sms-sender.ts';
import { registerSubscriptionJobs } from '../modules/subscriptions/subscription-jobs.ts';
import { registerEnquiryRetention, requestRetention } from '../modules/enquiries/enquiry-retention.ts';
import { registerEnquiryReplyJobs } from '../modules/enquiries/enquiry-reply-jobs.ts';
import { registerReportGroupingJob } from '../modules/report-campaigns/report-grouping-job.ts';
import { registerNcscForwardJob, type NcscForwarding } from '../modules/report-campaigns/ncsc-forwarding.ts';
import { registerAffectedCheckJobs } from '../modules/affected-check/affected-check-jobs.ts';
import { registerAffectedImportJobs } from '../modules/affected-people/affected-import-jobs.ts';
import { registerCampaignJobs } from '../modules/notification-campaigns/campaign-jobs.ts';
import { createCampaignSenders, type CampaignSenders } from '../modules/notification-campaigns/campaign-senders.ts';
import { reportOutcomeNotifier } from '../modules/suspicious-reports/suspicious-reports.service.ts';

export interface PlatformJobDeps {
  mailSender: MailSender;
  /** Undefined when text messages are not configured. */
  smsSender?: SmsSender | undefined;
  /** The mailboxes inbound mail is handed to; none when not given. */
  mailboxes?: InboundMailboxes | undefined;
  /** Inbound mail settings (the IMAP accounts to poll); none polled when not given. */
  mailIn?: MailInConfig | undefined;
  /** Where and through which SMTP server reported messages go to the NCSC; not sent without SMTP. */
  ncsc?: NcscForwarding | undefined;
  /** Opens what jobs hold sealed (the "Were you affected?" contact); those jobs fail without it. */
  sessionSecret?: string | undefined;
  /** How breach notification campaigns send (SMTP or Notify for email, Notify for texts); not sent when not given. */
  campaignSenders?: CampaignSenders | undefined;
  /** The public site's address, for links in the emails jobs queue (reporters' outcome emails). */
  publicBaseUrl: string;
}

export function createJobHandlers(deps: PlatformJobDeps): JobHandlerRegistry {
  const handlers = new JobHandlerRegistry();
  registerHousekeeping(handlers);
  registerMailJobs(handlers, { sender: deps.mailSender });
  registerSmsJobs(handlers, { sender: deps.smsSender });
  registerMailInJobs(handlers, {
    mailboxes: deps.mailboxes ?? new InboundMailboxes(),
    mailIn: deps.mailIn ?? { maxBytes: DEFAULT_INBOUND_MAIL_MAX_BYTES, smtp: undefined, imap: [], imapPollSeconds: 60 },
  });
  // Capabilities.
  registerSubscriptionJobs(handlers, { smsAvailable: deps.smsSender !== undefined });
  registerEnquiryRetention(handlers);
  registerEnquiryReplyJobs(handlers);
  // A report joining a campaign an analyst has decided on: its reporter hears the outcome, if they asked.
  registerReportGroupingJob(handlers, { onOutcome: reportOutcomeNotifier({ publicBaseUrl: deps.publicBaseUrl }) });
  registerNcscForwardJob(handlers, deps.ncsc);
  if (deps.sessionSecret !== undefined) {
    registerAffectedCheckJobs(handlers, {
      sessionSecret: deps.sessionSecret,
      publicBaseUrl: deps.publicBaseUrl,
      mailSender: deps.mailSender,
      smsSender: deps.smsSender,
    });
  }
  registerAffectedImportJobs(handlers);
  if (deps.campaignSenders) registerCampaignJobs(handlers, { senders: deps.campaignSenders });
  return handlers;
}

/** Starts a worker with the platform's handlers and its recurring jobs; stop() ends both. */
export function startPlatformWorker(
  database: Database,
  logger: JobLogger,
  deps: PlatformJobDeps,
): { stop(): Promise<void> } {
  const worker = startJobWorker({ database, handlers: createJobHandlers(deps), logger });
  const schedule = scheduleHousekeeping(
    database.db,
    (err) => logger.error({ err }, 'could not request a recurring job'),
    [requestRetention],
  );
  const imapPolls = scheduleImapPolls(database.db, deps.mailIn?.imap ?? [], deps.mailIn?.imapPollSeconds ?? 60, (err) =>
    logger.error({ err }, 'could not request IMAP polls'),
  );
  return {
    async stop() {
      schedule.stop();
      imapPolls.stop();
      await worker.stop();
      await deps.mailSender.close?.();
      await deps.campaignSenders?.email?.close();
      await deps.campaignSenders?.sms?.close();
    },
  };
}

/** What the job handlers need, from the configuration: SMTP or GOV.UK Notify for mail, Notify for text messages. */
export function platformJobDeps(
  config: Config,
): PlatformJobDeps & { mailTransport: string; mailboxes: InboundMailboxes } {
  const mailSender = createMailSender(config, {
    notifyEmailTemplateId: config.notifyEmailTemplateId,
    notifyEmailReplyToId: config.notifyEmailReplyToId,
    notifyBaseUrl: config.notifyBaseUrl,
  });
  return {
    mailSender,
    mailTransport: mailSender.transport,
    smsSender: createSmsSender(config),
    mailboxes: createInboundMailboxes(config),
    mailIn: config.mailIn,
    ncsc: config.smtp ? { smtp: config.smtp, address: config.ncscReportAddress } : undefined,
    sessionSecret: config.sessionSecret,
    publicBaseUrl: config.publicBaseUrl,
    campaignSenders: createCampaignSenders(config),
  };
}
