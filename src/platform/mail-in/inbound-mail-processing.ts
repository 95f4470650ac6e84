// Processing a stored message: parse it, work out which mailboxes it is for, and hand it to each in
// one transaction that also marks it processed. Runs as the `mail-in.process` job (and directly
// from `wardroom mail import`); running it twice for one message is harmless, because the row is
// taken under lock and only a message still waiting is handed over.
//
// - A message that cannot be parsed is marked failed with the reason, and the job ends: trying the
//   same bytes with the same code again would fail the same way. A person can retry it (after an
//   upgrade) from the Mail in page.
// - A mailbox that throws rolls back its own records with the rest of the transaction; the message
//   is marked failed with the reason and the job is tried again later, with back-off.
// - A message no mailbox takes, or that every mailbox turns down, is rejected with the reason.
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import { nowIso } from '../ids.ts';
import { PermanentJobError, type JobHandlerRegistry } from '../jobs/job-handlers.ts';
import { MAIL_IN_PROCESS_JOB } from './inbound-mail-intake.ts';
import {
  InboundMailParseError,
  parseInboundMail,
  type ParseLimits,
  type ParsedInboundMail,
} from './inbound-mail-parser.ts';
import {
  claimForProcessing,
  findInboundMail,
  markInboundMailFailed,
  recordProcessingResult,
  type InboundMailRecord,
  type InboundMailStatus,
  type ProducedRef,
} from './inbound-mail.repository.ts';
import { normaliseAddress, type InboundMailbox, type InboundMailboxes } from './inbound-mailboxes.ts';

export interface ProcessingDeps {
  db: Kysely<DB>;
  mailboxes: InboundMailboxes;
  parseLimits?: Partial<ParseLimits> | undefined;
}

export interface ProcessingOutcome {
  mailId: string;
  status: InboundMailStatus;
  reason: string | null;
  produced: ProducedRef[];
}

/** Thrown (so the job is tried again) when a mailbox failed; the row already says why. */
export class InboundMailHandlerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InboundMailHandlerError';
  }
}

interface Route {
  mailbox: InboundMailbox;
  recipients: string[];
}

/**
 * Processes one stored message. Resolves with what became of it; throws InboundMailHandlerError when
 * a mailbox failed (the message is then marked failed and should be tried again).
 * `attempt` describes the job run, for the reason shown to staff.
 */
export async function processInboundMail(
  deps: ProcessingDeps,
  mailId: string,
  attempt: { number: number; of: number } = { number: 1, of: 1 },
): Promise<ProcessingOutcome> {
  const { db } = deps;
  const mail = await findInboundMail(db, mailId);
  // Retrying cannot bring back a message that is not there.
  if (!mail) throw new PermanentJobError(`No inbound message ${mailId}`);
  if (mail.status === 'processed' || mail.status === 'rejected') return outcomeOf(mail);

  // Parsing is CPU work that may take a while on a large message: never inside a transaction.
  let parsed: ParsedInboundMail;
  try {
    parsed = await parseInboundMail(mail.raw, deps.parseLimits);
  } catch (error) {
    const reason =
      error instanceof InboundMailParseError
        ? error.message
        : `The message could not be read: ${error instanceof Error ? error.message : String(error)}`;
    await markInboundMailFailed(db, mailId, { reason, now: nowIso() });
    return { mailId, status: 'failed', reason, produced: [] };
  }
  const summary = {
    subject: parsed.subject === '' ? null : parsed.subject.slice(0, 300),
    headerFrom: parsed.from ? formatMailbox(parsed.from).slice(0, 300) : null,
    messageId: parsed.messageId ?? null,
  };

  const routing = await route(deps, mail, parsed);
  let failedMailbox: string | undefined;
  try {
    const result = await db.transaction().execute(async (trx) => {
      const now = nowIso();
      if (!(await claimForProcessing(trx, mailId, now))) return undefined;
      const produced: ProducedRef[] = [];
      const rejections: string[] = [];
      let organisationId: string | null = null;
      if ('rejected' in routing) rejections.push(routing.rejected);
      else {
        for (const { mailbox, recipients } of routing.routes) {
          failedMailbox = mailbox.name;
          const outcome = await mailbox.handle(trx, parsed, {
            mailId,
            source: mail.source,
            receivedAt: mail.receivedAt,
            envelopeFrom: mail.envelopeFrom ?? undefined,
            envelopeTo: mail.envelopeTo,
            recipients,
            raw: mail.raw,
            sha256: mail.sha256,
          });
          if ('rejected' in outcome) rejections.push(`${mailbox.name}: ${outcome.rejected}`);
          else {
            produced.push({ mailbox: mailbox.name, kind: outcome.produced.kind, id: outcome.produced.id });
            organisationId ??= outcome.organisationId ?? null;
          }
        }
        failedMailbox = undefined;
      }
      const status = produced.length > 0 ? 'processed' : 'rejected';
      const reason = rejections.length > 0 ? rejections.join('; ').slice(0, 2000) : null;
      await recordProcessingResult(trx, mailId, {
        status,
        reason,
        handledBy: produced.length > 0 ? [...new Set(produced.map((p) => p.mailbox))].join(', ') : null,
        produced,
        organisationId,
        ...summary,
        now,
      });
      return { mailId, status, reason, produced } satisfies ProcessingOutcome;
    });
    if (result) return result;
    // Another run got there first.
    const now = await findInboundMail(db, mailId);
    return now ? outcomeOf(now) : { mailId, status: 'failed', reason: 'The message was deleted', produced: [] };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const who = failedMailbox
      ? `The ${failedMailbox} mailbox could not take the message`
      : 'The message could not be processed';
    const next =
      attempt.number < attempt.of
        ? `It will be tried again automatically (attempt ${attempt.number} of ${attempt.of}).`
        : attempt.of > 1
          ? `Gave up after ${attempt.of} attempts; it can be tried again from the Mail in page.`
          : 'It can be tried again from the Mail in page.';
    const reason = `${who}: ${message.slice(0, 1000)}. ${next}`;
    await markInboundMailFailed(db, mailId, { reason, now: nowIso(), summary });
    throw new InboundMailHandlerError(reason, { cause: error });
  }
}

/**
 * Which mailbox gets the message, for which addresses. An IMAP account (or an import) names its
 * mailbox; otherwise each envelope recipient goes to the mailbox that accepts it, and without an
 * envelope (an import) the header recipients are used.
 */
async function route(
  deps: ProcessingDeps,
  mail: InboundMailRecord,
  parsed: ParsedInboundMail,
): Promise<{ routes: Route[] } | { rejected: string }> {
  const headerRecipients = unique([
    ...parsed.deliveredTo,
    ...parsed.to.map((a) => a.address),
    ...parsed.cc.map((a) => a.address),
  ]);
  const candidates = mail.envelopeTo.length > 0 ? unique(mail.envelopeTo) : headerRecipients;

  if (mail.mailbox !== null) {
    const mailbox = deps.mailboxes.byName(mail.mailbox);
    if (!mailbox) return { rejected: `No mailbox called "${mail.mailbox}" is set up on this platform` };
    const recipients: string[] = [];
    for (const address of candidates) if (await mailbox.accepts(address, deps.db)) recipients.push(address);
    return { routes: [{ mailbox, recipients }] };
  }

  if (candidates.length === 0) return { rejected: 'The message names no recipient' };
  const routes = new Map<string, Route>();
  for (const address of candidates) {
    const mailbox = await deps.mailboxes.forAddress(address, deps.db);
    if (!mailbox) continue;
    const route = routes.get(mailbox.name) ?? { mailbox, recipients: [] };
    route.recipients.push(address);
    routes.set(mailbox.name, route);
  }
  if (routes.size === 0) {
    const shown =
      candidates.slice(0, 5).join(', ') + (candidates.length > 5 ? ` and ${candidates.length - 5} more` : '');
    return { rejected: `No mailbox on this platform takes mail for ${shown}` };
  }
  return { routes: [...routes.values()] };
}

function unique(addresses: string[]): string[] {
  return [...new Set(addresses.map((a) => normaliseAddress(a)).filter((a): a is string => a !== undefined))];
}

function outcomeOf(mail: InboundMailRecord): ProcessingOutcome {
  return { mailId: mail.id, status: mail.status, reason: mail.reason, produced: mail.produced };
}

function formatMailbox(address: { name: string; address: string }): string {
  return address.name ? `${address.name} <${address.address}>` : address.address;
}

/** Registers `mail-in.process`: its payload is `{ mailId }`. */
export function registerMailInProcessing(handlers: JobHandlerRegistry, deps: Omit<ProcessingDeps, 'db'>): void {
  handlers.register<{ mailId?: unknown }>(MAIL_IN_PROCESS_JOB, async (ctx) => {
    const mailId = ctx.job.payload.mailId;
    if (typeof mailId !== 'string') throw new PermanentJobError('The job names no message');
    await processInboundMail({ ...deps, db: ctx.db }, mailId, { number: ctx.job.attempt, of: ctx.job.maxAttempts });
  });
}
