// Records an analysed report straight into the database and groups it, the way intake does after
// the resident's form, forward or API call has been checked: for the demo councils' reports, for
// tests and for the clustering benchmark. The intake module records reports from residents.
import { randomInt } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { DB, SuspiciousReportsTable } from '../../platform/db/schema.ts';
import { newId, nowIso } from '../../platform/ids.ts';
import { readInboundMail } from '../../platform/mail-in/mime-reader.ts';
import { REFERENCE_ALPHABET } from '../enquiries/enquiry-reference.ts';
import type { SuspiciousMessage } from '../suspicious-messages/message-analysis.ts';
import { buildOfficialRegister, indexRegister, type RegisterIndex } from '../suspicious-messages/official-register.ts';
import { DEMO_ORGANISATIONS } from '../../platform/demo/seed-demo.ts';
import { analysedReportFields } from './report-analysis-fields.ts';
import { assignReportToCampaign, type GroupingResult, type OnOutcome } from './report-grouping.ts';

export interface ReportToRecord {
  organisationId: string;
  /** The original email, or a text message as its sender and words. */
  message: { eml: Buffer } | { sms: { sender: string; body: string } };
  kind?: SuspiciousReportsTable['kind'];
  channel?: SuspiciousReportsTable['channel'];
  claimedSender?: string;
  reporterEmail?: string | null;
  wantsOutcome?: boolean;
  createdAt?: string;
}

let demoIndex: RegisterIndex | undefined;
/** The register of the demo councils' official contact, as the CLI's analyser uses by default. */
export function demoRegisterIndex(): RegisterIndex {
  demoIndex ??= indexRegister(buildOfficialRegister(DEMO_ORGANISATIONS));
  return demoIndex;
}

/** `SR-` and eight characters with no look-alikes. */
export function newReportReference(): string {
  let code = '';
  for (let i = 0; i < 8; i += 1) code += REFERENCE_ALPHABET[randomInt(REFERENCE_ALPHABET.length)];
  return `SR-${code}`;
}

/** The report's row: analysed, not yet in a campaign. Parsing happens here, outside any transaction. */
export async function reportRow(
  input: ReportToRecord,
  index: RegisterIndex = demoRegisterIndex(),
): Promise<SuspiciousReportsTable> {
  const now = input.createdAt ?? nowIso();
  let message: SuspiciousMessage;
  let sender: string;
  let subject = '';
  let body: string;
  let original: Buffer | null = null;
  if ('eml' in input.message) {
    const mail = readInboundMail(input.message.eml);
    message = { kind: 'email', id: 'report', mail };
    sender = mail.from?.address ?? '';
    subject = mail.subject;
    body = mail.text;
    original = input.message.eml;
  } else {
    message = { kind: 'sms', id: 'report', sender: input.message.sms.sender, body: input.message.sms.body };
    sender = input.message.sms.sender;
    body = input.message.sms.body;
  }
  return {
    id: newId(),
    reference: newReportReference(),
    organisation_id: input.organisationId,
    channel: input.channel ?? 'web',
    kind: input.kind ?? ('eml' in input.message ? 'email' : 'text'),
    claimed_sender: input.claimedSender ?? '',
    received_on: now.slice(0, 10),
    sender: sender.slice(0, 500),
    subject: subject.slice(0, 500),
    body_text: body.slice(0, 100_000),
    original_message: original,
    inbound_mail_id: null,
    screenshot: null,
    screenshot_type: null,
    reporter_email: input.reporterEmail ?? null,
    wants_outcome: input.wantsOutcome && input.reporterEmail ? 1 : 0,
    acknowledged_at: null,
    outcome_sent_at: null,
    ...analysedReportFields(message, index),
    campaign_id: null,
    status: 'new',
    analyst_note: '',
    ncsc_forwarded_at: null,
    ncsc_forwarded_by_label: null,
    created_at: now,
    updated_at: now,
  };
}

/** Records the report and puts it in its campaign, in the caller's transaction. */
export async function insertAndGroup(
  trx: Transaction<DB>,
  row: SuspiciousReportsTable,
  onOutcome?: OnOutcome,
): Promise<GroupingResult> {
  await trx.insertInto('suspicious_reports').values(row).execute();
  const grouped = await assignReportToCampaign(trx, row.id, { onOutcome, now: row.created_at });
  return grouped!;
}

export async function recordAnalysedReport(
  db: Kysely<DB>,
  input: ReportToRecord,
  options: { index?: RegisterIndex; onOutcome?: OnOutcome } = {},
): Promise<{ id: string; reference: string; campaignId: string; by: GroupingResult['by'] }> {
  const row = await reportRow(input, options.index);
  const grouped = await db.transaction().execute((trx) => insertAndGroup(trx, row, options.onOutcome));
  return { id: row.id, reference: row.reference, ...grouped };
}
