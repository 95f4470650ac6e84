// The analyst console's reads and actions on campaigns and reports. Reports hold residents'
// addresses, so only staff of the report's council with report.read see them (no incident share
// reaches them: a report belongs to a council, not to an incident); anyone else gets a 404, as for
// a report that does not exist. Every view of a report or campaign and every action is audited;
// every change is one transaction with its audit event.
import type { Kysely, Transaction } from 'kysely';
import { findOrganisationById, type Organisation } from '../../platform/accounts/accounts.repository.ts';
import { recordAudit, type AuditActor } from '../../platform/audit/audit.service.ts';
import type { DB } from '../../platform/db/schema.ts';
import { HttpProblem } from '../../platform/http/errors.ts';
import { isId, newId, nowIso } from '../../platform/ids.ts';
import { can, organisationsWhere, type Action, type Principal } from '../../platform/policy/policy.ts';
import { mergeIndicators, parseIndicators } from './report-indicators.ts';
import { campaignTitle, recountCampaign, type OnOutcome } from './report-grouping.ts';
import * as repo from './report-campaigns.repository.ts';

export const ANALYST_VERDICTS: Record<repo.AnalystVerdict, string> = {
  scam: 'Scam',
  'not-scam': 'Not a scam',
  genuine: 'Genuine council message',
  undetermined: 'Undetermined',
};

export const NOTE_MAX = 5000;
const notFound = () => new HttpProblem(404, 'Page not found');

export interface FieldError {
  field: string;
  text: string;
}

export function createReportConsole(db: Kysely<DB>, options: { onOutcome?: OnOutcome | undefined } = {}) {
  const councils = new Map<string, Organisation>();
  async function council(id: string): Promise<Organisation> {
    let found = councils.get(id);
    if (!found) {
      found = await findOrganisationById(db, id);
      if (!found) throw notFound();
      councils.set(id, found);
    }
    return found;
  }

  const audit = (
    executor: Kysely<DB> | Transaction<DB>,
    actor: AuditActor,
    action: string,
    organisationId: string,
    target: { type: string; id: string },
    details: Record<string, unknown> = {},
  ) => recordAudit(executor, actor, { action, organisationId, targetType: target.type, targetId: target.id, details });

  async function loadCampaign(principal: Principal, campaignId: string, action: Action = 'report.read') {
    const campaign = isId(campaignId) ? await repo.findCampaign(db, campaignId) : undefined;
    if (!campaign || !can(principal, action, { organisationId: campaign.organisationId })) throw notFound();
    return campaign;
  }

  async function loadReport(principal: Principal, reportId: string, action: Action = 'report.read') {
    const report = isId(reportId) ? await repo.findReport(db, reportId) : undefined;
    if (!report || !can(principal, action, { organisationId: report.organisationId })) throw notFound();
    return report;
  }

  return {
    /** The campaign queue across the councils the person may read reports of. */
    async campaignQueue(
      principal: Principal,
      filter: { verdict?: repo.AnalystVerdict | 'none' | undefined; sort: repo.CampaignSort },
    ) {
      const ids = organisationsWhere(principal, 'report.read');
      const campaigns = await repo.listCampaigns(db, ids, { ...filter, limit: 200 });
      return Promise.all(campaigns.map(async (c) => ({ ...c, council: await council(c.organisationId) })));
    },

    async reportQueue(principal: Principal, filter: { status?: 'new' | 'triaged' | 'closed' | undefined }) {
      const ids = organisationsWhere(principal, 'report.read');
      const reports = await repo.listReports(db, ids, { ...filter, limit: 200 });
      return Promise.all(reports.map(async (r) => ({ ...r, council: await council(r.organisationId) })));
    },

    /** A campaign with its reports, indicators and representative message. Audited as a view. */
    async campaign(principal: Principal, actor: AuditActor, campaignId: string) {
      const campaign = await loadCampaign(principal, campaignId);
      const [reports, indicatorRows, byDay, representative] = await Promise.all([
        repo.listReports(db, [campaign.organisationId], { campaignId: campaign.id, limit: 500 }),
        repo.campaignIndicators(db, campaign.id),
        repo.campaignReportsByDay(db, campaign.id),
        campaign.representativeReportId ? repo.findReport(db, campaign.representativeReportId) : undefined,
      ]);
      await audit(
        db,
        actor,
        'report.campaign-viewed',
        campaign.organisationId,
        { type: 'report-campaign', id: campaign.id },
        {
          representativeReportId: representative?.id ?? null,
        },
      );
      return {
        campaign,
        council: await council(campaign.organisationId),
        reports,
        indicators: mergeIndicators(indicatorRows.map(parseIndicators)),
        byDay,
        representative,
        mayTriage: can(principal, 'report.triage', { organisationId: campaign.organisationId }),
        mayExport: can(principal, 'indicator.read', { organisationId: campaign.organisationId }),
        otherCampaigns: (await repo.listCampaigns(db, [campaign.organisationId], { sort: 'last-reported', limit: 100 }))
          .filter((c) => c.id !== campaign.id)
          .map((c) => ({ id: c.id, title: c.title })),
      };
    },

    /** A report, with what a person reported and the resident's address. Audited as a view. */
    async report(principal: Principal, actor: AuditActor, reportId: string) {
      const report = await loadReport(principal, reportId);
      await audit(db, actor, 'report.viewed', report.organisationId, { type: 'suspicious-report', id: report.id });
      const campaign = report.campaignId ? await repo.findCampaign(db, report.campaignId) : undefined;
      const others = await repo.listCampaigns(db, [report.organisationId], { sort: 'last-reported', limit: 100 });
      return {
        report,
        campaign,
        council: await council(report.organisationId),
        indicators: parseIndicators(report.indicators),
        mayTriage: can(principal, 'report.triage', { organisationId: report.organisationId }),
        otherCampaigns: others.filter((c) => c.id !== report.campaignId).map((c) => ({ id: c.id, title: c.title })),
      };
    },

    /** For exports: the campaign and its indicators, with indicator.read. Audited. */
    async campaignForExport(principal: Principal, actor: AuditActor, campaignId: string, format: string) {
      const campaign = await loadCampaign(principal, campaignId, 'indicator.read');
      const indicators = mergeIndicators((await repo.campaignIndicators(db, campaign.id)).map(parseIndicators));
      await audit(
        db,
        actor,
        'report.indicators-exported',
        campaign.organisationId,
        { type: 'report-campaign', id: campaign.id },
        { format },
      );
      return { campaign, council: await council(campaign.organisationId), indicators };
    },

    /**
     * The analyst's verdict and note for the whole campaign: every report in it is triaged, and the
     * reporters who asked to hear the outcome (and have not) are passed to onOutcome in the same
     * transaction.
     */
    async setVerdict(
      principal: Principal,
      actor: AuditActor,
      campaignId: string,
      input: { verdict: string; note: string; title: string },
    ): Promise<{ ok: true; told: string[] } | { ok: false; errors: FieldError[] }> {
      const campaign = await loadCampaign(principal, campaignId, 'report.triage');
      const errors: FieldError[] = [];
      if (!(input.verdict in ANALYST_VERDICTS)) errors.push({ field: 'verdict', text: 'Select a verdict' });
      if (input.note.length > NOTE_MAX)
        errors.push({ field: 'note', text: `Note must be ${NOTE_MAX} characters or fewer` });
      const title = input.title.replace(/\s+/g, ' ').trim();
      if (title.length > 120) errors.push({ field: 'title', text: 'Name must be 120 characters or fewer' });
      if (errors.length) return { ok: false, errors };
      const verdict = input.verdict as repo.AnalystVerdict;
      return db.transaction().execute(async (trx) => {
        const now = nowIso();
        await repo.setCampaignVerdict(trx, campaign.id, {
          verdict,
          note: input.note.trim(),
          byLabel: actor.label,
          now,
        });
        if (title && title !== campaign.title) await repo.setCampaignTitle(trx, campaign.id, title, now);
        const told = await repo.reportsAwaitingOutcome(trx, campaign.id);
        if (told.length && options.onOutcome) await options.onOutcome(trx, told, verdict);
        await audit(
          trx,
          actor,
          'report.campaign-verdict',
          campaign.organisationId,
          { type: 'report-campaign', id: campaign.id },
          {
            verdict,
            previous: campaign.analystVerdict,
            reports: campaign.reportCount,
            reportersTold: told.length,
          },
        );
        return { ok: true as const, told };
      });
    },

    /** Moves a report into another of the council's campaigns, or out into a campaign of its own. */
    async moveReport(
      principal: Principal,
      actor: AuditActor,
      reportId: string,
      target: string,
    ): Promise<{ ok: true; campaignId: string } | { ok: false; errors: FieldError[] }> {
      const report = await loadReport(principal, reportId, 'report.triage');
      const into = target === 'new' ? undefined : isId(target) ? await repo.findCampaign(db, target) : undefined;
      if (
        (target !== 'new' && (!into || into.organisationId !== report.organisationId)) ||
        into?.id === report.campaignId
      )
        return { ok: false, errors: [{ field: 'target', text: 'Select the campaign to move the report to' }] };
      return db.transaction().execute(async (trx) => {
        const now = nowIso();
        const from = report.campaignId;
        let campaignId = into?.id;
        if (!campaignId) {
          campaignId = newId();
          await repo.insertCampaign(trx, {
            id: campaignId,
            organisationId: report.organisationId,
            title: campaignTitle({
              subject: report.subject,
              bodyText: report.bodyText,
              kind: report.kind,
              claimedSender: report.claimedSender,
            }),
            suggestedVerdict: report.suggestedVerdict,
            reportedAt: report.createdAt,
            now,
          });
        }
        await repo.setReportCampaign(trx, report.id, campaignId, into?.analystVerdict ? 'triaged' : 'new', now);
        if (from) {
          // Keys only this report had follow it, so the next report like it joins it again.
          const remaining = new Set((await repo.campaignReportFacts(trx, from)).flatMap((r) => r.campaignKeys));
          const facts = await repo.campaignReportFacts(trx, campaignId);
          const mine = facts.find((f) => f.id === report.id)?.campaignKeys ?? [];
          await repo.repointKeys(
            trx,
            report.organisationId,
            mine.filter((k) => !remaining.has(k)),
            from,
            campaignId,
          );
          await repo.dropReportBands(trx, report.id);
          await recountCampaign(trx, from, now);
        }
        await recountCampaign(trx, campaignId, now);
        await audit(
          trx,
          actor,
          'report.moved',
          report.organisationId,
          { type: 'suspicious-report', id: report.id },
          {
            from,
            to: campaignId,
            newCampaign: !into,
          },
        );
        return { ok: true as const, campaignId };
      });
    },

    loadCampaign,
    loadReport,
  };
}

export type ReportConsole = ReturnType<typeof createReportConsole>;
