// Replying to residents by email over HTTP, for contact-centre agents: one case (choose a
// template, check the email, send) and many cases of one council at once (choose the cases and a
// template, check what will be sent and skipped, send, watch the progress). The preview and check
// pages answer a POST without a redirect: they change nothing, and what the agent typed must not
// go in an address.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { actorOf, requireStaff } from '../../platform/auth/staff-guard.ts';
import type { Database } from '../../platform/db/database.ts';
import type { EnquiryPriority, EnquiryTopic } from '../../platform/db/schema.ts';
import { formText } from '../../platform/http/form-fields.ts';
import type { FieldError } from '../../platform/http/form-result.ts';
import { newId } from '../../platform/ids.ts';
import { TOPICS } from './enquiry-form.ts';
import {
  BULK_LIMIT,
  createEnquiryRepliesService,
  STATUSES_AFTER_REPLY,
  type BulkFilter,
  type ReplyChoice,
} from './enquiry-replies.service.ts';
import { STATUSES } from './enquiries.service.ts';
import { PLACEHOLDERS, TEMPLATE_LIMITS } from './reply-template-rules.ts';

export interface EnquiryRepliesRoutesOptions {
  database: Database;
  publicBaseUrl: string;
}

const topicText = (topic: string) => TOPICS.find((t) => t.value === topic)?.staffText ?? topic;
const statusText = (status: string) => STATUSES.find((s) => s.value === status)?.text ?? status;

export async function enquiryRepliesRoutes(app: FastifyInstance, opts: EnquiryRepliesRoutesOptions): Promise<void> {
  const service = createEnquiryRepliesService(opts.database.db, { publicBaseUrl: opts.publicBaseUrl });
  const handle = { preHandler: requireStaff('enquiry.handle') };

  const caseId = (request: FastifyRequest) => (request.params as { caseId: string }).caseId;
  const casePath = (id: string) => `/staff/enquiries/${id}`;
  const choiceFrom = (body: unknown): ReplyChoice => ({
    versionId: formText(body, 'versionId', 40),
    personal: formText(body, 'personal', TEMPLATE_LIMITS.personal + 1000),
    statusAfter: formText(body, 'statusAfter', 20),
  });

  // One case.

  const renderReplyForm = async (
    request: FastifyRequest,
    reply: FastifyReply,
    values: ReplyChoice & { seen?: string },
    errors: FieldError[] = [],
  ) => {
    const page = await service.replyPage(request.staff!.principal, actorOf(request), caseId(request));
    return reply.code(errors.length ? 400 : 200).render('enquiries/views/staff-reply.njk', {
      pageTitle: `Reply to enquiry ${page.enquiry.reference}`,
      ...page,
      topicText: topicText(page.enquiry.topic),
      values: { ...values, seen: values.seen || page.enquiry.updatedAt },
      statusesAfter: STATUSES_AFTER_REPLY,
      placeholders: PLACEHOLDERS,
      limits: TEMPLATE_LIMITS,
      errors,
    });
  };

  app.get('/staff/enquiries/:caseId/reply', handle, async (request, reply) =>
    renderReplyForm(request, reply, { versionId: '', personal: '', statusAfter: 'waiting' }),
  );

  app.post('/staff/enquiries/:caseId/reply', handle, async (request, reply) => {
    const choice = choiceFrom(request.body);
    const seen = formText(request.body, 'seen', 40);
    // "Change the reply" on the preview comes back here with what was chosen.
    if (formText(request.body, 'step', 10) === 'change') return renderReplyForm(request, reply, { ...choice, seen });
    const result = await service.preview(request.staff!.principal, actorOf(request), caseId(request), choice);
    if (!result.ok) return renderReplyForm(request, reply, { ...choice, seen }, result.errors);
    return reply.render('enquiries/views/staff-reply-check.njk', {
      pageTitle: 'Check the email before you send it',
      enquiry: result.enquiry,
      version: result.version,
      message: result.message,
      statusAfterText: STATUSES_AFTER_REPLY.find((s) => s.value === result.statusAfter)?.text,
      values: { ...choice, seen, entryId: result.entryId },
    });
  });

  app.post('/staff/enquiries/:caseId/reply/send', handle, async (request, reply) => {
    const choice = choiceFrom(request.body);
    const seen = formText(request.body, 'seen', 40);
    const result = await service.send(request.staff!.principal, actorOf(request), caseId(request), {
      ...choice,
      entryId: formText(request.body, 'entryId', 40),
      seen,
    });
    if (!result.ok) return renderReplyForm(request, reply, { ...choice, seen }, result.errors);
    return reply.redirect(`${casePath(caseId(request))}?done=replied`, 303);
  });

  // Many cases.

  const bulkFilterFrom = (source: Record<string, unknown>): BulkFilter => {
    const text = (name: string, max: number) => (typeof source[name] === 'string' ? source[name].slice(0, max) : '');
    return {
      organisationId: text('council', 40) || undefined,
      topic: TOPICS.some((t) => t.value === text('topic', 30)) ? (text('topic', 30) as EnquiryTopic) : undefined,
      priority: ['urgent', 'standard'].includes(text('priority', 10))
        ? (text('priority', 10) as EnquiryPriority)
        : undefined,
      q: text('q', 200) || undefined,
    };
  };
  const filterQuery = (filter: BulkFilter) => {
    const params = new URLSearchParams();
    if (filter.organisationId) params.set('council', filter.organisationId);
    if (filter.topic) params.set('topic', filter.topic);
    if (filter.priority) params.set('priority', filter.priority);
    if (filter.q) params.set('q', filter.q);
    return params.toString();
  };

  const renderBulkSelection = async (
    request: FastifyRequest,
    reply: FastifyReply,
    filter: BulkFilter,
    chosen: { caseIds: string[]; versionId: string; statusAfter: string; all: boolean },
    errors: FieldError[] = [],
  ) => {
    const found = await service.bulkCandidates(request.staff!.principal, actorOf(request), filter);
    return reply.code(errors.length ? 400 : 200).render('enquiries/views/staff-bulk-reply.njk', {
      pageTitle: 'Reply to several enquiries',
      ...found,
      filter,
      filterQuery: filterQuery({ ...filter, organisationId: found.council?.id ?? filter.organisationId }),
      topics: TOPICS,
      cases: found.cases.map((c) => ({
        ...c,
        topicText: topicText(c.topic),
        statusText: statusText(c.status),
        checked: chosen.all || chosen.caseIds.includes(c.id),
      })),
      statusesAfter: STATUSES_AFTER_REPLY,
      chosen,
      limit: BULK_LIMIT,
      errors,
    });
  };

  app.get('/staff/enquiries/bulk-reply', handle, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    return renderBulkSelection(request, reply, bulkFilterFrom(query), {
      caseIds: [],
      versionId: '',
      statusAfter: 'waiting',
      all: query['all'] === '1',
    });
  });

  const bulkChoiceFrom = (body: unknown) => ({
    // formList keeps 50 values; a bulk reply may hold up to BULK_LIMIT cases.
    caseIds: caseIdsFrom(body),
    versionId: formText(body, 'versionId', 40),
    statusAfter: formText(body, 'statusAfter', 20),
  });

  app.post('/staff/enquiries/bulk-reply', handle, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const filter = bulkFilterFrom(body);
    const choice = bulkChoiceFrom(body);
    const result = await service.bulkCheck(request.staff!.principal, choice);
    if (!result.ok) return renderBulkSelection(request, reply, filter, { ...choice, all: false }, result.errors);
    return reply.render('enquiries/views/staff-bulk-reply-check.njk', {
      pageTitle: `Check before you send ${result.toSend.length === 1 ? '1 email' : `${result.toSend.length} emails`}`,
      ...result,
      statusAfterText: STATUSES_AFTER_REPLY.find((s) => s.value === result.statusAfter)?.text,
      caseIds: choice.caseIds,
      // Made now, so confirming twice (a double click) queues once.
      bulkReplyId: newId(),
      filterQuery: filterQuery({ ...filter, organisationId: result.council.id }),
    });
  });

  app.post('/staff/enquiries/bulk-reply/send', handle, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const choice = bulkChoiceFrom(body);
    const result = await service.bulkSend(request.staff!.principal, actorOf(request), {
      ...choice,
      bulkReplyId: formText(body, 'bulkReplyId', 40),
    });
    if (!result.ok) {
      return renderBulkSelection(request, reply, bulkFilterFrom(body), { ...choice, all: false }, result.errors);
    }
    return reply.redirect(`/staff/enquiries/bulk-reply/${result.bulkReplyId}`, 303);
  });

  app.get(
    '/staff/enquiries/bulk-reply/:bulkReplyId',
    { preHandler: requireStaff('enquiry.read') },
    async (request, reply) => {
      const progress = await service.bulkProgress(
        request.staff!.principal,
        (request.params as { bulkReplyId: string }).bulkReplyId,
      );
      return reply.render('enquiries/views/staff-bulk-reply-progress.njk', {
        pageTitle: `Bulk reply: ${progress.version.name}`,
        ...progress,
        statusAfterText: STATUSES_AFTER_REPLY.find((s) => s.value === progress.bulkReply.statusAfter)?.text,
      });
    },
  );
}

/** The chosen case ids: as many as a bulk reply may hold, and one more so too many can be refused. */
function caseIdsFrom(body: unknown): string[] {
  const value = (body as Record<string, unknown> | undefined)?.['cases'];
  return (Array.isArray(value) ? value : [value])
    .filter((x): x is string => typeof x === 'string')
    .slice(0, BULK_LIMIT + 1);
}
