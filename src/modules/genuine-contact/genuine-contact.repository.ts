// The only SQL for the register of genuine contact and for call codes.
import type { Kysely, Transaction } from 'kysely';
import type { DB, GenuineContactsTable } from '../../platform/db/schema.ts';
import type { RegisterEntry, ValidEntry } from './genuine-contact-register.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export interface StoredEntry extends RegisterEntry {
  id: string;
  organisationId: string;
  updatedAt: string;
  updatedByLabel: string;
}

function toEntry(row: GenuineContactsTable): StoredEntry {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    channel: row.channel,
    kind: row.kind,
    value: row.value,
    valueKey: row.value_key,
    description: row.description,
    activeFrom: row.active_from,
    activeTo: row.active_to,
    updatedAt: row.updated_at,
    updatedByLabel: row.updated_by_label,
  };
}

/** A council's register, phone numbers first (the first is the helpline people are told to call). */
export async function listEntries(db: Executor, organisationId: string): Promise<StoredEntry[]> {
  const rows = await db
    .selectFrom('genuine_contacts')
    .selectAll()
    .where('organisation_id', '=', organisationId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(toEntry);
}

export async function findEntry(db: Executor, organisationId: string, id: string): Promise<StoredEntry | undefined> {
  const row = await db
    .selectFrom('genuine_contacts')
    .selectAll()
    .where('organisation_id', '=', organisationId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? toEntry(row) : undefined;
}

export async function insertEntry(
  db: Executor,
  row: { id: string; organisationId: string; entry: ValidEntry; now: string; by: string },
): Promise<void> {
  await db
    .insertInto('genuine_contacts')
    .values({
      id: row.id,
      organisation_id: row.organisationId,
      channel: row.entry.channel,
      kind: row.entry.kind,
      value: row.entry.value,
      value_key: row.entry.valueKey,
      description: row.entry.description,
      active_from: row.entry.activeFrom,
      active_to: row.entry.activeTo,
      created_at: row.now,
      updated_at: row.now,
      updated_by_label: row.by,
    })
    .execute();
}

export async function updateEntry(
  db: Executor,
  row: { id: string; organisationId: string; entry: ValidEntry; now: string; by: string },
): Promise<void> {
  await db
    .updateTable('genuine_contacts')
    .set({
      channel: row.entry.channel,
      kind: row.entry.kind,
      value: row.entry.value,
      value_key: row.entry.valueKey,
      description: row.entry.description,
      active_from: row.entry.activeFrom,
      active_to: row.entry.activeTo,
      updated_at: row.now,
      updated_by_label: row.by,
    })
    .where('id', '=', row.id)
    .where('organisation_id', '=', row.organisationId)
    .execute();
}

export async function findNeverAsk(db: Executor, organisationId: string): Promise<string[]> {
  const row = await db
    .selectFrom('genuine_contact_settings')
    .select('never_ask')
    .where('organisation_id', '=', organisationId)
    .executeTakeFirst();
  if (!row) return [];
  const parsed: unknown = typeof row.never_ask === 'string' ? JSON.parse(row.never_ask) : row.never_ask;
  return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
}

export async function saveNeverAsk(
  db: Executor,
  organisationId: string,
  items: string[],
  now: string,
  by: string,
): Promise<void> {
  const values = { never_ask: JSON.stringify(items), updated_at: now, updated_by_label: by };
  await db
    .insertInto('genuine_contact_settings')
    .values({ organisation_id: organisationId, ...values })
    .onConflict((oc) => oc.column('organisation_id').doUpdateSet(values))
    .execute();
}

export async function insertCallCode(
  db: Executor,
  row: {
    id: string;
    organisationId: string;
    salt: string;
    hash: string;
    userId: string | null;
    label: string;
    now: string;
    expiresAt: string;
  },
): Promise<void> {
  await db
    .insertInto('call_codes')
    .values({
      id: row.id,
      organisation_id: row.organisationId,
      code_salt: row.salt,
      code_hash: row.hash,
      issued_by_user_id: row.userId,
      issued_by_label: row.label,
      created_at: row.now,
      expires_at: row.expiresAt,
      used_at: null,
    })
    .execute();
}

/** Unused codes of a council that have not expired: a handful at most. */
export async function liveCallCodes(
  db: Executor,
  organisationId: string,
  now: string,
): Promise<Array<{ id: string; salt: string; hash: string }>> {
  const rows = await db
    .selectFrom('call_codes')
    .select(['id', 'code_salt', 'code_hash'])
    .where('organisation_id', '=', organisationId)
    .where('expires_at', '>', now)
    .where('used_at', 'is', null)
    .execute();
  return rows.map((r) => ({ id: r.id, salt: r.code_salt, hash: r.code_hash }));
}

/** Marks a code used; false if it was used already (two checks at once cannot both use it). */
export async function useCallCode(db: Executor, id: string, now: string): Promise<boolean> {
  const result = await db
    .updateTable('call_codes')
    .set({ used_at: now })
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
