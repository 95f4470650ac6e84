// The only SQL for reply templates: each council's templates and every version of their wording.
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { DB, EnquiryTopic, ReplyTemplatesTable, ReplyTemplateVersionsTable } from '../../platform/db/schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export interface ReplyTemplate {
  id: string;
  organisationId: string;
  name: string;
  latestVersion: number;
  approvedVersionId: string | null;
  withdrawnAt: string | null;
  withdrawnByLabel: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ReplyTemplateVersion {
  id: string;
  templateId: string;
  version: number;
  name: string;
  topics: EnquiryTopic[];
  subject: string;
  body: string;
  draftedByUserId: string | null;
  draftedByLabel: string;
  createdAt: string;
  approvedByUserId: string | null;
  approvedByLabel: string | null;
  approvedAt: string | null;
}

function toTemplate(row: Selectable<ReplyTemplatesTable>): ReplyTemplate {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    name: row.name,
    latestVersion: Number(row.latest_version),
    approvedVersionId: row.approved_version_id,
    withdrawnAt: row.withdrawn_at,
    withdrawnByLabel: row.withdrawn_by_label,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toVersion(row: Selectable<ReplyTemplateVersionsTable>): ReplyTemplateVersion {
  return {
    id: row.id,
    templateId: row.template_id,
    version: Number(row.version),
    name: row.name,
    topics: JSON.parse(row.topics) as EnquiryTopic[],
    subject: row.subject,
    body: row.body,
    draftedByUserId: row.drafted_by_user_id,
    draftedByLabel: row.drafted_by_label,
    createdAt: row.created_at,
    approvedByUserId: row.approved_by_user_id,
    approvedByLabel: row.approved_by_label,
    approvedAt: row.approved_at,
  };
}

export async function insertTemplate(db: Executor, row: Selectable<ReplyTemplatesTable>): Promise<void> {
  await db.insertInto('reply_templates').values(row).execute();
}

export async function insertVersion(db: Executor, row: Selectable<ReplyTemplateVersionsTable>): Promise<void> {
  await db.insertInto('reply_template_versions').values(row).execute();
}

export async function findTemplate(db: Executor, id: string): Promise<ReplyTemplate | undefined> {
  const row = await db.selectFrom('reply_templates').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toTemplate(row);
}

export async function findVersion(db: Executor, id: string): Promise<ReplyTemplateVersion | undefined> {
  const row = await db.selectFrom('reply_template_versions').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toVersion(row);
}

/** Every version of a template, newest first. */
export async function listVersions(db: Executor, templateId: string): Promise<ReplyTemplateVersion[]> {
  const rows = await db
    .selectFrom('reply_template_versions')
    .selectAll()
    .where('template_id', '=', templateId)
    .orderBy('version', 'desc')
    .execute();
  return rows.map(toVersion);
}

/** The councils' templates by name, each with its latest version. */
export async function listTemplates(
  db: Executor,
  organisationIds: readonly string[],
): Promise<Array<{ template: ReplyTemplate; latest: ReplyTemplateVersion }>> {
  if (organisationIds.length === 0) return [];
  const templates = await db
    .selectFrom('reply_templates')
    .selectAll()
    .where('organisation_id', 'in', organisationIds)
    .orderBy('name_key')
    .execute();
  if (templates.length === 0) return [];
  const latest = await db
    .selectFrom('reply_template_versions as v')
    .innerJoin('reply_templates as t', (join) =>
      join.onRef('t.id', '=', 'v.template_id').onRef('t.latest_version', '=', 'v.version'),
    )
    .selectAll('v')
    .where('t.organisation_id', 'in', organisationIds)
    .execute();
  const byTemplate = new Map(latest.map((row) => [row.template_id, toVersion(row)]));
  return templates.flatMap((row) => {
    const version = byTemplate.get(row.id);
    return version ? [{ template: toTemplate(row), latest: version }] : [];
  });
}

/** The versions agents may send now in a council: approved, of templates not withdrawn, by name. */
export async function listUsableVersions(db: Executor, organisationId: string): Promise<ReplyTemplateVersion[]> {
  const rows = await db
    .selectFrom('reply_templates as t')
    .innerJoin('reply_template_versions as v', 'v.id', 't.approved_version_id')
    .selectAll('v')
    .where('t.organisation_id', '=', organisationId)
    .where('t.withdrawn_at', 'is', null)
    .orderBy('t.name_key')
    .execute();
  return rows.map(toVersion);
}

export async function nameTaken(
  db: Executor,
  organisationId: string,
  nameKey: string,
  exceptTemplateId?: string,
): Promise<boolean> {
  let query = db
    .selectFrom('reply_templates')
    .select('id')
    .where('organisation_id', '=', organisationId)
    .where('name_key', '=', nameKey);
  if (exceptTemplateId) query = query.where('id', '!=', exceptTemplateId);
  return (await query.executeTakeFirst()) !== undefined;
}

/**
 * Records a new latest version, if the latest is still the one the person saw. False when it is
 * not: someone else saved a version first.
 */
export async function advanceLatest(
  db: Executor,
  templateId: string,
  seenVersion: number,
  change: { name: string; nameKey: string; at: string },
): Promise<boolean> {
  const result = await db
    .updateTable('reply_templates')
    .set({
      latest_version: seenVersion + 1,
      name: change.name,
      name_key: change.nameKey,
      updated_at: change.at,
    })
    .where('id', '=', templateId)
    .where('latest_version', '=', seenVersion)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Marks a version approved, unless someone approved it already. */
export async function approveVersion(
  db: Executor,
  versionId: string,
  approver: { userId: string | null; label: string; at: string },
): Promise<boolean> {
  const result = await db
    .updateTable('reply_template_versions')
    .set({ approved_by_user_id: approver.userId, approved_by_label: approver.label, approved_at: approver.at })
    .where('id', '=', versionId)
    .where('approved_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Makes `version` the one agents send, if it is still the latest; approving brings a withdrawn template back. */
export async function useVersion(
  db: Executor,
  templateId: string,
  version: { id: string; number: number },
  at: string,
): Promise<boolean> {
  const result = await db
    .updateTable('reply_templates')
    .set({ approved_version_id: version.id, withdrawn_at: null, withdrawn_by_label: null, updated_at: at })
    .where('id', '=', templateId)
    .where('latest_version', '=', version.number)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function withdrawTemplate(
  db: Executor,
  templateId: string,
  by: { label: string; at: string },
): Promise<boolean> {
  const result = await db
    .updateTable('reply_templates')
    .set({ withdrawn_at: by.at, withdrawn_by_label: by.label, updated_at: by.at })
    .where('id', '=', templateId)
    .where('withdrawn_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
