// Text messages go out only through GOV.UK Notify: councils have no SMS gateway of their own to
// configure. Notify sends from templates, so the service has one text message template whose body
// is ((body)), which this fills in. Without a Notify key and that template there is no sender, and
// the platform does not offer text messages at all.
import type { Config } from '../config.ts';
import type { SentMail } from '../mail/mail-sender.ts';
import { createNotifyClient, type NotifyClient } from '../mail/notify-client.ts';
import { parseOutboundSms, type OutboundSms } from './outbound-sms.ts';

export interface SmsSender {
  /**
   * Sends one text message. Resolves once Notify has accepted it, which is not delivery. Rejects
   * with TemporaryDeliveryError, PermanentDeliveryError or InvalidMessageError, as mail does.
   */
  send(message: OutboundSms): Promise<SentMail>;
}

export function createNotifySmsSender(
  client: NotifyClient,
  options: { templateId: string; smsSenderId?: string | undefined },
): SmsSender {
  return {
    async send(input) {
      const message = parseOutboundSms(input);
      const sent = await client.sendSms({
        templateId: options.templateId,
        phoneNumber: message.to,
        personalisation: { body: message.body },
        reference: message.reference,
        smsSenderId: options.smsSenderId,
      });
      return { providerId: sent.id };
    },
  };
}

/** The configured sender, or undefined when Notify's key or text message template is not set. */
export function createSmsSender(
  config: Pick<Config, 'notifyApiKey' | 'notifySmsTemplateId' | 'notifySmsSenderId' | 'notifyBaseUrl'>,
  options: { timeoutMs?: number | undefined } = {},
): SmsSender | undefined {
  if (!smsConfigured(config) || config.notifyApiKey === undefined || config.notifySmsTemplateId === undefined) {
    return undefined;
  }
  const client = createNotifyClient({
    apiKey: config.notifyApiKey,
    baseUrl: config.notifyBaseUrl,
    timeoutMs: options.timeoutMs,
  });
  return createNotifySmsSender(client, {
    templateId: config.notifySmsTemplateId,
    smsSenderId: config.notifySmsSenderId,
  });
}

/** Whether text messages can be sent with this configuration; features offer them only then. */
export function smsConfigured(config: Pick<Config, 'notifyApiKey' | 'notifySmsTemplateId'>): boolean {
  return config.notifyApiKey !== undefined && config.notifySmsTemplateId !== undefined;
}
