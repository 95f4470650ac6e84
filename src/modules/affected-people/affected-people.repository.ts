// The only SQL for affected people: imports and their checkpoints, refused rows, people found by
// their keys, the councils that hold each person's data, and the lists and searches of them.
// An import batch writes thousands of rows at once, so its statements are multi-row and compiled
// directly (bulk-statements.ts: Kysely's builder costs more than the database for statements this size).
import type { Kysely, Transaction } from 'kysely';
import { insertMany, runStatement as run, selectIn } from '../../platform/db/bulk-statements.ts';
import type { Dialect } from '../../platform/db/database.ts';
import { holdUntilCommit, toCount } from '../../platform/db/database.ts';
import type { AffectedImportsTable, DB } from '../../platform/db/schema.ts';
import type { Selectable } from 'kysely';

type Executor = Kysely<DB> | Transaction<DB>;
export type ImportRow = Selectable<AffectedImportsTable>;

// Imports.

export async function insertImport(executor: Executor, row: ImportRow): Promise<void> {
  await executor.insertInto('affected_imports').values(row).execute();
}

export async function findImport(executor: Executor, id: string): Promise<ImportRow | undefined> {
  const row = await executor.selectFrom('affected_imports').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? normaliseImport(row) : undefined;
}

function normaliseImport(row: ImportRow): ImportRow {
  return {
    ...row,
    byte_size: toCount(row.byte_size),
    bytes_done: toCount(row.bytes_done),
    lines_done: toCount(row.lines_done),
    rows_accepted: toCount(row.rows_accepted),
    rows_rejected: toCount(row.rows_rejected),
    people_added: toCount(row.people_added),
    has_header: toCount(row.has_header),
  };
}

export async function listImports(executor: Executor, incidentId: string, organisationIds: string[]) {
  if (organisationIds.length === 0) return [];
  const rows = await executor
    .selectFrom('affected_imports')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .where('organisation_id', 'in', organisationIds)
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map(normaliseImport);
}

/** Earlier imports of the same bytes for the same council and incident. */
export async function importsOfSameFile(
  executor: Executor,
  incidentId: string,
  organisationId: string,
  sha256: string,
  exceptId: string,
) {
  const rows = await executor
    .selectFrom('affected_imports')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .where('organisation_id', '=', organisationId)
    .where('sha256', '=', sha256)
    .where('id', '!=', exceptId)
    .orderBy('created_at')
    .execute();
  return rows.map(normaliseImport);
}

export async function updateImport(
  executor: Executor,
  id: string,
  changes: Partial<Omit<ImportRow, 'id'>>,
  onlyIfStatus?: ImportRow['status'][],
): Promise<boolean> {
  let query = executor.updateTable('affected_imports').set(changes).where('id', '=', id);
  if (onlyIfStatus) query = query.where('status', 'in', onlyIfStatus);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Moves the checkpoint on, with the counts, only if it is still where this batch began: a batch
 * that another run already stored can never be stored twice.
 */
export async function advanceCheckpoint(
  trx: Transaction<DB>,
  input: {
    id: string;
    fromByte: number;
    toByte: number;
    toLine: number;
    accepted: number;
    rejected: number;
    peopleAdded: number;
  },
): Promise<boolean> {
  const result = await trx
    .updateTable('affected_imports')
    .set((eb) => ({
      bytes_done: input.toByte,
      lines_done: input.toLine,
      rows_accepted: eb('rows_accepted', '+', input.accepted),
      rows_rejected: eb('rows_rejected', '+', input.rejected),
      people_added: eb('people_added', '+', input.peopleAdded),
    }))
    .where('id', '=', input.id)
    .where('bytes_done', '=', input.fromByte)
    .where('status', '=', 'importing')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** One import at a time changes an incident's people (PostgreSQL; SQLite has one writer anyway). */
export async function lockIncidentPeople(trx: Transaction<DB>, incidentId: string): Promise<void> {
  await holdUntilCommit(trx, `affected:${incidentId}`);
}

export async function insertRejections(
  trx: Transaction<DB>,
  dialect: Dialect,
  importId: string,
  rejections: readonly { line: number; reason: string }[],
): Promise<void> {
  if (rejections.length === 0) return;
  await insertMany(
    trx,
    dialect,
    'insert into affected_import_rejections (import_id, line, reason) values',
    'on conflict (import_id, line) do nothing',
    3,
    rejections,
    (r, out) => out.push(importId, r.line, r.reason),
  );
}

export async function listRejections(executor: Executor, importId: string, limit: number, offset: number) {
  return executor
    .selectFrom('affected_import_rejections')
    .select(['line', 'reason'])
    .where('import_id', '=', importId)
    .orderBy('line')
    .limit(limit)
    .offset(offset)
    .execute();
}

/** Rejections in pages by line, for a download of any length. */
export async function* allRejections(executor: Executor, importId: string) {
  let after = 0;
  for (;;) {
    const rows = await executor
      .selectFrom('affected_import_rejections')
      .select(['line', 'reason'])
      .where('import_id', '=', importId)
      .where('line', '>', after)
      .orderBy('line')
      .limit(5000)
      .execute();
    if (rows.length === 0) return;
    yield rows;
    after = rows[rows.length - 1]!.line;
  }
}

// People.

export interface StoredPerson {
  id: string;
  fullName: string;
  email: string | null;
  phone: string | null;
  addressLines: string[];
  postcode: string | null;
}

/** Which person each key already belongs to, for the keys that are known. */
export async function personIdsByKey(
  trx: Transaction<DB>,
  dialect: Dialect,
  incidentId: string,
  keys: readonly string[],
): Promise<Map<string, string>> {
  const rows = await selectIn(
    keys,
    async (list, slice) =>
      (await run(
        trx,
        `select key, person_id from affected_person_keys where incident_id = ${dialect === 'postgres' ? '$1' : '?'} and key in (${list})`,
        [incidentId, ...slice],
      )) as { key: string; person_id: string }[],
    dialect,
    2,
  );
  return new Map(rows.map((row) => [row.key, row.person_id]));
}

const personFrom = (row: {
  id: string;
  full_name: string;
  email: string | null;
  phone_e164: string | null;
  address_lines: string;
  postcode: string | null;
}): StoredPerson => ({
  id: row.id,
  fullName: row.full_name,
  email: row.email,
  phone: row.phone_e164,
  addressLines: JSON.parse(row.address_lines) as string[],
  postcode: row.postcode,
});

export async function peopleByIds(
  trx: Transaction<DB>,
  dialect: Dialect,
  ids: readonly string[],
  organisationId: string,
): Promise<{ people: Map<string, StoredPerson>; councilCategories: Map<string, string[]> }> {
  const people = new Map<string, StoredPerson>();
  const councilCategories = new Map<string, string[]>();
  const rows = await selectIn(
    ids,
    async (list, slice) =>
      (await run(
        trx,
        `select id, full_name, email, phone_e164, address_lines, postcode from affected_people where id in (${list})`,
        slice,
      )) as Parameters<typeof personFrom>[0][],
    dialect,
    1,
  );
  for (const row of rows) people.set(row.id, personFrom(row));
  const links = await selectIn(
    ids,
    async (list, slice) =>
      (await run(
        trx,
        `select person_id, data_categories from affected_person_councils where organisation_id = ${dialect === 'postgres' ? '$1' : '?'} and person_id in (${list})`,
        [organisationId, ...slice],
      )) as { person_id: string; data_categories: string }[],
    dialect,
    2,
  );
  for (const link of links) councilCategories.set(link.person_id, JSON.parse(link.data_categories) as string[]);
  return { people, councilCategories };
}

export async function insertPeople(
  trx: Transaction<DB>,
  dialect: Dialect,
  incidentId: string,
  people: readonly StoredPerson[],
  now: string,
): Promise<void> {
  if (people.length === 0) return;
  await insertMany(
    trx,
    dialect,
    'insert into affected_people (id, incident_id, full_name, email, phone_e164, address_lines, postcode, created_at, updated_at) values',
    '',
    9,
    people,
    (p, out) =>
      out.push(p.id, incidentId, p.fullName, p.email, p.phone, JSON.stringify(p.addressLines), p.postcode, now, now),
  );
}

export async function updatePerson(trx: Transaction<DB>, person: StoredPerson, now: string): Promise<void> {
  await trx
    .updateTable('affected_people')
    .set({
      full_name: person.fullName,
      email: person.email,
      phone_e164: person.phone,
      address_lines: JSON.stringify(person.addressLines),
      postcode: person.postcode,
      updated_at: now,
    })
    .where('id', '=', person.id)
    .execute();
}

export async function insertKeys(
  trx: Transaction<DB>,
  dialect: Dialect,
  incidentId: string,
  keys: readonly { key: string; personId: string }[],
): Promise<void> {
  if (keys.length === 0) return;
  await insertMany(
    trx,
    dialect,
    'insert into affected_person_keys (incident_id, key, person_id) values',
    'on conflict (incident_id, key) do nothing',
    3,
    keys,
    (k, out) => out.push(incidentId, k.key, k.personId),
  );
}

export async function upsertCouncilLinks(
  trx: Transaction<DB>,
  dialect: Dialect,
  organisationId: string,
  importId: string,
  /** Each person's categories for this council, as the stored JSON array. */
  links: readonly { personId: string; categoriesJson: string }[],
): Promise<void> {
  if (links.length === 0) return;
  await insertMany(
    trx,
    dialect,
    'insert into affected_person_councils (person_id, organisation_id, data_categories, first_import_id) values',
    'on conflict (person_id, organisation_id) do update set data_categories = excluded.data_categories',
    4,
    links,
    (l, out) => out.push(l.personId, organisationId, l.categoriesJson, importId),
  );
}

// Lists and searches, always through the councils the viewer may see.

export interface PersonSearch {
  incidentId: string;
  organisationIds: string[];
  /** A key to look up (`email:…` or `phone:…`), or a postcode. */
  key?: string | undefined;
  postcode?: string | undefined;
  limit: number;
  offset: number;
}

function visiblePeople(executor: Executor, search: PersonSearch) {
  let query = executor
    .selectFrom('affected_people as p')
    .where('p.incident_id', '=', search.incidentId)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('affected_person_councils as c')
          .select('c.person_id')
          .whereRef('c.person_id', '=', 'p.id')
          .where('c.organisation_id', 'in', search.organisationIds),
      ),
    );
  if (search.key) {
    const key = search.key;
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('affected_person_keys as k')
          .select('k.person_id')
          .whereRef('k.person_id', '=', 'p.id')
          .where('k.incident_id', '=', search.incidentId)
          .where('k.key', '=', key),
      ),
    );
  }
  if (search.postcode) query = query.where('p.postcode', '=', search.postcode);
  return query;
}

export async function searchPeople(executor: Executor, search: PersonSearch) {
  if (search.organisationIds.length === 0) return { total: 0, people: [] };
  const total = await visiblePeople(executor, search)
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  const rows = await visiblePeople(executor, search)
    .select(['p.id', 'p.full_name', 'p.email', 'p.phone_e164', 'p.address_lines', 'p.postcode'])
    .orderBy('p.id')
    .limit(search.limit)
    .offset(search.offset)
    .execute();
  return { total: toCount(total.n), people: rows.map(personFrom) };
}

/** Every visible person, in pages by id, for an export of any size. */
export async function* allVisiblePeople(executor: Executor, incidentId: string, organisationIds: string[]) {
  if (organisationIds.length === 0) return;
  let after = '';
  for (;;) {
    const rows = await visiblePeople(executor, { incidentId, organisationIds, limit: 0, offset: 0 })
      .select(['p.id', 'p.full_name', 'p.email', 'p.phone_e164', 'p.address_lines', 'p.postcode'])
      .where('p.id', '>', after)
      .orderBy('p.id')
      .limit(2000)
      .execute();
    if (rows.length === 0) return;
    const people = rows.map(personFrom);
    const councils = await councilsOf(
      executor,
      people.map((p) => p.id),
    );
    yield people.map((p) => ({ ...p, councils: councils.get(p.id) ?? [] }));
    after = rows[rows.length - 1]!.id;
  }
}

export async function findPerson(executor: Executor, incidentId: string, personId: string) {
  const row = await executor
    .selectFrom('affected_people')
    .select(['id', 'full_name', 'email', 'phone_e164', 'address_lines', 'postcode'])
    .where('incident_id', '=', incidentId)
    .where('id', '=', personId)
    .executeTakeFirst();
  return row ? personFrom(row) : undefined;
}

export interface CouncilLink {
  organisationId: string;
  organisationName: string;
  categories: string[];
}

export async function councilsOf(
  executor: Executor,
  personIds: readonly string[],
): Promise<Map<string, CouncilLink[]>> {
  const found = new Map<string, CouncilLink[]>();
  if (personIds.length === 0) return found;
  const rows = await executor
    .selectFrom('affected_person_councils as c')
    .innerJoin('organisations as o', 'o.id', 'c.organisation_id')
    .select(['c.person_id', 'c.organisation_id', 'o.name', 'c.data_categories'])
    .where('c.person_id', 'in', personIds)
    .orderBy('o.name')
    .execute();
  for (const row of rows) {
    const list = found.get(row.person_id) ?? [];
    list.push({
      organisationId: row.organisation_id,
      organisationName: row.name,
      categories: JSON.parse(row.data_categories) as string[],
    });
    found.set(row.person_id, list);
  }
  return found;
}

export async function countPeople(executor: Executor, incidentId: string): Promise<number> {
  const row = await executor
    .selectFrom('affected_people')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('incident_id', '=', incidentId)
    .executeTakeFirstOrThrow();
  return toCount(row.n);
}
