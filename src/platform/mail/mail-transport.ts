// Chooses how the platform's email goes out: GOV.UK Notify when it has a key and a generic email
// template, else the council's SMTP server, else nowhere. With nowhere, the platform still
// starts (a council may run it before mail is set up); each send then fails permanently with
// a message that says what to configure, and the failed mail jobs can be retried once it is.
import type { Config } from '../config.ts';
import { PermanentDeliveryError, type MailSender } from './mail-sender.ts';
import { createNotifyClient } from './notify-client.ts';
import { createNotifyMailSender } from './notify-mail-sender.ts';
import { createSmtpSender } from './smtp-sender.ts';

export interface MailTransportOptions {
  /** The Notify template with ((subject)) and ((body)) placeholders. */
  notifyEmailTemplateId?: string | undefined;
  notifyEmailReplyToId?: string | undefined;
  notifyBaseUrl?: string | undefined;
  /** How long to wait on the provider for one step of a send. */
  timeoutMs?: number | undefined;
}

export type MailTransport = 'notify' | 'smtp' | 'none';

export interface ConfiguredMailSender extends MailSender {
  /** Which transport was chosen, for the start-up log. */
  readonly transport: MailTransport;
}

export class MailNotConfiguredError extends PermanentDeliveryError {
  constructor(message: string) {
    super(message);
    this.name = 'MailNotConfiguredError';
  }
}

export function createMailSender(
  config: Pick<Config, 'smtp' | 'notifyApiKey'>,
  options: MailTransportOptions = {},
): ConfiguredMailSender {
  if (config.notifyApiKey !== undefined && options.notifyEmailTemplateId !== undefined) {
    const client = createNotifyClient({
      apiKey: config.notifyApiKey,
      baseUrl: options.notifyBaseUrl,
      timeoutMs: options.timeoutMs,
    });
    const sender = createNotifyMailSender(client, {
      templateId: options.notifyEmailTemplateId,
      emailReplyToId: options.notifyEmailReplyToId,
    });
    return { transport: 'notify', send: (message) => sender.send(message) };
  }
  if (config.smtp !== undefined) {
    const sender = createSmtpSender(config.smtp, { timeoutMs: options.timeoutMs });
    return {
      transport: 'smtp',
      send: (message) => sender.send(message),
      close: () => sender.close?.() ?? Promise.resolve(),
    };
  }
  const reason =
    config.notifyApiKey === undefined
      ? 'No mail transport is configured: set SMTP_HOST and SMTP_FROM, or NOTIFY_API_KEY and NOTIFY_EMAIL_TEMPLATE_ID'
      : 'No mail transport is configured: NOTIFY_API_KEY is set but NOTIFY_EMAIL_TEMPLATE_ID (the generic email template) is not, and SMTP_HOST is not set';
  return {
    transport: 'none',
    send: async () => {
      throw new MailNotConfiguredError(reason);
    },
  };
}
