// The report mailbox: residents forward suspicious email to a council's report address
// (report-a-scam@westminster.gov.uk in the demo). The forward is unwrapped (an attached original,
// or an inline one whose headers are recovered as well as they can be) and taken as a report like
// any other. The forwarder is the reporter and is acknowledged, unless answering could start a
// loop or reach the wrong person: automatic mail, bounces, no-reply addresses, the council's own
// addresses, or a message that is not recognisably a forward (its sender may be the scammer).
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.ts';
import type { ParsedInboundMail } from '../../platform/mail-in/inbound-mail-parser.ts';
import type { InboundDelivery, InboundMailbox, InboundMailOutcome } from '../../platform/mail-in/inbound-mailboxes.ts';
import { automaticReason } from '../enquiries/enquiry-mailbox.ts';
import { unwrapForward } from './forwarded-mail.ts';
import { InvalidReportError, LIMITS, recordSuspiciousReport } from './suspicious-reports.service.ts';
import * as repo from './suspicious-reports.repository.ts';

/** The addresses change rarely; RCPT TO must be answered quickly. */
const ADDRESSES_TTL_MS = 5_000;

/** The mailbox's name, which other capabilities' mail is told apart from. */
export const REPORT_MAILBOX = 'suspicious-reports';

const NO_REPLY =
  /^(?:no-?reply|do-?not-?reply|donotreply|noreply-[\w-]+|mailer-daemon|postmaster|bounces?)(?:[+.-].*)?@/i;

/** Why the forwarder is not sent an acknowledgement, or undefined when they may be. */
export function reasonNotToAcknowledge(
  mail: ParsedInboundMail,
  delivery: InboundDelivery,
  reporter: string | undefined,
  ownDomains: readonly string[],
  reportAddresses: ReadonlySet<string>,
): string | undefined {
  const automatic = automaticReason(mail, delivery);
  if (automatic) return `It was ${automatic}.`;
  if (!reporter) return 'It has no sender address.';
  if (NO_REPLY.test(reporter)) return 'The sender is a no-reply address.';
  if (reportAddresses.has(reporter)) return 'The sender is a report address.';
  const domain = reporter.slice(reporter.lastIndexOf('@') + 1);
  if (ownDomains.some((d) => domain === d || domain.endsWith(`.${d}`))) {
    return 'The sender is one of the council’s own addresses.';
  }
  return undefined;
}

export function createReportMailbox(options: { publicBaseUrl: string }): InboundMailbox {
  let cached: { at: number; addresses: Map<string, string> } | undefined;
  const addresses = async (db: Kysely<DB> | Transaction<DB>) => {
    if (!cached || Date.now() - cached.at > ADDRESSES_TTL_MS) {
      cached = { at: Date.now(), addresses: await repo.reportAddresses(db) };
    }
    return cached.addresses;
  };

  return {
    name: REPORT_MAILBOX,

    async accepts(address, db) {
      return (await addresses(db)).has(address);
    },

    async handle(trx, mail, delivery): Promise<InboundMailOutcome> {
      const byAddress = await repo.reportAddresses(trx);
      const organisationId = delivery.recipients.map((r) => byAddress.get(r)).find((id) => id !== undefined);
      if (!organisationId) return { rejected: 'Not addressed to any council’s report address' };
      // A bounce or delivery report says nothing about a scam, and is most likely about our own mail.
      const from = mail.from?.address ?? '';
      if (
        (delivery.source === 'smtp' && delivery.envelopeFrom === undefined) ||
        /^(mailer-daemon|postmaster)@/i.test(from)
      ) {
        return { rejected: 'Not a report: a bounce or delivery report' };
      }

      const council = await trx
        .selectFrom('organisations')
        .select(['official_domains'])
        .where('id', '=', organisationId)
        .executeTakeFirstOrThrow();
      const unwrapped = unwrapForward(mail, delivery.raw);
      const forwarder = unwrapped.how === 'none' ? undefined : (mail.replyTo[0] ?? mail.from)?.address;
      const notAcknowledged =
        unwrapped.how === 'none'
          ? 'The message is not recognisably a forward.'
          : reasonNotToAcknowledge(
              mail,
              delivery,
              forwarder,
              JSON.parse(council.official_domains) as string[],
              new Set(byAddress.keys()),
            );
      const notes = [
        { code: `forwarded-${unwrapped.how}`, text: unwrapped.note },
        ...(notAcknowledged && forwarder
          ? [{ code: 'not-acknowledged', text: `The reporter was not sent an acknowledgement. ${notAcknowledged}` }]
          : []),
      ];
      try {
        const report = await recordSuspiciousReport(
          trx,
          {
            organisationId,
            channel: 'email',
            kind: 'email',
            claimedSender: '',
            receivedOn: null,
            sender: unwrapped.how === 'none' ? (mail.from?.address ?? '') : '',
            subject: unwrapped.how === 'none' ? mail.subject : '',
            text: unwrapped.how === 'none' ? mail.text : '',
            // Not a forward: the message as it arrived is the suspicious one.
            originalMessage:
              unwrapped.how !== 'none'
                ? unwrapped.original
                : delivery.raw.length <= LIMITS.originalMessageBytes
                  ? delivery.raw
                  : null,
            inboundMailId: delivery.mailId,
            screenshot: null,
            // Only a forwarder who may be answered is kept: the address is personal data.
            reporterEmail: notAcknowledged ? null : (forwarder ?? null),
            wantsOutcome: false,
            acknowledge: !notAcknowledged,
            notes,
          },
          { publicBaseUrl: options.publicBaseUrl },
        );
        return { produced: { kind: 'suspicious-report', id: report.id }, organisationId };
      } catch (error) {
        if (error instanceof InvalidReportError) return { rejected: `Not a report: ${error.message}` };
        throw error;
      }
    },
  };
}
