// The only SQL for breach records and the reports made to the ICO about them. The mapper turns rows
// into domain types: JSON lists parsed, integers normalised (PostgreSQL drivers may hand back strings).
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { BreachRecordsTable, BreachSubmissionsTable, DB } from '../../platform/db/schema.ts';
import {
  isBody,
  isDataCategory,
  type BreachRecord,
  type Estimate,
  type RecordFields,
  type RiskFields,
} from './breach-record.ts';
import type { IcoReport } from './ico-report.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export interface BreachSubmission {
  id: string;
  breachId: string;
  sequence: number;
  kind: 'initial' | 'follow-up';
  submittedAt: string;
  icoReference: string;
  delayReason: string;
  notes: string;
  recordVersion: number;
  /** The report as it was sent. */
  report: IcoReport;
  recordedAt: string;
  recordedByLabel: string;
}

const int = (v: number | string | null): number | null => (v === null ? null : Number(v));

function toRecord(row: Selectable<BreachRecordsTable>): BreachRecord {
  const estimate = (basis: Estimate['basis'], low: number | null, high: number | null): Estimate => ({
    basis,
    low: int(low),
    high: int(high),
  });
  return {
    id: row.id,
    incidentId: row.incident_id,
    organisationId: row.organisation_id,
    version: Number(row.version),
    description: row.description,
    awareAt: row.aware_at,
    discovery: row.discovery,
    dataCategories: (JSON.parse(row.data_categories) as string[]).filter(isDataCategory),
    dataCategoriesOther: row.data_categories_other,
    systemsAffected: JSON.parse(row.systems_affected) as string[],
    people: estimate(row.people_basis, row.people_low, row.people_high),
    records: estimate(row.records_basis, row.records_low, row.records_high),
    dataExfiltrated: row.data_exfiltrated,
    dataEncrypted: row.data_encrypted,
    consequences: row.consequences,
    measuresTaken: row.measures_taken,
    measuresProposed: row.measures_proposed,
    bodiesInformed: (JSON.parse(row.bodies_informed) as string[]).filter(isBody),
    bodiesInformedOther: row.bodies_informed_other,
    tellPeople: row.tell_people,
    tellPeopleOn: row.tell_people_on,
    tellPeopleReason: row.tell_people_reason,
    dpo: { name: row.dpo_name, email: row.dpo_email, phone: row.dpo_phone },
    risk: {
      likelihood: row.risk_likelihood,
      severity: row.risk_severity,
      reasoning: row.risk_reasoning,
      assessedAt: row.risk_assessed_at,
      assessedByLabel: row.risk_assessed_by_label,
    },
    notReportingReason: row.not_reporting_reason,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    updatedByLabel: row.updated_by_label,
  };
}

function toSubmission(row: Selectable<BreachSubmissionsTable>): BreachSubmission {
  const sequence = Number(row.sequence);
  return {
    id: row.id,
    breachId: row.breach_id,
    sequence,
    kind: sequence === 1 ? 'initial' : 'follow-up',
    submittedAt: row.submitted_at,
    icoReference: row.ico_reference,
    delayReason: row.delay_reason,
    notes: row.notes,
    recordVersion: Number(row.record_version),
    report: JSON.parse(row.report_snapshot) as IcoReport,
    recordedAt: row.recorded_at,
    recordedByLabel: row.recorded_by_label,
  };
}

/** The columns the main form sets. */
function fieldColumns(f: RecordFields) {
  return {
    description: f.description,
    aware_at: f.awareAt,
    discovery: f.discovery,
    data_categories: JSON.stringify(f.dataCategories),
    data_categories_other: f.dataCategoriesOther,
    systems_affected: JSON.stringify(f.systemsAffected),
    people_basis: f.people.basis,
    people_low: f.people.low,
    people_high: f.people.high,
    records_basis: f.records.basis,
    records_low: f.records.low,
    records_high: f.records.high,
    data_exfiltrated: f.dataExfiltrated,
    data_encrypted: f.dataEncrypted,
    consequences: f.consequences,
    measures_taken: f.measuresTaken,
    measures_proposed: f.measuresProposed,
    bodies_informed: JSON.stringify(f.bodiesInformed),
    bodies_informed_other: f.bodiesInformedOther,
    tell_people: f.tellPeople,
    tell_people_on: f.tellPeopleOn,
    tell_people_reason: f.tellPeopleReason,
    dpo_name: f.dpo.name,
    dpo_email: f.dpo.email,
    dpo_phone: f.dpo.phone,
  };
}

export async function insertRecord(
  db: Executor,
  row: { id: string; incidentId: string; organisationId: string; at: string; byLabel: string },
  fields: RecordFields,
  risk?: RiskFields,
): Promise<void> {
  await db
    .insertInto('breach_records')
    .values({
      id: row.id,
      incident_id: row.incidentId,
      organisation_id: row.organisationId,
      version: 1,
      ...fieldColumns(fields),
      risk_likelihood: risk?.likelihood ?? null,
      risk_severity: risk?.severity ?? null,
      risk_reasoning: risk?.reasoning ?? '',
      risk_assessed_at: risk ? row.at : null,
      risk_assessed_by_label: risk ? row.byLabel : null,
      not_reporting_reason: risk?.notReportingReason ?? '',
      created_at: row.at,
      updated_at: row.at,
      updated_by_label: row.byLabel,
    })
    .execute();
}

export async function findRecord(db: Executor, id: string): Promise<BreachRecord | undefined> {
  const row = await db.selectFrom('breach_records').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

export async function findRecordFor(
  db: Executor,
  incidentId: string,
  organisationId: string,
): Promise<BreachRecord | undefined> {
  const row = await db
    .selectFrom('breach_records')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .where('organisation_id', '=', organisationId)
    .executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

/** Every record of these councils, oldest awareness first. */
export async function listRecords(db: Executor, organisationIds: string[]): Promise<BreachRecord[]> {
  if (organisationIds.length === 0) return [];
  const rows = await db
    .selectFrom('breach_records')
    .selectAll()
    .where('organisation_id', 'in', organisationIds)
    .orderBy('aware_at')
    .orderBy('id')
    .execute();
  return rows.map(toRecord);
}

/**
 * Changes a record only if it is still at the version the person saw; the version goes up by one.
 * False when someone else changed it first.
 */
export async function updateRecordFields(
  db: Executor,
  id: string,
  seenVersion: number,
  changes: { fields?: RecordFields; risk?: RiskFields & { at: string }; at: string; byLabel: string },
): Promise<boolean> {
  const result = await db
    .updateTable('breach_records')
    .set({
      ...(changes.fields ? fieldColumns(changes.fields) : {}),
      ...(changes.risk
        ? {
            risk_likelihood: changes.risk.likelihood,
            risk_severity: changes.risk.severity,
            risk_reasoning: changes.risk.reasoning,
            risk_assessed_at: changes.risk.at,
            risk_assessed_by_label: changes.byLabel,
            not_reporting_reason: changes.risk.notReportingReason,
          }
        : {}),
      version: seenVersion + 1,
      updated_at: changes.at,
      updated_by_label: changes.byLabel,
    })
    .where('id', '=', id)
    .where('version', '=', seenVersion)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Holds the record at the version the person saw until the transaction ends (a row lock on
 * PostgreSQL; SQLite has one writer): a report is frozen from exactly the record they looked at.
 */
export async function holdRecordAtVersion(db: Executor, id: string, seenVersion: number): Promise<boolean> {
  const result = await db
    .updateTable('breach_records')
    .set({ version: seenVersion })
    .where('id', '=', id)
    .where('version', '=', seenVersion)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function insertSubmission(db: Executor, row: Selectable<BreachSubmissionsTable>): Promise<void> {
  await db.insertInto('breach_submissions').values(row).execute();
}

export async function listSubmissions(db: Executor, breachId: string): Promise<BreachSubmission[]> {
  const rows = await db
    .selectFrom('breach_submissions')
    .selectAll()
    .where('breach_id', '=', breachId)
    .orderBy('sequence')
    .execute();
  return rows.map(toSubmission);
}

export async function findSubmission(
  db: Executor,
  breachId: string,
  submissionId: string,
): Promise<BreachSubmission | undefined> {
  const row = await db
    .selectFrom('breach_submissions')
    .selectAll()
    .where('breach_id', '=', breachId)
    .where('id', '=', submissionId)
    .executeTakeFirst();
  return row ? toSubmission(row) : undefined;
}

/** The initial report of each record, when it has one: breach id → when it was submitted and its reference. */
export async function initialSubmissions(
  db: Executor,
  breachIds: string[],
): Promise<Map<string, { submittedAt: string; icoReference: string; delayReason: string }>> {
  const found = new Map<string, { submittedAt: string; icoReference: string; delayReason: string }>();
  if (breachIds.length === 0) return found;
  const rows = await db
    .selectFrom('breach_submissions')
    .select(['breach_id', 'submitted_at', 'ico_reference', 'delay_reason'])
    .where('breach_id', 'in', breachIds)
    .where('sequence', '=', 1)
    .execute();
  for (const r of rows) {
    found.set(r.breach_id, { submittedAt: r.submitted_at, icoReference: r.ico_reference, delayReason: r.delay_reason });
  }
  return found;
}
