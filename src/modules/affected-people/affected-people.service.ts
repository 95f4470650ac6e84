// Affected people, for the data protection officer: importing a council's file (register the
// uploaded file, preview it and map its columns, start the import job, watch it, see what it
// refused), and finding, viewing and exporting the people it found. A DPO sees only imports and
// people of the councils they hold the role in; every view of a person's details is audited.
import { rm } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import { recordAudit, type AuditActor } from '../../platform/audit/audit.service.ts';
import type { DB } from '../../platform/db/schema.ts';
import { newId, nowIso, isId } from '../../platform/ids.ts';
import { organisationsWhere, type Principal } from '../../platform/policy/policy.ts';
import { isDataCategory, type DataCategory } from '../breaches/breach-record.ts';
import { firstRecords, inspectFile, isUploadedFile, runImport } from './affected-import.ts';
import type { Database } from '../../platform/db/database.ts';
import { enqueueAffectedImport } from './affected-import-jobs.ts';
import * as repo from './affected-people.repository.ts';
import {
  columnMapProblems,
  guessColumnMap,
  IMPORT_FIELD_KEYS,
  type ColumnMap,
  type ImportField,
} from './affected-rows.ts';
import { normaliseEmail, normalisePhone, normalisePostcode } from './contact-normalisers.ts';

export class NotFoundError extends Error {
  readonly statusCode = 404;
  constructor() {
    super('not found');
  }
}

export const PEOPLE_PAGE_SIZE = 50;
export const PREVIEW_ROWS = 10;

export interface Scope {
  incident: { id: string; reference: string; title: string };
  /** The councils of the incident in which the principal is a DPO. */
  councils: { id: string; slug: string; name: string }[];
}

export interface NewImportInput {
  incidentId: string;
  organisationId: string;
  fileName: string;
  storedPath: string;
  categories: DataCategory[];
  hasHeader: boolean;
}

/** Registers a file that is on disk as an import, not yet started. */
export async function registerImport(
  db: Kysely<DB>,
  actor: AuditActor,
  input: NewImportInput,
): Promise<repo.ImportRow> {
  const facts = await inspectFile(input.storedPath);
  const row: repo.ImportRow = {
    id: newId(),
    incident_id: input.incidentId,
    organisation_id: input.organisationId,
    file_name: input.fileName.slice(0, 200),
    stored_path: input.storedPath,
    byte_size: facts.byteSize,
    sha256: facts.sha256,
    encoding: facts.encoding,
    column_map: null,
    has_header: input.hasHeader ? 1 : 0,
    data_categories: JSON.stringify(input.categories),
    status: 'uploaded',
    bytes_done: 0,
    lines_done: 0,
    rows_accepted: 0,
    rows_rejected: 0,
    people_added: 0,
    failure: null,
    created_at: nowIso(),
    created_by_user_id: actor.userId,
    created_by_label: actor.label,
    started_at: null,
    finished_at: null,
  };
  await db.transaction().execute(async (trx) => {
    await repo.insertImport(trx, row);
    await recordAudit(trx, actor, {
      action: 'affected-import.uploaded',
      organisationId: input.organisationId,
      targetType: 'affected-import',
      targetId: row.id,
      details: { incidentId: input.incidentId, fileName: row.file_name, bytes: facts.byteSize, sha256: facts.sha256 },
    });
  });
  return row;
}

/**
 * Sets the column map and queues the import. With `enqueue` false the caller runs it itself (the
 * command line); otherwise the job worker does.
 */
export async function startImport(
  db: Kysely<DB>,
  actor: AuditActor,
  importId: string,
  map: ColumnMap,
  hasHeader: boolean,
  options: { enqueue: boolean } = { enqueue: true },
): Promise<{ ok: true } | { ok: false; errors: string[] }> {
  const row = await repo.findImport(db, importId);
  if (!row) throw new NotFoundError();
  const first = (await firstRecords(row.stored_path, row.encoding, 1))[0];
  const errors = columnMapProblems(map, first?.fields.length ?? 0);
  if (errors.length) return { ok: false, errors };
  await db.transaction().execute(async (trx) => {
    const moved = await repo.updateImport(
      trx,
      importId,
      { column_map: JSON.stringify(map), has_header: hasHeader ? 1 : 0, status: 'queued' },
      ['uploaded'],
    );
    if (!moved) return;
    if (options.enqueue) await enqueueAffectedImport(trx, importId, row.organisation_id);
    await recordAudit(trx, actor, {
      action: 'affected-import.started',
      organisationId: row.organisation_id,
      targetType: 'affected-import',
      targetId: importId,
      details: { columns: map, hasHeader },
    });
  });
  return { ok: true };
}

export function createAffectedPeopleService(db: Kysely<DB>) {
  const dpoCouncils = (principal: Principal) => organisationsWhere(principal, 'breach.manage');
  const readerCouncils = (principal: Principal) => organisationsWhere(principal, 'affected-person.read');

  /** The incident and the principal's councils in it; 404 when they have none. */
  async function scope(principal: Principal, incidentId: string, action: 'manage' | 'read'): Promise<Scope> {
    if (!isId(incidentId)) throw new NotFoundError();
    const incident = await db
      .selectFrom('incidents')
      .select(['id', 'reference', 'title'])
      .where('id', '=', incidentId)
      .executeTakeFirst();
    if (!incident) throw new NotFoundError();
    const allowed = action === 'manage' ? dpoCouncils(principal) : readerCouncils(principal);
    if (allowed.length === 0) throw new NotFoundError();
    const councils = await db
      .selectFrom('incident_organisations as io')
      .innerJoin('organisations as o', 'o.id', 'io.organisation_id')
      .select(['o.id', 'o.slug', 'o.name'])
      .where('io.incident_id', '=', incidentId)
      .where('o.id', 'in', allowed)
      .orderBy('o.name')
      .execute();
    if (councils.length === 0) throw new NotFoundError();
    return { incident, councils };
  }

  async function importInScope(principal: Principal, incidentId: string, importId: string) {
    const found = await scope(principal, incidentId, 'manage');
    if (!isId(importId)) throw new NotFoundError();
    const row = await repo.findImport(db, importId);
    if (!row || row.incident_id !== incidentId || !found.councils.some((c) => c.id === row.organisation_id)) {
      throw new NotFoundError();
    }
    const council = found.councils.find((c) => c.id === row.organisation_id)!;
    return { ...found, row, council };
  }

  return {
    scope,

    async imports(principal: Principal, incidentId: string) {
      const found = await scope(principal, incidentId, 'manage');
      const rows = await repo.listImports(
        db,
        incidentId,
        found.councils.map((c) => c.id),
      );
      const people = await repo.countPeople(db, incidentId);
      return { ...found, imports: rows, people };
    },

    /** An uploaded file to register, with the council and categories the DPO chose. */
    async upload(
      principal: Principal,
      actor: AuditActor,
      incidentId: string,
      input: { councilId: string; categories: string[]; fileName: string; storedPath: string; byteSize: number },
    ): Promise<{ ok: true; importId: string } | { ok: false; errors: { field: string; text: string }[] }> {
      const found = await scope(principal, incidentId, 'manage');
      const errors: { field: string; text: string }[] = [];
      if (!found.councils.some((c) => c.id === input.councilId)) {
        errors.push({ field: 'council', text: 'Select the council whose data the file holds' });
      }
      const categories = input.categories.filter(isDataCategory);
      if (categories.length === 0 || categories.length !== input.categories.length) {
        errors.push({ field: 'categories', text: 'Select the kinds of data in the file' });
      }
      // The GOV.UK file upload pattern's messages: nothing chosen, or a file with nothing in it.
      if (input.byteSize === 0)
        errors.push({ field: 'file', text: input.fileName ? 'The selected file is empty' : 'Select a CSV file' });
      if (errors.length) {
        await rm(input.storedPath, { force: true });
        return { ok: false, errors };
      }
      const row = await registerImport(db, actor, {
        incidentId,
        organisationId: input.councilId,
        fileName: input.fileName,
        storedPath: input.storedPath,
        categories,
        hasHeader: true,
      });
      return { ok: true, importId: row.id };
    },

    /** The first rows of the file, to map its columns. The DPO's own council's data: audited. */
    async preview(principal: Principal, actor: AuditActor, incidentId: string, importId: string) {
      const found = await importInScope(principal, incidentId, importId);
      const records =
        found.row.status === 'uploaded'
          ? await firstRecords(found.row.stored_path, found.row.encoding, PREVIEW_ROWS + 1)
          : [];
      const header = records[0]?.fields ?? [];
      const sameFile = await repo.importsOfSameFile(
        db,
        incidentId,
        found.row.organisation_id,
        found.row.sha256,
        importId,
      );
      if (records.length) {
        await recordAudit(db, actor, {
          action: 'affected-import.previewed',
          organisationId: found.row.organisation_id,
          targetType: 'affected-import',
          targetId: importId,
          details: { rows: records.length },
        });
      }
      return {
        ...found,
        header,
        rows: records.slice(1).map((r) => ({ line: r.line, fields: r.fields })),
        guessed: guessColumnMap(header),
        sameFile,
      };
    },

    async start(
      principal: Principal,
      actor: AuditActor,
      incidentId: string,
      importId: string,
      map: ColumnMap,
      hasHeader: boolean,
    ) {
      const found = await importInScope(principal, incidentId, importId);
      if (found.row.status !== 'uploaded') return { ok: true as const };
      return startImport(db, actor, importId, map, hasHeader);
    },

    /**
     * Cancels an import that has not finished. A running import stops at the end of the batch it is
     * storing (that batch is undone; what earlier batches stored stays); a queued one never starts.
     */
    async cancel(principal: Principal, actor: AuditActor, incidentId: string, importId: string) {
      const found = await importInScope(principal, incidentId, importId);
      const cancelled = await db.transaction().execute(async (trx) => {
        const moved = await repo.updateImport(trx, importId, { status: 'cancelled', finished_at: nowIso() }, [
          'uploaded',
          'queued',
          'importing',
        ]);
        if (!moved) return false;
        await recordAudit(trx, actor, {
          action: 'affected-import.cancelled',
          organisationId: found.row.organisation_id,
          targetType: 'affected-import',
          targetId: importId,
          details: { status: found.row.status, linesDone: found.row.lines_done },
        });
        return true;
      });
      // The uploaded file is no longer needed (a running import that still reads it stops anyway).
      if (cancelled && isUploadedFile(found.row.stored_path)) await rm(found.row.stored_path, { force: true });
      return { cancelled };
    },

    async progress(principal: Principal, incidentId: string, importId: string) {
      return importInScope(principal, incidentId, importId);
    },

    async rejections(principal: Principal, actor: AuditActor, incidentId: string, importId: string, page: number) {
      const found = await importInScope(principal, incidentId, importId);
      const rows = await repo.listRejections(db, importId, 100, (page - 1) * 100);
      return { ...found, rejections: rows, page };
    },

    async rejectionsForDownload(principal: Principal, actor: AuditActor, incidentId: string, importId: string) {
      const found = await importInScope(principal, incidentId, importId);
      await recordAudit(db, actor, {
        action: 'affected-import.rejections-downloaded',
        organisationId: found.row.organisation_id,
        targetType: 'affected-import',
        targetId: importId,
      });
      return { ...found, rows: repo.allRejections(db, importId) };
    },

    /** A search of the people the DPO's councils hold; every search that shows people is audited. */
    async people(principal: Principal, actor: AuditActor, incidentId: string, query: string, page: number) {
      const found = await scope(principal, incidentId, 'read');
      const organisationIds = found.councils.map((c) => c.id);
      const text = query.trim();
      let key: string | undefined;
      let postcode: string | undefined;
      let problem: string | undefined;
      if (text) {
        const email = text.includes('@') ? normaliseEmail(text) : undefined;
        const phone = !email && /^[\d\s()+-]+$/.test(text) ? normalisePhone(text) : undefined;
        if (email) key = `email:${email.toLowerCase()}`;
        else if (phone?.kind === 'mobile') key = `phone:${phone.e164}`;
        else postcode = normalisePostcode(text);
        if (!key && !postcode) problem = 'Enter an email address, a mobile phone number or a postcode';
      }
      const result = problem
        ? { total: 0, people: [] }
        : await repo.searchPeople(db, {
            incidentId,
            organisationIds,
            key,
            postcode,
            limit: PEOPLE_PAGE_SIZE,
            offset: (page - 1) * PEOPLE_PAGE_SIZE,
          });
      const councils = await repo.councilsOf(
        db,
        result.people.map((p) => p.id),
      );
      if (result.people.length) {
        await recordAudit(db, actor, {
          action: 'affected-person.listed',
          organisationId: organisationIds.length === 1 ? organisationIds[0] : null,
          targetType: 'incident',
          targetId: incidentId,
          details: {
            searched: text ? (key ? key.split(':')[0] : 'postcode') : 'none',
            page,
            people: result.people.map((p) => p.id),
          },
        });
      }
      return {
        ...found,
        query: text,
        problem,
        page,
        total: result.total,
        pages: Math.max(1, Math.ceil(result.total / PEOPLE_PAGE_SIZE)),
        people: result.people.map((p) => ({ ...p, councils: councils.get(p.id) ?? [] })),
      };
    },

    async person(principal: Principal, actor: AuditActor, incidentId: string, personId: string) {
      const found = await scope(principal, incidentId, 'read');
      if (!isId(personId)) throw new NotFoundError();
      const person = await repo.findPerson(db, incidentId, personId);
      const links = (await repo.councilsOf(db, [personId])).get(personId) ?? [];
      const mine = links.filter((l) => found.councils.some((c) => c.id === l.organisationId));
      if (!person || mine.length === 0) throw new NotFoundError();
      await recordAudit(db, actor, {
        action: 'affected-person.viewed',
        organisationId: mine[0]!.organisationId,
        targetType: 'affected-person',
        targetId: personId,
        details: { incidentId },
      });
      return {
        ...found,
        person,
        // Every council that holds their data is named (their message names them all); the kinds of
        // data only for the viewer's own councils.
        councils: links.map((l) => ({ ...l, categories: mine.includes(l) ? l.categories : undefined })),
      };
    },

    async exportPeople(principal: Principal, actor: AuditActor, incidentId: string) {
      const found = await scope(principal, incidentId, 'read');
      const organisationIds = found.councils.map((c) => c.id);
      await recordAudit(db, actor, {
        action: 'affected-person.exported',
        organisationId: organisationIds.length === 1 ? organisationIds[0] : null,
        targetType: 'incident',
        targetId: incidentId,
        details: { councils: organisationIds },
      });
      return { ...found, batches: repo.allVisiblePeople(db, incidentId, organisationIds) };
    },
  };
}

export type AffectedPeopleService = ReturnType<typeof createAffectedPeopleService>;

/** The column map from a form: field → "column index" or "" for none. */
export function columnMapFrom(values: Partial<Record<ImportField, string>>): ColumnMap {
  const map: ColumnMap = {};
  for (const field of IMPORT_FIELD_KEYS) {
    const value = values[field];
    if (value !== undefined && /^\d{1,4}$/.test(value)) map[field] = Number(value);
  }
  return map;
}

/**
 * The command line's import: the file stays where it is (it is the operator's). A file already
 * registered for this incident and council with the same SHA-256 and not finished is carried on from
 * its checkpoint; otherwise a new import starts, with the columns guessed from the header.
 */
export async function importAffectedPeopleFile(
  database: Database,
  input: {
    incidentId: string;
    organisationId: string;
    file: string;
    categories: DataCategory[];
    onProgress(line: string): void;
  },
): Promise<string> {
  const { db } = database;
  const actor: AuditActor = { userId: null, label: 'cli' };
  const facts = await inspectFile(input.file);
  const unfinished = (await repo.importsOfSameFile(db, input.incidentId, input.organisationId, facts.sha256, '')).find(
    (r) => r.status === 'queued' || r.status === 'importing',
  );
  let importId = unfinished?.id;
  if (importId) input.onProgress(`Carrying on import ${importId} from line ${unfinished!.lines_done + 1}.`);
  else {
    const row = await registerImport(db, actor, {
      incidentId: input.incidentId,
      organisationId: input.organisationId,
      fileName: input.file.split(/[\\/]/).pop() ?? 'file.csv',
      storedPath: input.file,
      categories: input.categories,
      hasHeader: true,
    });
    importId = row.id;
    const header = (await firstRecords(input.file, row.encoding, 1))[0]?.fields ?? [];
    const started = await startImport(db, actor, row.id, guessColumnMap(header), true, { enqueue: false });
    if (!started.ok) throw new Error(`The columns could not be matched: ${started.errors.join('; ')}`);
  }
  const done = await runImport(database, importId, {
    onBatch: ({ bytesDone, byteSize, linesDone }) =>
      input.onProgress(`${Math.floor((bytesDone / Math.max(1, byteSize)) * 100)}% read, to line ${linesDone}`),
  });
  return `Import ${done.id}: ${done.rows_accepted} rows imported, ${done.rows_rejected} not imported, ${done.people_added} new people.`;
}
