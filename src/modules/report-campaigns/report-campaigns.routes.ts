// The analyst console under /staff/reports: the queue by campaign and by report, a campaign's page
// (reports over time, indicators, the representative message as defanged text with its headers,
// the verdict), a report's page (moving it between campaigns, sending it to the NCSC), indicator
// exports (STIX 2.1 and CSV) and the scam warning form.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { actorOf, requireStaff } from '../../platform/auth/staff-guard.ts';
import type { StaffNavigation } from '../../platform/auth/staff-navigation.ts';
import type { Database } from '../../platform/db/database.ts';
import { formText } from '../../platform/http/form-fields.ts';
import { listIncidentsFor } from '../incidents/incidents.repository.ts';
import type { AnalystVerdict, CampaignSort } from './report-campaigns.repository.ts';
import { reportDays, reportsChartSvg } from './report-chart.ts';
import { ANALYST_VERDICTS, createReportConsole, NOTE_MAX, type FieldError } from './report-console.service.ts';
import { indicatorsCsv, stixBundle, type ExportCampaign, type Tlp } from './report-exports.ts';
import type { OnOutcome } from './report-grouping.ts';
import { defangIndicator, defangText, messageHeaders } from './report-message-view.ts';
import { requestNcscForward } from './ncsc-forwarding.ts';
import { draftScamWarning, InvalidScamWarningError } from '../scam-warnings/scam-warnings.service.ts';
import { checkWarning, prefillWarning, WARNING_LIMITS, type WarningInput } from './scam-warning-form.ts';

const SUGGESTED: Record<string, string> = {
  'likely-scam': 'Likely scam',
  suspicious: 'Suspicious',
  'likely-genuine': 'Likely genuine',
  'cannot-tell': 'Cannot tell',
};

const BANNERS: Record<string, string> = {
  verdict: 'Verdict saved for every report in the campaign.',
  moved: 'Report moved.',
  ncsc: 'The message is on its way to the NCSC.',
  'ncsc-already': 'This report has already been sent to the NCSC.',
  warning: 'Scam warning drafted. It goes on the public page once it is signed off.',
};

export interface ReportCampaignRoutesOptions {
  database: Database;
  navigation: StaffNavigation;
  /** Tells reporters who asked for it the outcome (the reporting module's queueReportOutcome). */
  onOutcome?: OnOutcome | undefined;
  /** Whether "Send to the NCSC" can send (it needs SMTP). */
  ncscAvailable?: boolean;
  /** The TLP marking of exported indicators. */
  tlp?: Tlp;
}

const errorList = (errors: FieldError[]) => errors.map((e) => ({ text: e.text, href: `#${e.field}` }));
const fieldErrors = (errors: FieldError[]) => Object.fromEntries(errors.map((e) => [e.field, { text: e.text }]));

export async function reportCampaignsRoutes(app: FastifyInstance, opts: ReportCampaignRoutesOptions): Promise<void> {
  const db = opts.database.db;
  const analyst = createReportConsole(db, { onOutcome: opts.onOutcome });
  const tlp = opts.tlp ?? 'amber';
  opts.navigation.add({ href: '/staff/reports', text: 'Reported messages', action: 'report.read' });
  const read = { preHandler: requireStaff('report.read') };
  const triage = { preHandler: requireStaff('report.triage') };
  const exportable = { preHandler: requireStaff('indicator.read') };
  const param = (request: FastifyRequest, name: string) => (request.params as Record<string, string>)[name] ?? '';
  const query = (request: FastifyRequest, name: string) => {
    const value = (request.query as Record<string, unknown>)[name];
    return typeof value === 'string' ? value.slice(0, 100) : '';
  };
  const banner = (request: FastifyRequest) => BANNERS[query(request, 'done')];

  app.get('/staff/reports', read, async (request, reply) => {
    const verdictFilter = query(request, 'verdict');
    const verdict =
      verdictFilter === 'none' || verdictFilter in ANALYST_VERDICTS
        ? (verdictFilter as AnalystVerdict | 'none')
        : undefined;
    const sortQuery = query(request, 'sort');
    const sort: CampaignSort = sortQuery === 'reports' || sortQuery === 'first-reported' ? sortQuery : 'last-reported';
    const campaigns = await analyst.campaignQueue(request.staff!.principal, { verdict, sort });
    return reply.render('report-campaigns/views/staff-campaigns.njk', {
      pageTitle: 'Reported messages',
      campaigns: campaigns.map((c) => ({
        ...c,
        suggestedText: SUGGESTED[c.suggestedVerdict],
        verdictText: c.analystVerdict ? ANALYST_VERDICTS[c.analystVerdict] : 'Not decided',
      })),
      verdict: verdict ?? '',
      sort,
      verdicts: Object.entries(ANALYST_VERDICTS).map(([value, text]) => ({ value, text })),
    });
  });

  app.get('/staff/reports/all', read, async (request, reply) => {
    const statusQuery = query(request, 'status');
    const status =
      statusQuery === 'new' || statusQuery === 'triaged' || statusQuery === 'closed' ? statusQuery : undefined;
    const reports = await analyst.reportQueue(request.staff!.principal, { status });
    return reply.render('report-campaigns/views/staff-reports.njk', {
      pageTitle: 'Reported messages: every report',
      reports: reports.map((r) => ({ ...r, suggestedText: SUGGESTED[r.suggestedVerdict] })),
      status: status ?? '',
    });
  });

  const renderCampaign = async (
    request: FastifyRequest,
    reply: FastifyReply,
    form: { verdict: string; note: string; title: string } | undefined,
    errors: FieldError[] = [],
  ) => {
    const data = await analyst.campaign(request.staff!.principal, actorOf(request), param(request, 'campaignId'));
    const days = reportDays(data.byDay, data.campaign.firstReportedAt, data.campaign.lastReportedAt);
    const representative = data.representative;
    return reply.code(errors.length ? 400 : 200).render('report-campaigns/views/staff-campaign.njk', {
      pageTitle: data.campaign.title,
      ...data,
      banner: banner(request),
      suggestedText: SUGGESTED[data.campaign.suggestedVerdict],
      verdictText: data.campaign.analystVerdict ? ANALYST_VERDICTS[data.campaign.analystVerdict] : 'Not decided',
      reports: data.reports.map((r) => ({ ...r, suggestedText: SUGGESTED[r.suggestedVerdict] })),
      days,
      chart: reportsChartSvg(days),
      indicatorLists: indicatorLists(data.indicators),
      message: representative
        ? {
            report: representative,
            text: defangText(representative.bodyText),
            headers: await messageHeaders(representative.originalMessage),
          }
        : undefined,
      values: form ?? {
        verdict: data.campaign.analystVerdict ?? '',
        note: data.campaign.analystNote,
        title: data.campaign.title,
      },
      verdictItems: Object.entries(ANALYST_VERDICTS).map(([value, text]) => ({ value, text })),
      errors: errorList(errors),
      fieldErrors: fieldErrors(errors),
      noteMax: NOTE_MAX,
      tlp: `TLP:${tlp.toUpperCase()}`,
    });
  };

  app.get('/staff/reports/campaigns/:campaignId', read, (request, reply) => renderCampaign(request, reply, undefined));

  app.post('/staff/reports/campaigns/:campaignId/verdict', triage, async (request, reply) => {
    const form = {
      verdict: formText(request.body, 'verdict', 40),
      note: formText(request.body, 'note', NOTE_MAX + 1000),
      title: formText(request.body, 'title', 400),
    };
    const campaignId = param(request, 'campaignId');
    const result = await analyst.setVerdict(request.staff!.principal, actorOf(request), campaignId, form);
    if (!result.ok) return renderCampaign(request, reply, form, result.errors);
    return reply.redirect(`/staff/reports/campaigns/${campaignId}?done=verdict`, 303);
  });

  /** A campaign's indicators for an export (the console audits the export), with the campaign as the exporters describe it. */
  const campaignExport = async (request: FastifyRequest, format: 'stix' | 'csv') => {
    const found = await analyst.campaignForExport(
      request.staff!.principal,
      actorOf(request),
      param(request, 'campaignId'),
      format,
    );
    const campaign: ExportCampaign = {
      id: found.campaign.id,
      title: found.campaign.title,
      firstReportedAt: found.campaign.firstReportedAt,
      council: { id: found.council.id, name: found.council.name },
      verdict: found.campaign.analystVerdict,
    };
    return { campaign, indicators: found.indicators };
  };

  app.get('/staff/reports/campaigns/:campaignId/indicators.json', exportable, async (request, reply) => {
    const { campaign, indicators } = await campaignExport(request, 'stix');
    const bundle = stixBundle(campaign, indicators, { tlp, now: new Date().toISOString() });
    return reply
      .type('application/stix+json;version=2.1')
      .header('content-disposition', `attachment; filename="campaign-${campaign.id}-stix.json"`)
      .send(JSON.stringify(bundle, null, 2));
  });

  app.get('/staff/reports/campaigns/:campaignId/indicators.csv', exportable, async (request, reply) => {
    const { campaign, indicators } = await campaignExport(request, 'csv');
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="campaign-${campaign.id}-indicators.csv"`)
      .send(indicatorsCsv(campaign, indicators, tlp));
  });

  // The scam warning form: the warning goes through the scam-warnings module's sign-off.
  const renderWarning = async (
    request: FastifyRequest,
    reply: FastifyReply,
    values?: WarningInput,
    errors: FieldError[] = [],
  ) => {
    const principal = request.staff!.principal;
    const campaign = await analyst.loadCampaign(principal, param(request, 'campaignId'), 'report.triage');
    const incidents = await listIncidentsFor(db, [campaign.organisationId]);
    const data = await analyst.campaign(principal, actorOf(request), campaign.id);
    return reply.code(errors.length ? 400 : 200).render('report-campaigns/views/staff-warning-form.njk', {
      pageTitle: 'Publish a scam warning',
      campaign,
      values: values ?? prefillWarning(campaign, data.indicators, incidents[0]?.id ?? ''),
      incidents: incidents.map((i) => ({ value: i.id, text: `${i.reference}: ${i.title}` })),
      limits: WARNING_LIMITS,
      errors: errorList(errors),
      fieldErrors: fieldErrors(errors),
    });
  };

  app.get('/staff/reports/campaigns/:campaignId/warning', triage, (request, reply) => renderWarning(request, reply));

  app.post('/staff/reports/campaigns/:campaignId/warning', triage, async (request, reply) => {
    const principal = request.staff!.principal;
    const campaign = await analyst.loadCampaign(principal, param(request, 'campaignId'), 'report.triage');
    const values: WarningInput = {
      incidentId: formText(request.body, 'incidentId', 100),
      title: formText(request.body, 'title', WARNING_LIMITS.title + 500),
      summary: formText(request.body, 'summary', WARNING_LIMITS.summary + 500),
      howToSpot: formText(request.body, 'howToSpot', WARNING_LIMITS.howToSpot + 500),
      whatToDo: formText(request.body, 'whatToDo', WARNING_LIMITS.whatToDo + 500),
    };
    const incidents = await listIncidentsFor(db, [campaign.organisationId]);
    const errors = checkWarning(
      values,
      incidents.map((i) => i.id),
    );
    if (errors.length) return renderWarning(request, reply, values, errors);
    try {
      await draftScamWarning(db, {
        organisationId: campaign.organisationId,
        incidentId: values.incidentId,
        title: values.title,
        summary: values.summary,
        howToSpot: values.howToSpot,
        whatToDo: values.whatToDo,
        campaignId: campaign.id,
        author: { principal, actor: actorOf(request) },
      });
    } catch (error) {
      if (!(error instanceof InvalidScamWarningError)) throw error;
      const refused = error.errors.map((e) => ({ field: e.href.slice(1), text: e.text }));
      return renderWarning(request, reply, values, refused);
    }
    return reply.redirect(`/staff/reports/campaigns/${campaign.id}?done=warning`, 303);
  });

  const renderReport = async (request: FastifyRequest, reply: FastifyReply, errors: FieldError[] = []) => {
    const data = await analyst.report(request.staff!.principal, actorOf(request), param(request, 'reportId'));
    return reply.code(errors.length ? 400 : 200).render('report-campaigns/views/staff-report.njk', {
      pageTitle: `Report ${data.report.reference}`,
      ...data,
      banner: banner(request),
      suggestedText: SUGGESTED[data.report.suggestedVerdict],
      text: defangText(data.report.bodyText),
      headers: await messageHeaders(data.report.originalMessage),
      indicatorLists: indicatorLists({
        domains: data.indicators.domains.map((value) => ({ value, reports: 1 })),
        links: data.indicators.links.map((value) => ({ value, reports: 1 })),
        senders: data.indicators.senders.map((value) => ({ value, reports: 1 })),
        phoneNumbers: data.indicators.phoneNumbers.map((value) => ({ value, reports: 1 })),
        attachmentHashes: data.indicators.attachmentHashes.map((value) => ({ value, reports: 1 })),
      }),
      moveItems: [
        { value: '', text: 'Choose a campaign' },
        { value: 'new', text: 'A new campaign of its own' },
        ...data.otherCampaigns.map((c) => ({ value: c.id, text: c.title })),
      ],
      ncscAvailable: opts.ncscAvailable ?? false,
      errors: errorList(errors),
      fieldErrors: fieldErrors(errors),
    });
  };

  app.get('/staff/reports/:reportId', read, (request, reply) => renderReport(request, reply));

  app.post('/staff/reports/:reportId/move', triage, async (request, reply) => {
    const result = await analyst.moveReport(
      request.staff!.principal,
      actorOf(request),
      param(request, 'reportId'),
      formText(request.body, 'target', 100),
    );
    if (!result.ok) return renderReport(request, reply, result.errors);
    return reply.redirect(`/staff/reports/${param(request, 'reportId')}?done=moved`, 303);
  });

  app.post('/staff/reports/:reportId/ncsc', triage, async (request, reply) => {
    if (!opts.ncscAvailable) return reply.callNotFound();
    const result = await requestNcscForward(
      db,
      analyst,
      request.staff!.principal,
      actorOf(request),
      param(request, 'reportId'),
    );
    return reply.redirect(
      `/staff/reports/${param(request, 'reportId')}?done=${result.queued ? 'ncsc' : 'ncsc-already'}`,
      303,
    );
  });
}

const INDICATOR_HEADINGS = {
  domains: 'Domains',
  links: 'Links',
  senders: 'Senders',
  phoneNumbers: 'Phone numbers',
  attachmentHashes: 'Attachment hashes (SHA-256)',
} as const;

function indicatorLists(
  indicators: Record<keyof typeof INDICATOR_HEADINGS, Array<{ value: string; reports: number }>>,
) {
  return (Object.keys(INDICATOR_HEADINGS) as Array<keyof typeof INDICATOR_HEADINGS>)
    .filter((kind) => indicators[kind].length > 0)
    .map((kind) => ({
      kind,
      heading: INDICATOR_HEADINGS[kind],
      items: indicators[kind].map((i) => ({
        shown: kind === 'domains' || kind === 'links' || kind === 'senders' ? defangIndicator(i.value) : i.value,
        reports: i.reports,
      })),
    }));
}
