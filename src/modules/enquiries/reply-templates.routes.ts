// Reply templates over HTTP, for comms staff: the list, writing one, changing it (a new version),
// approving someone else's version, and withdrawing a template.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { actorOf, requireStaff } from '../../platform/auth/staff-guard.ts';
import type { StaffNavigation } from '../../platform/auth/staff-navigation.ts';
import type { Database } from '../../platform/db/database.ts';
import { formList, formText } from '../../platform/http/form-fields.ts';
import type { FieldError } from '../../platform/http/form-result.ts';
import { TOPICS } from './enquiry-form.ts';
import { PLACEHOLDERS, TEMPLATE_LIMITS, type TemplateInput } from './reply-template-rules.ts';
import { createReplyTemplatesService, TEMPLATE_STATE_TEXT } from './reply-templates.service.ts';

export interface ReplyTemplatesRoutesOptions {
  database: Database;
  navigation: StaffNavigation;
}

const BANNERS: Record<string, string> = {
  created: 'Template saved. Another comms officer must approve it before agents can use it.',
  changed: 'New version saved. Agents keep using the approved version until another comms officer approves this one.',
  approved: 'Version approved. Agents now send this wording.',
  withdrawn: 'Template withdrawn. Agents can no longer use it.',
};

export async function replyTemplatesRoutes(app: FastifyInstance, opts: ReplyTemplatesRoutesOptions): Promise<void> {
  const service = createReplyTemplatesService(opts.database.db);
  const manage = { preHandler: requireStaff('reply-template.manage') };
  opts.navigation.add({ href: '/staff/reply-templates', text: 'Reply templates', action: 'reply-template.manage' });

  const templateId = (request: FastifyRequest) => (request.params as { templateId: string }).templateId;
  const templatePath = (id: string) => `/staff/reply-templates/${id}`;
  const inputFrom = (body: unknown): TemplateInput => ({
    name: formText(body, 'name', TEMPLATE_LIMITS.name + 100),
    topics: formList(body, 'topics'),
    subject: formText(body, 'subject', TEMPLATE_LIMITS.subject + 100),
    body: formText(body, 'body', TEMPLATE_LIMITS.body + 1000),
  });

  const renderForm = (
    reply: FastifyReply,
    page: {
      pageTitle: string;
      councils: Array<{ id: string; name: string }>;
      councilId: string;
      values: TemplateInput;
      backHref: string;
      seenVersion?: number;
    },
    errors: FieldError[] = [],
  ) =>
    reply.code(errors.length ? 400 : 200).render('enquiries/views/staff-template-form.njk', {
      ...page,
      topics: TOPICS,
      placeholders: PLACEHOLDERS,
      limits: TEMPLATE_LIMITS,
      errors,
    });

  app.get('/staff/reply-templates', manage, async (request, reply) => {
    const { councils, templates } = await service.list(request.staff!.principal);
    return reply.render('enquiries/views/staff-templates.njk', {
      pageTitle: 'Reply templates',
      councils,
      templates,
      stateText: TEMPLATE_STATE_TEXT,
    });
  });

  app.get('/staff/reply-templates/new', manage, async (request, reply) => {
    const councils = await service.councilsFor(request.staff!.principal);
    return renderForm(reply, {
      pageTitle: 'Write a reply template',
      councils,
      councilId: councils.length === 1 ? (councils[0]?.id ?? '') : '',
      values: { name: '', topics: [], subject: '', body: '' },
      backHref: '/staff/reply-templates',
    });
  });

  app.post('/staff/reply-templates/new', manage, async (request, reply) => {
    const principal = request.staff!.principal;
    const values = inputFrom(request.body);
    const councilId = formText(request.body, 'council', 40);
    const result = await service.create(principal, actorOf(request), councilId, values);
    if (result.ok) return reply.redirect(`${templatePath(result.id)}?done=created`, 303);
    return renderForm(
      reply,
      {
        pageTitle: 'Write a reply template',
        councils: await service.councilsFor(principal),
        councilId,
        values,
        backHref: '/staff/reply-templates',
      },
      result.errors,
    );
  });

  app.get('/staff/reply-templates/:templateId', manage, async (request, reply) => {
    const found = await service.templateFor(request.staff!.principal, templateId(request));
    const done = (request.query as { done?: string }).done ?? '';
    return reply.render('enquiries/views/staff-template.njk', {
      pageTitle: `Reply template: ${found.latest.name}`,
      ...found,
      stateText: TEMPLATE_STATE_TEXT,
      topicText: Object.fromEntries(TOPICS.map((t) => [t.value, t.staffText])),
      banner: BANNERS[done],
    });
  });

  app.get('/staff/reply-templates/:templateId/edit', manage, async (request, reply) => {
    const found = await service.templateFor(request.staff!.principal, templateId(request));
    const { name, topics, subject, body } = found.latest;
    return renderForm(reply, {
      pageTitle: 'Change a reply template',
      councils: [found.council],
      councilId: found.council.id,
      values: { name, topics, subject, body },
      backHref: templatePath(found.template.id),
      seenVersion: found.template.latestVersion,
    });
  });

  app.post('/staff/reply-templates/:templateId/edit', manage, async (request, reply) => {
    const principal = request.staff!.principal;
    const values = inputFrom(request.body);
    const seenVersion = Number.parseInt(formText(request.body, 'seenVersion', 12), 10);
    const result = await service.change(
      principal,
      actorOf(request),
      templateId(request),
      Number.isInteger(seenVersion) ? seenVersion : -1,
      values,
    );
    if (result.ok) return reply.redirect(`${templatePath(templateId(request))}?done=changed`, 303);
    const found = await service.templateFor(principal, templateId(request));
    return renderForm(
      reply,
      {
        pageTitle: 'Change a reply template',
        councils: [found.council],
        councilId: found.council.id,
        values,
        backHref: templatePath(found.template.id),
        seenVersion: found.template.latestVersion,
      },
      result.errors,
    );
  });

  app.post('/staff/reply-templates/:templateId/approve', manage, async (request, reply) => {
    await service.approve(
      request.staff!.principal,
      actorOf(request),
      templateId(request),
      formText(request.body, 'versionId', 40),
    );
    return reply.redirect(`${templatePath(templateId(request))}?done=approved`, 303);
  });

  app.post('/staff/reply-templates/:templateId/withdraw', manage, async (request, reply) => {
    await service.withdraw(request.staff!.principal, actorOf(request), templateId(request));
    return reply.redirect(`${templatePath(templateId(request))}?done=withdrawn`, 303);
  });
}
