// The only SQL for taking suspicious-message reports: the reports themselves, the report mailbox
// addresses, and the public form's drafts. Rows become domain types here (booleans, JSON, bytes).
import type { Insertable, Kysely, Transaction } from 'kysely';
import type { DB, SuspiciousReportsTable } from '../../platform/db/schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export async function insertReport(db: Executor, row: Insertable<SuspiciousReportsTable>): Promise<void> {
  await db.insertInto('suspicious_reports').values(row).execute();
}

export async function referenceTaken(db: Executor, reference: string): Promise<boolean> {
  const row = await db
    .selectFrom('suspicious_reports')
    .select('id')
    .where('reference', '=', reference)
    .executeTakeFirst();
  return row !== undefined;
}

export interface ReportForOutcome {
  id: string;
  reference: string;
  organisationId: string;
  kind: SuspiciousReportsTable['kind'];
  reporterEmail: string | null;
  wantsOutcome: boolean;
  outcomeSentAt: string | null;
}

export async function findReportForOutcome(db: Executor, id: string): Promise<ReportForOutcome | undefined> {
  const row = await db
    .selectFrom('suspicious_reports')
    .select(['id', 'reference', 'organisation_id', 'kind', 'reporter_email', 'wants_outcome', 'outcome_sent_at'])
    .where('id', '=', id)
    .executeTakeFirst();
  return (
    row && {
      id: row.id,
      reference: row.reference,
      organisationId: row.organisation_id,
      kind: row.kind,
      reporterEmail: row.reporter_email,
      wantsOutcome: Number(row.wants_outcome) === 1,
      outcomeSentAt: row.outcome_sent_at,
    }
  );
}

/** Marks the outcome sent; false when it had been already (so it is sent once). */
export async function markOutcomeSent(db: Executor, id: string, at: string): Promise<boolean> {
  const result = await db
    .updateTable('suspicious_reports')
    .set({ outcome_sent_at: at, updated_at: at })
    .where('id', '=', id)
    .where('outcome_sent_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

// The report mailbox.

/** Every council's report addresses, address to council id. */
export async function reportAddresses(db: Executor): Promise<Map<string, string>> {
  const rows = await db
    .selectFrom('suspicious_report_settings')
    .select(['organisation_id', 'report_addresses'])
    .execute();
  const byAddress = new Map<string, string>();
  for (const row of rows) {
    for (const address of JSON.parse(row.report_addresses) as string[]) {
      if (!byAddress.has(address)) byAddress.set(address, row.organisation_id);
    }
  }
  return byAddress;
}

export async function councilReportAddresses(db: Executor, organisationId: string): Promise<string[] | undefined> {
  const row = await db
    .selectFrom('suspicious_report_settings')
    .select('report_addresses')
    .where('organisation_id', '=', organisationId)
    .executeTakeFirst();
  return row && (JSON.parse(row.report_addresses) as string[]);
}

export async function setReportAddresses(
  db: Executor,
  organisationId: string,
  addresses: string[],
  now: string,
): Promise<void> {
  const value = JSON.stringify(addresses.map((a) => a.toLowerCase()));
  await db
    .insertInto('suspicious_report_settings')
    .values({ organisation_id: organisationId, report_addresses: value, updated_at: now })
    .onConflict((oc) => oc.column('organisation_id').doUpdateSet({ report_addresses: value, updated_at: now }))
    .execute();
}

// The public form's drafts.

export interface ReportDraft {
  organisationId: string;
  answers: string;
  emailFile: { name: string; data: Buffer } | undefined;
  screenshot: { name: string; type: 'image/png' | 'image/jpeg'; data: Buffer } | undefined;
  reportId: string | null;
}

export async function findDraft(db: Executor, tokenHash: string, now: string): Promise<ReportDraft | undefined> {
  const row = await db
    .selectFrom('suspicious_report_drafts')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    organisationId: row.organisation_id,
    answers: row.answers,
    emailFile: row.email_file
      ? { name: row.email_file_name ?? 'message.eml', data: Buffer.from(row.email_file) }
      : undefined,
    screenshot:
      row.screenshot && row.screenshot_type
        ? { name: row.screenshot_name ?? 'screenshot', type: row.screenshot_type, data: Buffer.from(row.screenshot) }
        : undefined,
    reportId: row.report_id,
  };
}

export async function upsertDraft(
  db: Executor,
  row: {
    tokenHash: string;
    organisationId: string;
    answers: string;
    emailFile: { name: string; data: Buffer } | null | undefined;
    screenshot: { name: string; type: 'image/png' | 'image/jpeg'; data: Buffer } | null | undefined;
    now: string;
    expiresAt: string;
  },
): Promise<void> {
  // Undefined keeps an upload the draft already has; null removes it.
  const uploads = {
    ...(row.emailFile !== undefined
      ? { email_file: row.emailFile?.data ?? null, email_file_name: row.emailFile?.name ?? null }
      : {}),
    ...(row.screenshot !== undefined
      ? {
          screenshot: row.screenshot?.data ?? null,
          screenshot_type: row.screenshot?.type ?? null,
          screenshot_name: row.screenshot?.name ?? null,
        }
      : {}),
  };
  await db
    .insertInto('suspicious_report_drafts')
    .values({
      token_hash: row.tokenHash,
      organisation_id: row.organisationId,
      answers: row.answers,
      email_file: null,
      email_file_name: null,
      screenshot: null,
      screenshot_type: null,
      screenshot_name: null,
      ...uploads,
      report_id: null,
      created_at: row.now,
      expires_at: row.expiresAt,
    })
    .onConflict((oc) =>
      oc.column('token_hash').doUpdateSet({
        organisation_id: row.organisationId,
        answers: row.answers,
        ...uploads,
        report_id: null,
        expires_at: row.expiresAt,
      }),
    )
    .execute();
}

/** Marks a draft sent and forgets its answers and uploads (the report has them); false if sent already. */
export async function markDraftSent(db: Executor, tokenHash: string, reportId: string): Promise<boolean> {
  const result = await db
    .updateTable('suspicious_report_drafts')
    .set({
      answers: '{}',
      email_file: null,
      email_file_name: null,
      screenshot: null,
      screenshot_type: null,
      screenshot_name: null,
      report_id: reportId,
    })
    .where('token_hash', '=', tokenHash)
    .where('report_id', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function findReference(db: Executor, reportId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('suspicious_reports')
    .select('reference')
    .where('id', '=', reportId)
    .executeTakeFirst();
  return row?.reference;
}

export async function deleteExpiredDrafts(db: Executor, now: string): Promise<number> {
  const result = await db.deleteFrom('suspicious_report_drafts').where('expires_at', '<', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
