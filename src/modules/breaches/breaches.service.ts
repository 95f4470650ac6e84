// Personal data breach records: one per incident and affected council, kept by that council's data
// protection officer (breach.manage) and read by its incident managers (breach.read). Nobody sees
// another council's record: it is a 404, as for one that does not exist. Every change is one
// transaction with its audit event and is refused if the record changed since the person opened
// it; every view of a record, a report or the register is audited too.
import type { Kysely } from 'kysely';
import {
  findOrganisationById,
  findOrganisationBySlug,
  listOrganisations,
  type Organisation,
} from '../../platform/accounts/accounts.repository.ts';
import { recordAudit, type AuditActor } from '../../platform/audit/audit.service.ts';
import type { DB } from '../../platform/db/schema.ts';
import { HttpProblem } from '../../platform/http/errors.ts';
import type { FieldError } from '../../platform/http/form-result.ts';
import { isId, newId, nowIso } from '../../platform/ids.ts';
import { can, organisationsWhere, type Action, type Principal } from '../../platform/policy/policy.ts';
import { formatDateTime } from '../../platform/views/views.ts';
import { findIncident, listIncidentsFor, type Incident } from '../incidents/incidents.repository.ts';
import { breachClock, reportedOnTime, reportingDeadline, type BreachClock } from './breach-clock.ts';
import {
  BODIES,
  LIMITS,
  checkDateTime,
  decidedNotToReport,
  riskOf,
  validateRecord,
  validateRisk,
  type BreachRecord,
  type RecordFields,
  type RecordInput,
  type RiskAssessment,
  type RiskInput,
} from './breach-record.ts';
import { registerRow, type RegisterRow } from './breach-register.ts';
import { buildIcoReport, type IcoReport, type ReportKind } from './ico-report.ts';
import * as repo from './breaches.repository.ts';

/** A save that failed: the errors to show and, when someone else changed the record, its version now. */
export type SaveResult<T extends object = object> =
  ({ ok: true } & T) | { ok: false; errors: FieldError[]; currentVersion?: number };

export interface SubmissionInput {
  day: string;
  month: string;
  year: string;
  time: string;
  icoReference: string;
  delayReason: string;
  notes: string;
}

export interface LoadedRecord {
  record: BreachRecord;
  incident: Incident;
  council: Organisation;
}

export interface RecordDetails extends LoadedRecord {
  submissions: repo.BreachSubmission[];
  clock: BreachClock;
  risk: RiskAssessment | undefined;
  mayManage: boolean;
}

export interface BreachesServiceOptions {
  /** The time now, as stored (tests fix it). */
  now?: () => string;
}

const notFound = () => new HttpProblem(404, 'Page not found');

/** The councils an incident can have a breach record for: its lead and the councils it affects. */
export function breachableCouncilIds(incident: Incident): string[] {
  return [
    ...new Set([
      incident.leadOrganisationId,
      ...incident.organisations.filter((o) => o.relationship === 'affected').map((o) => o.organisationId),
    ]),
  ];
}

export function createBreachesService(db: Kysely<DB>, options: BreachesServiceOptions = {}) {
  const now = options.now ?? nowIso;

  const organisationsById = async () => new Map((await listOrganisations(db)).map((o) => [o.id, o]));

  const agenciesOf = (incident: Incident, organisations: Map<string, Organisation>) =>
    incident.organisations
      .filter((o) => o.relationship === 'investigating')
      .map((o) => organisations.get(o.organisationId)?.name ?? '')
      .filter(Boolean);

  /** The record, if the person may do `action` to it; otherwise the 404 of a record that does not exist. */
  async function load(principal: Principal, breachId: string, action: Action): Promise<LoadedRecord> {
    const record = isId(breachId) ? await repo.findRecord(db, breachId) : undefined;
    if (!record || !can(principal, action, { organisationId: record.organisationId })) throw notFound();
    const [incident, council] = await Promise.all([
      findIncident(db, record.incidentId),
      findOrganisationById(db, record.organisationId),
    ]);
    if (!incident || !council) throw notFound();
    return { record, incident, council };
  }

  function clockOf(record: BreachRecord, initialReportAt: string | null | undefined, at: string): BreachClock {
    return breachClock(
      {
        awareAt: record.awareAt,
        initialReportAt: initialReportAt ?? null,
        decidedNotToReport: decidedNotToReport(record),
      },
      at,
    );
  }

  /**
   * The incidents of these councils, and of these records: an incident names a council it only
   * leads in its lead column rather than its list of organisations, and no record is ever hidden.
   */
  async function incidentsOf(councilIds: string[], records: BreachRecord[]): Promise<Map<string, Incident>> {
    const byId = new Map((await listIncidentsFor(db, councilIds)).map((i) => [i.id, i]));
    for (const id of new Set(records.map((r) => r.incidentId).filter((id) => !byId.has(id)))) {
      const incident = await findIncident(db, id);
      if (incident) byId.set(id, incident);
    }
    return byId;
  }

  const audit = (actor: AuditActor, loaded: LoadedRecord, action: string, details: Record<string, unknown>) =>
    recordAudit(db, actor, {
      action,
      organisationId: loaded.council.id,
      targetType: 'breach-record',
      targetId: loaded.record.id,
      details: { incidentId: loaded.incident.id, ...details },
    });

  /**
   * The DPO's dashboard: for each council the person may read breach records of, its records with
   * their 72-hour clocks, most urgent first, and the incidents a DPO could start a record for.
   */
  async function dashboard(principal: Principal) {
    const at = now();
    const organisations = await organisationsById();
    const councilIds = organisationsWhere(principal, 'breach.read').filter(
      (id) => organisations.get(id)?.kind === 'council',
    );
    const records = await repo.listRecords(db, councilIds);
    const [initial, incidentsById] = await Promise.all([
      repo.initialSubmissions(
        db,
        records.map((r) => r.id),
      ),
      incidentsOf(councilIds, records),
    ]);
    const incidents = [...incidentsById.values()].sort((a, b) => b.detectedAt.localeCompare(a.detectedAt));
    // Overdue first (the longest overdue at the top), then the nearest deadlines, then the rest, newest first.
    const urgency = (clock: BreachClock): [number, number] =>
      clock.state === 'overdue'
        ? [0, -clock.overdueMs]
        : clock.state === 'open'
          ? [1, clock.remainingMs]
          : [2, -Date.parse(clock.awareAt)];
    const byUrgency = (a: BreachClock, b: BreachClock) => {
      const [x, y] = [urgency(a), urgency(b)];
      return x[0] - y[0] || x[1] - y[1];
    };
    return councilIds
      .map((id) => organisations.get(id)!)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((council) => {
        const entries = records
          .filter((r) => r.organisationId === council.id && incidentsById.has(r.incidentId))
          .map((record) => ({
            record,
            incident: incidentsById.get(record.incidentId)!,
            clock: clockOf(record, initial.get(record.id)?.submittedAt, at),
            risk: riskOf(record),
          }))
          .sort((a, b) => byUrgency(a.clock, b.clock));
        const startable = can(principal, 'breach.manage', { organisationId: council.id })
          ? incidents.filter(
              (i) =>
                breachableCouncilIds(i).includes(council.id) &&
                !records.some((r) => r.incidentId === i.id && r.organisationId === council.id),
            )
          : [];
        return {
          council,
          entries,
          startable,
          mayManage: can(principal, 'breach.manage', { organisationId: council.id }),
        };
      });
  }

  /** A record with everything its page shows. Audited as a view of the record. */
  async function details(
    principal: Principal,
    actor: AuditActor,
    breachId: string,
    page: 'record' | 'edit' | 'risk' | 'submission-form' = 'record',
  ): Promise<RecordDetails> {
    const loaded = await load(principal, breachId, page === 'record' ? 'breach.read' : 'breach.manage');
    const submissions = await repo.listSubmissions(db, loaded.record.id);
    await audit(actor, loaded, 'breach.record-viewed', { page, version: loaded.record.version });
    return {
      ...loaded,
      submissions,
      clock: clockOf(loaded.record, submissions[0]?.submittedAt, now()),
      risk: riskOf(loaded.record),
      mayManage: can(principal, 'breach.manage', { organisationId: loaded.council.id }),
    };
  }

  /** The incident and council a new record would be for, if the person may start it. */
  async function newRecordScope(principal: Principal, incidentId: string, councilSlug: string) {
    const incident = isId(incidentId) ? await findIncident(db, incidentId) : undefined;
    const council = /^[a-z0-9-]{2,60}$/.test(councilSlug) ? await findOrganisationBySlug(db, councilSlug) : undefined;
    if (
      !incident ||
      !council ||
      council.kind !== 'council' ||
      !breachableCouncilIds(incident).includes(council.id) ||
      !can(principal, 'breach.manage', { organisationId: council.id })
    ) {
      throw notFound();
    }
    return { incident, council, existing: await repo.findRecordFor(db, incident.id, council.id) };
  }

  /** The form for a new record: the incident's summary to start from, the DPO's own contact, the agencies already involved. */
  async function startingInput(incident: Incident, dpo: { name: string; email: string }): Promise<RecordInput> {
    const organisations = await organisationsById();
    const agencySlugs = incident.organisations
      .filter((o) => o.relationship === 'investigating')
      .map((o) => organisations.get(o.organisationId)?.slug ?? '');
    return {
      description: incident.summary,
      awareDay: '',
      awareMonth: '',
      awareYear: '',
      awareTime: '',
      discovery: '',
      dataCategories: [],
      dataCategoriesOther: '',
      systemsAffected: '',
      peopleBasis: '',
      peopleLow: '',
      peopleHigh: '',
      recordsBasis: '',
      recordsLow: '',
      recordsHigh: '',
      dataExfiltrated: '',
      dataEncrypted: '',
      consequences: '',
      measuresTaken: '',
      measuresProposed: '',
      bodiesInformed: agencySlugs.filter((s) => Object.hasOwn(BODIES, s)),
      bodiesInformedOther: '',
      tellPeople: '',
      tellOnDay: '',
      tellOnMonth: '',
      tellOnYear: '',
      tellPeopleReason: '',
      dpoName: dpo.name,
      dpoEmail: dpo.email,
      dpoPhone: '',
    };
  }

  async function createRecord(
    principal: Principal,
    actor: AuditActor,
    incidentId: string,
    councilSlug: string,
    input: RecordInput,
  ): Promise<SaveResult<{ breachId: string }>> {
    const { incident, council } = await newRecordScope(principal, incidentId, councilSlug);
    const checked = validateRecord(input, now());
    if (!checked.ok) return checked;
    const id = newId();
    const at = now();
    const created = await db.transaction().execute(async (trx) => {
      const existing = await repo.findRecordFor(trx, incident.id, council.id);
      if (existing) return existing.id;
      await repo.insertRecord(
        trx,
        { id, incidentId: incident.id, organisationId: council.id, at, byLabel: actor.label },
        checked.fields,
      );
      await recordAudit(trx, actor, {
        action: 'breach.record-created',
        organisationId: council.id,
        targetType: 'breach-record',
        targetId: id,
        details: { incidentId: incident.id, awareAt: checked.fields.awareAt, version: 1 },
      });
      return id;
    });
    if (created !== id) {
      return {
        ok: false,
        errors: [
          {
            text: `${council.name} already has a breach record for this incident, started by someone else. Go back to the breach records to open it.`,
            href: '#description',
          },
        ],
      };
    }
    return { ok: true, breachId: id };
  }

  const conflict = (
    record: BreachRecord,
    firstField: string,
  ): { ok: false; errors: FieldError[]; currentVersion: number } => ({
    ok: false,
    currentVersion: record.version,
    errors: [
      {
        text: `${record.updatedByLabel} changed this record on ${formatDateTime(record.updatedAt)}, after you opened it. Your changes are not saved: check them against the record, then save again to replace theirs.`,
        href: `#${firstField}`,
      },
    ],
  });

  /** Which of the form's fields differ between two versions, by name. */
  function changedFields(before: RecordFields, after: RecordFields): string[] {
    return (Object.keys(after) as Array<keyof RecordFields>).filter(
      (k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]),
    );
  }

  async function updateRecord(
    principal: Principal,
    actor: AuditActor,
    breachId: string,
    seenVersion: number,
    input: RecordInput,
  ): Promise<SaveResult> {
    const loaded = await load(principal, breachId, 'breach.manage');
    const { record } = loaded;
    const checked = validateRecord(input, now());
    if (!checked.ok) return checked;
    if (seenVersion !== record.version) return conflict(record, 'description');
    const fields = changedFields(record, checked.fields);
    if (fields.length === 0) return { ok: true };
    const at = now();
    const saved = await db.transaction().execute(async (trx) => {
      if (
        !(await repo.updateRecordFields(trx, record.id, seenVersion, {
          fields: checked.fields,
          at,
          byLabel: actor.label,
        }))
      ) {
        return false;
      }
      await recordAudit(trx, actor, {
        action: 'breach.record-updated',
        organisationId: loaded.council.id,
        targetType: 'breach-record',
        targetId: record.id,
        details: { incidentId: loaded.incident.id, fields, version: seenVersion + 1 },
      });
      return true;
    });
    if (!saved) return conflict((await repo.findRecord(db, record.id)) ?? record, 'description');
    return { ok: true };
  }

  async function assessRisk(
    principal: Principal,
    actor: AuditActor,
    breachId: string,
    seenVersion: number,
    input: RiskInput,
  ): Promise<SaveResult> {
    const loaded = await load(principal, breachId, 'breach.manage');
    const { record } = loaded;
    const checked = validateRisk(input, { categories: record.dataCategories, dataExfiltrated: record.dataExfiltrated });
    if (!checked.ok) return checked;
    if (seenVersion !== record.version) return conflict(record, 'likelihood');
    const at = now();
    const saved = await db.transaction().execute(async (trx) => {
      if (
        !(await repo.updateRecordFields(trx, record.id, seenVersion, {
          risk: { ...checked.fields, at },
          at,
          byLabel: actor.label,
        }))
      ) {
        return false;
      }
      await recordAudit(trx, actor, {
        action: 'breach.risk-assessed',
        organisationId: loaded.council.id,
        targetType: 'breach-record',
        targetId: record.id,
        details: {
          incidentId: loaded.incident.id,
          likelihood: checked.fields.likelihood,
          severity: checked.fields.severity,
          overall: checked.assessment.overall,
          version: seenVersion + 1,
        },
      });
      return true;
    });
    if (!saved) return conflict((await repo.findRecord(db, record.id)) ?? record, 'likelihood');
    return { ok: true };
  }

  function reportFor(
    loaded: LoadedRecord,
    organisations: Map<string, Organisation>,
    kind: ReportKind,
    initialReport: { submittedAt: string; delayReason: string } | null,
    generatedAt: string,
  ): IcoReport {
    return buildIcoReport({
      record: loaded.record,
      incident: loaded.incident,
      council: loaded.council,
      agencies: agenciesOf(loaded.incident, organisations),
      kind,
      initialReport,
      generatedAt,
    });
  }

  /** The ICO report as it would be sent now, made from the record. Audited, with the form it was given in. */
  async function report(principal: Principal, actor: AuditActor, breachId: string, format: 'html' | 'pdf' | 'json') {
    const loaded = await load(principal, breachId, 'breach.read');
    const [submissions, organisations] = await Promise.all([
      repo.listSubmissions(db, loaded.record.id),
      organisationsById(),
    ]);
    const initial = submissions[0];
    const built = reportFor(
      loaded,
      organisations,
      'draft',
      initial ? { submittedAt: initial.submittedAt, delayReason: initial.delayReason } : null,
      now(),
    );
    await audit(actor, loaded, 'breach.report-viewed', { format, version: loaded.record.version });
    return { ...loaded, report: built, clock: clockOf(loaded.record, initial?.submittedAt, now()) };
  }

  function validateSubmission(
    record: BreachRecord,
    sequence: number,
    initial: repo.BreachSubmission | undefined,
    input: SubmissionInput,
  ): { ok: false; errors: FieldError[] } | { ok: true; submittedAt: string; onTime: boolean } {
    const errors: FieldError[] = [];
    const submittedAt = checkDateTime(
      { day: input.day, month: input.month, year: input.year, time: input.time },
      { field: 'submittedAt', timeField: 'submittedTime', what: 'the report was sent' },
      now(),
      errors,
    );
    if (submittedAt && Date.parse(submittedAt) < Date.parse(record.awareAt)) {
      errors.push({
        text: `The report must have been sent after the council became aware of the breach (${formatDateTime(record.awareAt)})`,
        href: '#submittedAt-day',
      });
    } else if (submittedAt && initial && Date.parse(submittedAt) < Date.parse(initial.submittedAt)) {
      errors.push({
        text: `A follow-up report must have been sent after the initial report (${formatDateTime(initial.submittedAt)})`,
        href: '#submittedAt-day',
      });
    }
    if (input.icoReference.trim().length > LIMITS.reference) {
      errors.push({
        text: `The ICO case reference must be ${LIMITS.reference} characters or fewer`,
        href: '#icoReference',
      });
    }
    const onTime = sequence > 1 || !submittedAt || reportedOnTime(record.awareAt, submittedAt);
    if (!onTime && !input.delayReason.trim()) {
      errors.push({
        text: `Enter the reasons for the delay: the report was sent more than 72 hours after the council became aware (the deadline was ${formatDateTime(reportingDeadline(record.awareAt))})`,
        href: '#delayReason',
      });
    }
    for (const [field, value, name] of [
      ['delayReason', input.delayReason, 'The reasons for the delay'],
      ['notes', input.notes, 'Notes'],
    ] as const) {
      if (value.trim().length > LIMITS.text) {
        errors.push({
          text: `${name} must be ${LIMITS.text.toLocaleString('en-GB')} characters or fewer`,
          href: `#${field}`,
        });
      }
    }
    if (errors.length || !submittedAt) return { ok: false, errors };
    return { ok: true, submittedAt, onTime };
  }

  /** The form for recording a report: whether it is the initial one, and the record it will freeze. */
  async function submissionForm(principal: Principal, actor: AuditActor, breachId: string) {
    const found = await details(principal, actor, breachId, 'submission-form');
    return { ...found, sequence: found.submissions.length + 1 };
  }

  /**
   * Records a report sent to the ICO, with a copy of the report made from the record at the version
   * the person saw. The copy never changes afterwards, whatever happens to the record.
   */
  async function recordSubmission(
    principal: Principal,
    actor: AuditActor,
    breachId: string,
    seenVersion: number,
    input: SubmissionInput,
  ): Promise<SaveResult<{ submissionId: string }>> {
    const loaded = await load(principal, breachId, 'breach.manage');
    const { record } = loaded;
    const [submissions, organisations] = await Promise.all([repo.listSubmissions(db, record.id), organisationsById()]);
    const sequence = submissions.length + 1;
    const checked = validateSubmission(record, sequence, submissions[0], input);
    if (!checked.ok) return checked;
    if (seenVersion !== record.version) return conflict(record, 'submittedAt-day');
    const at = now();
    const id = newId();
    const outcome = await db.transaction().execute(async (trx) => {
      if (!(await repo.holdRecordAtVersion(trx, record.id, seenVersion))) return 'changed' as const;
      // Someone may have recorded a report since this one was checked: the numbering (and whether
      // this is the initial report) is decided with the record held.
      if ((await repo.listSubmissions(trx, record.id)).length !== submissions.length) return 'reported' as const;
      const initial =
        sequence === 1
          ? { submittedAt: checked.submittedAt, delayReason: checked.onTime ? '' : input.delayReason.trim() }
          : { submittedAt: submissions[0]!.submittedAt, delayReason: submissions[0]!.delayReason };
      const snapshot = reportFor(loaded, organisations, sequence === 1 ? 'initial' : 'follow-up', initial, at);
      await repo.insertSubmission(trx, {
        id,
        breach_id: record.id,
        sequence,
        submitted_at: checked.submittedAt,
        ico_reference: input.icoReference.trim(),
        delay_reason: sequence === 1 && !checked.onTime ? input.delayReason.trim() : '',
        notes: input.notes.replace(/\r\n?/g, '\n').trim(),
        record_version: seenVersion,
        report_snapshot: JSON.stringify(snapshot),
        recorded_at: at,
        recorded_by_user_id: actor.userId,
        recorded_by_label: actor.label,
      });
      await recordAudit(trx, actor, {
        action: 'breach.submission-recorded',
        organisationId: loaded.council.id,
        targetType: 'breach-record',
        targetId: record.id,
        details: {
          incidentId: loaded.incident.id,
          submissionId: id,
          sequence,
          kind: sequence === 1 ? 'initial' : 'follow-up',
          submittedAt: checked.submittedAt,
          icoReference: input.icoReference.trim(),
          onTime: checked.onTime,
          recordVersion: seenVersion,
        },
      });
      return 'saved' as const;
    });
    if (outcome === 'changed') return conflict((await repo.findRecord(db, record.id)) ?? record, 'submittedAt-day');
    if (outcome === 'reported') {
      return {
        ok: false,
        errors: [
          {
            text: 'Someone else recorded a report to the ICO for this breach after you opened this page. Go back to the record to see it.',
            href: '#submittedAt-day',
          },
        ],
      };
    }
    return { ok: true, submissionId: id };
  }

  /** One report as it was sent. Audited. */
  async function submission(principal: Principal, actor: AuditActor, breachId: string, submissionId: string) {
    const loaded = await load(principal, breachId, 'breach.read');
    const found = isId(submissionId) ? await repo.findSubmission(db, loaded.record.id, submissionId) : undefined;
    if (!found) throw notFound();
    await audit(actor, loaded, 'breach.submission-viewed', { submissionId: found.id, sequence: found.sequence });
    return { ...loaded, submission: found };
  }

  /** The councils whose register the person may read. */
  async function registerCouncils(principal: Principal): Promise<Organisation[]> {
    const organisations = await organisationsById();
    return organisationsWhere(principal, 'breach.read')
      .map((id) => organisations.get(id))
      .filter((o): o is Organisation => o?.kind === 'council')
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * A council's Article 33(5) breach register: every breach record it has, reported or not. With
   * no council named, the person's only council; with several to choose from, the choice.
   */
  async function register(
    principal: Principal,
    actor: AuditActor,
    councilSlug: string | undefined,
    format: 'html' | 'csv',
  ): Promise<{ councils: Organisation[]; council?: Organisation; rows?: RegisterRow[] }> {
    const councils = await registerCouncils(principal);
    const council = councilSlug
      ? councils.find((c) => c.slug === councilSlug)
      : councils.length === 1
        ? councils[0]
        : undefined;
    if (councilSlug && !council) throw notFound();
    if (!council) return { councils };
    const records = await repo.listRecords(db, [council.id]);
    const [initial, incidents] = await Promise.all([
      repo.initialSubmissions(
        db,
        records.map((r) => r.id),
      ),
      incidentsOf([council.id], records),
    ]);
    const references = new Map([...incidents].map(([id, i]) => [id, i.reference]));
    const at = now();
    const rows = records.map((record) =>
      registerRow(record, {
        incidentReference: references.get(record.incidentId) ?? '',
        council: council.name,
        initialReport: initial.get(record.id),
        now: at,
      }),
    );
    await recordAudit(db, actor, {
      action: format === 'csv' ? 'breach.register-exported' : 'breach.register-viewed',
      organisationId: council.id,
      targetType: 'breach-register',
      targetId: council.id,
      details: { records: rows.length, format },
    });
    return { councils, council, rows };
  }

  return {
    dashboard,
    details,
    newRecordScope,
    startingInput,
    createRecord,
    updateRecord,
    assessRisk,
    report,
    submissionForm,
    recordSubmission,
    submission,
    register,
    registerCouncils,
  };
}

export type BreachesService = ReturnType<typeof createBreachesService>;
