// Setting an incident up after it is declared: each council's resident-facing services (add,
// rename, remove) and public contacts, the categories of data affected, and the organisations on
// the incident with its lead.
//
// Who may do what. A council's services and contacts belong to that council: only its own staff
// change them ('service.manage': comms and incident managers; 'public-contact.manage': incident
// managers, because a helpline number is what scammers copy). Someone who may see the incident but
// acts on another council's entry gets a 403; someone who may not see the incident gets a 404, as
// for one that does not exist. The incident's own record (categories, organisations) is for the
// incident managers of its lead and affected councils, with two limits: only the lead's incident
// managers hand the lead to another council, and a council leaves the incident only by its own
// incident managers or the lead's. The lead is always an affected council and is never removed, so
// an incident always has at least one.
//
// Every change is one transaction: the change, a timeline entry, an audit event and, when a public
// page shows what changed, a new public content version.
import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { listOrganisations, type Organisation } from '../../platform/accounts/accounts.repository.ts';
import { recordAudit, type AuditActor } from '../../platform/audit/audit.service.ts';
import type { DB, TimelineEntriesTable } from '../../platform/db/schema.ts';
import { HttpProblem } from '../../platform/http/errors.ts';
import { reasonError, type FieldError } from '../../platform/http/form-result.ts';
import { isId, newId, nowIso } from '../../platform/ids.ts';
import { can, type Action, type Principal } from '../../platform/policy/policy.ts';
import { bumpPublicContentVersion } from '../../platform/public-cache/public-content.repository.ts';
import * as setup from './incident-setup.repository.ts';
import * as repo from './incidents.repository.ts';
import {
  SERVICE_GROUPS,
  SERVICE_STATUSES,
  createIncidentsService,
  validateServiceStatus,
  type ServiceStatusInput,
} from './incidents.service.ts';

/**
 * Categories of personal data, in the words a resident would use. The first three are the demo
 * incident's. Anything else is kept as typed under "other".
 */
export const DATA_CATEGORIES: readonly string[] = [
  'contact details',
  'council tax and benefits records',
  'social care records',
  'dates of birth',
  'national insurance numbers',
  'identity documents',
  'bank or payment card details',
  'housing records',
  'health information',
  "children's records",
  'education records',
  'staff records',
  'account usernames and passwords',
  'criminal offence data',
];

export const SETUP_LIMITS = {
  serviceName: 120,
  servicesPerCouncil: 100,
  reason: 500,
  contactLabel: 80,
  phone: 40,
  email: 254,
  web: 500,
  hours: 200,
  contactsPerCouncil: 20,
  otherCategory: 100,
  otherCategories: 20,
  organisations: 40,
};

export const RELATIONSHIP_NAMES: Record<repo.Relationship, string> = {
  affected: 'affected council',
  investigating: 'investigating agency',
  provider: 'shared service provider',
};

/** An organisation joins an incident in the one role its kind allows. */
const RELATIONSHIP_FOR_KIND: Record<Organisation['kind'], repo.Relationship> = {
  council: 'affected',
  agency: 'investigating',
  provider: 'provider',
};

/** Public pages show affected councils (each has a page) and investigating agencies, not providers. */
const PUBLIC_RELATIONSHIPS: ReadonlySet<repo.Relationship> = new Set(['affected', 'investigating']);

export type Result<T extends object = object> =
  ({ ok: true } & T) | { ok: false; errors: FieldError[]; status?: number };

export interface NewServiceInput extends ServiceStatusInput {
  name: string;
  group: string;
}

export interface ServiceNameInput {
  name: string;
  group: string;
  /** The version of the service the form was made from (versionTag). */
  seen: string;
}

export interface ContactInput {
  kind: string;
  label: string;
  phone: string;
  hours: string;
  email: string;
  web: string;
  /** When changing a contact: the version the form was made from. */
  seen?: string;
}

export interface CategoriesInput {
  selected: string[];
  /** Other categories, one a line. */
  other: string;
  seen: string;
}

/** A short fingerprint of what a form was made from, so a save can tell that it changed since. */
export function versionTag(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 22);
}

/** A web-address-safe name for a service's page, unlike any the council already uses. */
export function serviceSlug(name: string, taken: readonly string[]): string {
  const base =
    name
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/&/g, ' and ')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 50)
      .replace(/-+$/, '') || 'service';
  if (!taken.includes(base)) return base;
  for (let n = 2; ; n += 1) if (!taken.includes(`${base}-${n}`)) return `${base}-${n}`;
}

/**
 * A UK phone number, loosely: 10 or 11 digits starting with 0 (or +44 for the 0, with an optional
 * "(0)"), spaces, hyphens and brackets allowed; a Relay UK "18001" prefix; or a short number such
 * as 101, 111 or 116 123.
 */
export function isUkPhoneNumber(value: string): boolean {
  if (!/^[0-9 +()-]+$/.test(value)) return false;
  let digits = value.replace(/\(0\)/, '').replace(/[ ()-]/g, '');
  if (digits.startsWith('+44')) digits = `0${digits.slice(3)}`;
  if (digits.includes('+')) return false;
  if (digits.startsWith('18001') && digits.length > 5) digits = digits.slice(5);
  return /^0\d{9,10}$/.test(digits) || /^(?:999|112|1\d\d|116\d{3})$/.test(digits);
}

const EMAIL = /^[^\s@<>()[\]\\,;:"']+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/i;

/** Residents are told to trust only the council's own addresses, so contacts stay on them (or gov.uk). */
export function onOfficialDomain(host: string, officialDomains: readonly string[]): boolean {
  const h = host.toLowerCase();
  return [...officialDomains, 'gov.uk'].some((d) => h === d.toLowerCase() || h.endsWith(`.${d.toLowerCase()}`));
}

function domainsInWords(officialDomains: readonly string[]): string {
  return [...officialDomains, 'gov.uk'].join(', ');
}

type ContactFields = Pick<repo.PublicContact, 'kind' | 'label' | 'value' | 'hours'>;

/** Checks a contact as typed; returns it as it will be stored. */
export function validateContact(
  input: ContactInput,
  officialDomains: readonly string[],
): { errors: FieldError[]; contact: ContactFields } {
  const errors: FieldError[] = [];
  const label = input.label.trim().replace(/\s+/g, ' ');
  if (!label) errors.push({ text: 'Enter what the contact is for, like "Cyber incident helpline"', href: '#label' });
  else if (label.length > SETUP_LIMITS.contactLabel) {
    errors.push({ text: `This must be ${SETUP_LIMITS.contactLabel} characters or fewer`, href: '#label' });
  }
  let value = '';
  let hours: string | null = null;
  if (input.kind === 'phone') {
    value = input.phone.trim().replace(/\s+/g, ' ');
    hours = input.hours.trim().replace(/\s+/g, ' ') || null;
    if (!value) errors.push({ text: 'Enter a phone number', href: '#phone' });
    else if (value.length > SETUP_LIMITS.phone || !isUkPhoneNumber(value)) {
      errors.push({ text: 'Enter a UK phone number, like 020 7641 1919', href: '#phone' });
    }
    if (hours && hours.length > SETUP_LIMITS.hours) {
      errors.push({ text: `Opening hours must be ${SETUP_LIMITS.hours} characters or fewer`, href: '#hours' });
    }
  } else if (input.kind === 'email') {
    value = input.email.trim().toLowerCase();
    if (!value) errors.push({ text: 'Enter an email address', href: '#email' });
    else if (value.length > SETUP_LIMITS.email || !EMAIL.test(value)) {
      errors.push({ text: 'Enter an email address in the correct format, like name@council.gov.uk', href: '#email' });
    } else if (!onOfficialDomain(value.slice(value.lastIndexOf('@') + 1), officialDomains)) {
      errors.push({
        text: `Enter an email address on the council's own domain (${domainsInWords(officialDomains)})`,
        href: '#email',
      });
    }
  } else if (input.kind === 'web') {
    const typed = input.web.trim();
    let url: URL | undefined;
    try {
      url = /\s/.test(typed) ? undefined : new URL(typed);
    } catch {
      url = undefined;
    }
    if (!typed) errors.push({ text: 'Enter a web address', href: '#web' });
    else if (typed.length > SETUP_LIMITS.web || !url || url.protocol !== 'https:' || url.username || url.password) {
      errors.push({ text: 'Enter a web address that starts with https://', href: '#web' });
    } else if (!url.hostname.includes('.') || !onOfficialDomain(url.hostname, officialDomains)) {
      errors.push({
        text: `Enter an address on the council's own website (${domainsInWords(officialDomains)})`,
        href: '#web',
      });
    } else {
      value = url.href;
    }
    if (!value) value = typed;
  } else {
    errors.push({ text: 'Select a phone number, email address or web address', href: '#kind' });
  }
  const kind = (['phone', 'email', 'web'] as const).find((k) => k === input.kind) ?? 'phone';
  return { errors, contact: { kind, label, value, hours } };
}

/** The categories as they will be stored: the list's in its order, then the others as typed. */
export function normaliseCategories(input: Pick<CategoriesInput, 'selected' | 'other'>): {
  errors: FieldError[];
  categories: string[];
} {
  const errors: FieldError[] = [];
  if (input.selected.some((c) => !DATA_CATEGORIES.includes(c))) {
    errors.push({ text: 'Select categories from the list', href: '#categories' });
  }
  const others = input.other
    .split(/\r?\n/)
    .map((line) => line.trim().replace(/\s+/g, ' '))
    .filter(Boolean);
  if (others.length > SETUP_LIMITS.otherCategories) {
    errors.push({ text: `Enter ${SETUP_LIMITS.otherCategories} other categories or fewer`, href: '#other' });
  }
  if (others.some((c) => c.length > SETUP_LIMITS.otherCategory)) {
    errors.push({
      text: `Each other category must be ${SETUP_LIMITS.otherCategory} characters or fewer`,
      href: '#other',
    });
  }
  const seen = new Set<string>();
  const categories: string[] = [];
  const fromList = DATA_CATEGORIES.filter((c) => input.selected.includes(c));
  for (const c of [...fromList, ...others]) {
    const key = c.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    // One typed as "other" that is on the list is ticked instead.
    categories.push(DATA_CATEGORIES.find((d) => d === key) ?? c);
  }
  const ordered = [
    ...DATA_CATEGORIES.filter((d) => categories.includes(d)),
    ...categories.filter((c) => !DATA_CATEGORIES.includes(c)),
  ];
  return { errors, categories: ordered };
}

const notFound = () => new HttpProblem(404, 'Page not found');

function isKey<T extends Record<string, string>>(map: T, value: string): value is Extract<keyof T, string> {
  return Object.hasOwn(map, value);
}

function affectedCouncils(incident: Pick<repo.Incident, 'organisations'>): string[] {
  return incident.organisations.filter((o) => o.relationship === 'affected').map((o) => o.organisationId);
}

export function createIncidentSetupService(db: Kysely<DB>) {
  const incidents = createIncidentsService(db);

  async function organisationsById(): Promise<Map<string, Organisation>> {
    return new Map((await listOrganisations(db)).map((o) => [o.id, o]));
  }

  /** An affected council of a readable incident, if the person may do `action` for it. */
  async function councilFor(
    principal: Principal,
    incidentId: string,
    councilId: string,
    action: Action,
    refusal: string,
  ): Promise<{ incident: repo.Incident; council: Organisation }> {
    if (!isId(incidentId) || !isId(councilId)) throw notFound();
    const incident = await incidents.incidentFor(principal, incidentId);
    if (!affectedCouncils(incident).includes(councilId)) throw notFound();
    const council = (await organisationsById()).get(councilId);
    if (!council) throw notFound();
    if (!can(principal, action, { organisationId: councilId })) {
      throw new HttpProblem(403, refusal, `Only ${council.name} staff can do this.`);
    }
    return { incident, council };
  }

  async function onTimeline(
    trx: Transaction<DB>,
    actor: AuditActor,
    at: string,
    entry: Pick<TimelineEntriesTable, 'incident_id' | 'organisation_id' | 'kind' | 'title' | 'body'> & {
      details: Record<string, unknown>;
    },
  ): Promise<void> {
    await repo.insertTimelineEntry(trx, {
      id: newId(),
      ...entry,
      details: JSON.stringify(entry.details),
      occurred_at: at,
      author_user_id: actor.userId,
      author_label: actor.label,
      created_at: at,
    });
  }

  // Services.

  const cannotChangeServices = "You cannot change another council's services";

  function serviceCouncil(principal: Principal, incidentId: string, councilId: string) {
    return councilFor(principal, incidentId, councilId, 'service.manage', cannotChangeServices);
  }

  function validateName(name: string, group: string): FieldError[] {
    const errors: FieldError[] = [];
    if (!name) errors.push({ text: 'Enter the name of the service', href: '#name' });
    else if (name.length > SETUP_LIMITS.serviceName) {
      errors.push({ text: `The name must be ${SETUP_LIMITS.serviceName} characters or fewer`, href: '#name' });
    }
    if (!isKey(SERVICE_GROUPS, group)) errors.push({ text: 'Select the type of service', href: '#group' });
    return errors;
  }

  async function addService(
    principal: Principal,
    actor: AuditActor,
    incidentId: string,
    councilId: string,
    input: NewServiceInput,
  ): Promise<Result<{ serviceId: string }>> {
    const { council } = await serviceCouncil(principal, incidentId, councilId);
    const name = input.name.trim().replace(/\s+/g, ' ');
    const status = validateServiceStatus(input);
    const errors = [...validateName(name, input.group), ...status.errors];
    if (errors.length) return { ok: false, errors };
    const workaround = input.workaround.trim();
    const serviceId = newId();
    // Two people adding the same service at once both pick its slug; the unique constraint turns
    // one away, and trying again finds the name taken.
    for (let attempt = 1; ; attempt += 1) {
      try {
        const refused = await db.transaction().execute(async (trx): Promise<FieldError[]> => {
          const existing = await repo.listServices(trx, incidentId, councilId);
          if (existing.some((s) => s.name.toLowerCase() === name.toLowerCase())) {
            return [{ text: `${council.name} already lists a service called ${name}`, href: '#name' }];
          }
          if (existing.length >= SETUP_LIMITS.servicesPerCouncil) {
            return [{ text: `A council can list up to ${SETUP_LIMITS.servicesPerCouncil} services`, href: '#name' }];
          }
          const at = nowIso();
          const slug = serviceSlug(
            name,
            existing.map((s) => s.slug),
          );
          await setup.insertService(trx, {
            id: serviceId,
            incident_id: incidentId,
            organisation_id: councilId,
            slug,
            name,
            service_group: input.group,
            status: input.status as repo.ServiceStatus,
            workaround,
            expected_restoration: status.expectedRestoration,
            changed_at: at,
            created_at: at,
          });
          await onTimeline(trx, actor, at, {
            incident_id: incidentId,
            organisation_id: councilId,
            kind: 'service-change',
            title: `${name} added to the service list: ${SERVICE_STATUSES[input.status as repo.ServiceStatus]}`,
            body: workaround,
            details: {
              serviceId,
              added: true,
              group: input.group,
              to: input.status,
              expectedRestoration: status.expectedRestoration,
            },
          });
          await bumpPublicContentVersion(trx);
          await recordAudit(trx, actor, {
            action: 'incident.service-added',
            organisationId: councilId,
            targetType: 'service',
            targetId: serviceId,
            details: { incidentId, name, slug, group: input.group, status: input.status },
          });
          return [];
        });
        return refused.length ? { ok: false, errors: refused } : { ok: true, serviceId };
      } catch (err) {
        if (attempt < 3 && setup.isUniqueViolation(err)) continue;
        throw err;
      }
    }
  }

  /** A service with its incident and council, for changing its name or removing it. */
  async function serviceForSetup(principal: Principal, serviceId: string) {
    if (!isId(serviceId)) throw notFound();
    const service = await repo.findService(db, serviceId);
    if (!service) throw notFound();
    const { incident, council } = await serviceCouncil(principal, service.incidentId, service.organisationId);
    return { service, incident, council, seen: versionTag([service.name, service.group]) };
  }

  const changedSinceSeen = (what: string, href: string): FieldError => ({
    text: `Someone else changed this ${what} while you were working on it. Check what it says now and save again.`,
    href,
  });

  async function renameService(
    principal: Principal,
    actor: AuditActor,
    serviceId: string,
    input: ServiceNameInput,
  ): Promise<Result> {
    const { service } = await serviceForSetup(principal, serviceId);
    const name = input.name.trim().replace(/\s+/g, ' ');
    const errors = validateName(name, input.group);
    if (errors.length) return { ok: false, errors };
    if (input.seen !== versionTag([service.name, service.group])) {
      return { ok: false, status: 409, errors: [changedSinceSeen('service', '#name')] };
    }
    if (name === service.name && input.group === service.group) return { ok: true };
    const others = (await repo.listServices(db, service.incidentId, service.organisationId)).filter(
      (s) => s.id !== serviceId,
    );
    if (others.some((s) => s.name.toLowerCase() === name.toLowerCase())) {
      return { ok: false, errors: [{ text: `There is already a service called ${name}`, href: '#name' }] };
    }
    const fields = [name !== service.name && 'name', input.group !== service.group && 'group'].filter(
      (f): f is string => f !== false,
    );
    const done = await db.transaction().execute(async (trx) => {
      const at = nowIso();
      const changed = await setup.renameService(
        trx,
        serviceId,
        { name: service.name, group: service.group },
        { name, group: input.group },
        at,
      );
      if (!changed) return false;
      const groupText = (g: string) => SERVICE_GROUPS[g] ?? g;
      await onTimeline(trx, actor, at, {
        incident_id: service.incidentId,
        organisation_id: service.organisationId,
        kind: 'service-change',
        title:
          name !== service.name
            ? `${service.name} renamed ${name}`
            : `${name} moved from ${groupText(service.group)} to ${groupText(input.group)}`,
        body:
          name !== service.name && input.group !== service.group
            ? `Moved from ${groupText(service.group)} to ${groupText(input.group)}.`
            : '',
        details: {
          serviceId,
          fields,
          from: { name: service.name, group: service.group },
          to: { name, group: input.group },
        },
      });
      await bumpPublicContentVersion(trx);
      await recordAudit(trx, actor, {
        action: 'incident.service-renamed',
        organisationId: service.organisationId,
        targetType: 'service',
        targetId: serviceId,
        details: { incidentId: service.incidentId, fields, from: service.name, to: name, group: input.group },
      });
      return true;
    });
    return done ? { ok: true } : { ok: false, status: 409, errors: [changedSinceSeen('service', '#name')] };
  }

  /**
   * Takes a service off the list, for one listed by mistake or that residents no longer need to
   * hear about. (A service that works again is marked Restored instead, so residents see it is back.)
   */
  async function removeService(
    principal: Principal,
    actor: AuditActor,
    serviceId: string,
    reasonTyped: string,
  ): Promise<Result> {
    const { service } = await serviceForSetup(principal, serviceId);
    const reason = reasonTyped.trim();
    const problem = reasonError(reason, 'Enter why the service is being removed', SETUP_LIMITS.reason);
    if (problem) return { ok: false, errors: [problem] };
    await db.transaction().execute(async (trx) => {
      if (!(await setup.deleteService(trx, serviceId))) throw notFound();
      const at = nowIso();
      // The timeline and the audit log keep what residents were told, since the row is gone.
      const removed = {
        name: service.name,
        slug: service.slug,
        group: service.group,
        status: service.status,
        workaround: service.workaround,
        expectedRestoration: service.expectedRestoration,
      };
      await onTimeline(trx, actor, at, {
        incident_id: service.incidentId,
        organisation_id: service.organisationId,
        kind: 'service-change',
        title: `${service.name} removed from the service list`,
        body: reason,
        details: { serviceId, removed },
      });
      await bumpPublicContentVersion(trx);
      await recordAudit(trx, actor, {
        action: 'incident.service-removed',
        organisationId: service.organisationId,
        targetType: 'service',
        targetId: serviceId,
        details: { incidentId: service.incidentId, reason, removed },
      });
    });
    return { ok: true };
  }

  // Public contacts.

  const cannotChangeContacts = "You cannot change another council's contact details";

  function contactCouncil(principal: Principal, incidentId: string, councilId: string) {
    return councilFor(principal, incidentId, councilId, 'public-contact.manage', cannotChangeContacts);
  }

  /** Every affected council's public contacts, and which of them this person may change. */
  async function contactsOverview(principal: Principal, incidentId: string) {
    if (!isId(incidentId)) throw notFound();
    const incident = await incidents.incidentFor(principal, incidentId);
    const [names, contacts] = await Promise.all([organisationsById(), setup.listIncidentContacts(db, incidentId)]);
    const councils = affectedCouncils(incident)
      .map((id) => names.get(id))
      .filter((o): o is Organisation => o !== undefined)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((council) => ({
        council,
        contacts: contacts.filter((c) => c.organisationId === council.id),
        mayManage: can(principal, 'public-contact.manage', { organisationId: council.id }),
      }));
    return { incident, councils };
  }

  function contactSummary(c: ContactFields): string {
    return `${c.label}: ${c.value}${c.hours ? ` (${c.hours})` : ''}`;
  }

  async function addContact(
    principal: Principal,
    actor: AuditActor,
    incidentId: string,
    councilId: string,
    input: ContactInput,
  ): Promise<Result> {
    const { council } = await contactCouncil(principal, incidentId, councilId);
    const { errors, contact } = validateContact(input, council.officialDomains);
    if (errors.length) return { ok: false, errors };
    const contactId = newId();
    const refused = await db.transaction().execute(async (trx): Promise<FieldError[]> => {
      const existing = await repo.listContacts(trx, incidentId, councilId);
      if (existing.length >= SETUP_LIMITS.contactsPerCouncil) {
        return [{ text: `A council can list up to ${SETUP_LIMITS.contactsPerCouncil} contacts`, href: '#label' }];
      }
      const at = nowIso();
      await setup.insertContactLast(trx, {
        id: contactId,
        incident_id: incidentId,
        organisation_id: councilId,
        ...contact,
      });
      await onTimeline(trx, actor, at, {
        incident_id: incidentId,
        organisation_id: councilId,
        kind: 'record-change',
        title: `Public contact added for ${council.name}`,
        body: contactSummary(contact),
        details: { contactId, added: contact },
      });
      await bumpPublicContentVersion(trx);
      await recordAudit(trx, actor, {
        action: 'incident.contact-added',
        organisationId: councilId,
        targetType: 'public-contact',
        targetId: contactId,
        details: { incidentId, ...contact },
      });
      return [];
    });
    return refused.length ? { ok: false, errors: refused } : { ok: true };
  }

  async function contactFor(principal: Principal, contactId: string) {
    if (!isId(contactId)) throw notFound();
    const contact = await setup.findContact(db, contactId);
    if (!contact) throw notFound();
    const { incident, council } = await contactCouncil(principal, contact.incidentId, contact.organisationId);
    return { contact, incident, council, seen: contactTag(contact) };
  }

  const contactTag = (c: ContactFields) => versionTag([c.kind, c.label, c.value, c.hours]);
  const fieldsOf = (c: ContactFields): ContactFields => ({
    kind: c.kind,
    label: c.label,
    value: c.value,
    hours: c.hours,
  });

  async function changeContact(
    principal: Principal,
    actor: AuditActor,
    contactId: string,
    input: ContactInput,
  ): Promise<Result> {
    const { contact: before, council } = await contactFor(principal, contactId);
    // A contact keeps its kind: a phone number does not become an email address.
    const { errors, contact } = validateContact({ ...input, kind: before.kind }, council.officialDomains);
    if (errors.length) return { ok: false, errors };
    if (input.seen !== contactTag(before))
      return { ok: false, status: 409, errors: [changedSinceSeen('contact', '#label')] };
    if (contactTag(contact) === contactTag(before)) return { ok: true };
    const done = await db.transaction().execute(async (trx) => {
      if (!(await setup.updateContact(trx, contactId, fieldsOf(before), contact))) return false;
      const at = nowIso();
      await onTimeline(trx, actor, at, {
        incident_id: before.incidentId,
        organisation_id: before.organisationId,
        kind: 'record-change',
        title: `Public contact changed for ${council.name}`,
        body: `Was ${contactSummary(before)}. Now ${contactSummary(contact)}.`,
        details: { contactId, from: fieldsOf(before), to: contact },
      });
      await bumpPublicContentVersion(trx);
      await recordAudit(trx, actor, {
        action: 'incident.contact-changed',
        organisationId: before.organisationId,
        targetType: 'public-contact',
        targetId: contactId,
        details: { incidentId: before.incidentId, from: fieldsOf(before), to: contact },
      });
      return true;
    });
    return done ? { ok: true } : { ok: false, status: 409, errors: [changedSinceSeen('contact', '#label')] };
  }

  async function removeContact(principal: Principal, actor: AuditActor, contactId: string): Promise<void> {
    const { contact, council } = await contactFor(principal, contactId);
    await db.transaction().execute(async (trx) => {
      if (!(await setup.deleteContact(trx, contactId))) throw notFound();
      const at = nowIso();
      await onTimeline(trx, actor, at, {
        incident_id: contact.incidentId,
        organisation_id: contact.organisationId,
        kind: 'record-change',
        title: `Public contact removed for ${council.name}`,
        body: contactSummary(contact),
        details: { contactId, removed: fieldsOf(contact) },
      });
      await bumpPublicContentVersion(trx);
      await recordAudit(trx, actor, {
        action: 'incident.contact-removed',
        organisationId: contact.organisationId,
        targetType: 'public-contact',
        targetId: contactId,
        details: { incidentId: contact.incidentId, removed: fieldsOf(contact) },
      });
    });
  }

  // Categories of data affected.

  async function categoriesFor(principal: Principal, incidentId: string) {
    if (!isId(incidentId)) throw notFound();
    const incident = await incidents.incidentFor(principal, incidentId, 'incident.manage');
    return { incident, seen: versionTag(incident.dataCategories) };
  }

  async function changeCategories(
    principal: Principal,
    actor: AuditActor,
    incidentId: string,
    input: CategoriesInput,
  ): Promise<Result> {
    const { incident } = await categoriesFor(principal, incidentId);
    const { errors, categories } = normaliseCategories(input);
    if (errors.length) return { ok: false, errors };
    const before = incident.dataCategories;
    if (input.seen !== versionTag(before))
      return { ok: false, status: 409, errors: [changedSinceSeen('list', '#categories')] };
    if (JSON.stringify(before) === JSON.stringify(categories)) return { ok: true };
    const done = await db.transaction().execute(async (trx) => {
      if (!(await setup.replaceDataCategories(trx, incidentId, before, categories))) return false;
      const at = nowIso();
      const added = categories.filter((c) => !before.includes(c));
      const removed = before.filter((c) => !categories.includes(c));
      await onTimeline(trx, actor, at, {
        incident_id: incidentId,
        organisation_id: null,
        kind: 'record-change',
        title: 'Categories of data affected changed',
        body: [added.length && `Added: ${added.join(', ')}.`, removed.length && `Removed: ${removed.join(', ')}.`]
          .filter(Boolean)
          .join(' '),
        details: { fields: ['data categories'], added, removed },
      });
      // Not shown on public pages, so the public content version stays as it is.
      await recordAudit(trx, actor, {
        action: 'incident.data-categories-changed',
        organisationId: incident.leadOrganisationId,
        targetType: 'incident',
        targetId: incidentId,
        details: { from: before, to: categories },
      });
      return true;
    });
    return done ? { ok: true } : { ok: false, status: 409, errors: [changedSinceSeen('list', '#categories')] };
  }

  // Organisations on the incident.

  /** Who may take `organisationId` off the incident: for a council, its own or the lead's incident managers. */
  function mayRemove(principal: Principal, incident: repo.Incident, organisationId: string, relationship: string) {
    if (relationship !== 'affected') return true;
    return [incident.leadOrganisationId, organisationId].some((id) =>
      can(principal, 'incident.manage', { organisationId: id }),
    );
  }

  /** Why an organisation cannot leave the incident, or undefined if it can. */
  function removalBlocked(
    incident: Pick<repo.Incident, 'leadOrganisationId' | 'organisations'>,
    organisationId: string,
  ): string | undefined {
    if (organisationId === incident.leadOrganisationId) {
      return 'It leads the incident. Make another council the lead first.';
    }
    const link = incident.organisations.find((o) => o.organisationId === organisationId);
    if (link?.relationship === 'affected' && affectedCouncils(incident).length <= 1) {
      return 'An incident must affect at least one council.';
    }
    return undefined;
  }

  async function organisationsOverview(principal: Principal, incidentId: string) {
    if (!isId(incidentId)) throw notFound();
    const incident = await incidents.incidentFor(principal, incidentId, 'incident.manage');
    const all = await organisationsById();
    const onIncident = new Set(incident.organisations.map((o) => o.organisationId));
    const members = incident.organisations
      .map((link) => ({ ...link, organisation: all.get(link.organisationId) }))
      .filter((m): m is typeof m & { organisation: Organisation } => m.organisation !== undefined)
      .sort((a, b) => a.organisation.name.localeCompare(b.organisation.name))
      .map((m) => ({
        organisation: m.organisation,
        relationship: m.relationship,
        isLead: m.organisationId === incident.leadOrganisationId,
        mayRemove: mayRemove(principal, incident, m.organisationId, m.relationship),
        blocked: removalBlocked(incident, m.organisationId),
      }));
    const candidates = [...all.values()]
      .filter((o) => !onIncident.has(o.id))
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((o) => ({ organisation: o, relationship: RELATIONSHIP_FOR_KIND[o.kind] }));
    return {
      incident,
      lead: all.get(incident.leadOrganisationId),
      members,
      candidates,
      mayChangeLead: can(principal, 'incident.manage', { organisationId: incident.leadOrganisationId }),
      leadChoices: members.filter((m) => m.relationship === 'affected').map((m) => m.organisation),
    };
  }

  async function addOrganisation(
    principal: Principal,
    actor: AuditActor,
    incidentId: string,
    organisationId: string,
  ): Promise<Result> {
    const { incident, candidates } = await organisationsOverview(principal, incidentId);
    const candidate = candidates.find((c) => c.organisation.id === organisationId);
    if (!candidate) return { ok: false, errors: [{ text: 'Select an organisation to add', href: '#organisation' }] };
    if (incident.organisations.length >= SETUP_LIMITS.organisations) {
      return {
        ok: false,
        errors: [
          { text: `An incident can have up to ${SETUP_LIMITS.organisations} organisations`, href: '#organisation' },
        ],
      };
    }
    const { organisation, relationship } = candidate;
    await db.transaction().execute(async (trx) => {
      if (!(await setup.lockIncident(trx, incidentId))) throw notFound();
      if (!(await setup.addIncidentOrganisation(trx, incidentId, organisationId, relationship))) return;
      const at = nowIso();
      await onTimeline(trx, actor, at, {
        incident_id: incidentId,
        organisation_id: null,
        kind: 'record-change',
        title: `${organisation.name} added as ${article(RELATIONSHIP_NAMES[relationship])}`,
        body: '',
        details: { fields: ['organisations'], organisationId, relationship, added: true },
      });
      if (PUBLIC_RELATIONSHIPS.has(relationship)) await bumpPublicContentVersion(trx);
      await recordAudit(trx, actor, {
        action: 'incident.organisation-added',
        organisationId: relationship === 'affected' ? organisationId : incident.leadOrganisationId,
        targetType: 'incident',
        targetId: incidentId,
        details: { organisationId, organisation: organisation.slug, relationship },
      });
    });
    return { ok: true };
  }

  /** The organisation as it stands on the incident, for the page that asks to confirm its removal. */
  async function removalFor(principal: Principal, incidentId: string, organisationId: string) {
    const overview = await organisationsOverview(principal, incidentId);
    const member = overview.members.find((m) => m.organisation.id === organisationId);
    if (!member) throw notFound();
    if (!member.mayRemove) {
      throw new HttpProblem(
        403,
        'You cannot take this council off the incident',
        `Only incident managers at ${member.organisation.name} or at the lead organisation can do this.`,
      );
    }
    return { ...overview, member };
  }

  async function removeOrganisation(
    principal: Principal,
    actor: AuditActor,
    incidentId: string,
    organisationId: string,
  ): Promise<void> {
    const { incident, member } = await removalFor(principal, incidentId, organisationId);
    const { organisation, relationship } = member;
    await db.transaction().execute(async (trx) => {
      if (!(await setup.lockIncident(trx, incidentId))) throw notFound();
      // Checked again under the lock: someone may have changed the lead or removed a council since.
      const now = {
        leadOrganisationId: (await setup.currentLead(trx, incidentId)) ?? '',
        organisations: await setup.incidentLinks(trx, incidentId),
      };
      const blocked = removalBlocked(now, organisationId);
      if (blocked) throw new HttpProblem(409, `${organisation.name} cannot be taken off the incident`, blocked);
      if ((await setup.removeIncidentOrganisation(trx, incidentId, organisationId)) === 0) throw notFound();
      const at = nowIso();
      await onTimeline(trx, actor, at, {
        incident_id: incidentId,
        organisation_id: null,
        kind: 'record-change',
        title: `${organisation.name} is no longer ${article(RELATIONSHIP_NAMES[relationship])}`,
        body: '',
        details: { fields: ['organisations'], organisationId, relationship, removed: true },
      });
      if (PUBLIC_RELATIONSHIPS.has(relationship)) await bumpPublicContentVersion(trx);
      await recordAudit(trx, actor, {
        action: 'incident.organisation-removed',
        organisationId: relationship === 'affected' ? organisationId : incident.leadOrganisationId,
        targetType: 'incident',
        targetId: incidentId,
        details: { organisationId, organisation: organisation.slug, relationship },
      });
    });
  }

  async function changeLead(
    principal: Principal,
    actor: AuditActor,
    incidentId: string,
    leadId: string,
  ): Promise<Result> {
    const { incident, lead, mayChangeLead, leadChoices } = await organisationsOverview(principal, incidentId);
    if (!mayChangeLead) {
      throw new HttpProblem(
        403,
        'You cannot change the lead organisation',
        `Only incident managers at ${lead?.name ?? 'the lead organisation'} can hand the lead to another council.`,
      );
    }
    const next = leadChoices.find((o) => o.id === leadId);
    if (!next) return { ok: false, errors: [{ text: 'Select the council that leads the incident', href: '#lead' }] };
    if (next.id === incident.leadOrganisationId) return { ok: true };
    await db.transaction().execute(async (trx) => {
      if (!(await setup.lockIncident(trx, incidentId))) throw notFound();
      const links = await setup.incidentLinks(trx, incidentId);
      const stillAffected = links.some((l) => l.organisationId === next.id && l.relationship === 'affected');
      if (!stillAffected || !(await setup.changeLead(trx, incidentId, incident.leadOrganisationId, next.id))) {
        throw new HttpProblem(409, 'The organisations on this incident have changed', 'Go back and try again.');
      }
      const at = nowIso();
      await onTimeline(trx, actor, at, {
        incident_id: incidentId,
        organisation_id: null,
        kind: 'record-change',
        title: `Lead organisation changed from ${lead?.name ?? 'unknown'} to ${next.name}`,
        body: '',
        details: { fields: ['lead organisation'], from: incident.leadOrganisationId, to: next.id },
      });
      // The lead is not shown on public pages.
      await recordAudit(trx, actor, {
        action: 'incident.lead-changed',
        organisationId: incident.leadOrganisationId,
        targetType: 'incident',
        targetId: incidentId,
        details: { from: incident.leadOrganisationId, to: next.id },
      });
    });
    return { ok: true };
  }

  return {
    serviceCouncil,
    addService,
    serviceForSetup,
    renameService,
    removeService,
    contactsOverview,
    contactCouncil,
    addContact,
    contactFor,
    changeContact,
    removeContact,
    categoriesFor,
    changeCategories,
    organisationsOverview,
    addOrganisation,
    removalFor,
    removeOrganisation,
    changeLead,
  };
}

function article(words: string): string {
  return `${/^[aeiou]/.test(words) ? 'an' : 'a'} ${words}`;
}

export type IncidentSetupService = ReturnType<typeof createIncidentSetupService>;
