// The staff timeline and decision log pages: the timeline with filters, the forms that add a
// decision, an action or a note, marking an action done, and the HTML and PDF exports.
import { formText } from '../../platform/http/form-fields.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { actorOf, requireStaff } from '../../platform/auth/staff-guard.ts';
import type { Database } from '../../platform/db/database.ts';
import { HttpProblem } from '../../platform/http/errors.ts';
import type { FieldError } from '../../platform/http/form-result.ts';
import { INCIDENT_STATUSES } from '../incidents/incidents.service.ts';
import {
  KIND_NAMES,
  LIMITS,
  blankEntryInput,
  createIncidentTimelineService,
  isAuthoredKind,
  parseTimelineQuery,
  type AuthoredKind,
  type EntryInput,
  type TimelineQuery,
} from './incident-timeline.service.ts';
import { renderTimelinePdf } from './timeline-pdf.ts';

type Form = Record<string, unknown>;

const KIND_HEADINGS: Record<AuthoredKind, string> = {
  decision: 'Record a decision',
  action: 'Add an action',
  note: 'Add a note',
};

/** A reference as a file name: letters, digits and dashes only, so no header or path tricks. */
export function exportFileName(reference: string, extension: 'html' | 'pdf'): string {
  const safe = reference.replace(/[^A-Za-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'incident';
  return `timeline-${safe.slice(0, 80)}.${extension}`;
}

/** The query string of the timeline page with the given kind, keeping the date range. */
function timelineHref(incidentId: string, query: TimelineQuery, kind?: string): string {
  const params = new URLSearchParams();
  if (kind) params.append('kind', kind);
  if (query.from) params.append('from', query.from);
  if (query.to) params.append('to', query.to);
  const search = params.toString();
  return `/staff/incidents/${incidentId}/timeline${search ? `?${search}` : ''}`;
}

export async function incidentTimelineRoutes(app: FastifyInstance, opts: { database: Database }): Promise<void> {
  const service = createIncidentTimelineService(opts.database.db);
  const base = '/staff/incidents/:incidentId/timeline';
  const incidentIdOf = (request: FastifyRequest) => (request.params as { incidentId: string }).incidentId;

  app.get(base, { preHandler: requireStaff('incident.read') }, async (request, reply) => {
    const incidentId = incidentIdOf(request);
    const query = parseTimelineQuery(request.query as Form);
    const found = await service.timeline(request.staff!.principal, incidentId, query);
    const flash = (request.query as Form)['saved'];
    const selected = query.kinds.length === 1 ? query.kinds[0] : undefined;
    return reply.code(query.errors.length ? 400 : 200).render('incident-timeline/views/timeline.njk', {
      pageTitle: `Timeline: ${found.incident.title}`,
      incident: found.incident,
      statusText: INCIDENT_STATUSES[found.incident.status],
      entries: found.entries,
      mayManage: found.mayManage,
      query,
      errors: query.errors,
      filters: [
        { text: 'All entries', href: timelineHref(incidentId, query), current: query.kinds.length === 0 },
        ...Object.entries(KIND_NAMES).map(([kind, names]) => ({
          text: names.many,
          href: timelineHref(incidentId, query, kind),
          current: selected === kind,
        })),
      ],
      selectedKinds: query.kinds,
      filtered: query.kinds.length > 0 || Boolean(query.range.from || query.range.before),
      saved: flash === 'entry' || flash === 'done' ? flash : undefined,
    });
  });

  const entryForm = (request: FastifyRequest): EntryInput => ({
    title: formText(request.body, 'title', LIMITS.title * 2),
    body: formText(request.body, 'body', LIMITS.text * 2),
    decidedBy: formText(request.body, 'decidedBy', LIMITS.name * 2),
    alternatives: formText(request.body, 'alternatives', LIMITS.text * 2),
    owner: formText(request.body, 'owner', LIMITS.name * 2),
    dueDay: formText(request.body, 'dueDate-day', 10),
    dueMonth: formText(request.body, 'dueDate-month', 10),
    dueYear: formText(request.body, 'dueDate-year', 10),
    done: formText(request.body, 'done', 10) === 'yes',
    occurredDay: formText(request.body, 'occurredAt-day', 10),
    occurredMonth: formText(request.body, 'occurredAt-month', 10),
    occurredYear: formText(request.body, 'occurredAt-year', 10),
    occurredTime: formText(request.body, 'occurredTime', 10),
  });

  const kindOf = (request: FastifyRequest): AuthoredKind => {
    const { kind } = request.params as { kind: string };
    if (!isAuthoredKind(kind)) throw new HttpProblem(404, 'Page not found');
    return kind;
  };

  const renderEntryForm = (
    reply: FastifyReply,
    incidentId: string,
    kind: AuthoredKind,
    values: EntryInput,
    errors: FieldError[] = [],
  ) =>
    reply.code(errors.length ? 400 : 200).render('incident-timeline/views/timeline-entry-form.njk', {
      pageTitle: KIND_HEADINGS[kind],
      heading: KIND_HEADINGS[kind],
      incidentId,
      kind,
      values,
      errors,
    });

  app.get(`${base}/new/:kind`, { preHandler: requireStaff('incident.manage') }, async (request, reply) => {
    const incidentId = incidentIdOf(request);
    const kind = kindOf(request);
    await service.incidentToManage(request.staff!.principal, incidentId);
    return renderEntryForm(reply, incidentId, kind, blankEntryInput());
  });

  app.post(`${base}/new/:kind`, { preHandler: requireStaff('incident.manage') }, async (request, reply) => {
    const incidentId = incidentIdOf(request);
    const kind = kindOf(request);
    const values = entryForm(request);
    const result = await service.addEntry(request.staff!.principal, actorOf(request), incidentId, kind, values);
    if (!result.ok) return renderEntryForm(reply, incidentId, kind, values, result.errors);
    return reply.redirect(`/staff/incidents/${incidentId}/timeline?saved=entry`, 303);
  });

  app.post(`${base}/:entryId/done`, { preHandler: requireStaff('incident.manage') }, async (request, reply) => {
    const { incidentId, entryId } = request.params as { incidentId: string; entryId: string };
    await service.markActionDone(request.staff!.principal, actorOf(request), incidentId, entryId);
    return reply.redirect(`/staff/incidents/${incidentId}/timeline?saved=done`, 303);
  });

  app.get(`${base}/export.html`, { preHandler: requireStaff('incident.read') }, async (request, reply) => {
    const exported = await service.exportTimeline(
      request.staff!.principal,
      actorOf(request),
      incidentIdOf(request),
      'html',
    );
    // Inline, so it opens in the browser with the app's stylesheet and prints from there.
    reply.header('content-disposition', `inline; filename="${exportFileName(exported.incident.reference, 'html')}"`);
    return reply.render('incident-timeline/views/timeline-export.njk', {
      ...exported,
      statusText: INCIDENT_STATUSES[exported.incident.status],
    });
  });

  app.get(`${base}/export.pdf`, { preHandler: requireStaff('incident.read') }, async (request, reply) => {
    const exported = await service.exportTimeline(
      request.staff!.principal,
      actorOf(request),
      incidentIdOf(request),
      'pdf',
    );
    const pdf = await renderTimelinePdf(exported);
    return reply
      .type('application/pdf')
      .header('content-disposition', `attachment; filename="${exportFileName(exported.incident.reference, 'pdf')}"`)
      .send(pdf);
  });
}
