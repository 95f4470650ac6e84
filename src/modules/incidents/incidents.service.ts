// The incident record and the status of residents' services: one record that councils and
// agencies work from. Every change is audited and becomes a timeline entry, in one transaction.
import type { Kysely } from 'kysely';
import { recordAudit, type AuditActor } from '../../platform/audit/audit.service.ts';
import type { DB } from '../../platform/db/schema.ts';
import { HttpProblem } from '../../platform/http/errors.ts';
import type { FieldError, Result } from '../../platform/http/form-result.ts';
import { newId, nowIso } from '../../platform/ids.ts';
import { can, type Action, type Principal } from '../../platform/policy/policy.ts';
import { bumpPublicContentVersion } from '../../platform/public-cache/public-content.repository.ts';
import * as repo from './incidents.repository.ts';

export const INCIDENT_STATUSES: Record<repo.IncidentStatus, string> = {
  investigating: 'Investigating',
  contained: 'Contained',
  recovering: 'Recovering',
  closed: 'Closed',
};

export const SEVERITIES: Record<repo.Severity, string> = {
  low: 'Low',
  medium: 'Medium',
  high: 'High',
  critical: 'Critical',
};

export const SERVICE_STATUSES: Record<repo.ServiceStatus, string> = {
  working: 'Working',
  disrupted: 'Disrupted',
  unavailable: 'Not available',
  restored: 'Restored',
};

export const SERVICE_GROUPS: Record<string, string> = {
  contact: 'Contacting the council',
  'council-tax': 'Council tax and benefits',
  waste: 'Bins and waste',
  'social-care': 'Social care',
  housing: 'Housing',
  parking: 'Parking',
  libraries: 'Libraries',
  planning: 'Planning and land',
  registration: 'Registration and elections',
  streets: 'Streets and reporting',
  accounts: 'Online accounts',
};

const LIMITS = { title: 200, text: 5000, workaround: 2000 };

export interface RecordInput {
  title: string;
  status: string;
  severity: string;
  summary: string;
  dataAffected: string;
  advice: string;
  restorationOutlook: string;
}

export interface ServiceStatusInput {
  status: string;
  workaround: string;
  /** YYYY-MM-DD, or empty for "not known yet". */
  expectedRestoration: string;
}

function isKey<T extends Record<string, string>>(map: T, value: string): value is Extract<keyof T, string> {
  return Object.hasOwn(map, value);
}

/** YYYY-MM-DD naming a day that exists (JavaScript would roll 30 February over into March). */
function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const parsed = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === value;
}

/**
 * A service's status, what to do instead and expected restoration, as typed: the same rules when a
 * service is added and when its status changes. Returns the errors and the date as stored.
 */
export function validateServiceStatus(input: ServiceStatusInput): {
  errors: FieldError[];
  expectedRestoration: string | null;
} {
  const errors: FieldError[] = [];
  if (!isKey(SERVICE_STATUSES, input.status)) errors.push({ text: 'Select a status', href: '#status' });
  else if (input.status !== 'working' && input.status !== 'restored' && !input.workaround.trim()) {
    errors.push({ text: 'Enter what residents can do instead', href: '#workaround' });
  }
  if (input.workaround.length > LIMITS.workaround) {
    errors.push({ text: `This must be ${LIMITS.workaround} characters or fewer`, href: '#workaround' });
  }
  const date = input.expectedRestoration.trim();
  if (date && !isCalendarDate(date)) {
    errors.push({ text: 'Expected restoration must be a real date, like 2026-02-14', href: '#expectedRestoration' });
  }
  return { errors, expectedRestoration: date || null };
}

export function createIncidentsService(db: Kysely<DB>) {
  /** Organisations whose staff may act on the incident: the lead and the affected councils. */
  function owners(incident: repo.Incident): string[] {
    return [
      incident.leadOrganisationId,
      ...incident.organisations.filter((o) => o.relationship === 'affected').map((o) => o.organisationId),
    ];
  }

  function allowed(principal: Principal, action: Action, incident: repo.Incident): boolean {
    return owners(incident).some((organisationId) => can(principal, action, { organisationId }));
  }

  /** The incident, if the person may read it; otherwise the same 404 as for one that does not exist. */
  async function incidentFor(principal: Principal, id: string, action: Action = 'incident.read') {
    const incident = await repo.findIncident(db, id);
    if (!incident || !allowed(principal, action, incident)) throw new HttpProblem(404, 'Page not found');
    return incident;
  }

  async function listForStaff(principal: Principal): Promise<repo.Incident[]> {
    const organisations = [...new Set(principal.memberships.map((m) => m.organisationId))];
    const incidents = await repo.listIncidentsFor(db, organisations);
    return incidents.filter((i) => allowed(principal, 'incident.read', i));
  }

  async function details(principal: Principal, id: string) {
    const incident = await incidentFor(principal, id);
    const [services, timeline] = await Promise.all([repo.listServices(db, id), repo.listTimeline(db, id)]);
    const affected = incident.organisations.filter((o) => o.relationship === 'affected').map((o) => o.organisationId);
    const councilsWhere = (action: Action) =>
      affected.filter((organisationId) => can(principal, action, { organisationId }));
    return {
      incident,
      services: services.filter((s) => can(principal, 'incident.read', { organisationId: s.organisationId })),
      timeline,
      mayManage: allowed(principal, 'incident.manage', incident),
      /** The affected councils whose services (and public contacts) this person may add and change. */
      serviceCouncilIds: councilsWhere('service.manage'),
      contactCouncilIds: councilsWhere('public-contact.manage'),
    };
  }

  function validateRecord(input: RecordInput): FieldError[] {
    const errors: FieldError[] = [];
    if (!input.title.trim()) errors.push({ text: 'Enter a title', href: '#title' });
    else if (input.title.length > LIMITS.title) {
      errors.push({ text: `Title must be ${LIMITS.title} characters or fewer`, href: '#title' });
    }
    if (!isKey(INCIDENT_STATUSES, input.status)) errors.push({ text: 'Select a status', href: '#status' });
    if (!isKey(SEVERITIES, input.severity)) errors.push({ text: 'Select a severity', href: '#severity' });
    const texts: Array<[keyof RecordInput, string]> = [
      ['summary', 'what happened'],
      ['dataAffected', 'what data is affected'],
      ['advice', 'what residents should do'],
      ['restorationOutlook', 'when services will be back'],
    ];
    for (const [field, words] of texts) {
      const value = input[field];
      if (!value.trim()) errors.push({ text: `Enter ${words}`, href: `#${field}` });
      else if (value.length > LIMITS.text) {
        errors.push({ text: `This must be ${LIMITS.text} characters or fewer`, href: `#${field}` });
      }
    }
    return errors;
  }

  async function updateRecord(
    principal: Principal,
    actor: AuditActor,
    id: string,
    input: RecordInput,
  ): Promise<Result> {
    const incident = await incidentFor(principal, id, 'incident.manage');
    const errors = validateRecord(input);
    if (errors.length) return { ok: false, errors };
    const at = nowIso();
    const changed = (
      [
        ['title', incident.title, input.title.trim()],
        ['status', incident.status, input.status],
        ['severity', incident.severity, input.severity],
        ['summary', incident.summary, input.summary.trim()],
        ['data affected', incident.dataAffected, input.dataAffected.trim()],
        ['advice', incident.advice, input.advice.trim()],
        ['restoration outlook', incident.restorationOutlook, input.restorationOutlook.trim()],
      ] as const
    ).filter(([, before, after]) => before !== after);
    if (changed.length === 0) return { ok: true };
    await db.transaction().execute(async (trx) => {
      await repo.updateIncidentRecord(
        trx,
        id,
        {
          title: input.title.trim(),
          status: input.status as repo.IncidentStatus,
          severity: input.severity as repo.Severity,
          summary: input.summary.trim(),
          data_affected: input.dataAffected.trim(),
          advice: input.advice.trim(),
          restoration_outlook: input.restorationOutlook.trim(),
        },
        at,
      );
      const statusChange = changed.find(([field]) => field === 'status');
      await repo.insertTimelineEntry(trx, {
        id: newId(),
        incident_id: id,
        organisation_id: null,
        kind: 'record-change',
        occurred_at: at,
        title: statusChange
          ? `Status changed from ${INCIDENT_STATUSES[incident.status]} to ${INCIDENT_STATUSES[input.status as repo.IncidentStatus]}`
          : 'Incident record updated',
        body: `Changed: ${changed.map(([field]) => field).join(', ')}.`,
        details: JSON.stringify({ fields: changed.map(([field]) => field) }),
        author_user_id: actor.userId,
        author_label: actor.label,
        created_at: at,
      });
      await bumpPublicContentVersion(trx);
      await recordAudit(trx, actor, {
        action: 'incident.record-updated',
        organisationId: incident.leadOrganisationId,
        targetType: 'incident',
        targetId: id,
        details: { fields: changed.map(([field]) => field) },
      });
    });
    return { ok: true };
  }

  async function serviceFor(principal: Principal, serviceId: string) {
    const service = await repo.findService(db, serviceId);
    if (!service || !can(principal, 'service-status.update', { organisationId: service.organisationId })) {
      throw new HttpProblem(404, 'Page not found');
    }
    return service;
  }

  async function changeServiceStatus(
    principal: Principal,
    actor: AuditActor,
    serviceId: string,
    input: ServiceStatusInput,
  ): Promise<Result> {
    const service = await serviceFor(principal, serviceId);
    const { errors, expectedRestoration } = validateServiceStatus(input);
    if (errors.length) return { ok: false, errors };
    const at = nowIso();
    await db.transaction().execute(async (trx) => {
      await repo.updateServiceStatus(
        trx,
        serviceId,
        {
          status: input.status as repo.ServiceStatus,
          workaround: input.workaround.trim(),
          expected_restoration: expectedRestoration,
        },
        at,
      );
      await repo.insertTimelineEntry(trx, {
        id: newId(),
        incident_id: service.incidentId,
        organisation_id: service.organisationId,
        kind: 'service-change',
        occurred_at: at,
        title: `${service.name}: ${SERVICE_STATUSES[service.status]} to ${SERVICE_STATUSES[input.status as repo.ServiceStatus]}`,
        body: input.workaround.trim(),
        details: JSON.stringify({
          serviceId,
          from: service.status,
          to: input.status,
          expectedRestoration,
        }),
        author_user_id: actor.userId,
        author_label: actor.label,
        created_at: at,
      });
      await bumpPublicContentVersion(trx);
      await recordAudit(trx, actor, {
        action: 'incident.service-status-changed',
        organisationId: service.organisationId,
        targetType: 'service',
        targetId: serviceId,
        details: { from: service.status, to: input.status },
      });
    });
    return { ok: true };
  }

  /** What a council's public page shows: the current incident, its contacts and services. */
  async function publicView(councilId: string) {
    const incident = await repo.findCurrentIncidentForCouncil(db, councilId);
    if (!incident) return undefined;
    const [contacts, services] = await Promise.all([
      repo.listContacts(db, incident.id, councilId),
      repo.listServices(db, incident.id, councilId),
    ]);
    return { incident, contacts, services };
  }

  return { listForStaff, details, updateRecord, serviceFor, changeServiceStatus, publicView, incidentFor };
}

export type IncidentsService = ReturnType<typeof createIncidentsService>;
