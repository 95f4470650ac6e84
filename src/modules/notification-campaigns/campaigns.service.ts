// Notification campaigns for the data protection officer (breach.manage): a campaign belongs to an
// incident and to the council that sends it. Its recipients are the people in that council's data
// for the incident; a person in several councils' data gets one message, from the campaign of the
// incident's lead council when it holds their data (else the first of their councils), naming every
// council. Nothing is sent before approval by a DPO of the sending council other than the author
// (the second pair of eyes public updates also require; a council with one DPO asks a neighbouring
// council's DPO to be given a role in it, or its deputy). An approved template is frozen: a change
// puts the campaign back to draft, needing approval again, and once queued it cannot change at all.
// Every change and every read of a real person's data (a preview, a print file) is audited.
import type { Kysely } from 'kysely';
import { findOrganisationById, type Organisation } from '../../platform/accounts/accounts.repository.ts';
import { recordAudit, type AuditActor } from '../../platform/audit/audit.service.ts';
import type { DB } from '../../platform/db/schema.ts';
import { HttpProblem } from '../../platform/http/errors.ts';
import { isId, newId, nowIso } from '../../platform/ids.ts';
import { enqueueJob } from '../../platform/jobs/job-queue.ts';
import { can, organisationsWhere, type Principal } from '../../platform/policy/policy.ts';
import { findRecordFor } from '../breaches/breaches.repository.ts';
import { findIncident } from '../incidents/incidents.repository.ts';
import { isEmailAddress } from '../../platform/mail/outbound-message.ts';
import { recordSentReference } from '../../platform/mail/sent-references.ts';
import { newVerificationReference } from '../../platform/mail/verification-reference.ts';
import { normaliseUkPhone } from '../enquiries/enquiry-form.ts';
import { CAMPAIGN_DISPATCH_JOB, CAMPAIGN_QUEUE_JOB, DEFAULT_MAX_ATTEMPTS } from './campaign-jobs.ts';
import { renderLetterBatchPdf } from './campaign-letters.ts';
import type { CampaignSenders, SendOutcome } from './campaign-senders.ts';
import { messageFor, personalisationFor } from './campaign-messages.ts';
import {
  checkTemplate,
  draftFromBreach,
  LIMITS,
  SAMPLE_PERSONALISATION,
  type CampaignTemplate,
  type TemplateCheck,
} from './campaign-template.ts';
import * as repo from './campaigns.repository.ts';

/** GOV.UK Notify's limits for a live service. */
export const NOTIFY_LIMITS = { perMinute: 3_000, emailsPerDay: 250_000, textsPerDay: 250_000, lettersPerDay: 20_000 };
/** A council's own relay can take more than Notify; this caps a typing slip. */
export const MAX_SMTP_RATE_PER_MINUTE = 100_000;

export interface Campaign extends CampaignTemplate {
  id: string;
  incidentId: string;
  organisationId: string;
  title: string;
  status: repo.CampaignRow['status'];
  version: number;
  ratePerMinute: number;
  createdByUserId: string | null;
  createdByLabel: string;
  approvedByLabel: string | null;
  approvedAt: string | null;
  peopleTotal: number;
}

const toCampaign = (r: repo.CampaignRow): Campaign => ({
  id: r.id,
  incidentId: r.incident_id,
  organisationId: r.organisation_id,
  title: r.title,
  status: r.status,
  version: r.version,
  emailSubject: r.email_subject,
  emailBody: r.email_body,
  smsBody: r.sms_body,
  letterBody: r.letter_body,
  ratePerMinute: r.rate_per_minute,
  createdByUserId: r.created_by_user_id,
  createdByLabel: r.created_by_label,
  approvedByLabel: r.approved_by_label,
  approvedAt: r.approved_at,
  peopleTotal: r.people_total,
});

export class CampaignRuleError extends HttpProblem {
  constructor(detail: string) {
    super(409, 'The campaign cannot do that now', detail);
    this.message = detail;
  }
}

const notFound = () => new HttpProblem(404, 'Page not found');

/** Time to finish, given the rate and Notify's daily limits (when Notify sends). */
export function estimateFinish(input: { emails: number; texts: number; ratePerMinute: number; viaNotify: boolean }): {
  minutes: number;
  days: number;
  text: string;
} {
  let emails = input.emails;
  let texts = input.texts;
  let minutes = 0;
  let days = 0;
  const perDay = input.ratePerMinute * 1440;
  while (emails + texts > 0 && days < 10_000) {
    const emailsToday = Math.min(emails, input.viaNotify ? NOTIFY_LIMITS.emailsPerDay : Infinity);
    const textsToday = Math.min(texts, input.viaNotify ? NOTIFY_LIMITS.textsPerDay : Infinity);
    const today = Math.min(emailsToday + textsToday, perDay);
    const shareEmail = emailsToday + textsToday === 0 ? 0 : emailsToday / (emailsToday + textsToday);
    emails -= Math.round(today * shareEmail);
    texts -= today - Math.round(today * shareEmail);
    emails = Math.max(0, emails);
    texts = Math.max(0, texts);
    if (emails + texts === 0) minutes += today / input.ratePerMinute;
    else {
      days += 1;
      minutes = 0;
    }
  }
  const m = Math.ceil(minutes);
  const time = m < 60 ? `${m} minute${m === 1 ? '' : 's'}` : `${Math.floor(m / 60)} hours ${m % 60} minutes`;
  const text =
    days === 0 ? `About ${time}` : `About ${days} day${days === 1 ? '' : 's'} and ${time} (Notify’s daily limits)`;
  return { minutes: m, days, text };
}

export function createCampaignsService(db: Kysely<DB>, options: { viaNotify?: boolean } = {}) {
  async function load(principal: Principal, campaignId: string) {
    const row = isId(campaignId) ? await repo.findCampaign(db, campaignId) : undefined;
    if (!row || !can(principal, 'breach.manage', { organisationId: row.organisation_id })) throw notFound();
    const council = (await findOrganisationById(db, row.organisation_id)) as Organisation;
    return { campaign: toCampaign(row), council };
  }

  const audit = (
    actor: AuditActor,
    campaign: Campaign,
    action: string,
    details: Record<string, unknown> = {},
    executor: Parameters<typeof recordAudit>[0] = db,
  ) =>
    recordAudit(executor, actor, {
      action,
      organisationId: campaign.organisationId,
      targetType: 'notification-campaign',
      targetId: campaign.id,
      details: { incidentId: campaign.incidentId, ...details },
    });

  const checksFor = (template: CampaignTemplate, council: Organisation): TemplateCheck =>
    checkTemplate(template, council.officialDomains);

  return {
    load,
    checksFor,

    async list(principal: Principal) {
      const ids = organisationsWhere(principal, 'breach.manage');
      return (await repo.listCampaigns(db, ids)).map(toCampaign);
    },

    /** Starts a draft for an incident, filled in from the council's breach record. */
    async create(principal: Principal, actor: AuditActor, incidentId: string, organisationId: string, title: string) {
      if (!can(principal, 'breach.manage', { organisationId })) throw notFound();
      const incident = isId(incidentId) ? await findIncident(db, incidentId) : undefined;
      const council = await findOrganisationById(db, organisationId);
      if (!incident || !council || council.kind !== 'council') throw notFound();
      const record = await findRecordFor(db, incident.id, organisationId);
      const template = draftFromBreach({
        councilName: council.name,
        description: record?.description ?? '',
        consequences: record?.consequences ?? '',
        measuresTaken: record?.measuresTaken ?? '',
        dpoName: record?.dpo.name ?? '',
        dpoEmail: record?.dpo.email ?? '',
        dpoPhone: record?.dpo.phone ?? '',
        websiteUrl: council.websiteUrl,
      });
      const now = nowIso();
      const id = newId();
      await db.transaction().execute(async (trx) => {
        await repo.insertCampaign(trx, {
          id,
          incident_id: incident.id,
          organisation_id: organisationId,
          title: title.trim().slice(0, LIMITS.title) || 'Notice to people affected',
          status: 'draft',
          version: 1,
          email_subject: template.emailSubject,
          email_body: template.emailBody,
          sms_body: template.smsBody,
          letter_body: template.letterBody,
          rate_per_minute: NOTIFY_LIMITS.perMinute,
          created_at: now,
          created_by_user_id: principal.userId,
          created_by_label: actor.label,
          updated_at: now,
          approved_at: null,
          approved_by_user_id: null,
          approved_by_label: null,
          queue_cursor: null,
          people_total: 0,
          queued_at: null,
          finished_at: null,
        });
        await recordAudit(trx, actor, {
          action: 'campaign.created',
          organisationId,
          targetType: 'notification-campaign',
          targetId: id,
          details: { incidentId: incident.id },
        });
      });
      return id;
    },

    /** A change to the text or rate. An approved campaign goes back to draft; a queued one cannot change. */
    async update(
      principal: Principal,
      actor: AuditActor,
      campaignId: string,
      seenVersion: number,
      input: CampaignTemplate & { title: string; ratePerMinute: number },
    ) {
      const { campaign } = await load(principal, campaignId);
      if (campaign.status !== 'draft' && campaign.status !== 'approved') {
        throw new CampaignRuleError('The campaign has been queued: its messages can no longer change.');
      }
      const maxRate = options.viaNotify === false ? MAX_SMTP_RATE_PER_MINUTE : NOTIFY_LIMITS.perMinute;
      if (!Number.isInteger(input.ratePerMinute) || input.ratePerMinute < 1 || input.ratePerMinute > maxRate) {
        return {
          ok: false as const,
          errors: [
            {
              text: `Enter a rate from 1 to ${maxRate.toLocaleString('en-GB')} messages a minute`,
              href: '#ratePerMinute',
            },
          ],
        };
      }
      const ok = await db.transaction().execute(async (trx) => {
        const changed = await repo.updateCampaign(trx, campaign.id, seenVersion, {
          title: input.title.trim().slice(0, LIMITS.title) || campaign.title,
          email_subject: input.emailSubject,
          email_body: input.emailBody,
          sms_body: input.smsBody,
          letter_body: input.letterBody,
          rate_per_minute: input.ratePerMinute,
          status: 'draft',
          approved_at: null,
          approved_by_user_id: null,
          approved_by_label: null,
          updated_at: nowIso(),
        });
        if (changed) {
          await recordAudit(trx, actor, {
            action: 'campaign.changed',
            organisationId: campaign.organisationId,
            targetType: 'notification-campaign',
            targetId: campaign.id,
            details: { approvalWithdrawn: campaign.status === 'approved' },
          });
        }
        return changed;
      });
      if (!ok)
        return {
          ok: false as const,
          errors: [{ text: 'Someone else changed the campaign. Check it and try again.', href: '#emailBody' }],
        };
      return { ok: true as const };
    },

    /** Approval: a DPO of the sending council who did not write it, with every check passing. */
    async approve(principal: Principal, actor: AuditActor, campaignId: string, seenVersion: number) {
      const { campaign, council } = await load(principal, campaignId);
      if (campaign.status !== 'draft') throw new CampaignRuleError('Only a draft can be approved.');
      if (campaign.createdByUserId === principal.userId) {
        throw new CampaignRuleError('Another data protection officer must approve a campaign you started.');
      }
      const checks = checksFor(campaign, council);
      if (checks.problems.length > 0) {
        throw new CampaignRuleError(
          `The campaign does not pass its checks: ${checks.problems.map((p) => p.text).join('; ')}`,
        );
      }
      await db.transaction().execute(async (trx) => {
        const changed = await repo.updateCampaign(trx, campaign.id, seenVersion, {
          status: 'approved',
          approved_at: nowIso(),
          approved_by_user_id: principal.userId,
          approved_by_label: actor.label,
        });
        if (!changed) throw new CampaignRuleError('Someone changed the campaign while you read it. Read it again.');
        await recordAudit(trx, actor, {
          action: 'campaign.approved',
          organisationId: campaign.organisationId,
          targetType: 'notification-campaign',
          targetId: campaign.id,
          details: { version: seenVersion },
        });
      });
    },

    /** Queues an approved campaign: recipients are made by a job, then sending starts. */
    async queue(principal: Principal, actor: AuditActor, campaignId: string) {
      const { campaign } = await load(principal, campaignId);
      if (campaign.status !== 'approved') throw new CampaignRuleError('Only an approved campaign can be queued.');
      await db.transaction().execute(async (trx) => {
        await repo.setCampaignStatus(trx, campaign.id, 'queueing');
        await enqueueJob(trx, {
          kind: CAMPAIGN_QUEUE_JOB,
          payload: { campaignId: campaign.id },
          idempotencyKey: `${CAMPAIGN_QUEUE_JOB}:${campaign.id}`,
          organisationId: campaign.organisationId,
          maxAttempts: 100,
        });
        await recordAudit(trx, actor, {
          action: 'campaign.queued',
          organisationId: campaign.organisationId,
          targetType: 'notification-campaign',
          targetId: campaign.id,
        });
      });
    },

    async pause(principal: Principal, actor: AuditActor, campaignId: string, resume: boolean) {
      const { campaign } = await load(principal, campaignId);
      const [from, to] = resume ? (['paused', 'sending'] as const) : (['sending', 'paused'] as const);
      if (campaign.status !== from)
        throw new CampaignRuleError(`Only a campaign that is ${from} can be ${resume ? 'resumed' : 'paused'}.`);
      await db.transaction().execute(async (trx) => {
        await repo.setCampaignStatus(trx, campaign.id, to);
        if (resume) {
          await enqueueJob(trx, {
            kind: 'campaign.dispatch',
            payload: { campaignId: campaign.id },
            idempotencyKey: `campaign.dispatch:${campaign.id}:resume:${campaign.version}`,
            organisationId: campaign.organisationId,
            maxAttempts: 100,
          });
        }
        await recordAudit(trx, actor, {
          action: resume ? 'campaign.resumed' : 'campaign.paused',
          organisationId: campaign.organisationId,
          targetType: 'notification-campaign',
          targetId: campaign.id,
        });
      });
    },

    /** The message as one real person would get it (audited), or as the sample person. */
    async preview(principal: Principal, actor: AuditActor, campaignId: string, personId: string | undefined) {
      const { campaign, council } = await load(principal, campaignId);
      if (personId === undefined) {
        return {
          campaign,
          person: undefined,
          email: messageFor(campaign, 'email', SAMPLE_PERSONALISATION),
          sms: messageFor(campaign, 'sms', SAMPLE_PERSONALISATION),
          letter: messageFor(campaign, 'letter', SAMPLE_PERSONALISATION),
        };
      }
      const people = isId(personId) ? await repo.peopleForMessages(db, [personId]) : new Map();
      const person = people.get(personId);
      // Only a person in this council's data for this incident.
      if (
        !person ||
        !person.councils.some((c: { organisationId: string }) => c.organisationId === campaign.organisationId)
      )
        throw notFound();
      const incidentOf = await db
        .selectFrom('affected_people')
        .select('incident_id')
        .where('id', '=', personId)
        .executeTakeFirst();
      if (incidentOf?.incident_id !== campaign.incidentId) throw notFound();
      const names = new Map<string, string>();
      for (const c of person.councils)
        names.set(c.organisationId, (await findOrganisationById(db, c.organisationId))?.name ?? '');
      const row = await repo.findRecipient(db, campaign.id, personId);
      const values = personalisationFor(person, row?.reference ?? 'WR-PREVIEW0', council.id, names);
      await audit(actor, campaign, 'campaign.previewed-for-person', { personId });
      return {
        campaign,
        person,
        email: messageFor(campaign, 'email', values),
        sms: messageFor(campaign, 'sms', values),
        letter: messageFor(campaign, 'letter', values),
      };
    },

    /**
     * The people the DPO must decide about: "unknown" (a run stopped mid-send), the first `limit`
     * (deciding about them brings the next), and permanent failures, `limit` at a time after the
     * person `failedAfter`; each list says whether more follow.
     */
    async peopleToReview(
      principal: Principal,
      actor: AuditActor,
      campaignId: string,
      options: { failedAfter?: string; limit?: number } = {},
    ) {
      const { campaign } = await load(principal, campaignId);
      const limit = options.limit ?? 200;
      const unknown = await repo.listRecipients(db, campaign.id, ['unknown'], limit + 1);
      const failed = await repo.listRecipients(db, campaign.id, ['permanent-failure'], limit + 1, options.failedAfter);
      const shown = [...unknown.slice(0, limit), ...failed.slice(0, limit)];
      const people = await repo.peopleForMessages(
        db,
        shown.map((r) => r.personId),
      );
      const named = (rows: typeof unknown) =>
        rows.slice(0, limit).map((r) => ({ ...r, name: people.get(r.personId)?.fullName ?? '' }));
      if (shown.length > 0) await audit(actor, campaign, 'campaign.review-list-read', { people: shown.length });
      return {
        unknown: named(unknown),
        moreUnknown: unknown.length > limit,
        failed: named(failed),
        moreFailed: failed.length > limit,
      };
    },

    /**
     * The DPO's decision about people whose message may or may not have gone ("unknown"): send it
     * again (the only way anyone is sent a campaign twice, so one audit entry per person), or record
     * it as sent. Only rows still "unknown" change.
     */
    async decideUnknown(
      principal: Principal,
      actor: AuditActor,
      campaignId: string,
      personIds: string[],
      decision: 'resend' | 'sent',
    ) {
      const { campaign } = await load(principal, campaignId);
      const ids = [...new Set(personIds.filter(isId))].slice(0, 1000);
      if (ids.length === 0) return 0;
      return db.transaction().execute(async (trx) => {
        const now = nowIso();
        const changed: string[] = [];
        for (const personId of ids) {
          const moved = await repo.moveRecipients(
            trx,
            campaign.id,
            [personId],
            ['unknown'],
            decision === 'resend'
              ? { status: 'queued', lastError: null }
              : { status: 'sent', lastError: `Recorded as sent by ${actor.label} (the outcome was unknown)` },
            now,
          );
          if (moved === 0) continue;
          changed.push(personId);
          await audit(
            actor,
            campaign,
            decision === 'resend' ? 'campaign.resend-unknown' : 'campaign.unknown-marked-sent',
            { personId },
            trx,
          );
        }
        // A finished campaign starts sending again for the people queued once more.
        if (decision === 'resend' && changed.length > 0 && campaign.status === 'done') {
          await repo.setCampaignStatus(trx, campaign.id, 'sending', { finished_at: null });
        }
        if (
          decision === 'resend' &&
          changed.length > 0 &&
          (campaign.status === 'done' || campaign.status === 'sending')
        ) {
          await enqueueJob(trx, {
            kind: CAMPAIGN_DISPATCH_JOB,
            payload: { campaignId: campaign.id },
            idempotencyKey: `${CAMPAIGN_DISPATCH_JOB}:${campaign.id}:resend:${now}:${changed[0]}`,
            organisationId: campaign.organisationId,
            maxAttempts: 100,
          });
        }
        return changed.length;
      });
    },

    /**
     * A test message to an address or number the staff member gives: the sample person's message,
     * marked as a test, with its own verification reference (which the public check confirms), never
     * part of the campaign's counts.
     */
    async testSend(
      principal: Principal,
      actor: AuditActor,
      campaignId: string,
      input: { channel: string; to: string },
      senders: CampaignSenders,
    ): Promise<
      | { ok: true; reference: string; outcome: SendOutcome }
      | { ok: false; errors: Array<{ text: string; href: string }> }
    > {
      const { campaign } = await load(principal, campaignId);
      if (input.channel !== 'email' && input.channel !== 'sms') {
        return { ok: false, errors: [{ text: 'Select email or text message', href: '#testChannel' }] };
      }
      const sender = senders[input.channel];
      if (!sender) {
        return {
          ok: false,
          errors: [
            {
              text:
                input.channel === 'sms'
                  ? 'Text messages cannot be sent: GOV.UK Notify is not set up for them'
                  : 'Email cannot be sent: no mail server or GOV.UK Notify is set up',
              href: '#testChannel',
            },
          ],
        };
      }
      const to = input.channel === 'email' ? input.to.trim() : normaliseUkPhone(input.to);
      if (!to || (input.channel === 'email' && !isEmailAddress(to))) {
        return {
          ok: false,
          errors: [
            {
              text:
                input.channel === 'email'
                  ? 'Enter an email address in the correct format, like name@example.gov.uk'
                  : 'Enter a UK mobile number, like 07700 900 982',
              href: '#testTo',
            },
          ],
        };
      }
      const reference = newVerificationReference();
      const message = messageFor(campaign, input.channel, { ...SAMPLE_PERSONALISATION, reference });
      const marked =
        input.channel === 'email'
          ? {
              subject: `[TEST] ${message.subject}`,
              text: `This is a test of a breach notice. It was sent to you by ${actor.label}; it is not part of the campaign.\n\n${message.body}`,
            }
          : { subject: '', text: `TEST: ${message.body}` };
      await db.transaction().execute(async (trx) => {
        await recordSentReference(trx, {
          reference,
          organisationId: campaign.organisationId,
          channel: input.channel as 'email' | 'sms',
        });
        await audit(actor, campaign, 'campaign.test-sent', { channel: input.channel, reference }, trx);
      });
      const outcome = await sender.send(
        { to, subject: marked.subject, text: marked.text, reference },
        async () => undefined,
      );
      return { ok: true, reference, outcome };
    },

    async letterBatches(principal: Principal, campaignId: string) {
      const { campaign } = await load(principal, campaignId);
      return repo.listLetterBatches(db, campaign.id);
    },

    /** A print file of letters, as a PDF (audited: it holds names and addresses). */
    async letterBatchPdf(principal: Principal, actor: AuditActor, campaignId: string, batchId: string) {
      const { campaign, council } = await load(principal, campaignId);
      const batch = isId(batchId) ? await repo.findLetterBatch(db, campaign.id, batchId) : undefined;
      if (!batch) throw notFound();
      const rows = await repo.letterBatchPeople(db, batch.id);
      const people = await repo.peopleForMessages(
        db,
        rows.map((r) => r.personId),
      );
      const names = new Map<string, string>();
      for (const p of people.values())
        for (const c of p.councils)
          if (!names.has(c.organisationId))
            names.set(c.organisationId, (await findOrganisationById(db, c.organisationId))?.name ?? '');
      const letters = rows.flatMap((r) => {
        const person = people.get(r.personId);
        if (!person) return [];
        const values = personalisationFor(person, r.reference, campaign.organisationId, names);
        return [
          {
            name: person.fullName,
            addressLines: person.addressLines,
            postcode: person.postcode,
            reference: r.reference,
            body: messageFor(campaign, 'letter', values).body,
          },
        ];
      });
      const pdf = await renderLetterBatchPdf({
        councilName: council.name,
        councilWebsite: council.websiteUrl,
        date: new Date().toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric' }),
        title: `${campaign.title}: print file ${batch.number}`,
        letters,
      });
      await repo.markBatchDownloaded(db, batch.id, nowIso());
      await audit(actor, campaign, 'campaign.letters-downloaded', { batch: batch.number, letters: letters.length });
      return { pdf, fileName: `letters-${batch.number}-${campaign.id.slice(0, 8)}.pdf` };
    },

    /** Progress and the estimate to finish, for the page and the CLI. */
    async progress(campaignId: string) {
      const row = await repo.findCampaign(db, campaignId);
      if (!row) return undefined;
      const counts = await repo.countByStatus(db, campaignId);
      const total =
        row.status === 'queueing' || row.status === 'draft' || row.status === 'approved'
          ? await repo.countPeople(db, row.incident_id, row.organisation_id)
          : counts.all.total;
      const waiting = (c: repo.StatusCounts) => c.queued + c['temporary-failure'] + c.sending;
      const finished = counts.all.total - waiting(counts.all);
      const estimate = estimateFinish({
        emails: waiting(counts.byChannel.email),
        texts: waiting(counts.byChannel.sms),
        ratePerMinute: row.rate_per_minute,
        viaNotify: options.viaNotify !== false,
      });
      return {
        campaign: toCampaign(row),
        counts,
        total,
        finished,
        percent: total === 0 ? 0 : Math.floor((finished * 100) / total),
        estimate,
        maxAttempts: DEFAULT_MAX_ATTEMPTS,
      };
    },
  };
}

export type CampaignsService = ReturnType<typeof createCampaignsService>;
