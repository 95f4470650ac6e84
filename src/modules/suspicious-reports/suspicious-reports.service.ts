// Taking a report of a suspicious message, whichever way it came (the public form, the report
// mailbox, the API): the analyser's verdict, reasons, indicators and campaign keys are worked out
// once here (by analysedReportFields, as for the demo's reports) and stored with the report, the campaign-grouping job is queued, and the reporter is
// sent an acknowledgement; all in one transaction, so a report exists with its job and its email
// or not at all. Grouping into campaigns, analysts' verdicts and the console belong elsewhere:
// they call queueReportOutcome to tell a reporter who asked what was found.
import { randomInt } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { listOrganisations } from '../../platform/accounts/accounts.repository.ts';
import type { DB, SuspiciousReportsTable } from '../../platform/db/schema.ts';
import { newId, nowIso } from '../../platform/ids.ts';
import { enqueueEmail } from '../../platform/mail/mail-jobs.ts';
import { isEmailAddress } from '../../platform/mail/outbound-message.ts';
import { newVerificationReference } from '../../platform/mail/verification-reference.ts';
import {
  InboundMailParseError,
  type MailAddress,
  type ParsedInboundMail,
} from '../../platform/mail-in/inbound-mail-parser.ts';
import { readInboundMail } from '../../platform/mail-in/mime-reader.ts';
import * as genuineContacts from '../genuine-contact/genuine-contact.repository.ts';
import { analysedReportFields } from '../report-campaigns/report-analysis-fields.ts';
import { enqueueReportGrouping } from '../report-campaigns/report-grouping-job.ts';
import type { SuspiciousMessage } from '../suspicious-messages/message-analysis.ts';
import { buildOfficialRegister, indexRegister, type RegisterIndex } from '../suspicious-messages/official-register.ts';
import {
  reportAcknowledgementEmail,
  reportOutcomeEmail,
  type AnalystVerdict,
  type ReportKind,
} from './report-messages.ts';
import * as repo from './suspicious-reports.repository.ts';
import type { ScreenshotType } from './screenshot-metadata.ts';

export const REPORT_KINDS: ReadonlyArray<{ value: ReportKind; text: string }> = [
  { value: 'email', text: 'An email' },
  { value: 'text', text: 'A text message' },
  { value: 'phone-call', text: 'A phone call' },
  { value: 'letter', text: 'A letter' },
  { value: 'website', text: 'A website' },
  { value: 'other', text: 'Something else' },
];

/** Sizes kept. */
export const LIMITS = {
  originalMessageBytes: 10 * 1024 * 1024,
  screenshotBytes: 5 * 1024 * 1024,
  /** What is stored of the message's text (an email's may be longer than a pasted one). */
  bodyTextChars: 50_000,
  /** What a resident may paste or a partner tool send. */
  pastedTextChars: 10_000,
  subjectChars: 500,
  senderChars: 320,
  claimedSenderChars: 200,
} as const;

/** `SR-` and 8 characters from an alphabet with no look-alikes (as enquiry references). */
const REFERENCE_ALPHABET = 'ACDEFGHJKMNPQRTWXY34679';
export const REPORT_REFERENCE = /^SR-[ACDEFGHJKMNPQRTWXY34679]{8}$/;

export function newReportReference(): string {
  let code = '';
  for (let i = 0; i < 8; i++) code += REFERENCE_ALPHABET[randomInt(REFERENCE_ALPHABET.length)];
  return `SR-${code}`;
}

/** A report that cannot be taken as it is, with what to tell the person (or partner tool). */
export class InvalidReportError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidReportError';
  }
}

export interface SuspiciousReportInput {
  organisationId: string;
  channel: SuspiciousReportsTable['channel'];
  kind: ReportKind;
  /** Who it said it was from, as the resident put it ('' when they did not say). */
  claimedSender: string;
  /** YYYY-MM-DD. */
  receivedOn: string | null;
  /** The sender's address, number or ID, when there is no original email to read it from. */
  sender: string;
  subject: string;
  /** The message's text as pasted or described. */
  text: string;
  /**
   * The suspicious email itself (an uploaded .eml, a forwarded attachment, an inline forward
   * rebuilt). When given it is what is analysed, and its sender, subject and text are stored.
   */
  originalMessage?: Buffer | null | undefined;
  inboundMailId?: string | null | undefined;
  /** Already without its metadata (see stripScreenshotMetadata). */
  screenshot?: { type: ScreenshotType; data: Buffer } | null | undefined;
  reporterEmail: string | null;
  wantsOutcome: boolean;
  /** False to store the reporter's address without acknowledging (automatic mail, say). */
  acknowledge?: boolean | undefined;
  /** How the report was made, when staff should know (an inline forward's recovery): kept with the reasons. */
  notes?: Array<{ code: string; text: string }> | undefined;
}

export interface RecordedReport {
  id: string;
  reference: string;
  suggestedVerdict: SuspiciousReportsTable['suggested_verdict'];
  score: number;
  acknowledged: boolean;
}

export interface ReportOptions {
  publicBaseUrl: string;
}

/** A report analysed and ready to store: everything but the writes. */
export interface AnalysedReport {
  input: SuspiciousReportInput;
  row: Omit<
    SuspiciousReportsTable,
    'id' | 'reference' | 'acknowledged_at' | 'outcome_sent_at' | 'created_at' | 'updated_at'
  >;
}

/**
 * Takes a report: analyses it, stores it with the grouping job and the acknowledgement in one
 * transaction (the caller's, when given one). Throws InvalidReportError for what cannot be taken.
 */
export async function recordSuspiciousReport(
  db: Kysely<DB> | Transaction<DB>,
  input: SuspiciousReportInput,
  options: ReportOptions,
): Promise<RecordedReport> {
  // Parsing and analysis first, so a plain database handle holds no transaction meanwhile.
  const analysed = await analyseReport(db, input);
  if (db.isTransaction) return storeReport(db as Transaction<DB>, analysed, options);
  return (db as Kysely<DB>).transaction().execute((trx) => storeReport(trx, analysed, options));
}

/** The analyser's view of a report, with its indicators and campaign keys: no writes. */
export async function analyseReport(
  db: Kysely<DB> | Transaction<DB>,
  input: SuspiciousReportInput,
): Promise<AnalysedReport> {
  check(input);
  const index = await registerFor(db, input.organisationId);

  let message: SuspiciousMessage;
  let sender = clip(input.sender.trim(), LIMITS.senderChars);
  let subject = clip(input.subject.trim(), LIMITS.subjectChars);
  let bodyText = clip(input.text, LIMITS.bodyTextChars);
  let kind = input.kind;
  let original: Buffer | null = null;
  if (input.originalMessage && input.originalMessage.length > 0) {
    let mail: ParsedInboundMail;
    try {
      // The analysis reader: it reads what it can of a broken message and says what it could not.
      mail = readInboundMail(input.originalMessage);
    } catch (error) {
      if (error instanceof InboundMailParseError) throw new InvalidReportError('emailFile', 'The file is not an email');
      throw error;
    }
    if (!mail.from && mail.subject === '' && mail.problems.some((p) => /no header section/.test(p))) {
      throw new InvalidReportError('emailFile', 'The file is not an email: it has no sender, subject or headers');
    }
    original = input.originalMessage;
    kind = 'email';
    message = { kind: 'email', id: 'report', mail };
    sender = clip(formatAddress(mail.from) || sender, LIMITS.senderChars);
    subject = clip(mail.subject || subject, LIMITS.subjectChars);
    // What the resident typed beside the upload is kept after the email's own text.
    bodyText = clip(
      [mail.text.trim(), input.text.trim() ? `\n\n[What the resident added]\n${input.text.trim()}` : '']
        .join('')
        .trim(),
      LIMITS.bodyTextChars,
    );
  } else if (kind === 'email') {
    message = { kind: 'email', id: 'report', mail: pastedEmail(sender, subject, bodyText) };
  } else {
    message = { kind: 'sms', id: 'report', sender, body: subject ? `${subject}\n${bodyText}` : bodyText };
  }

  const analysis = analysedReportFields(message, index, {
    notes: input.notes,
    senderNumber: message.kind === 'sms' ? sender : undefined,
  });

  return {
    input,
    row: {
      organisation_id: input.organisationId,
      channel: input.channel,
      kind,
      claimed_sender: clip(input.claimedSender.trim(), LIMITS.claimedSenderChars),
      received_on: input.receivedOn,
      sender,
      subject,
      body_text: bodyText,
      original_message: original,
      inbound_mail_id: input.inboundMailId ?? null,
      screenshot: input.screenshot?.data ?? null,
      screenshot_type: input.screenshot?.type ?? null,
      reporter_email: input.reporterEmail?.toLowerCase() ?? null,
      wants_outcome: input.wantsOutcome && input.reporterEmail ? 1 : 0,
      ...analysis,
      campaign_id: null,
      status: 'new',
      analyst_note: '',
      ncsc_forwarded_at: null,
      ncsc_forwarded_by_label: null,
    },
  };
}

/** Stores an analysed report, queues its grouping job and its acknowledgement, in `trx`. */
export async function storeReport(
  trx: Transaction<DB>,
  analysed: AnalysedReport,
  options: ReportOptions,
): Promise<RecordedReport> {
  const { row, input } = analysed;
  const id = newId();
  let reference = newReportReference();
  while (await repo.referenceTaken(trx, reference)) reference = newReportReference();
  const at = nowIso();
  const acknowledge = row.reporter_email !== null && input.acknowledge !== false;
  await repo.insertReport(trx, {
    ...row,
    id,
    reference,
    acknowledged_at: acknowledge ? at : null,
    outcome_sent_at: null,
    created_at: at,
    updated_at: at,
  });
  await enqueueReportGrouping(trx, id, row.organisation_id);
  if (acknowledge) {
    const council = await councilFor(trx, row.organisation_id, options);
    await enqueueEmail(
      trx,
      reportAcknowledgementEmail({
        to: row.reporter_email!,
        councilName: council.name,
        reference,
        kind: row.kind,
        wantsOutcome: row.wants_outcome === 1,
        helpline: council.helpline,
        councilPageUrl: council.pageUrl,
        verificationReference: newVerificationReference(),
      }),
      { idempotencyKey: `suspicious-report-ack:${id}`, organisationId: row.organisation_id },
    );
  }
  return { id, reference, suggestedVerdict: row.suggested_verdict, score: row.score, acknowledged: acknowledge };
}

/**
 * Queues the outcome email for a report, in the caller's transaction, when the reporter asked for
 * it and it has not been sent; marks it sent. Returns whether an email was queued. For the analyst
 * console to call when a verdict applies to the report.
 */
export async function queueReportOutcome(
  trx: Transaction<DB>,
  reportId: string,
  verdict: AnalystVerdict,
  options: ReportOptions,
): Promise<boolean> {
  const report = await repo.findReportForOutcome(trx, reportId);
  if (!report || !report.wantsOutcome || !report.reporterEmail || report.outcomeSentAt !== null) return false;
  if (!(await repo.markOutcomeSent(trx, report.id, nowIso()))) return false;
  const council = await councilFor(trx, report.organisationId, options);
  await enqueueEmail(
    trx,
    reportOutcomeEmail({
      to: report.reporterEmail,
      councilName: council.name,
      reference: report.reference,
      kind: report.kind,
      verdict,
      councilPageUrl: council.pageUrl,
      verificationReference: newVerificationReference(),
    }),
    { idempotencyKey: `suspicious-report-outcome:${report.id}`, organisationId: report.organisationId },
  );
  return true;
}

/**
 * What the analyst console and the grouping job call when a verdict applies to reports: queues the
 * outcome email of each reporter who asked for one (at most once each), in the caller's transaction.
 */
export function reportOutcomeNotifier(
  options: ReportOptions,
): (trx: Transaction<DB>, reportIds: string[], verdict: AnalystVerdict) => Promise<void> {
  return async (trx, reportIds, verdict) => {
    for (const reportId of reportIds) await queueReportOutcome(trx, reportId, verdict, options);
  };
}

/** The council's published helpline (the first number on its register of genuine contact). */
export async function helplineFor(
  db: Kysely<DB> | Transaction<DB>,
  organisationId: string,
): Promise<string | undefined> {
  const today = nowIso().slice(0, 10);
  return (await genuineContacts.listEntries(db, organisationId)).find(
    (e) => e.kind === 'phone' && e.activeFrom <= today && (e.activeTo === null || e.activeTo >= today),
  )?.value;
}

async function councilFor(db: Transaction<DB>, organisationId: string, options: ReportOptions) {
  const council = await db
    .selectFrom('organisations')
    .select(['name', 'slug'])
    .where('id', '=', organisationId)
    .executeTakeFirstOrThrow();
  return {
    name: council.name,
    pageUrl: `${options.publicBaseUrl.replace(/\/+$/, '')}/${council.slug}/cyber-incident`,
    helpline: await helplineFor(db, organisationId),
  };
}

/** The official register the analyser compares with: every organisation, plus the council's published numbers. */
async function registerFor(db: Kysely<DB> | Transaction<DB>, organisationId: string): Promise<RegisterIndex> {
  const register = buildOfficialRegister(await listOrganisations(db));
  const council = await db
    .selectFrom('organisations')
    .select('slug')
    .where('id', '=', organisationId)
    .executeTakeFirst();
  const entry = register.organisations.find((o) => o.slug === council?.slug);
  if (entry) {
    const numbers = (await genuineContacts.listEntries(db, organisationId))
      .filter((e) => e.kind === 'phone')
      .map((e) => e.value);
    entry.phoneNumbers = unique([...entry.phoneNumbers, ...numbers]);
  }
  return indexRegister(register);
}

function check(input: SuspiciousReportInput): void {
  if (!REPORT_KINDS.some((k) => k.value === input.kind)) throw new InvalidReportError('kind', 'Select what arrived');
  if (input.receivedOn !== null && !/^\d{4}-\d{2}-\d{2}$/.test(input.receivedOn)) {
    throw new InvalidReportError('receivedOn', 'The date must be a real date, like 2025-11-24');
  }
  if (input.reporterEmail !== null && !isEmailAddress(input.reporterEmail.toLowerCase())) {
    throw new InvalidReportError(
      'reporterEmail',
      'Enter an email address in the correct format, like name@example.com',
    );
  }
  if (input.originalMessage && input.originalMessage.length > LIMITS.originalMessageBytes) {
    throw new InvalidReportError('emailFile', 'The email must be smaller than 10 MB');
  }
  if (input.screenshot && input.screenshot.data.length > LIMITS.screenshotBytes) {
    throw new InvalidReportError('screenshot', 'The screenshot must be smaller than 5 MB');
  }
  const hasSomething =
    input.text.trim() !== '' ||
    input.subject.trim() !== '' ||
    (input.originalMessage?.length ?? 0) > 0 ||
    (input.screenshot?.data.length ?? 0) > 0;
  if (!hasSomething) {
    throw new InvalidReportError('text', 'Enter what the message said, or upload the email or a screenshot');
  }
}

/** A pasted email, as the analyser reads emails: the sender, subject and text the resident gave. */
function pastedEmail(sender: string, subject: string, text: string): ParsedInboundMail {
  const from = parseAddress(sender);
  return {
    from,
    fromAll: from ? [from] : [],
    replyTo: [],
    to: [],
    cc: [],
    returnPath: undefined,
    deliveredTo: [],
    subject,
    date: undefined,
    messageId: undefined,
    inReplyTo: undefined,
    references: [],
    text,
    textSource: 'text',
    textTruncated: false,
    attachments: [],
    authentication: { results: [], arcResults: [], receivedSpf: [], dkimSignatures: [] },
    headers: [],
    problems: ['Pasted by the resident: no headers'],
  };
}

/** "Name <someone@example.com>", "someone@example.com" or just a name. */
function parseAddress(value: string): MailAddress | undefined {
  const angled = /^\s*"?([^"<]*?)"?\s*<([^<>\s]+@[^<>\s]+)>\s*$/.exec(value);
  if (angled) return { name: angled[1]!.trim(), address: angled[2]!.toLowerCase() };
  const bare = /^\s*(?:mailto:)?([^\s@<>]+@[^\s@<>]+)\s*$/i.exec(value);
  if (bare) return { name: '', address: bare[1]!.toLowerCase() };
  return value.trim() ? { name: value.trim(), address: '' } : undefined;
}

function formatAddress(address: MailAddress | undefined): string {
  if (!address) return '';
  return address.name ? `${address.name} <${address.address}>` : address.address;
}

function clip(text: string, max: number): string {
  // Control characters other than line breaks and tabs never reach storage (PostgreSQL text holds no NUL).
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  const cleaned = text.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, '');
  return [...cleaned].length > max ? [...cleaned].slice(0, max).join('') : cleaned;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
