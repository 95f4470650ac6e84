// Scam warnings: the staff pages to draft, approve or send back, and withdraw a warning, and the
// JSON API that lists a council's published warnings. The public incident page shows them itself.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { councilFromPath } from '../../platform/accounts/council-from-path.ts';
import { listOrganisations } from '../../platform/accounts/accounts.repository.ts';
import { actorOf, requireStaff } from '../../platform/auth/staff-guard.ts';
import type { Database } from '../../platform/db/database.ts';
import { formText } from '../../platform/http/form-fields.ts';
import type { FieldError } from '../../platform/http/form-result.ts';
import { sendCachedPage } from '../../platform/public-cache/public-page-cache.ts';
import { councilScamWarningsParams, councilScamWarningsResponse } from './scam-warnings.schemas.ts';
import {
  InvalidScamWarningError,
  LIMITS,
  STATE_NAMES,
  createScamWarningsService,
  draftScamWarning,
  publishedScamWarnings,
  validateScamWarning,
  type ScamWarning,
  type ScamWarningText,
} from './scam-warnings.service.ts';

const STATE_TAG: Record<ScamWarning['state'], string> = {
  waiting: 'govuk-tag--yellow',
  'sent-back': 'govuk-tag--grey',
  published: 'govuk-tag--green',
  withdrawn: 'govuk-tag--red',
};

const BANNERS: Record<string, string> = {
  created: 'Sent for approval. An incident manager who did not write it must approve it.',
  saved: 'Changes saved and sent for approval again.',
  published: 'Approved and published. It is on the council’s public page now.',
  'sent-back': 'Sent back to the author with your reason.',
  withdrawn: 'Withdrawn. It is no longer on the public page.',
};

/** Where a warning is shown on the public incident page. */
export const warningAnchor = (warningId: string) => `scam-${warningId}`;

export interface ScamWarningsRoutesOptions {
  database: Database;
  /** Absolute links in the API use it, so they do not depend on the Host a request names. */
  publicBaseUrl: string;
}

export async function scamWarningsRoutes(app: FastifyInstance, opts: ScamWarningsRoutesOptions): Promise<void> {
  const { db } = opts.database;
  const service = createScamWarningsService(db);
  const baseUrl = opts.publicBaseUrl.replace(/\/+$/, '');
  const organisationNames = async () => new Map((await listOrganisations(db)).map((o) => [o.id, o.name]));
  const ids = (params: unknown) => params as { incidentId: string; warningId: string };
  const staffUrl = (incidentId: string, warningId?: string) =>
    `/staff/incidents/${incidentId}/scam-warnings${warningId ? `/${warningId}` : ''}`;

  // The API, served from memory like the public pages: made once per change, in the schema's shape.
  app.get(
    '/api/v1/councils/:council/scam-warnings',
    {
      schema: {
        tags: ['public'],
        summary: "A council's published scam warnings for its current cyber incident, newest first",
        params: councilScamWarningsParams,
        response: { 200: councilScamWarningsResponse },
      },
    },
    async (request, reply) => {
      const slug = (request.params as { council: string }).council;
      const page = await app.publicCache.get(`/api/v1/councils/${slug}/scam-warnings`, async () => {
        const council = await councilFromPath(db, request.params);
        if (!council) return null;
        const warnings = await publishedScamWarnings(db, council.id);
        const pageUrl = `${baseUrl}/${council.slug}/cyber-incident`;
        return {
          contentType: 'application/json; charset=utf-8',
          body: JSON.stringify({
            council: { slug: council.slug, name: council.name },
            warnings: warnings.map((w) => ({
              id: w.id,
              title: w.title,
              whatItLooksLike: w.summary,
              howToSpot: w.howToSpot,
              whatToDo: w.whatToDo,
              publishedAt: w.publishedAt,
              pageUrl: `${pageUrl}#${warningAnchor(w.id)}`,
            })),
          }),
        };
      });
      return page
        ? sendCachedPage(request, reply, page)
        : reply.sendProblemOrPage({ status: 404, title: 'No such council' });
    },
  );

  // Staff pages. Comms, incident managers and analysts all read incidents; the service decides the rest.
  const staff = { preHandler: requireStaff('incident.read') };

  app.get('/staff/incidents/:incidentId/scam-warnings', staff, async (request, reply) => {
    const { incidentId } = ids(request.params);
    const found = await service.listForIncident(request.staff!.principal, incidentId);
    const names = await organisationNames();
    return reply.render('scam-warnings/views/staff-warnings.njk', {
      pageTitle: 'Scam warnings',
      incident: found.incident,
      mayDraft: found.draftableCouncilIds.length > 0,
      warnings: found.warnings.map((w) => ({
        ...w,
        council: names.get(w.organisationId) ?? '',
        stateText: STATE_NAMES[w.state],
        tagClass: STATE_TAG[w.state],
      })),
    });
  });

  const textFrom = (request: FastifyRequest): ScamWarningText => ({
    title: formText(request.body, 'title', LIMITS.title + 200),
    summary: formText(request.body, 'summary', LIMITS.summary + 500),
    howToSpot: formText(request.body, 'howToSpot', LIMITS.howToSpot + 500),
    whatToDo: formText(request.body, 'whatToDo', LIMITS.whatToDo + 500),
  });

  const renderForm = async (
    reply: FastifyReply,
    page: { incidentId: string; warningId?: string; councilIds: string[] },
    values: ScamWarningText & { councilId: string },
    errors: FieldError[] = [],
  ) => {
    const names = await organisationNames();
    return reply.code(errors.length ? 400 : 200).render('scam-warnings/views/staff-warning-form.njk', {
      pageTitle: page.warningId ? 'Change the scam warning' : 'New scam warning',
      ...page,
      councils: page.councilIds.map((id) => ({
        value: id,
        text: names.get(id) ?? id,
        checked: values.councilId === id,
      })),
      values,
      errors,
      limits: LIMITS,
    });
  };

  app.get('/staff/incidents/:incidentId/scam-warnings/new', staff, async (request, reply) => {
    const { incidentId } = ids(request.params);
    const found = await service.incidentFor(request.staff!.principal, incidentId);
    if (found.draftableCouncilIds.length === 0)
      return reply.sendProblemOrPage({ status: 404, title: 'Page not found' });
    const only = found.draftableCouncilIds.length === 1 ? (found.draftableCouncilIds[0] as string) : '';
    return renderForm(
      reply,
      { incidentId, councilIds: found.draftableCouncilIds },
      { title: '', summary: '', howToSpot: '', whatToDo: '', councilId: only },
    );
  });

  app.post('/staff/incidents/:incidentId/scam-warnings/new', staff, async (request, reply) => {
    const { incidentId } = ids(request.params);
    const principal = request.staff!.principal;
    const found = await service.incidentFor(principal, incidentId);
    const values = { ...textFrom(request), councilId: formText(request.body, 'council', 60) };
    if (!found.draftableCouncilIds.includes(values.councilId)) {
      return renderForm(reply, { incidentId, councilIds: found.draftableCouncilIds }, values, [
        { text: 'Select the council whose page will show the warning', href: '#council' },
        ...validateScamWarning(values),
      ]);
    }
    try {
      const warningId = await draftScamWarning(db, {
        ...values,
        organisationId: values.councilId,
        incidentId,
        author: { principal, actor: actorOf(request) },
      });
      return reply.redirect(`${staffUrl(incidentId, warningId)}?done=created`, 303);
    } catch (error) {
      if (!(error instanceof InvalidScamWarningError)) throw error;
      return renderForm(reply, { incidentId, councilIds: found.draftableCouncilIds }, values, error.errors);
    }
  });

  const renderWarning = async (
    reply: FastifyReply,
    found: Awaited<ReturnType<typeof service.warningFor>>,
    extra: { banner?: string | undefined; reason?: string; errors?: FieldError[] } = {},
  ) => {
    const names = await organisationNames();
    return reply.code(extra.errors?.length ? 400 : 200).render('scam-warnings/views/staff-warning.njk', {
      pageTitle: found.warning.title,
      ...found,
      council: names.get(found.warning.organisationId) ?? '',
      stateText: STATE_NAMES[found.warning.state],
      tagClass: STATE_TAG[found.warning.state],
      reason: extra.reason ?? '',
      errors: extra.errors ?? [],
      banner: extra.banner,
    });
  };

  app.get('/staff/incidents/:incidentId/scam-warnings/:warningId', staff, async (request, reply) => {
    const { incidentId, warningId } = ids(request.params);
    const found = await service.warningFor(request.staff!.principal, incidentId, warningId);
    const done = (request.query as Record<string, unknown>)['done'];
    return renderWarning(reply, found, {
      banner: typeof done === 'string' && Object.hasOwn(BANNERS, done) ? BANNERS[done] : undefined,
    });
  });

  app.get('/staff/incidents/:incidentId/scam-warnings/:warningId/edit', staff, async (request, reply) => {
    const { incidentId, warningId } = ids(request.params);
    const found = await service.warningFor(request.staff!.principal, incidentId, warningId);
    if (!found.mayEdit) return reply.redirect(staffUrl(incidentId, warningId), 303);
    const w = found.warning;
    return renderForm(
      reply,
      { incidentId, warningId, councilIds: [] },
      { title: w.title, summary: w.summary, howToSpot: w.howToSpot, whatToDo: w.whatToDo, councilId: w.organisationId },
    );
  });

  app.post('/staff/incidents/:incidentId/scam-warnings/:warningId/edit', staff, async (request, reply) => {
    const { incidentId, warningId } = ids(request.params);
    const values = textFrom(request);
    const result = await service.edit(request.staff!.principal, actorOf(request), incidentId, warningId, values);
    if (!result.ok) {
      return renderForm(reply, { incidentId, warningId, councilIds: [] }, { ...values, councilId: '' }, result.errors);
    }
    return reply.redirect(`${staffUrl(incidentId, warningId)}?done=saved`, 303);
  });

  const renderDecision = (
    reply: FastifyReply,
    found: Awaited<ReturnType<typeof service.decisionFor>>,
    reason = '',
    errors: FieldError[] = [],
  ) =>
    reply.code(errors.length ? 400 : 200).render('scam-warnings/views/staff-warning-approve.njk', {
      pageTitle: 'Approve a scam warning',
      ...found,
      reason,
      errors,
    });

  app.get('/staff/incidents/:incidentId/scam-warnings/:warningId/approve', staff, async (request, reply) => {
    const { incidentId, warningId } = ids(request.params);
    return renderDecision(reply, await service.decisionFor(request.staff!.principal, incidentId, warningId));
  });

  const seenFrom = (request: FastifyRequest) => ({ updatedAt: formText(request.body, 'seen', 40) });

  app.post('/staff/incidents/:incidentId/scam-warnings/:warningId/approve', staff, async (request, reply) => {
    const { incidentId, warningId } = ids(request.params);
    await service.approve(request.staff!.principal, actorOf(request), incidentId, warningId, seenFrom(request));
    // Other instances see the change at their next poll of the public content version; this one at once.
    app.publicCache.invalidate();
    return reply.redirect(`${staffUrl(incidentId, warningId)}?done=published`, 303);
  });

  app.post('/staff/incidents/:incidentId/scam-warnings/:warningId/send-back', staff, async (request, reply) => {
    const { incidentId, warningId } = ids(request.params);
    const principal = request.staff!.principal;
    const reason = formText(request.body, 'reason', LIMITS.reason + 500);
    const result = await service.sendBack(
      principal,
      actorOf(request),
      incidentId,
      warningId,
      seenFrom(request),
      reason,
    );
    if (!result.ok) {
      return renderDecision(reply, await service.decisionFor(principal, incidentId, warningId), reason, result.errors);
    }
    return reply.redirect(`${staffUrl(incidentId, warningId)}?done=sent-back`, 303);
  });

  app.post('/staff/incidents/:incidentId/scam-warnings/:warningId/withdraw', staff, async (request, reply) => {
    const { incidentId, warningId } = ids(request.params);
    const principal = request.staff!.principal;
    const reason = formText(request.body, 'reason', LIMITS.reason + 500);
    const result = await service.withdraw(principal, actorOf(request), incidentId, warningId, reason);
    if (!result.ok) {
      const found = await service.warningFor(principal, incidentId, warningId);
      return renderWarning(reply, found, { reason, errors: result.errors });
    }
    app.publicCache.invalidate();
    return reply.redirect(`${staffUrl(incidentId, warningId)}?done=withdrawn`, 303);
  });
}
