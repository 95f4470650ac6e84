// The only SQL for organisations, staff users, their roles, set-up links and recovery codes.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB, OrganisationRow, UserRow, UserUpdate } from '../db/schema.ts';
import { newId, nowIso } from '../ids.ts';
import { isRole, type Membership, type Role } from '../policy/policy.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export interface Organisation {
  id: string;
  slug: string;
  name: string;
  shortName: string;
  kind: 'council' | 'agency' | 'provider';
  websiteUrl: string | null;
  officialDomains: string[];
}

export function toOrganisation(row: OrganisationRow): Organisation {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    shortName: row.short_name,
    kind: row.kind,
    websiteUrl: row.website_url,
    officialDomains: JSON.parse(row.official_domains) as string[],
  };
}

export async function listOrganisations(db: Executor, kind?: Organisation['kind']): Promise<Organisation[]> {
  let q = db.selectFrom('organisations').selectAll();
  if (kind) q = q.where('kind', '=', kind);
  return (await q.orderBy('name').execute()).map(toOrganisation);
}

export async function findOrganisationBySlug(db: Executor, slug: string): Promise<Organisation | undefined> {
  const row = await db.selectFrom('organisations').selectAll().where('slug', '=', slug).executeTakeFirst();
  return row ? toOrganisation(row) : undefined;
}

export async function findOrganisationById(db: Executor, id: string): Promise<Organisation | undefined> {
  const row = await db.selectFrom('organisations').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toOrganisation(row) : undefined;
}

export async function upsertOrganisation(
  db: Executor,
  org: Omit<Organisation, 'id'> & { id?: string },
): Promise<Organisation> {
  const at = nowIso();
  const row = await db
    .insertInto('organisations')
    .values({
      id: org.id ?? newId(),
      slug: org.slug,
      name: org.name,
      short_name: org.shortName,
      kind: org.kind,
      website_url: org.websiteUrl,
      official_domains: JSON.stringify(org.officialDomains),
      created_at: at,
      updated_at: at,
    })
    .onConflict((oc) =>
      oc.column('slug').doUpdateSet({
        name: org.name,
        short_name: org.shortName,
        kind: org.kind,
        website_url: org.websiteUrl,
        official_domains: JSON.stringify(org.officialDomains),
        updated_at: at,
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  return toOrganisation(row);
}

export interface StaffUser {
  id: string;
  email: string;
  displayName: string;
  status: UserRow['status'];
  hasPassword: boolean;
  mfaEnrolled: boolean;
  createdAt: string;
  memberships: Membership[];
}

function toStaffUser(row: UserRow, memberships: Membership[]): StaffUser {
  return {
    id: row.id,
    email: row.email,
    displayName: row.display_name,
    status: row.status,
    hasPassword: row.password_hash !== null,
    mfaEnrolled: row.totp_enrolled_at !== null,
    createdAt: row.created_at,
    memberships,
  };
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function findUserRowByEmail(db: Executor, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', normaliseEmail(email)).executeTakeFirst();
}

export async function findUserRowById(db: Executor, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findStaffUser(db: Executor, id: string): Promise<StaffUser | undefined> {
  const row = await findUserRowById(db, id);
  return row ? toStaffUser(row, await membershipsOf(db, id)) : undefined;
}

export async function membershipsOf(db: Executor, userId: string): Promise<Membership[]> {
  const rows = await db
    .selectFrom('memberships')
    .select(['organisation_id', 'role'])
    .where('user_id', '=', userId)
    .orderBy('organisation_id')
    .orderBy('role')
    .execute();
  return rows.filter((r) => isRole(r.role)).map((r) => ({ organisationId: r.organisation_id, role: r.role as Role }));
}

/** Staff who hold any role in any of the given organisations. */
export async function listStaffInOrganisations(db: Executor, organisationIds: string[]): Promise<StaffUser[]> {
  if (organisationIds.length === 0) return [];
  const users = await db
    .selectFrom('users')
    .selectAll()
    .where('id', 'in', (qb) =>
      qb.selectFrom('memberships').select('user_id').where('organisation_id', 'in', organisationIds),
    )
    .orderBy('display_name')
    .execute();
  if (users.length === 0) return [];
  const memberships = await db
    .selectFrom('memberships')
    .select(['user_id', 'organisation_id', 'role'])
    .where(
      'user_id',
      'in',
      users.map((u) => u.id),
    )
    .execute();
  return users.map((u) =>
    toStaffUser(
      u,
      memberships
        .filter((m) => m.user_id === u.id && isRole(m.role))
        .map((m) => ({ organisationId: m.organisation_id, role: m.role as Role })),
    ),
  );
}

export async function insertUser(
  db: Executor,
  user: { email: string; displayName: string; status: UserRow['status'] },
): Promise<UserRow> {
  const at = nowIso();
  return db
    .insertInto('users')
    .values({
      id: newId(),
      email: normaliseEmail(user.email),
      display_name: user.displayName,
      password_hash: null,
      totp_secret_box: null,
      totp_enrolled_at: null,
      totp_last_step: null,
      status: user.status,
      created_at: at,
      updated_at: at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateUser(
  db: Executor,
  id: string,
  changes: Omit<UserUpdate, 'id' | 'updated_at'>,
): Promise<void> {
  await db
    .updateTable('users')
    .set({ ...changes, updated_at: nowIso() })
    .where('id', '=', id)
    .execute();
}

/** Accepts a TOTP step only if it is later than the last one used: a code never works twice. */
export async function claimTotpStep(db: Executor, userId: string, step: number): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set({ totp_last_step: step, updated_at: nowIso() })
    .where('id', '=', userId)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Enrols an authenticator only if none is enrolled yet: two racing enrolments cannot both win. */
export async function enrolTotp(db: Executor, userId: string, box: string, step: number): Promise<boolean> {
  const at = nowIso();
  const result = await db
    .updateTable('users')
    .set({ totp_secret_box: box, totp_enrolled_at: at, totp_last_step: step, updated_at: at })
    .where('id', '=', userId)
    .where('totp_enrolled_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function setMemberships(
  db: Executor,
  userId: string,
  organisationId: string,
  roles: Role[],
): Promise<void> {
  await db
    .deleteFrom('memberships')
    .where('user_id', '=', userId)
    .where('organisation_id', '=', organisationId)
    .execute();
  if (roles.length === 0) return;
  const at = nowIso();
  await db
    .insertInto('memberships')
    .values(roles.map((role) => ({ user_id: userId, organisation_id: organisationId, role, created_at: at })))
    .execute();
}

export async function addMembership(db: Executor, userId: string, organisationId: string, role: Role): Promise<void> {
  await db
    .insertInto('memberships')
    .values({ user_id: userId, organisation_id: organisationId, role, created_at: nowIso() })
    .onConflict((oc) => oc.columns(['user_id', 'organisation_id', 'role']).doNothing())
    .execute();
}

export async function insertUserToken(
  db: Executor,
  token: { userId: string; tokenHash: string; expiresAt: string; createdBy: string | null },
): Promise<void> {
  // A new set-up link replaces any earlier one that was not used.
  await db
    .updateTable('user_tokens')
    .set({ used_at: nowIso() })
    .where('user_id', '=', token.userId)
    .where('purpose', '=', 'setup')
    .where('used_at', 'is', null)
    .execute();
  await db
    .insertInto('user_tokens')
    .values({
      id: newId(),
      user_id: token.userId,
      purpose: 'setup',
      token_hash: token.tokenHash,
      expires_at: token.expiresAt,
      used_at: null,
      created_by: token.createdBy,
      created_at: nowIso(),
    })
    .execute();
}

export async function findUsableToken(
  db: Executor,
  tokenHash: string,
  at: string,
): Promise<{ id: string; userId: string } | undefined> {
  const row = await db
    .selectFrom('user_tokens')
    .select(['id', 'user_id'])
    .where('token_hash', '=', tokenHash)
    .where('purpose', '=', 'setup')
    .where('used_at', 'is', null)
    .where('expires_at', '>', at)
    .executeTakeFirst();
  return row ? { id: row.id, userId: row.user_id } : undefined;
}

/** Marks the token used; false when another request used it first. */
export async function consumeToken(db: Executor, id: string): Promise<boolean> {
  const result = await db
    .updateTable('user_tokens')
    .set({ used_at: nowIso() })
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function replaceRecoveryCodes(db: Executor, userId: string, hashes: string[]): Promise<void> {
  await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
  const at = nowIso();
  await db
    .insertInto('recovery_codes')
    .values(hashes.map((code_hash) => ({ id: newId(), user_id: userId, code_hash, used_at: null, created_at: at })))
    .execute();
}

export async function useRecoveryCode(db: Executor, userId: string, hash: string): Promise<boolean> {
  const result = await db
    .updateTable('recovery_codes')
    .set({ used_at: nowIso() })
    .where('user_id', '=', userId)
    .where('code_hash', '=', hash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function countUnusedRecoveryCodes(db: Executor, userId: string): Promise<number> {
  const row = await db
    .selectFrom('recovery_codes')
    .select(sql<number>`count(*)`.as('n'))
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function deleteRecoveryCodes(db: Executor, userId: string): Promise<void> {
  await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
}

/** Set-up links that were used or ran out before `before`: their hashes are of no more use. */
export async function deleteSpentTokens(db: Executor, before: string): Promise<number> {
  const result = await db
    .deleteFrom('user_tokens')
    .where((eb) => eb.or([eb('used_at', '<', before), eb('expires_at', '<', before)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
