// The incident pages: each council's public incident page and service pages, the JSON API for a
// council's own website, and the staff view and editing of the incident record and service status.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { councilFromPath } from '../../platform/accounts/council-from-path.ts';
import { listOrganisations } from '../../platform/accounts/accounts.repository.ts';
import { actorOf, requireStaff } from '../../platform/auth/staff-guard.ts';
import type { StaffNavigation } from '../../platform/auth/staff-navigation.ts';
import type { Database } from '../../platform/db/database.ts';
import { formText } from '../../platform/http/form-fields.ts';
import type { FieldError } from '../../platform/http/form-result.ts';
import { can } from '../../platform/policy/policy.ts';
import { sendCachedPage } from '../../platform/public-cache/public-page-cache.ts';
import { latestPublishedUpdates } from '../public-updates/public-updates.service.ts';
import { publishedScamWarnings } from '../scam-warnings/scam-warnings.service.ts';
import {
  findLanguage,
  incidentPageHref,
  languageLinks,
  loadPublicIncidentContent,
} from '../public-content/public-incident-content.ts';
import { editableCouncilIds } from '../public-content/public-content-access.ts';
import type { Service } from './incidents.repository.ts';
import {
  INCIDENT_STATUSES,
  SERVICE_GROUPS,
  SERVICE_STATUSES,
  SEVERITIES,
  createIncidentsService,
} from './incidents.service.ts';

type Form = Record<string, unknown>;

const STATUS_TAG: Record<Service['status'], string> = {
  working: 'govuk-tag--green',
  restored: 'govuk-tag--green',
  disrupted: 'govuk-tag--yellow',
  unavailable: 'govuk-tag--red',
};

function serviceView(service: Service) {
  return {
    ...service,
    statusText: SERVICE_STATUSES[service.status],
    tagClass: STATUS_TAG[service.status],
    groupText: SERVICE_GROUPS[service.group] ?? service.group,
  };
}

const serviceSchema = {
  type: 'object',
  properties: {
    slug: { type: 'string' },
    name: { type: 'string' },
    group: { type: 'string' },
    status: { type: 'string', enum: Object.keys(SERVICE_STATUSES) },
    whatToDoInstead: { type: 'string' },
    expectedRestoration: { type: 'string', nullable: true, description: 'YYYY-MM-DD, or null when not known yet' },
    lastChanged: { type: 'string', format: 'date-time' },
    pageUrl: { type: 'string' },
  },
  required: ['slug', 'name', 'group', 'status', 'whatToDoInstead', 'expectedRestoration', 'lastChanged', 'pageUrl'],
} as const;

const translationSchema = {
  type: 'object',
  properties: {
    language: { type: 'string', description: 'A BCP 47 language tag, e.g. cy, ar, zh-Hans' },
    languageName: { type: 'string', description: 'The language, in English' },
    nativeName: { type: 'string', description: 'The language, in itself' },
    dir: { type: 'string', enum: ['ltr', 'rtl'] },
    whatHappened: { type: 'string' },
    whatToDo: { type: 'string' },
    updatedAt: { type: 'string', format: 'date-time' },
    englishChangedSince: {
      type: 'boolean',
      description: 'True when the English whatHappened or whatToDo has changed since the translation was saved',
    },
    pageUrl: { type: 'string' },
  },
  required: [
    'language',
    'languageName',
    'nativeName',
    'dir',
    'whatHappened',
    'whatToDo',
    'updatedAt',
    'englishChangedSince',
    'pageUrl',
  ],
} as const;

const incidentResponseSchema = {
  type: 'object',
  properties: {
    council: { type: 'object', properties: { slug: { type: 'string' }, name: { type: 'string' } } },
    incident: {
      type: 'object',
      properties: {
        reference: { type: 'string' },
        title: { type: 'string' },
        status: { type: 'string', enum: Object.keys(INCIDENT_STATUSES) },
        whatHappened: { type: 'string' },
        whatData: { type: 'string' },
        whatToDo: { type: 'string' },
        restorationOutlook: { type: 'string' },
        updatedAt: { type: 'string', format: 'date-time' },
        pageUrl: { type: 'string' },
      },
    },
    contacts: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          kind: { type: 'string', enum: ['phone', 'email', 'web'] },
          label: { type: 'string' },
          value: { type: 'string' },
          hours: { type: 'string', nullable: true },
        },
      },
    },
    services: { type: 'array', items: serviceSchema },
    translations: {
      type: 'array',
      description: "The council's own translations of whatHappened and whatToDo",
      items: translationSchema,
    },
    faq: {
      type: 'array',
      description: "The council's questions and answers, in the order its page shows them",
      items: {
        type: 'object',
        properties: {
          question: { type: 'string' },
          answer: { type: 'string', description: 'Plain text; a blank line separates paragraphs. Never HTML.' },
        },
        required: ['question', 'answer'],
      },
    },
  },
} as const;

export async function incidentsRoutes(
  app: FastifyInstance,
  opts: { database: Database; navigation: StaffNavigation; publicBaseUrl: string },
): Promise<void> {
  const { db } = opts.database;
  const { publicBaseUrl } = opts;
  const service = createIncidentsService(db);
  opts.navigation.add({ href: '/staff/incidents', text: 'Incidents', action: 'incident.read' });

  const councilFrom = (params: unknown) => councilFromPath(db, params);
  const notFound = { status: 404, title: 'Page not found' };

  const organisationNames = async () => new Map((await listOrganisations(db)).map((o) => [o.id, o.name]));

  // Public pages: rendered once per change and served from memory (see public-page-cache.ts).
  const cache = app.publicCache;
  const HTML = 'text/html; charset=utf-8';

  app.get('/:council/cyber-incident', async (request, reply) => {
    const slug = (request.params as { council: string }).council;
    const { group, lang } = request.query as Form;
    // Only known groups and languages become part of the cache key, so made-up query strings
    // cannot fill memory. A language code that is not on the list is a page that does not exist.
    const selected = typeof group === 'string' && Object.hasOwn(SERVICE_GROUPS, group) ? group : undefined;
    const language = lang === undefined || lang === '' ? undefined : findLanguage(lang);
    if (lang !== undefined && lang !== '' && !language) return reply.sendProblemOrPage(notFound);
    const key = incidentPageHref(slug, {
      ...(language ? { lang: language.code } : {}),
      ...(selected ? { group: selected } : {}),
    });
    const page = await cache.get(key, async () => {
      const council = await councilFrom(request.params);
      const view = council ? await service.publicView(council.id) : undefined;
      if (!council || !view) return null;
      const [names, updates, content, scamWarnings] = await Promise.all([
        organisationNames(),
        latestPublishedUpdates(db, council.id, 3, view.incident.id),
        loadPublicIncidentContent(db, view.incident, council.id),
        publishedScamWarnings(db, council.id, view.incident.id),
      ]);
      // A language on the list that this council has not translated into shows the English page, saying so.
      const translation = language ? content.translations.find((t) => t.language.code === language.code) : undefined;
      const shown = translation ? { lang: translation.language.code } : {};
      const groups = [...new Set(view.services.map((s) => s.group))].map((g) => ({
        value: g,
        text: SERVICE_GROUPS[g] ?? g,
        href: `${incidentPageHref(council.slug, { ...shown, group: g })}#services`,
      }));
      return {
        contentType: HTML,
        body: app.renderPage('incidents/views/public-incident.njk', {
          pageTitle: view.incident.title,
          council,
          incident: view.incident,
          statusText: INCIDENT_STATUSES[view.incident.status],
          contacts: view.contacts,
          services: view.services.filter((s) => !selected || s.group === selected).map(serviceView),
          groups,
          allServicesHref: `${incidentPageHref(council.slug, shown)}#services`,
          selectedGroup: selected,
          updates,
          scamWarnings,
          agencies: view.incident.organisations
            .filter((o) => o.relationship === 'investigating')
            .map((o) => names.get(o.organisationId) ?? ''),
          languages: languageLinks(council.slug, content.translations, translation?.language),
          translation,
          untranslatedLanguage: language && !translation ? language : undefined,
          englishHref: incidentPageHref(council.slug),
          faq: content.faq,
        }),
      };
    });
    return page ? sendCachedPage(request, reply, page) : reply.sendProblemOrPage(notFound);
  });

  app.get('/:council/cyber-incident/services/:service', async (request, reply) => {
    const { council: slug, service: serviceSlug } = request.params as { council: string; service: string };
    if (!/^[a-z0-9-]{1,60}$/.test(serviceSlug)) return reply.sendProblemOrPage(notFound);
    const page = await cache.get(`/${slug}/cyber-incident/services/${serviceSlug}`, async () => {
      const council = await councilFrom(request.params);
      const view = council ? await service.publicView(council.id) : undefined;
      const found = view?.services.find((s) => s.slug === serviceSlug);
      if (!council || !view || !found) return null;
      return {
        contentType: HTML,
        body: app.renderPage('incidents/views/public-service.njk', {
          pageTitle: found.name,
          council,
          service: serviceView(found),
          contacts: view.contacts,
        }),
      };
    });
    return page ? sendCachedPage(request, reply, page) : reply.sendProblemOrPage(notFound);
  });

  app.get(
    '/api/v1/councils/:council/incident',
    {
      schema: {
        tags: ['public'],
        summary:
          "A council's current cyber incident: what happened, what to do, contacts, service status, questions and answers, and translations",
        params: { type: 'object', properties: { council: { type: 'string' } }, required: ['council'] },
        response: { 200: incidentResponseSchema },
      },
    },
    async (request, reply) => {
      const slug = (request.params as { council: string }).council;
      const page = await cache.get(`/api/v1/councils/${slug}/incident`, async () => {
        const council = await councilFrom(request.params);
        const view = council ? await service.publicView(council.id) : undefined;
        if (!council || !view) return null;
        const base = `${publicBaseUrl}/${council.slug}/cyber-incident`;
        const content = await loadPublicIncidentContent(db, view.incident, council.id);
        return {
          contentType: 'application/json; charset=utf-8',
          body: JSON.stringify({
            council: { slug: council.slug, name: council.name },
            incident: {
              reference: view.incident.reference,
              title: view.incident.title,
              status: view.incident.status,
              whatHappened: view.incident.summary,
              whatData: view.incident.dataAffected,
              whatToDo: view.incident.advice,
              restorationOutlook: view.incident.restorationOutlook,
              updatedAt: view.incident.updatedAt,
              pageUrl: base,
            },
            contacts: view.contacts.map((c) => ({ kind: c.kind, label: c.label, value: c.value, hours: c.hours })),
            services: view.services.map((s) => ({
              slug: s.slug,
              name: s.name,
              group: s.group,
              status: s.status,
              whatToDoInstead: s.workaround,
              expectedRestoration: s.expectedRestoration,
              lastChanged: s.changedAt,
              pageUrl: `${base}/services/${s.slug}`,
            })),
            translations: content.translations.map(({ translation, language, englishChanged }) => ({
              language: language.code,
              languageName: language.name,
              nativeName: language.nativeName,
              dir: language.dir,
              whatHappened: translation.summary,
              whatToDo: translation.advice,
              updatedAt: translation.updatedAt,
              englishChangedSince: englishChanged,
              pageUrl: `${publicBaseUrl}${incidentPageHref(council.slug, { lang: language.code })}`,
            })),
            faq: content.faq.map((e) => ({ question: e.question, answer: e.answer })),
          }),
        };
      });
      return page
        ? sendCachedPage(request, reply, page)
        : reply.sendProblemOrPage({ status: 404, title: 'No incident for that council' });
    },
  );

  // Staff pages.
  app.get('/staff/incidents', { preHandler: requireStaff('incident.read') }, async (request, reply) => {
    const incidents = await service.listForStaff(request.staff!.principal);
    return reply.render('incidents/views/staff-incidents.njk', {
      pageTitle: 'Incidents',
      incidents: incidents.map((i) => ({
        ...i,
        statusText: INCIDENT_STATUSES[i.status],
        severityText: SEVERITIES[i.severity],
      })),
    });
  });

  app.get('/staff/incidents/:incidentId', { preHandler: requireStaff('incident.read') }, async (request, reply) => {
    const { incidentId } = request.params as { incidentId: string };
    const found = await service.details(request.staff!.principal, incidentId);
    const names = await organisationNames();
    const query = request.query as Form;
    return reply.render('incidents/views/staff-incident.njk', {
      pageTitle: found.incident.title,
      ...found,
      statusText: INCIDENT_STATUSES[found.incident.status],
      severityText: SEVERITIES[found.incident.severity],
      organisations: found.incident.organisations.map((o) => ({ ...o, name: names.get(o.organisationId) ?? '' })),
      services: found.services.map((s) => ({ ...serviceView(s), council: names.get(s.organisationId) ?? '' })),
      mayEditPublicContent: editableCouncilIds(request.staff!.principal, found.incident).length > 0,
      mayReadBreaches: can(request.staff!.principal, 'breach.read'),
      mayShare: can(request.staff!.principal, 'incident.share'),
      saved: query['saved'] === '1',
    });
  });

  const recordForm = (request: FastifyRequest) => ({
    title: formText(request.body, 'title', 300),
    status: formText(request.body, 'status', 40),
    severity: formText(request.body, 'severity', 40),
    summary: formText(request.body, 'summary'),
    dataAffected: formText(request.body, 'dataAffected'),
    advice: formText(request.body, 'advice'),
    restorationOutlook: formText(request.body, 'restorationOutlook'),
  });
  const renderRecordForm = (reply: FastifyReply, incidentId: string, values: unknown, errors: FieldError[] = []) =>
    reply.code(errors.length ? 400 : 200).render('incidents/views/staff-incident-edit.njk', {
      pageTitle: 'Change the incident record',
      incidentId,
      values,
      errors,
      statuses: Object.entries(INCIDENT_STATUSES).map(([value, label]) => ({ value, text: label })),
      severities: Object.entries(SEVERITIES).map(([value, label]) => ({ value, text: label })),
    });

  app.get(
    '/staff/incidents/:incidentId/edit',
    { preHandler: requireStaff('incident.manage') },
    async (request, reply) => {
      const { incidentId } = request.params as { incidentId: string };
      const incident = await service.incidentFor(request.staff!.principal, incidentId, 'incident.manage');
      return renderRecordForm(reply, incidentId, {
        title: incident.title,
        status: incident.status,
        severity: incident.severity,
        summary: incident.summary,
        dataAffected: incident.dataAffected,
        advice: incident.advice,
        restorationOutlook: incident.restorationOutlook,
      });
    },
  );

  app.post(
    '/staff/incidents/:incidentId/edit',
    { preHandler: requireStaff('incident.manage') },
    async (request, reply) => {
      const { incidentId } = request.params as { incidentId: string };
      const values = recordForm(request);
      const result = await service.updateRecord(request.staff!.principal, actorOf(request), incidentId, values);
      if (!result.ok) return renderRecordForm(reply, incidentId, values, result.errors);
      cache.invalidate();
      return reply.redirect(`/staff/incidents/${incidentId}?saved=1`, 303);
    },
  );

  const renderServiceForm = (reply: FastifyReply, found: Service, values: unknown, errors: FieldError[] = []) =>
    reply.code(errors.length ? 400 : 200).render('incidents/views/staff-service-edit.njk', {
      pageTitle: `Change the status of ${found.name}`,
      service: found,
      values,
      errors,
      statuses: Object.entries(SERVICE_STATUSES).map(([value, label]) => ({ value, text: label })),
    });

  app.get(
    '/staff/services/:serviceId/edit',
    { preHandler: requireStaff('service-status.update') },
    async (request, reply) => {
      const { serviceId } = request.params as { serviceId: string };
      const found = await service.serviceFor(request.staff!.principal, serviceId);
      return renderServiceForm(reply, found, {
        status: found.status,
        workaround: found.workaround,
        expectedRestoration: found.expectedRestoration ?? '',
      });
    },
  );

  app.post(
    '/staff/services/:serviceId/edit',
    { preHandler: requireStaff('service-status.update') },
    async (request, reply) => {
      const { serviceId } = request.params as { serviceId: string };
      const found = await service.serviceFor(request.staff!.principal, serviceId);
      const values = {
        status: formText(request.body, 'status', 40),
        workaround: formText(request.body, 'workaround', 3000),
        expectedRestoration: formText(request.body, 'expectedRestoration', 20),
      };
      const result = await service.changeServiceStatus(request.staff!.principal, actorOf(request), serviceId, values);
      if (!result.ok) return renderServiceForm(reply, found, values, result.errors);
      cache.invalidate();
      return reply.redirect(`/staff/incidents/${found.incidentId}?saved=1`, 303);
    },
  );
}
