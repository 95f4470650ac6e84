// A platform that sends through GOV.UK Notify, pointed at the local fake (fake-notify.ts): the
// environment a demo app needs for it, and the email and text senders made from that app's config,
// both with the fake's generic templates.
import type { Config } from '../../config.ts';
import { createSmsSender } from '../../sms/sms-sender.ts';
import type { SmsSender } from '../../sms/sms-sender.ts';
import { createMailSender, type ConfiguredMailSender } from '../mail-transport.ts';
import { GENERIC_EMAIL_TEMPLATE_ID, GENERIC_SMS_TEMPLATE_ID, type FakeNotify } from './fake-notify.ts';

/** The environment variables that send a platform's email and text messages to `notify`. */
export function notifyEnv(notify: FakeNotify): Record<string, string> {
  return {
    NOTIFY_API_KEY: notify.apiKey,
    NOTIFY_BASE_URL: notify.baseUrl,
    NOTIFY_EMAIL_TEMPLATE_ID: GENERIC_EMAIL_TEMPLATE_ID,
    NOTIFY_SMS_TEMPLATE_ID: GENERIC_SMS_TEMPLATE_ID,
  };
}

/** The senders of a platform configured with `notifyEnv(notify)`. */
export function notifySenders(
  config: Config,
  notify: FakeNotify,
): { mailSender: ConfiguredMailSender; smsSender: SmsSender } {
  const smsSender = createSmsSender(config);
  if (!smsSender) throw new Error('text messages are not configured: was the app made with notifyEnv?');
  const mailSender = createMailSender(config, {
    notifyEmailTemplateId: GENERIC_EMAIL_TEMPLATE_ID,
    notifyBaseUrl: notify.baseUrl,
  });
  return { mailSender, smsSender };
}
