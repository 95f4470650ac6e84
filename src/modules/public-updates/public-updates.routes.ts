// Public updates: the staff pages to draft, send for approval, approve or send back, and correct
// an update, and the public pages residents read (the list, one update, the Atom feed, the API).
import { councilFromPath } from '../../platform/accounts/council-from-path.ts';
import type { FieldError } from '../../platform/http/form-result.ts';
import { sendCachedPage } from '../../platform/public-cache/public-page-cache.ts';
import { formList, formText } from '../../platform/http/form-fields.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { listOrganisations } from '../../platform/accounts/accounts.repository.ts';
import { actorOf, requireStaff } from '../../platform/auth/staff-guard.ts';
import type { StaffNavigation } from '../../platform/auth/staff-navigation.ts';
import type { Database } from '../../platform/db/database.ts';
import { isId } from '../../platform/ids.ts';
import { findCurrentIncidentForCouncil } from '../incidents/incidents.repository.ts';
import { ATOM_CONTENT_TYPE, renderAtomFeed } from './public-updates-feed.ts';
import type { PublishedUpdate, UpdateVersion } from './public-updates.repository.ts';
import { councilUpdatesParams, councilUpdatesResponse } from './public-updates.schemas.ts';
import {
  LIMITS,
  STATE_NAMES,
  createPublicUpdatesService,
  findPublishedUpdate,
  latestPublishedUpdates,
  type PublicUpdatesServiceOptions,
  type UpdateInput,
} from './public-updates.service.ts';

type Form = Record<string, unknown>;

const STATE_TAG: Record<UpdateVersion['state'], string> = {
  draft: 'govuk-tag--grey',
  submitted: 'govuk-tag--yellow',
  published: 'govuk-tag--green',
};

const BANNERS: Record<string, string> = {
  created: 'Draft saved.',
  saved: 'Changes saved.',
  submitted: 'Sent for approval. An incident manager who did not write it must approve it.',
  published: 'Approved and published. It is on the public pages now.',
  rejected: 'Sent back to the author with your reason.',
  correction: 'Correction started. The published update stays as it is until the correction is approved.',
};

export interface PublicUpdatesRoutesOptions {
  database: Database;
  navigation: StaffNavigation;
  /** Absolute links in the feed and API use it, so they do not depend on the Host a request names. */
  publicBaseUrl?: string;
  onPublishing?: PublicUpdatesServiceOptions['onPublishing'];
}

export async function publicUpdatesRoutes(app: FastifyInstance, opts: PublicUpdatesRoutesOptions): Promise<void> {
  const { db } = opts.database;
  const service = createPublicUpdatesService(db, opts.onPublishing ? { onPublishing: opts.onPublishing } : {});
  const notFound = { status: 404, title: 'Page not found' };

  const organisationNames = async () => new Map((await listOrganisations(db)).map((o) => [o.id, o.name]));
  const councilFrom = (params: unknown) => councilFromPath(db, params);
  const baseUrl = (request: FastifyRequest) =>
    opts.publicBaseUrl?.replace(/\/+$/, '') ?? `${request.protocol}://${request.host}`;
  const ids = (params: unknown) => params as { incidentId: string; updateId: string };
  const staffUrl = (incidentId: string, updateId?: string) =>
    `/staff/incidents/${incidentId}/updates${updateId ? `/${updateId}` : ''}`;

  // Public pages. Each shows the council's current incident, as its incident page does.
  const publicView = async (request: FastifyRequest) => {
    const council = await councilFrom(request.params);
    const incident = council ? await findCurrentIncidentForCouncil(db, council.id) : undefined;
    if (!council || !incident) return undefined;
    return { council, incident, updates: await latestPublishedUpdates(db, council.id, undefined, incident.id) };
  };

  // Served from memory like the incident page: rendered once per change, keyed by address.
  const slugOf = (request: FastifyRequest) => (request.params as { council: string }).council;

  app.get('/:council/cyber-incident/updates', async (request, reply) => {
    const page = await app.publicCache.get(`/${slugOf(request)}/cyber-incident/updates`, async () => {
      const view = await publicView(request);
      if (!view) return null;
      return {
        contentType: 'text/html; charset=utf-8',
        body: app.renderPage('public-updates/views/public-updates.njk', {
          pageTitle: 'Updates on the cyber incident',
          council: view.council,
          incident: view.incident,
          updates: view.updates,
        }),
      };
    });
    return page ? sendCachedPage(request, reply, page) : reply.sendProblemOrPage(notFound);
  });

  app.get('/:council/cyber-incident/updates.atom', async (request, reply) => {
    const page = await app.publicCache.get(`/${slugOf(request)}/cyber-incident/updates.atom`, async () => {
      const view = await publicView(request);
      if (!view) return null;
      return {
        contentType: ATOM_CONTENT_TYPE,
        body: renderAtomFeed({
          council: view.council,
          updates: view.updates,
          baseUrl: baseUrl(request),
          emptySince: view.incident.createdAt,
        }),
      };
    });
    return page ? sendCachedPage(request, reply, page) : reply.sendProblemOrPage(notFound);
  });

  app.get('/:council/cyber-incident/updates/:updateId', async (request, reply) => {
    const { updateId } = ids(request.params);
    if (!isId(updateId)) return reply.sendProblemOrPage(notFound);
    const page = await app.publicCache.get(`/${slugOf(request)}/cyber-incident/updates/${updateId}`, async () => {
      const council = await councilFrom(request.params);
      const update = council ? await findPublishedUpdate(db, council.id, updateId) : undefined;
      if (!council || !update) return null;
      return {
        contentType: 'text/html; charset=utf-8',
        body: app.renderPage('public-updates/views/public-update.njk', { pageTitle: update.title, council, update }),
      };
    });
    return page ? sendCachedPage(request, reply, page) : reply.sendProblemOrPage(notFound);
  });

  app.get(
    '/api/v1/councils/:council/updates',
    {
      schema: {
        tags: ['public'],
        summary: "A council's published cyber incident updates, newest first",
        params: councilUpdatesParams,
        response: { 200: councilUpdatesResponse },
      },
    },
    async (request, reply) => {
      // Served from memory like the pages: the JSON is made once per change, in the schema's shape.
      const page = await app.publicCache.get(`/api/v1/councils/${slugOf(request)}/updates`, async () => {
        const view = await publicView(request);
        if (!view) return null;
        const pageUrl = `${baseUrl(request)}/${view.council.slug}/cyber-incident/updates`;
        return {
          contentType: 'application/json; charset=utf-8',
          body: JSON.stringify({
            council: { slug: view.council.slug, name: view.council.name },
            feedUrl: `${pageUrl}.atom`,
            updates: view.updates.map((u: PublishedUpdate) => ({
              id: u.id,
              title: u.title,
              body: u.body,
              publishedAt: u.firstPublishedAt,
              updatedAt: u.lastPublishedAt,
              corrected: u.corrected,
              pageUrl: `${pageUrl}/${u.id}`,
            })),
          }),
        };
      });
      return page
        ? sendCachedPage(request, reply, page)
        : reply.sendProblemOrPage({ status: 404, title: 'No incident for that council' });
    },
  );

  // Staff pages.
  const draft = { preHandler: requireStaff('public-update.draft') };
  const decide = { preHandler: requireStaff('public-update.approve') };

  app.get('/staff/incidents/:incidentId/updates', draft, async (request, reply) => {
    const { incidentId } = ids(request.params);
    const found = await service.listForIncident(request.staff!.principal, incidentId);
    const names = await organisationNames();
    return reply.render('public-updates/views/staff-updates.njk', {
      pageTitle: 'Public updates',
      incident: found.incident,
      mayDraft: found.draftableCouncilIds.length > 0,
      updates: found.updates.map((o) => ({
        id: o.update.id,
        title: o.current.title,
        version: o.current.number,
        stateText: STATE_NAMES[o.current.state],
        tagClass: STATE_TAG[o.current.state],
        correcting: o.current.state !== 'published' && o.published !== undefined,
        councils: o.update.councilIds.map((id) => names.get(id) ?? '').join(', '),
        changedAt: o.update.updatedAt,
      })),
    });
  });

  const updateForm = (request: FastifyRequest): UpdateInput => ({
    title: formText(request.body, 'title', LIMITS.title + 200),
    body: formText(request.body, 'body', LIMITS.body + 2000),
    councilIds: formList(request.body, 'councils'),
  });

  const renderForm = async (
    reply: FastifyReply,
    page: { incidentId: string; updateId?: string; councilIds: string[] | null; fixedCouncils?: string },
    values: UpdateInput,
    errors: FieldError[] = [],
  ) => {
    const names = await organisationNames();
    return reply.code(errors.length ? 400 : 200).render('public-updates/views/staff-update-form.njk', {
      pageTitle: page.updateId ? 'Change the draft' : 'New public update',
      ...page,
      councils: (page.councilIds ?? []).map((id) => ({
        value: id,
        text: names.get(id) ?? id,
        checked: values.councilIds.includes(id),
      })),
      values,
      errors,
      limits: LIMITS,
    });
  };

  app.get('/staff/incidents/:incidentId/updates/new', draft, async (request, reply) => {
    const { incidentId } = ids(request.params);
    const incident = await service.incidentFor(request.staff!.principal, incidentId);
    const councilIds = service.draftableCouncils(request.staff!.principal, incident);
    if (councilIds.length === 0) return reply.sendProblemOrPage(notFound);
    // With one council to choose from, it is chosen already.
    return renderForm(
      reply,
      { incidentId, councilIds },
      { title: '', body: '', councilIds: councilIds.length === 1 ? councilIds : [] },
    );
  });

  app.post('/staff/incidents/:incidentId/updates/new', draft, async (request, reply) => {
    const { incidentId } = ids(request.params);
    const principal = request.staff!.principal;
    const values = updateForm(request);
    const result = await service.createDraft(principal, actorOf(request), incidentId, values);
    if (!result.ok) {
      const councilIds = service.draftableCouncils(principal, await service.incidentFor(principal, incidentId));
      return renderForm(reply, { incidentId, councilIds }, values, result.errors);
    }
    return reply.redirect(`${staffUrl(incidentId, result.updateId)}?done=created`, 303);
  });

  app.get('/staff/incidents/:incidentId/updates/:updateId', draft, async (request, reply) => {
    const { incidentId, updateId } = ids(request.params);
    const found = await service.updateFor(request.staff!.principal, incidentId, updateId);
    const names = await organisationNames();
    const done = (request.query as Form)['done'];
    return reply.render('public-updates/views/staff-update.njk', {
      pageTitle: found.current.title,
      ...found,
      councilNames: found.update.councilIds.map((id) => names.get(id) ?? ''),
      stateText: STATE_NAMES[found.current.state],
      tagClass: STATE_TAG[found.current.state],
      versions: [...found.versions].reverse().map((v) => ({ ...v, stateText: STATE_NAMES[v.state] })),
      banner: typeof done === 'string' && Object.hasOwn(BANNERS, done) ? BANNERS[done] : undefined,
    });
  });

  const fixedCouncilNames = async (councilIds: string[]) => {
    const names = await organisationNames();
    return councilIds.map((id) => names.get(id) ?? '').join(', ');
  };

  const renderEditForm = async (
    reply: FastifyReply,
    found: Awaited<ReturnType<typeof service.updateFor>>,
    values: UpdateInput,
    errors: FieldError[] = [],
  ) => {
    const published = found.update.firstPublishedAt !== null;
    return renderForm(
      reply,
      {
        incidentId: found.incident.id,
        updateId: found.update.id,
        councilIds: published ? null : found.draftableCouncilIds,
        ...(published ? { fixedCouncils: await fixedCouncilNames(found.update.councilIds) } : {}),
      },
      values,
      errors,
    );
  };

  app.get('/staff/incidents/:incidentId/updates/:updateId/edit', draft, async (request, reply) => {
    const { incidentId, updateId } = ids(request.params);
    const found = await service.updateFor(request.staff!.principal, incidentId, updateId);
    if (!found.mayEdit) return reply.redirect(staffUrl(incidentId, updateId), 303);
    return renderEditForm(reply, found, {
      title: found.current.title,
      body: found.current.body,
      councilIds: found.update.councilIds,
    });
  });

  app.post('/staff/incidents/:incidentId/updates/:updateId/edit', draft, async (request, reply) => {
    const { incidentId, updateId } = ids(request.params);
    const principal = request.staff!.principal;
    const values = updateForm(request);
    const result = await service.editDraft(principal, actorOf(request), incidentId, updateId, values);
    if (!result.ok) {
      return renderEditForm(reply, await service.updateFor(principal, incidentId, updateId), values, result.errors);
    }
    return reply.redirect(`${staffUrl(incidentId, updateId)}?done=saved`, 303);
  });

  app.post('/staff/incidents/:incidentId/updates/:updateId/submit', draft, async (request, reply) => {
    const { incidentId, updateId } = ids(request.params);
    await service.submit(request.staff!.principal, actorOf(request), incidentId, updateId);
    return reply.redirect(`${staffUrl(incidentId, updateId)}?done=submitted`, 303);
  });

  app.post('/staff/incidents/:incidentId/updates/:updateId/correction', draft, async (request, reply) => {
    const { incidentId, updateId } = ids(request.params);
    await service.startCorrection(request.staff!.principal, actorOf(request), incidentId, updateId);
    return reply.redirect(`${staffUrl(incidentId, updateId)}/edit`, 303);
  });

  const renderDecision = async (
    reply: FastifyReply,
    found: Awaited<ReturnType<typeof service.decisionFor>>,
    reason = '',
    errors: FieldError[] = [],
  ) =>
    reply.code(errors.length ? 400 : 200).render('public-updates/views/staff-update-approve.njk', {
      pageTitle: 'Approve a public update',
      ...found,
      councilNames: (await fixedCouncilNames(found.update.councilIds)).split(', '),
      reason,
      errors,
    });

  app.get('/staff/incidents/:incidentId/updates/:updateId/approve', decide, async (request, reply) => {
    const { incidentId, updateId } = ids(request.params);
    return renderDecision(reply, await service.decisionFor(request.staff!.principal, incidentId, updateId));
  });

  const seenFrom = (request: FastifyRequest) => ({
    versionId: formText(request.body, 'versionId', 40),
    updatedAt: formText(request.body, 'seen', 40),
  });

  app.post('/staff/incidents/:incidentId/updates/:updateId/approve', decide, async (request, reply) => {
    const { incidentId, updateId } = ids(request.params);
    await service.approve(request.staff!.principal, actorOf(request), incidentId, updateId, seenFrom(request));
    // Other instances see the change at their next poll of the public content version; this one at once.
    app.publicCache.invalidate();
    return reply.redirect(`${staffUrl(incidentId, updateId)}?done=published`, 303);
  });

  app.post('/staff/incidents/:incidentId/updates/:updateId/reject', decide, async (request, reply) => {
    const { incidentId, updateId } = ids(request.params);
    const principal = request.staff!.principal;
    const reason = formText(request.body, 'reason', LIMITS.reason + 500);
    const result = await service.reject(principal, actorOf(request), incidentId, updateId, seenFrom(request), reason);
    if (!result.ok) {
      return renderDecision(reply, await service.decisionFor(principal, incidentId, updateId), reason, result.errors);
    }
    return reply.redirect(`${staffUrl(incidentId, updateId)}?done=rejected`, 303);
  });
}
