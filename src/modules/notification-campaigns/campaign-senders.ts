// How campaign messages leave: email over the council's SMTP relay (campaign-smtp.ts) or GOV.UK
// Notify, text messages through Notify. A Notify send records its hand-over before the request; a
// request whose answer is lost is found again later by its reference (GET /v2/notifications?
// reference=), which holds no personal data. Notify's explicit refusals (429 rate limit, 5xx) mean
// it did not take the message, so it can be tried again.
import type { Config } from '../../platform/config.ts';
import { PermanentDeliveryError, TemporaryDeliveryError } from '../../platform/mail/mail-sender.ts';
import { createNotifyClient, type NotifyClient } from '../../platform/mail/notify-client.ts';
import { createCampaignSmtpSender, type SendOutcome } from './campaign-smtp.ts';

export type { SendOutcome } from './campaign-smtp.ts';

export interface CampaignOutbound {
  to: string;
  subject: string;
  text: string;
  reference: string;
}

export interface CampaignChannelSender {
  provider: 'smtp' | 'notify';
  /** Sends, calling `handOver` at the point after which the message may have gone. */
  send(message: CampaignOutbound, handOver: () => Promise<void>): Promise<SendOutcome>;
  /** Notify only: whether it took a message with this reference, and its id and status. */
  lookup?(reference: string): Promise<{ providerId: string; status: string } | undefined>;
  close(): Promise<void>;
}

export interface CampaignSenders {
  email: CampaignChannelSender | undefined;
  sms: CampaignChannelSender | undefined;
}

export function createNotifyCampaignSender(
  client: NotifyClient,
  options: {
    channel: 'email' | 'sms';
    templateId: string;
    replyToId?: string | undefined;
    smsSenderId?: string | undefined;
  },
): CampaignChannelSender {
  return {
    provider: 'notify',
    async send(message, handOver) {
      await handOver();
      try {
        const sent =
          options.channel === 'email'
            ? await client.sendEmail({
                templateId: options.templateId,
                emailAddress: message.to,
                personalisation: { subject: message.subject, body: message.text },
                reference: message.reference,
                emailReplyToId: options.replyToId,
              })
            : await client.sendSms({
                templateId: options.templateId,
                phoneNumber: message.to,
                personalisation: { body: message.text },
                reference: message.reference,
                smsSenderId: options.smsSenderId,
              });
        return { kind: 'sent', providerId: sent.id };
      } catch (error) {
        const text = error instanceof Error ? error.message : String(error);
        if (
          (error instanceof TemporaryDeliveryError || error instanceof PermanentDeliveryError) &&
          error.status !== undefined
        ) {
          // Notify answered and refused: it did not take the message.
          return {
            kind: 'failed',
            temporary: error instanceof TemporaryDeliveryError,
            status: error.status,
            error: text,
            handedOver: true,
          };
        }
        if (error instanceof PermanentDeliveryError || error instanceof TemporaryDeliveryError) {
          // No answer, or one that cannot be read: Notify may have taken it. Asked again later.
          return { kind: 'unknown', error: text };
        }
        return { kind: 'failed', temporary: false, status: undefined, error: text, handedOver: true };
      }
    },
    async lookup(reference) {
      const [found] = await client.findByReference(reference);
      return found && { providerId: found.id, status: found.status };
    },
    close: async () => undefined,
  };
}

/** The senders this configuration allows: Notify when its key and template are set, else SMTP. */
export function createCampaignSenders(config: Config): CampaignSenders {
  const client =
    config.notifyApiKey === undefined
      ? undefined
      : createNotifyClient({ apiKey: config.notifyApiKey, baseUrl: config.notifyBaseUrl });
  const email =
    client && config.notifyEmailTemplateId
      ? createNotifyCampaignSender(client, {
          channel: 'email',
          templateId: config.notifyEmailTemplateId,
          replyToId: config.notifyEmailReplyToId,
        })
      : config.smtp
        ? createCampaignSmtpSender(config.smtp)
        : undefined;
  const sms =
    client && config.notifySmsTemplateId
      ? createNotifyCampaignSender(client, {
          channel: 'sms',
          templateId: config.notifySmsTemplateId,
          smsSenderId: config.notifySmsSenderId,
        })
      : undefined;
  return { email, sms };
}
