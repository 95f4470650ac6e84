// The data protection officer's pages for breach notification campaigns, under the incident:
// the list, a draft and its checks, previews (the sample person or a real one, audited), a test send,
// approval by a second DPO, queueing, pausing, the progress of a send, the people whose message
// needs a decision ("unknown" after a crash, permanent failures) and the print files of letters.
// Every page needs breach.manage in the sending council; a campaign of another council is not found.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { findOrganisationById } from '../../platform/accounts/accounts.repository.ts';
import { actorOf, requireStaff } from '../../platform/auth/staff-guard.ts';
import type { StaffNavigation } from '../../platform/auth/staff-navigation.ts';
import type { Database } from '../../platform/db/database.ts';
import { HttpProblem } from '../../platform/http/errors.ts';
import { formList, formText } from '../../platform/http/form-fields.ts';
import { isId } from '../../platform/ids.ts';
import { organisationsWhere } from '../../platform/policy/policy.ts';
import { findIncident, listIncidentsFor } from '../incidents/incidents.repository.ts';
import type { CampaignSenders } from './campaign-senders.ts';
import { ARTICLE_34_PARTS, LIMITS, PLACEHOLDERS, type TemplateCheck } from './campaign-template.ts';
import { CampaignRuleError, createCampaignsService, NOTIFY_LIMITS, type Campaign } from './campaigns.service.ts';

const BANNERS: Record<string, string> = {
  created: 'Campaign started from the breach record. Check every part of the message before asking for approval.',
  saved: 'Campaign saved. It needs approval by another data protection officer before it can be sent.',
  approved: 'Campaign approved. Queue it when you are ready to send.',
  queued: 'Campaign queued. Messages are being prepared and will be sent at the rate set.',
  paused: 'Sending paused. Nothing more is sent until you resume.',
  resumed: 'Sending resumed.',
  resent: 'The people you chose will be sent the message again.',
  marked: 'The people you chose are recorded as sent.',
};

const STATUS_TEXT: Record<Campaign['status'], { text: string; tagClass: string }> = {
  draft: { text: 'Draft', tagClass: 'govuk-tag--grey' },
  approved: { text: 'Approved', tagClass: 'govuk-tag--blue' },
  queueing: { text: 'Preparing', tagClass: 'govuk-tag--light-blue' },
  sending: { text: 'Sending', tagClass: 'govuk-tag--light-blue' },
  paused: { text: 'Paused', tagClass: 'govuk-tag--yellow' },
  done: { text: 'Finished', tagClass: 'govuk-tag--green' },
  cancelled: { text: 'Cancelled', tagClass: 'govuk-tag--red' },
};

const CHANNEL_NAMES = { email: 'Email', sms: 'Text message', letter: 'Letter', none: 'No way to reach them' } as const;

/** The checks in words for the page: each Article 34 part per channel, the problems and warnings. */
function checksView(checks: TemplateCheck) {
  const present = (channel: string, key: string) =>
    checks.article34.find((a) => a.channel === channel && a.part === key)?.present ?? false;
  return {
    parts: ARTICLE_34_PARTS.map((p) => ({
      text: p.text,
      email: present('email', p.key),
      sms: present('sms', p.key),
      letter: present('letter', p.key),
    })),
    problems: checks.problems,
    warnings: checks.warnings,
    sms: checks.sms,
    passes: checks.problems.length === 0,
  };
}

export async function campaignsRoutes(
  app: FastifyInstance,
  opts: { database: Database; navigation: StaffNavigation; senders: CampaignSenders },
): Promise<void> {
  const db = opts.database.db;
  const viaNotify = opts.senders.email?.provider === 'notify';
  const service = createCampaignsService(db, { viaNotify });
  opts.navigation.add({ href: '/staff/campaigns', text: 'Breach notices', action: 'breach.manage' });
  const manage = { preHandler: requireStaff('breach.manage') };
  const params = (request: FastifyRequest) => request.params as { incidentId: string; campaignId: string };
  const campaignUrl = (c: { incidentId: string; id: string }, rest = '') =>
    `/staff/incidents/${c.incidentId}/campaigns/${c.id}${rest}`;

  /** The campaign named by the URL, in the incident the URL names. */
  const loadFrom = async (request: FastifyRequest) => {
    const { incidentId, campaignId } = params(request);
    const found = await service.load(request.staff!.principal, campaignId);
    if (found.campaign.incidentId !== incidentId) throw new HttpProblem(404, 'Page not found');
    return found;
  };
  const banner = (request: FastifyRequest) => {
    const done = (request.query as Record<string, unknown>)['done'];
    return typeof done === 'string' && Object.hasOwn(BANNERS, done) ? BANNERS[done] : undefined;
  };
  const versionFrom = (request: FastifyRequest) => {
    const value = formText(request.body, 'version', 12);
    return /^\d{1,9}$/.test(value) ? Number(value) : 0;
  };

  // Every campaign of the DPO's councils, and the incidents a campaign can be started for.
  app.get('/staff/campaigns', manage, async (request, reply) => {
    const principal = request.staff!.principal;
    const campaigns = await service.list(principal);
    const incidents = await listIncidentsFor(db, organisationsWhere(principal, 'breach.manage'));
    const byId = new Map(incidents.map((i) => [i.id, i]));
    return reply.render('notification-campaigns/views/staff-campaigns.njk', {
      pageTitle: 'Breach notices to people affected',
      campaigns: campaigns.map((c) => ({ ...c, incident: byId.get(c.incidentId), status: STATUS_TEXT[c.status] })),
      incidents,
    });
  });

  const incidentScope = async (request: FastifyRequest) => {
    const { incidentId } = params(request);
    const principal = request.staff!.principal;
    const incident = isId(incidentId) ? await findIncident(db, incidentId) : undefined;
    const councilIds = organisationsWhere(principal, 'breach.manage');
    const visible = incident ? await listIncidentsFor(db, councilIds) : [];
    if (!incident || !visible.some((i) => i.id === incident.id)) throw new HttpProblem(404, 'Page not found');
    const councils = [];
    for (const id of councilIds) {
      const council = await findOrganisationById(db, id);
      if (council?.kind === 'council') councils.push(council);
    }
    return { incident, councils };
  };

  app.get('/staff/incidents/:incidentId/campaigns', manage, async (request, reply) => {
    const { incident, councils } = await incidentScope(request);
    const campaigns = (await service.list(request.staff!.principal)).filter((c) => c.incidentId === incident.id);
    return reply.render('notification-campaigns/views/staff-incident-campaigns.njk', {
      pageTitle: `Breach notices: ${incident.reference}`,
      incident,
      councils,
      campaigns: campaigns.map((c) => ({ ...c, status: STATUS_TEXT[c.status] })),
    });
  });

  app.post('/staff/incidents/:incidentId/campaigns', manage, async (request, reply) => {
    const { incident, councils } = await incidentScope(request);
    const councilId = formText(request.body, 'councilId', 100);
    const title = formText(request.body, 'title', LIMITS.title + 100);
    const council = councils.find((c) => c.id === councilId) ?? (councils.length === 1 ? councils[0] : undefined);
    if (!council) {
      const campaigns = (await service.list(request.staff!.principal)).filter((c) => c.incidentId === incident.id);
      return reply.code(400).render('notification-campaigns/views/staff-incident-campaigns.njk', {
        pageTitle: `Breach notices: ${incident.reference}`,
        incident,
        councils,
        campaigns: campaigns.map((c) => ({ ...c, status: STATUS_TEXT[c.status] })),
        errors: [{ text: 'Select the council that sends the notice', href: '#councilId' }],
      });
    }
    const id = await service.create(request.staff!.principal, actorOf(request), incident.id, council.id, title);
    return reply.redirect(`/staff/incidents/${incident.id}/campaigns/${id}?done=created`, 303);
  });

  const approvalView = (campaign: Campaign, userId: string, passes: boolean) => {
    if (campaign.status !== 'draft') return { allowed: false, reason: undefined };
    if (campaign.createdByUserId === userId) {
      return {
        allowed: false,
        reason:
          'You started this campaign, so another data protection officer of the council must approve it: a second pair of eyes on every message sent in the council’s name.',
      };
    }
    if (!passes) return { allowed: false, reason: 'The message does not pass its checks yet: see the problems below.' };
    return { allowed: true, reason: undefined };
  };

  app.get('/staff/incidents/:incidentId/campaigns/:campaignId', manage, async (request, reply) => {
    const { campaign, council } = await loadFrom(request);
    const principal = request.staff!.principal;
    const progress = (await service.progress(campaign.id))!;
    const checks = checksView(service.checksFor(campaign, council));
    const after = (request.query as { 'failed-after'?: unknown } | undefined)?.['failed-after'];
    const failedAfter = typeof after === 'string' && isId(after) ? after : undefined;
    const review =
      campaign.status === 'draft' || campaign.status === 'approved'
        ? { unknown: [], moreUnknown: false, failed: [], moreFailed: false }
        : await service.peopleToReview(principal, actorOf(request), campaign.id, {
            failedAfter,
          });
    const channels = (['email', 'sms', 'letter', 'none'] as const).map((ch) => ({
      name: CHANNEL_NAMES[ch],
      counts: progress.counts.byChannel[ch],
    }));
    return reply.render('notification-campaigns/views/staff-campaign.njk', {
      pageTitle: campaign.title,
      campaign,
      council,
      status: STATUS_TEXT[campaign.status],
      checks,
      approval: approvalView(campaign, principal.userId, checks.passes),
      progress,
      channels,
      review,
      failedAfter,
      batches: await service.letterBatches(principal, campaign.id),
      viaNotify,
      notifyLimits: NOTIFY_LIMITS,
      banner: banner(request),
      url: campaignUrl(campaign),
    });
  });

  const renderForm = (
    reply: FastifyReply,
    campaign: Campaign,
    councilChecks: TemplateCheck,
    values: Record<string, unknown>,
    errors: Array<{ text: string; href: string }> = [],
  ) =>
    reply.code(errors.length ? 400 : 200).render('notification-campaigns/views/staff-campaign-form.njk', {
      pageTitle: 'Change the message',
      campaign,
      values,
      errors,
      checks: checksView(councilChecks),
      placeholders: Object.entries(PLACEHOLDERS).map(([name, text]) => ({ name, text })),
      maxRate: viaNotify ? NOTIFY_LIMITS.perMinute : 100_000,
      url: campaignUrl(campaign),
    });

  app.get('/staff/incidents/:incidentId/campaigns/:campaignId/edit', manage, async (request, reply) => {
    const { campaign, council } = await loadFrom(request);
    if (campaign.status !== 'draft' && campaign.status !== 'approved')
      return reply.redirect(campaignUrl(campaign), 303);
    return renderForm(reply, campaign, service.checksFor(campaign, council), { ...campaign });
  });

  app.post('/staff/incidents/:incidentId/campaigns/:campaignId/edit', manage, async (request, reply) => {
    const { campaign, council } = await loadFrom(request);
    const text = (name: string, max: number) => formText(request.body, name, max).replace(/\r\n/g, '\n');
    const rateText = text('ratePerMinute', 20).replace(/[,\s]/g, '');
    const values = {
      title: text('title', LIMITS.title + 100),
      emailSubject: text('emailSubject', LIMITS.subject + 100),
      emailBody: text('emailBody', LIMITS.body + 1000),
      smsBody: text('smsBody', LIMITS.body),
      letterBody: text('letterBody', LIMITS.body + 1000),
      ratePerMinute: /^\d{1,9}$/.test(rateText) ? Number(rateText) : -1,
    };
    const result = await service.update(
      request.staff!.principal,
      actorOf(request),
      campaign.id,
      versionFrom(request),
      values,
    );
    if (result.ok) return reply.redirect(campaignUrl(campaign, '?done=saved'), 303);
    return renderForm(reply, campaign, service.checksFor(values, council), { ...values, ratePerMinute: rateText }, [
      ...result.errors,
    ]);
  });

  // Previews: the sample person by default; a real person (by id, from the review lists) is audited.
  app.get('/staff/incidents/:incidentId/campaigns/:campaignId/preview', manage, async (request, reply) => {
    const { campaign } = await loadFrom(request);
    const person = (request.query as Record<string, unknown>)['person'];
    const found = await service.preview(
      request.staff!.principal,
      actorOf(request),
      campaign.id,
      typeof person === 'string' && person !== '' ? person.slice(0, 100) : undefined,
    );
    return reply.render('notification-campaigns/views/staff-campaign-preview.njk', {
      pageTitle: 'Preview the message',
      ...found,
      url: campaignUrl(campaign),
      smsAvailable: opts.senders.sms !== undefined,
      emailAvailable: opts.senders.email !== undefined,
      values: {},
    });
  });

  app.post('/staff/incidents/:incidentId/campaigns/:campaignId/test', manage, async (request, reply) => {
    const { campaign } = await loadFrom(request);
    const input = { channel: formText(request.body, 'testChannel', 10), to: formText(request.body, 'testTo', 320) };
    const result = await service.testSend(request.staff!.principal, actorOf(request), campaign.id, input, opts.senders);
    const found = await service.preview(request.staff!.principal, actorOf(request), campaign.id, undefined);
    return reply.code(result.ok ? 200 : 400).render('notification-campaigns/views/staff-campaign-preview.njk', {
      pageTitle: 'Preview the message',
      ...found,
      url: campaignUrl(campaign),
      smsAvailable: opts.senders.sms !== undefined,
      emailAvailable: opts.senders.email !== undefined,
      values: input,
      errors: result.ok ? [] : result.errors,
      testResult: result.ok
        ? {
            reference: result.reference,
            sent: result.outcome.kind === 'sent',
            error: result.outcome.kind === 'sent' ? undefined : result.outcome.error,
          }
        : undefined,
    });
  });

  // The actions on the campaign page. A rule broken (approving your own, queueing a draft) is a 409 page.
  const action = (path: string, run: (request: FastifyRequest, campaign: Campaign) => Promise<string>) =>
    app.post(`/staff/incidents/:incidentId/campaigns/:campaignId/${path}`, manage, async (request, reply) => {
      const { campaign } = await loadFrom(request);
      const done = await run(request, campaign);
      return reply.redirect(campaignUrl(campaign, `?done=${done}`), 303);
    });
  action('approve', async (request, campaign) => {
    await service.approve(request.staff!.principal, actorOf(request), campaign.id, versionFrom(request));
    return 'approved';
  });
  action('queue', async (request, campaign) => {
    await service.queue(request.staff!.principal, actorOf(request), campaign.id);
    return 'queued';
  });
  action('pause', async (request, campaign) => {
    await service.pause(request.staff!.principal, actorOf(request), campaign.id, false);
    return 'paused';
  });
  action('resume', async (request, campaign) => {
    await service.pause(request.staff!.principal, actorOf(request), campaign.id, true);
    return 'resumed';
  });
  action('unknown', async (request, campaign) => {
    const decision = formText(request.body, 'decision', 10);
    const people = formList(request.body, 'people').slice(0, 1000);
    if (decision !== 'resend' && decision !== 'sent')
      throw new CampaignRuleError('Choose to send again or to record as sent.');
    if (people.length === 0) throw new CampaignRuleError('Select at least one person.');
    await service.decideUnknown(request.staff!.principal, actorOf(request), campaign.id, people, decision);
    return decision === 'resend' ? 'resent' : 'marked';
  });

  app.get('/staff/incidents/:incidentId/campaigns/:campaignId/letters/:batchId', manage, async (request, reply) => {
    const { campaign } = await loadFrom(request);
    const batchId = (request.params as { batchId: string }).batchId.replace(/\.pdf$/, '');
    const { pdf, fileName } = await service.letterBatchPdf(
      request.staff!.principal,
      actorOf(request),
      campaign.id,
      batchId,
    );
    return reply
      .type('application/pdf')
      .header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="${fileName}"`)
      .send(pdf);
  });
}
