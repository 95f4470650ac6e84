// Sending an outbound message through GOV.UK Notify. Notify sends only from templates, so the
// service has one "generic email" template whose subject is ((subject)) and whose body is
// ((body)); this fills it in. Notify sends from the service's own address and adds its own
// headers, so a message's `from`, `replyTo`, `messageId`, HTML and threading headers are not
// carried: the plain text is what the resident gets. A List-Unsubscribe https link becomes
// Notify's one-click unsubscribe link.
import type { MailSender, SentMail } from './mail-sender.ts';
import type { NotifyClient } from './notify-client.ts';
import { parseOutboundMessage } from './outbound-message.ts';

export interface NotifyMailSenderOptions {
  /** The generic email template, with ((subject)) and ((body)) placeholders. */
  templateId: string;
  /** A reply-to address set up in the Notify service; the service's default when not given. */
  emailReplyToId?: string | undefined;
}

export function createNotifyMailSender(client: NotifyClient, options: NotifyMailSenderOptions): MailSender {
  return {
    async send(input): Promise<SentMail> {
      const message = parseOutboundMessage(input);
      const unsubscribe = oneClickUnsubscribeUrl(message.headers?.['List-Unsubscribe']);
      const sent = await client.sendEmail({
        templateId: options.templateId,
        emailAddress: message.to,
        personalisation: { subject: message.subject, body: message.text },
        reference: message.reference,
        emailReplyToId: options.emailReplyToId,
        oneClickUnsubscribeUrl: unsubscribe,
      });
      return { providerId: sent.id };
    },
  };
}

/** The first https link in a List-Unsubscribe value such as `<https://…>, <mailto:…>`. */
function oneClickUnsubscribeUrl(listUnsubscribe: string | undefined): string | undefined {
  if (listUnsubscribe === undefined) return undefined;
  for (const match of listUnsubscribe.matchAll(/<([^<>]+)>/g)) {
    const link = (match[1] as string).trim();
    if (link.toLowerCase().startsWith('https://')) return link;
  }
  return undefined;
}
