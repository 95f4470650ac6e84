// The enquiry mailbox: mail to a council's enquiry addresses (cyberenquiry@westminster.gov.uk)
// becomes a case, or joins one. A message joins a case when its subject carries the case's
// reference or its In-Reply-To/References name an email on the case; otherwise it opens a new case
// and the sender is sent an acknowledgement. What a message says is kept as text (the platform has
// already turned any HTML into text); its attachments stay in the raw message, listed on the entry.
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.ts';
import { newId } from '../../platform/ids.ts';
import type { ParsedInboundMail } from '../../platform/mail-in/inbound-mail-parser.ts';
import type { InboundDelivery, InboundMailbox, InboundMailOutcome } from '../../platform/mail-in/inbound-mailboxes.ts';
import { referencesIn } from './enquiry-reference.ts';
import { ENQUIRY_MAILBOX } from './enquiry-settings.ts';
import { triage } from './enquiry-triage.ts';
import * as repo from './enquiries.repository.ts';
import { OPEN_STATUSES, openCase, queueAcknowledgement, raisePriority } from './enquiries.service.ts';

/** The addresses change rarely; RCPT TO must be answered quickly. */
const ADDRESSES_TTL_MS = 5_000;

/** Why a message is not a resident writing to us: answering it could start a loop of automatic mail. */
export function automaticReason(mail: ParsedInboundMail, delivery: InboundDelivery): string | undefined {
  const header = (name: string) =>
    mail.headers
      .find((h) => h.name.toLowerCase() === name)
      ?.value.trim()
      .toLowerCase();
  const autoSubmitted = header('auto-submitted');
  if (autoSubmitted && autoSubmitted !== 'no') return `an automatic message (Auto-Submitted: ${autoSubmitted})`;
  const precedence = header('precedence');
  if (precedence && ['bulk', 'junk', 'list', 'auto_reply'].includes(precedence)) {
    return `an automatic or bulk message (Precedence: ${precedence})`;
  }
  if (header('x-autoreply') || header('x-autorespond')) return 'an automatic reply';
  if (delivery.source === 'smtp' && delivery.envelopeFrom === undefined) return 'a bounce (empty envelope sender)';
  const from = mail.from?.address ?? '';
  if (/^(mailer-daemon|postmaster)@/i.test(from)) return 'a bounce or delivery report';
  return undefined;
}

export function createEnquiryMailbox(options: { publicBaseUrl: string }): InboundMailbox {
  let cached: { at: number; addresses: Map<string, string> } | undefined;
  const addresses = async (db: Kysely<DB> | Transaction<DB>) => {
    if (!cached || Date.now() - cached.at > ADDRESSES_TTL_MS) {
      cached = { at: Date.now(), addresses: await repo.enquiryAddresses(db) };
    }
    return cached.addresses;
  };

  return {
    name: ENQUIRY_MAILBOX,

    async accepts(address, db) {
      return (await addresses(db)).has(address);
    },

    async handle(trx, mail, delivery): Promise<InboundMailOutcome> {
      const byAddress = await repo.enquiryAddresses(trx);
      const organisationId = delivery.recipients.map((r) => byAddress.get(r)).find((id) => id !== undefined);
      if (!organisationId) return { rejected: 'Not addressed to any council’s enquiry address' };
      const automatic = automaticReason(mail, delivery);
      if (automatic) return { rejected: `Not an enquiry: ${automatic}` };
      const sender = mail.replyTo[0] ?? mail.from;
      if (!sender?.address) return { rejected: 'The message has no sender address to reply to' };

      const now = new Date();
      const at = now.toISOString();
      const body = mail.text.trim() === '' ? '(The message had no text.)' : mail.text;
      const details = {
        from: mail.from ? `${mail.from.name} <${mail.from.address}>`.trim() : null,
        inboundMailId: delivery.mailId,
        attachments: mail.attachments.map((a) => ({
          filename: a.filename ?? null,
          contentType: a.contentType,
          size: a.size,
          kept: a.content !== null,
          reason: a.omittedReason ?? null,
        })),
        problems: mail.problems,
        textTruncated: mail.textTruncated,
      };

      const existing = await findCase(trx, organisationId, mail);
      if (existing) {
        const again = triage({ text: `${mail.subject}\n${body}` });
        const raised = raisePriority(existing, again, now);
        // A resident writing back reopens a case that was waiting for them or had been closed.
        const status = existing.status === 'new' || existing.status === 'in-progress' ? existing.status : 'in-progress';
        await repo.updateCase(trx, existing.id, {
          updated_at: at,
          ...raised.change,
          status,
          closed_at: OPEN_STATUSES.includes(status) ? null : existing.closedAt,
          resident_email: existing.residentEmail ?? sender.address,
        });
        await repo.insertEntry(trx, {
          id: newId(),
          case_id: existing.id,
          kind: 'message',
          channel: 'email',
          subject: mail.subject || null,
          body,
          email_message_id: mail.messageId ?? null,
          author_user_id: null,
          author_label: sender.name || sender.address,
          details: JSON.stringify({
            ...details,
            // Anyone can quote a reference: staff are told when the sender is not the resident.
            differentSender:
              existing.residentEmail !== null && existing.residentEmail !== sender.address ? sender.address : null,
          }),
          created_at: at,
        });
        return { produced: { kind: 'enquiry-case', id: existing.id }, organisationId };
      }

      const council = await trx
        .selectFrom('organisations')
        .select(['id', 'name', 'slug'])
        .where('id', '=', organisationId)
        .executeTakeFirstOrThrow();
      const opened = await openCase(
        trx,
        {
          organisationId,
          openedVia: 'email',
          topic: 'other',
          summary: mail.subject.trim() || body.split('\n')[0] || '(no subject)',
          residentName: sender.name || null,
          residentEmail: sender.address,
          residentPhone: null,
          residentAddress: null,
          replyBy: 'email',
          supportNeeds: null,
          agedOver75: false,
          socialCare: false,
          first: {
            kind: 'message',
            channel: 'email',
            subject: mail.subject || null,
            body,
            emailMessageId: mail.messageId ?? null,
            authorUserId: null,
            authorLabel: sender.name || sender.address,
            details,
          },
        },
        now,
      );
      await queueAcknowledgement(trx, council, opened, options.publicBaseUrl);
      return { produced: { kind: 'enquiry-case', id: opened.id }, organisationId };
    },
  };
}

/** The case a message belongs to: by a reference in its subject, else by the emails it replies to. */
async function findCase(
  trx: Transaction<DB>,
  organisationId: string,
  mail: ParsedInboundMail,
): Promise<repo.EnquiryCase | undefined> {
  let found: repo.EnquiryCase | undefined;
  for (const reference of referencesIn(mail.subject)) {
    const candidate = await repo.findCaseByReference(trx, reference);
    if (candidate?.organisationId === organisationId) {
      found = candidate;
      break;
    }
  }
  if (!found) {
    const ids = [...(mail.inReplyTo?.split(/\s+/) ?? []), ...mail.references].filter((id) => id !== '');
    found = await repo.findCaseByMessageIds(trx, organisationId, ids);
  }
  // A merged duplicate lives on in the case it was merged into.
  for (let hops = 0; found?.mergedIntoCaseId && hops < 5; hops += 1) {
    found = await repo.findCase(trx, found.mergedIntoCaseId);
  }
  return found;
}
