// Staff pages that set an incident up: a council's services (add, rename, remove) and public
// contacts, the categories of data affected, and the organisations on the incident with its lead.
// The rules are in incident-setup.service.ts; every page here is Post/Redirect/Get, and a change
// that residents see clears this instance's public page cache at once (the others follow the
// public content version).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { actorOf, requireStaff } from '../../platform/auth/staff-guard.ts';
import type { Database } from '../../platform/db/database.ts';
import { HttpProblem } from '../../platform/http/errors.ts';
import { formList, formText } from '../../platform/http/form-fields.ts';
import type { FieldError } from '../../platform/http/form-result.ts';
import {
  DATA_CATEGORIES,
  RELATIONSHIP_NAMES,
  createIncidentSetupService,
  type ContactInput,
  type IncidentSetupService,
} from './incident-setup.service.ts';
import type { PublicContact } from './incidents.repository.ts';
import { SERVICE_GROUPS, SERVICE_STATUSES } from './incidents.service.ts';

type Params = Record<string, string>;

const ADD_CONTACT: Record<PublicContact['kind'], string> = {
  phone: 'Add a phone number',
  email: 'Add an email address',
  web: 'Add a web address',
};
const CHANGE_CONTACT: Record<PublicContact['kind'], string> = {
  phone: 'Change a phone number',
  email: 'Change an email address',
  web: 'Change a web address',
};

const GROUP_ITEMS = Object.entries(SERVICE_GROUPS).map(([value, text]) => ({ value, text }));
const STATUS_ITEMS = Object.entries(SERVICE_STATUSES).map(([value, text]) => ({ value, text }));

/** The contact form as posted; its kind comes from the address, not the form. */
function contactForm(request: FastifyRequest): Omit<ContactInput, 'kind'> {
  return {
    label: formText(request.body, 'label', 200),
    phone: formText(request.body, 'phone', 100),
    hours: formText(request.body, 'hours', 400),
    email: formText(request.body, 'email', 400),
    web: formText(request.body, 'web', 1000),
    seen: formText(request.body, 'seen', 40),
  };
}

/** A stored contact as the form shows it: its value in the box for its kind. */
function contactValues(contact: Pick<PublicContact, 'kind' | 'label' | 'value' | 'hours'>): ContactInput {
  return {
    kind: contact.kind,
    label: contact.label,
    phone: contact.kind === 'phone' ? contact.value : '',
    hours: contact.hours ?? '',
    email: contact.kind === 'email' ? contact.value : '',
    web: contact.kind === 'web' ? contact.value : '',
  };
}

export async function incidentSetupRoutes(app: FastifyInstance, opts: { database: Database }): Promise<void> {
  const setup: IncidentSetupService = createIncidentSetupService(opts.database.db);
  const cache = app.publicCache;
  const principal = (request: FastifyRequest) => request.staff!.principal;
  const code = (errors: FieldError[], status?: number) => (errors.length ? (status ?? 400) : 200);

  // Services.

  const renderNewService = async (
    request: FastifyRequest,
    reply: FastifyReply,
    values: Record<string, string>,
    errors: FieldError[] = [],
  ) => {
    const { incidentId, councilId } = request.params as Params;
    const { incident, council } = await setup.serviceCouncil(principal(request), incidentId!, councilId!);
    return reply.code(code(errors)).render('incidents/views/staff-service-new.njk', {
      pageTitle: `Add a service for ${council.name}`,
      incident,
      council,
      values,
      errors,
      groups: GROUP_ITEMS,
      statuses: STATUS_ITEMS,
    });
  };

  app.get(
    '/staff/incidents/:incidentId/councils/:councilId/services/new',
    { preHandler: requireStaff('service.manage') },
    async (request, reply) =>
      renderNewService(request, reply, { name: '', group: '', status: '', workaround: '', expectedRestoration: '' }),
  );

  app.post(
    '/staff/incidents/:incidentId/councils/:councilId/services/new',
    { preHandler: requireStaff('service.manage') },
    async (request, reply) => {
      const { incidentId, councilId } = request.params as Params;
      const values = {
        name: formText(request.body, 'name', 300),
        group: formText(request.body, 'group', 40),
        status: formText(request.body, 'status', 40),
        workaround: formText(request.body, 'workaround', 3000),
        expectedRestoration: formText(request.body, 'expectedRestoration', 20),
      };
      const result = await setup.addService(principal(request), actorOf(request), incidentId!, councilId!, values);
      if (!result.ok) return renderNewService(request, reply, values, result.errors);
      cache.invalidate();
      return reply.redirect(`/staff/incidents/${incidentId}?saved=1`, 303);
    },
  );

  const renderServiceName = async (
    request: FastifyRequest,
    reply: FastifyReply,
    values?: { name: string; group: string; seen: string },
    errors: FieldError[] = [],
    status?: number,
  ) => {
    const found = await setup.serviceForSetup(principal(request), (request.params as Params)['serviceId']!);
    return reply.code(code(errors, status)).render('incidents/views/staff-service-name.njk', {
      pageTitle: `Change the name or type of ${found.service.name}`,
      ...found,
      // After a clash the form is made again from what is stored now, so saving again is a choice.
      values: values ?? { name: found.service.name, group: found.service.group, seen: found.seen },
      seen: status === 409 || !values ? found.seen : values.seen,
      savedNow:
        status === 409 ? `${found.service.name}, in ${SERVICE_GROUPS[found.service.group] ?? found.service.group}` : '',
      errors,
      groups: GROUP_ITEMS,
    });
  };

  app.get('/staff/services/:serviceId/name', { preHandler: requireStaff('service.manage') }, async (request, reply) =>
    renderServiceName(request, reply),
  );

  app.post(
    '/staff/services/:serviceId/name',
    { preHandler: requireStaff('service.manage') },
    async (request, reply) => {
      const { serviceId } = request.params as Params;
      const values = {
        name: formText(request.body, 'name', 300),
        group: formText(request.body, 'group', 40),
        seen: formText(request.body, 'seen', 40),
      };
      const { service } = await setup.serviceForSetup(principal(request), serviceId!);
      const result = await setup.renameService(principal(request), actorOf(request), serviceId!, values);
      if (!result.ok) return renderServiceName(request, reply, values, result.errors, result.status);
      cache.invalidate();
      return reply.redirect(`/staff/incidents/${service.incidentId}?saved=1`, 303);
    },
  );

  const renderServiceRemoval = async (
    request: FastifyRequest,
    reply: FastifyReply,
    reason = '',
    errors: FieldError[] = [],
  ) => {
    const found = await setup.serviceForSetup(principal(request), (request.params as Params)['serviceId']!);
    return reply.code(code(errors)).render('incidents/views/staff-service-remove.njk', {
      pageTitle: `Remove ${found.service.name} from the service list`,
      ...found,
      values: { reason },
      errors,
    });
  };

  app.get('/staff/services/:serviceId/remove', { preHandler: requireStaff('service.manage') }, async (request, reply) =>
    renderServiceRemoval(request, reply),
  );

  app.post(
    '/staff/services/:serviceId/remove',
    { preHandler: requireStaff('service.manage') },
    async (request, reply) => {
      const { serviceId } = request.params as Params;
      const reason = formText(request.body, 'reason', 1000);
      const { service } = await setup.serviceForSetup(principal(request), serviceId!);
      const result = await setup.removeService(principal(request), actorOf(request), serviceId!, reason);
      if (!result.ok) return renderServiceRemoval(request, reply, reason, result.errors);
      cache.invalidate();
      return reply.redirect(`/staff/incidents/${service.incidentId}?saved=1`, 303);
    },
  );

  // Public contacts.

  app.get(
    '/staff/incidents/:incidentId/contacts',
    { preHandler: requireStaff('incident.read') },
    async (request, reply) => {
      const overview = await setup.contactsOverview(principal(request), (request.params as Params)['incidentId']!);
      return reply.render('incidents/views/staff-contacts.njk', {
        pageTitle: 'Public contacts',
        ...overview,
        saved: (request.query as Record<string, unknown>)['saved'] === '1',
      });
    },
  );

  const renderNewContact = async (
    request: FastifyRequest,
    reply: FastifyReply,
    values: ContactInput,
    errors: FieldError[] = [],
  ) => {
    const { incidentId, councilId } = request.params as Params;
    const { incident, council } = await setup.contactCouncil(principal(request), incidentId!, councilId!);
    return reply.code(code(errors)).render('incidents/views/staff-contact-form.njk', {
      pageTitle: `${ADD_CONTACT[values.kind as PublicContact['kind']]} for ${council.name}`,
      heading: ADD_CONTACT[values.kind as PublicContact['kind']],
      incident,
      council,
      values,
      errors,
    });
  };

  /** The kind of contact in the address: each kind has its own form, with only its own fields. */
  const kindFrom = (request: FastifyRequest): PublicContact['kind'] => {
    const kind = (request.params as Params)['kind'] ?? '';
    if (!Object.hasOwn(ADD_CONTACT, kind)) throw new HttpProblem(404, 'Page not found');
    return kind as PublicContact['kind'];
  };

  app.get(
    '/staff/incidents/:incidentId/councils/:councilId/contacts/new/:kind',
    { preHandler: requireStaff('public-contact.manage') },
    async (request, reply) =>
      renderNewContact(request, reply, {
        kind: kindFrom(request),
        label: '',
        phone: '',
        hours: '',
        email: '',
        web: '',
      }),
  );

  app.post(
    '/staff/incidents/:incidentId/councils/:councilId/contacts/new/:kind',
    { preHandler: requireStaff('public-contact.manage') },
    async (request, reply) => {
      const { incidentId, councilId } = request.params as Params;
      const values = { ...contactForm(request), kind: kindFrom(request) };
      const result = await setup.addContact(principal(request), actorOf(request), incidentId!, councilId!, values);
      if (!result.ok) return renderNewContact(request, reply, values, result.errors);
      cache.invalidate();
      return reply.redirect(`/staff/incidents/${incidentId}/contacts?saved=1`, 303);
    },
  );

  const renderContactChange = async (
    request: FastifyRequest,
    reply: FastifyReply,
    values?: ContactInput,
    errors: FieldError[] = [],
    status?: number,
  ) => {
    const found = await setup.contactFor(principal(request), (request.params as Params)['contactId']!);
    return reply.code(code(errors, status)).render('incidents/views/staff-contact-form.njk', {
      pageTitle: `${CHANGE_CONTACT[found.contact.kind]} for ${found.council.name}`,
      heading: CHANGE_CONTACT[found.contact.kind],
      ...found,
      values: values ?? contactValues(found.contact),
      seen: status === 409 || !values ? found.seen : values.seen,
      savedNow:
        status === 409
          ? `${found.contact.label}: ${found.contact.value}${found.contact.hours ? ` (${found.contact.hours})` : ''}`
          : '',
      errors,
    });
  };

  app.get(
    '/staff/contacts/:contactId/edit',
    { preHandler: requireStaff('public-contact.manage') },
    async (request, reply) => renderContactChange(request, reply),
  );

  app.post(
    '/staff/contacts/:contactId/edit',
    { preHandler: requireStaff('public-contact.manage') },
    async (request, reply) => {
      const { contactId } = request.params as Params;
      const { contact } = await setup.contactFor(principal(request), contactId!);
      const values = { ...contactForm(request), kind: contact.kind };
      const result = await setup.changeContact(principal(request), actorOf(request), contactId!, values);
      if (!result.ok) return renderContactChange(request, reply, values, result.errors, result.status);
      cache.invalidate();
      return reply.redirect(`/staff/incidents/${contact.incidentId}/contacts?saved=1`, 303);
    },
  );

  app.get(
    '/staff/contacts/:contactId/remove',
    { preHandler: requireStaff('public-contact.manage') },
    async (request, reply) => {
      const found = await setup.contactFor(principal(request), (request.params as Params)['contactId']!);
      return reply.render('incidents/views/staff-contact-remove.njk', {
        pageTitle: `Remove ${found.contact.label}?`,
        ...found,
      });
    },
  );

  app.post(
    '/staff/contacts/:contactId/remove',
    { preHandler: requireStaff('public-contact.manage') },
    async (request, reply) => {
      const { contactId } = request.params as Params;
      const { contact } = await setup.contactFor(principal(request), contactId!);
      await setup.removeContact(principal(request), actorOf(request), contactId!);
      cache.invalidate();
      return reply.redirect(`/staff/incidents/${contact.incidentId}/contacts?saved=1`, 303);
    },
  );

  // Categories of data affected.

  const renderCategories = async (
    request: FastifyRequest,
    reply: FastifyReply,
    values?: { selected: string[]; other: string; seen: string },
    errors: FieldError[] = [],
    status?: number,
  ) => {
    const { incident, seen } = await setup.categoriesFor(principal(request), (request.params as Params)['incidentId']!);
    const stored = {
      selected: incident.dataCategories.filter((c) => DATA_CATEGORIES.includes(c)),
      other: incident.dataCategories.filter((c) => !DATA_CATEGORIES.includes(c)).join('\n'),
      seen,
    };
    const shown = values ?? stored;
    return reply.code(code(errors, status)).render('incidents/views/staff-data-categories.njk', {
      pageTitle: 'Categories of data affected',
      incident,
      items: DATA_CATEGORIES.map((c) => ({
        value: c,
        text: c.charAt(0).toUpperCase() + c.slice(1),
        checked: shown.selected.includes(c),
      })),
      values: shown,
      seen: status === 409 || !values ? seen : values.seen,
      current: incident.dataCategories,
      conflict: status === 409,
      errors,
    });
  };

  app.get(
    '/staff/incidents/:incidentId/data-categories',
    { preHandler: requireStaff('incident.manage') },
    async (request, reply) => renderCategories(request, reply),
  );

  app.post(
    '/staff/incidents/:incidentId/data-categories',
    { preHandler: requireStaff('incident.manage') },
    async (request, reply) => {
      const { incidentId } = request.params as Params;
      const values = {
        selected: formList(request.body, 'categories'),
        other: formText(request.body, 'other', 5000),
        seen: formText(request.body, 'seen', 40),
      };
      const result = await setup.changeCategories(principal(request), actorOf(request), incidentId!, values);
      if (!result.ok) return renderCategories(request, reply, values, result.errors, result.status);
      return reply.redirect(`/staff/incidents/${incidentId}?saved=1`, 303);
    },
  );

  // Organisations on the incident.

  const renderOrganisations = async (
    request: FastifyRequest,
    reply: FastifyReply,
    values: { organisation: string; lead?: string } = { organisation: '' },
    errors: FieldError[] = [],
  ) => {
    const overview = await setup.organisationsOverview(principal(request), (request.params as Params)['incidentId']!);
    return reply.code(code(errors)).render('incidents/views/staff-organisations.njk', {
      pageTitle: 'Organisations on the incident',
      ...overview,
      relationshipNames: RELATIONSHIP_NAMES,
      values: { lead: overview.incident.leadOrganisationId, ...values },
      errors,
      saved: (request.query as Record<string, unknown>)['saved'] === '1',
    });
  };

  app.get(
    '/staff/incidents/:incidentId/organisations',
    { preHandler: requireStaff('incident.manage') },
    async (request, reply) => renderOrganisations(request, reply),
  );

  app.post(
    '/staff/incidents/:incidentId/organisations',
    { preHandler: requireStaff('incident.manage') },
    async (request, reply) => {
      const { incidentId } = request.params as Params;
      const organisation = formText(request.body, 'organisation', 40);
      const result = await setup.addOrganisation(principal(request), actorOf(request), incidentId!, organisation);
      if (!result.ok) return renderOrganisations(request, reply, { organisation }, result.errors);
      cache.invalidate();
      return reply.redirect(`/staff/incidents/${incidentId}/organisations?saved=1`, 303);
    },
  );

  app.post(
    '/staff/incidents/:incidentId/lead',
    { preHandler: requireStaff('incident.manage') },
    async (request, reply) => {
      const { incidentId } = request.params as Params;
      const lead = formText(request.body, 'lead', 40);
      const result = await setup.changeLead(principal(request), actorOf(request), incidentId!, lead);
      if (!result.ok) return renderOrganisations(request, reply, { organisation: '', lead }, result.errors);
      return reply.redirect(`/staff/incidents/${incidentId}/organisations?saved=1`, 303);
    },
  );

  app.get(
    '/staff/incidents/:incidentId/organisations/:organisationId/remove',
    { preHandler: requireStaff('incident.manage') },
    async (request, reply) => {
      const { incidentId, organisationId } = request.params as Params;
      const found = await setup.removalFor(principal(request), incidentId!, organisationId!);
      return reply.render('incidents/views/staff-organisation-remove.njk', {
        pageTitle: `Take ${found.member.organisation.name} off the incident`,
        ...found,
        relationshipNames: RELATIONSHIP_NAMES,
      });
    },
  );

  app.post(
    '/staff/incidents/:incidentId/organisations/:organisationId/remove',
    { preHandler: requireStaff('incident.manage') },
    async (request, reply) => {
      const { incidentId, organisationId } = request.params as Params;
      await setup.removeOrganisation(principal(request), actorOf(request), incidentId!, organisationId!);
      cache.invalidate();
      // A council's own incident manager who takes it off the incident no longer sees the incident.
      const stillOn = await setup.organisationsOverview(principal(request), incidentId!).then(
        () => true,
        () => false,
      );
      return reply.redirect(stillOn ? `/staff/incidents/${incidentId}/organisations?saved=1` : '/staff/incidents', 303);
    },
  );
}
