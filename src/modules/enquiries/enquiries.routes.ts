// Resident enquiries over HTTP: the public form "Contact us about the cyber incident" (questions,
// check your answers, sent), and the staff queue and case pages.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { councilFromPath } from '../../platform/accounts/council-from-path.ts';
import { listOrganisations, type Organisation } from '../../platform/accounts/accounts.repository.ts';
import { actorOf, requireStaff } from '../../platform/auth/staff-guard.ts';
import type { StaffNavigation } from '../../platform/auth/staff-navigation.ts';
import type { Database } from '../../platform/db/database.ts';
import type { InboundMailboxes } from '../../platform/mail-in/inbound-mailboxes.ts';
import { createGroupCommit, defaultGroupCommitOptions } from '../../platform/db/group-commit.ts';
import type { EnquiryPriority, EnquiryTopic } from '../../platform/db/schema.ts';
import { draftCookie } from '../../platform/http/cookies.ts';
import { formList, formText } from '../../platform/http/form-fields.ts';
import type { FieldError } from '../../platform/http/form-result.ts';
import { pageFromQuery, paging } from '../../platform/http/paging.ts';
import { organisationsWhere } from '../../platform/policy/policy.ts';
import {
  answersFrom,
  CIRCUMSTANCES,
  EMPTY_ANSWERS,
  REPLY_METHODS,
  TOPICS,
  validateEnquiry,
  type EnquiryAnswers,
} from './enquiry-form.ts';
import {
  CALL_DIRECTIONS,
  CALL_OUTCOMES,
  CALLBACK_CHOICES,
  callAnswersFrom,
  EMPTY_CALL,
  validateCall,
  type CallAnswers,
} from './enquiry-calls.ts';
import { AGE_BUCKETS, CHANNELS, volumeChartSvg } from './enquiry-dashboard.ts';
import type { SettingsAnswers } from './enquiry-settings.ts';
import { TARGET_STATE_TEXT, targetState } from './enquiry-targets.ts';
import { createEnquiriesService, STATUSES, type QueueFilter } from './enquiries.service.ts';

export interface EnquiriesRoutesOptions {
  database: Database;
  /** A registry of every mailbox, made afresh for each check (enquiry addresses must be no other mailbox's). */
  mailboxes: () => InboundMailboxes;
  navigation: StaffNavigation;
  publicBaseUrl: string;
}

const DRAFT_COOKIE = 'wardroom_enquiry';
const COUNCIL_LOOKUP_TTL_MS = 5_000;

export async function enquiriesRoutes(app: FastifyInstance, opts: EnquiriesRoutesOptions): Promise<void> {
  const { db } = opts.database;
  const service = createEnquiriesService(db, {
    publicBaseUrl: opts.publicBaseUrl,
    writes: createGroupCommit(db, defaultGroupCommitOptions(opts.database.dialect)),
    mailboxes: opts.mailboxes,
  });
  const notFound = { status: 404, title: 'Page not found' };
  opts.navigation.add({ href: '/staff/enquiries', text: 'Enquiries', action: 'enquiry.read' });

  // Every step of the form looks its council up; councils are added or renamed rarely, so a lookup
  // is kept for a few seconds rather than asked of the database on every request of a surge.
  const councils = new Map<string, { at: number; council: Organisation }>();
  const councilFrom = async (params: unknown): Promise<Organisation | undefined> => {
    const slug = (params as { council?: unknown } | undefined)?.council;
    const known = typeof slug === 'string' ? councils.get(slug) : undefined;
    if (known && Date.now() - known.at < COUNCIL_LOOKUP_TTL_MS) return known.council;
    const council = await councilFromPath(db, params);
    // Only real councils are kept, so made-up addresses cannot fill the map.
    if (council && typeof slug === 'string') councils.set(slug, { at: Date.now(), council });
    return council;
  };
  const formPath = (council: Organisation) => `/${council.slug}/cyber-incident/contact`;
  const draft = draftCookie(app, DRAFT_COOKIE);

  const renderForm = (reply: FastifyReply, council: Organisation, values: EnquiryAnswers, errors: FieldError[] = []) =>
    reply.code(errors.length ? 400 : 200).render('enquiries/views/contact-form.njk', {
      pageTitle: 'Contact us about the cyber incident',
      council,
      values,
      errors,
      topics: TOPICS,
      replyMethods: REPLY_METHODS,
      circumstances: CIRCUMSTANCES,
    });

  // The form. Answers are kept server-side under a cookie while the resident checks them, so the
  // page works without JavaScript and nothing personal goes in an address.
  app.get('/:council/cyber-incident/contact', async (request, reply) => {
    const council = await councilFrom(request.params);
    if (!council) return reply.sendProblemOrPage(notFound);
    const kept = await service.draft(council, draft.read(request));
    return renderForm(reply, council, kept && !kept.sentReference ? kept.answers : EMPTY_ANSWERS);
  });

  app.post('/:council/cyber-incident/contact', { config: { rateLimit: 'public-form' } }, async (request, reply) => {
    const council = await councilFrom(request.params);
    if (!council) return reply.sendProblemOrPage(notFound);
    const answers = answersFrom(
      (name, max) => formText(request.body, name, max),
      (name) => formList(request.body, name),
    );
    const checked = validateEnquiry(answers);
    if (!checked.ok) return renderForm(reply, council, answers, checked.errors);
    const token = await service.saveDraft(council, answers, draft.read(request));
    draft.write(reply, formPath(council), token);
    return reply.redirect(`${formPath(council)}/check`, 303);
  });

  const renderCheck = (
    reply: FastifyReply,
    council: Organisation,
    answers: EnquiryAnswers,
    errors: FieldError[] = [],
  ) =>
    reply.code(errors.length ? 400 : 200).render('enquiries/views/contact-check.njk', {
      pageTitle: 'Check your answers before sending your enquiry',
      council,
      answers,
      topicText: TOPICS.find((t) => t.value === answers.topic)?.text ?? '',
      replyText: REPLY_METHODS.find((m) => m.value === answers.replyBy)?.text ?? '',
      circumstanceTexts: CIRCUMSTANCES.filter((c) => answers.circumstances.includes(c.value)).map((c) => c.text),
      errors,
    });

  app.get('/:council/cyber-incident/contact/check', async (request, reply) => {
    const council = await councilFrom(request.params);
    if (!council) return reply.sendProblemOrPage(notFound);
    const kept = await service.draft(council, draft.read(request));
    if (!kept) return reply.redirect(formPath(council), 303);
    if (kept.sentReference) return reply.redirect(`${formPath(council)}/sent`, 303);
    return renderCheck(reply, council, kept.answers);
  });

  app.post(
    '/:council/cyber-incident/contact/check',
    { config: { rateLimit: 'public-form' } },
    async (request, reply) => {
      const council = await councilFrom(request.params);
      if (!council) return reply.sendProblemOrPage(notFound);
      const result = await service.submit(
        council,
        draft.read(request),
        formText(request.body, 'consent', 10) === 'yes',
      );
      if (result.ok) return reply.redirect(`${formPath(council)}/sent`, 303);
      if ('expired' in result) return reply.redirect(formPath(council), 303);
      const kept = await service.draft(council, draft.read(request));
      // A problem with the answers themselves (they were checked when kept, so this is rare) goes
      // back to the form; a missing agreement stays on this page.
      if (result.errors.some((e) => e.href !== '#consent'))
        return renderForm(reply, council, kept?.answers ?? EMPTY_ANSWERS, result.errors);
      return renderCheck(reply, council, kept?.answers ?? EMPTY_ANSWERS, result.errors);
    },
  );

  app.get('/:council/cyber-incident/contact/sent', async (request, reply) => {
    const council = await councilFrom(request.params);
    if (!council) return reply.sendProblemOrPage(notFound);
    const kept = await service.draft(council, draft.read(request));
    if (!kept?.sentReference) return reply.redirect(formPath(council), 303);
    return reply.render('enquiries/views/contact-sent.njk', {
      pageTitle: 'Enquiry sent',
      council,
      reference: kept.sentReference,
    });
  });

  // Staff.

  const queueFilter = (query: Record<string, string | undefined>): QueueFilter => ({
    organisationId: query['council'] || undefined,
    status: (['open', 'all', ...STATUSES.map((s) => s.value)] as string[]).includes(query['status'] ?? '')
      ? (query['status'] as QueueFilter['status'])
      : 'open',
    topic: TOPICS.some((t) => t.value === query['topic']) ? (query['topic'] as EnquiryTopic) : undefined,
    priority: ['urgent', 'standard'].includes(query['priority'] ?? '')
      ? (query['priority'] as EnquiryPriority)
      : undefined,
    assigned: query['assigned'] === 'me' || query['assigned'] === 'nobody' ? query['assigned'] : undefined,
    q: (query['q'] ?? '').slice(0, 200) || undefined,
    page: pageFromQuery(query['page']),
  });

  app.get('/staff/enquiries', { preHandler: requireStaff('enquiry.read') }, async (request, reply) => {
    const principal = request.staff!.principal;
    const query = request.query as Record<string, string | undefined>;
    const filter = queueFilter(query);
    const result = await service.queue(principal, actorOf(request), filter);
    const councilIds = organisationsWhere(principal, 'enquiry.read');
    const councils = (await listOrganisations(db)).filter((o) => councilIds.includes(o.id));
    const now = new Date();
    // The filter, kept by the pagination links.
    const kept = Object.fromEntries(
      ['q', 'council', 'status', 'topic', 'priority', 'assigned'].map((name) => [name, query[name]?.slice(0, 200)]),
    );
    return reply.render('enquiries/views/staff-queue.njk', {
      pageTitle: 'Enquiries',
      filter,
      councils,
      topics: TOPICS,
      statuses: STATUSES,
      cases: result.cases.map((c) => ({
        ...c,
        topicText: TOPICS.find((t) => t.value === c.topic)?.staffText ?? c.topic,
        statusText: STATUSES.find((s) => s.value === c.status)?.text ?? c.status,
        target: targetState(c, now),
        councilName: councils.find((o) => o.id === c.organisationId)?.shortName ?? '',
      })),
      targetText: TARGET_STATE_TEXT,
      total: result.total,
      ...paging(result.page, result.total, result.pageSize, kept),
      mayHandle: organisationsWhere(principal, 'enquiry.handle').length > 0,
      mayConfigure: organisationsWhere(principal, 'enquiry.configure').length > 0,
      mayReply: organisationsWhere(principal, 'enquiry.handle').length > 0,
    });
  });

  app.get('/staff/enquiries/dashboard', { preHandler: requireStaff('enquiry.read') }, async (request, reply) => {
    const principal = request.staff!.principal;
    const councilIds = organisationsWhere(principal, 'enquiry.read');
    const councils = (await listOrganisations(db)).filter((o) => councilIds.includes(o.id));
    const wanted = (request.query as { council?: string }).council;
    const council = councils.find((c) => c.id === wanted);
    const data = await service.dashboard(principal, council?.id);
    return reply.render('enquiries/views/staff-dashboard.njk', {
      pageTitle: 'Enquiries dashboard',
      councils,
      council,
      data,
      ageBuckets: AGE_BUCKETS,
      channels: CHANNELS,
      chart: volumeChartSvg(data.days),
    });
  });

  // Each council's enquiry settings.
  app.get('/staff/enquiries/settings', { preHandler: requireStaff('enquiry.configure') }, async (request, reply) =>
    reply.render('enquiries/views/staff-settings.njk', {
      pageTitle: 'Enquiry settings',
      councils: await service.settingsFor(request.staff!.principal),
      banner: (request.query as { done?: string }).done === 'saved',
    }),
  );

  const renderSettingsForm = async (
    request: FastifyRequest,
    reply: FastifyReply,
    values: SettingsAnswers | undefined,
    errors: FieldError[] = [],
  ) => {
    const organisationId = (request.params as { organisationId: string }).organisationId;
    const found = (await service.settingsFor(request.staff!.principal)).find((c) => c.council.id === organisationId);
    if (!found) return reply.sendProblemOrPage(notFound);
    return reply.code(errors.length ? 400 : 200).render('enquiries/views/staff-settings-form.njk', {
      pageTitle: `Enquiry settings for ${found.council.name}`,
      council: found.council,
      values: values ?? {
        referencePrefix: found.settings.referencePrefix,
        enquiryAddresses: found.settings.enquiryAddresses.join('\n'),
        retentionDays: String(found.settings.retentionDays),
      },
      errors,
    });
  };

  app.get(
    '/staff/enquiries/settings/:organisationId',
    { preHandler: requireStaff('enquiry.configure') },
    (request, reply) => renderSettingsForm(request, reply, undefined),
  );

  app.post(
    '/staff/enquiries/settings/:organisationId',
    { preHandler: requireStaff('enquiry.configure') },
    async (request, reply) => {
      const values: SettingsAnswers = {
        referencePrefix: formText(request.body, 'referencePrefix', 20),
        enquiryAddresses: formText(request.body, 'enquiryAddresses', 6000),
        retentionDays: formText(request.body, 'retentionDays', 10),
      };
      const organisationId = (request.params as { organisationId: string }).organisationId;
      const result = await service.saveSettings(request.staff!.principal, actorOf(request), organisationId, values);
      if (!result.ok) return renderSettingsForm(request, reply, values, result.errors);
      return reply.redirect('/staff/enquiries/settings?done=saved', 303);
    },
  );

  // Helpline calls: one page, built to be filled in while talking.
  const renderCall = async (
    request: FastifyRequest,
    reply: FastifyReply,
    values: CallAnswers,
    errors: FieldError[] = [],
  ) => {
    const principal = request.staff!.principal;
    const councilIds = organisationsWhere(principal, 'enquiry.handle');
    const councils = (await listOrganisations(db)).filter((o) => councilIds.includes(o.id));
    return reply.code(errors.length ? 400 : 200).render('enquiries/views/staff-call.njk', {
      pageTitle: values.reference ? `Log a call about ${values.reference}` : 'Log a helpline call',
      values,
      errors,
      councils,
      council: (request.body as Record<string, string> | undefined)?.['council'] ?? '',
      topics: TOPICS,
      directions: CALL_DIRECTIONS,
      outcomes: CALL_OUTCOMES,
      callbackChoices: CALLBACK_CHOICES,
      circumstances: CIRCUMSTANCES,
    });
  };

  app.get('/staff/enquiries/calls/new', { preHandler: requireStaff('enquiry.handle') }, async (request, reply) => {
    const reference = (request.query as { reference?: string }).reference ?? '';
    return renderCall(request, reply, { ...EMPTY_CALL, reference: reference.slice(0, 40) });
  });

  app.post('/staff/enquiries/calls/new', { preHandler: requireStaff('enquiry.handle') }, async (request, reply) => {
    const values = callAnswersFrom(
      (name, max) => formText(request.body, name, max),
      (name) => formList(request.body, name),
    );
    const checked = validateCall(values);
    if (!checked.ok) return renderCall(request, reply, values, checked.errors);
    const council = formText(request.body, 'council', 40) || undefined;
    const result = await service.logCall(request.staff!.principal, actorOf(request), council, checked.call);
    if (!result.ok) return renderCall(request, reply, values, result.errors);
    return reply.redirect(`/staff/enquiries/${result.caseId}?done=call`, 303);
  });

  const caseId = (request: FastifyRequest) => (request.params as { caseId: string }).caseId;
  const casePath = (id: string) => `/staff/enquiries/${id}`;

  const renderCase = async (request: FastifyRequest, reply: FastifyReply, errors: FieldError[] = [], values = {}) => {
    const seen = await service.view(request.staff!.principal, actorOf(request), caseId(request));
    const c = seen.case;
    return reply.code(errors.length ? 400 : 200).render('enquiries/views/staff-case.njk', {
      pageTitle: `Enquiry ${c.reference}`,
      enquiry: {
        ...c,
        topicText: TOPICS.find((t) => t.value === c.topic)?.staffText ?? c.topic,
        statusText: STATUSES.find((s) => s.value === c.status)?.text ?? c.status,
        replyText: REPLY_METHODS.find((m) => m.value === c.replyBy)?.text ?? 'Not given',
        target: targetState(c, new Date()),
      },
      targetText: TARGET_STATE_TEXT,
      callDirectionText: Object.fromEntries(CALL_DIRECTIONS.map((d) => [d.value, d.text])),
      callOutcomeText: Object.fromEntries(CALL_OUTCOMES.map((o) => [o.value, o.text])),
      entries: seen.entries,
      assignable: seen.assignable,
      mayHandle: seen.mayHandle,
      mergedInto: seen.mergedInto,
      statuses: STATUSES,
      errors,
      values,
      banner: (request.query as { done?: string }).done,
    });
  };

  app.get('/staff/enquiries/:caseId', { preHandler: requireStaff('enquiry.read') }, async (request, reply) =>
    renderCase(request, reply),
  );

  app.post('/staff/enquiries/:caseId/merge', { preHandler: requireStaff('enquiry.handle') }, async (request, reply) => {
    const principal = request.staff!.principal;
    const into = formText(request.body, 'into', 40);
    const seen = formText(request.body, 'seen', 40);
    if (formText(request.body, 'confirm', 5) !== 'yes') {
      const checked = await service.mergeTarget(principal, caseId(request), into);
      if (!checked.ok) return renderCase(request, reply, checked.errors, { into });
      const describe = (c: typeof checked.from) => ({
        ...c,
        topicText: TOPICS.find((t) => t.value === c.topic)?.staffText ?? c.topic,
        statusText: STATUSES.find((st) => st.value === c.status)?.text ?? c.status,
      });
      return reply.render('enquiries/views/staff-merge.njk', {
        pageTitle: `Merge ${checked.from.reference} into ${checked.into.reference}?`,
        from: describe(checked.from),
        into: describe(checked.into),
        seen,
      });
    }
    const result = await service.merge(principal, actorOf(request), caseId(request), seen, into);
    if (!result.ok) return renderCase(request, reply, result.errors, { into });
    return reply.redirect(`${casePath(result.intoId)}?done=merged`, 303);
  });

  // An attachment is only ever a download, never shown in the page: it came from outside and may be
  // hostile. Its type is not trusted, so the browser is told it is bytes to save.
  app.get(
    '/staff/enquiries/:caseId/attachments/:entryId/:index',
    { preHandler: requireStaff('enquiry.read') },
    async (request, reply) => {
      const params = request.params as { caseId: string; entryId: string; index: string };
      const index = Number.parseInt(params.index, 10);
      const found =
        Number.isInteger(index) && index >= 0 && index < 1000
          ? await service.attachment(request.staff!.principal, actorOf(request), params.caseId, params.entryId, index)
          : undefined;
      if (!found) return reply.sendProblemOrPage(notFound);
      const safeName = found.filename.replace(/[^\w.\- ]+/g, '_').slice(0, 100) || 'attachment';
      return reply
        .header('content-type', 'application/octet-stream')
        .header(
          'content-disposition',
          `attachment; filename="${safeName}"; filename*=UTF-8''${encodeURIComponent(found.filename.slice(0, 200))}`,
        )
        .header('cache-control', 'no-store')
        .send(found.content);
    },
  );

  app.post('/staff/enquiries/:caseId/notes', { preHandler: requireStaff('enquiry.handle') }, async (request, reply) => {
    const note = formText(request.body, 'note', 6000);
    const result = await service.addNote(
      request.staff!.principal,
      actorOf(request),
      caseId(request),
      formText(request.body, 'seen', 40),
      note,
    );
    if (!result.ok) return renderCase(request, reply, result.errors, { note });
    return reply.redirect(`${casePath(caseId(request))}?done=note`, 303);
  });

  app.post(
    '/staff/enquiries/:caseId/status',
    { preHandler: requireStaff('enquiry.handle') },
    async (request, reply) => {
      const result = await service.setStatus(
        request.staff!.principal,
        actorOf(request),
        caseId(request),
        formText(request.body, 'seen', 40),
        formText(request.body, 'status', 20),
      );
      if (!result.ok) return renderCase(request, reply, result.errors);
      return reply.redirect(`${casePath(caseId(request))}?done=status`, 303);
    },
  );

  app.post(
    '/staff/enquiries/:caseId/assign',
    { preHandler: requireStaff('enquiry.handle') },
    async (request, reply) => {
      const result = await service.assign(
        request.staff!.principal,
        actorOf(request),
        caseId(request),
        formText(request.body, 'seen', 40),
        formText(request.body, 'assignee', 40),
      );
      if (!result.ok) return renderCase(request, reply, result.errors);
      return reply.redirect(`${casePath(caseId(request))}?done=assigned`, 303);
    },
  );
}
