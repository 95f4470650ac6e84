// The data protection officer's pages: the dashboard of breach records with their 72-hour clocks,
// a record and its forms (the record, the risk assessment, reports sent to the ICO), the ICO report
// as a printable page, PDF and JSON, and the Article 33(5) breach register as a page and as CSV.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { actorOf, requireStaff } from '../../platform/auth/staff-guard.ts';
import type { StaffNavigation } from '../../platform/auth/staff-navigation.ts';
import { toCsv } from '../../platform/csv/spreadsheet-csv.ts';
import type { Database } from '../../platform/db/database.ts';
import { formList, formText } from '../../platform/http/form-fields.ts';
import type { FieldError } from '../../platform/http/form-result.ts';
import { formatDate, formatDateTime } from '../../platform/views/views.ts';
import { INCIDENT_STATUSES } from '../incidents/incidents.service.ts';
import { describeClock, type BreachClock } from './breach-clock.ts';
import {
  BODIES,
  DATA_CATEGORIES,
  ESTIMATE_BASES,
  LIKELIHOODS,
  LIMITS,
  OVERALL_RISK,
  SEVERITIES,
  TELL_PEOPLE,
  YES_NO_UNKNOWN,
  categoryNames,
  describeEstimate,
  hasCriminalOffenceData,
  recordInputFrom,
  specialCategories,
  type BreachRecord,
  type RecordInput,
  type RiskAssessment,
  type RiskInput,
} from './breach-record.ts';
import { REGISTER_COLUMNS, registerCells } from './breach-register.ts';
import { createBreachesService, type RecordDetails, type SubmissionInput } from './breaches.service.ts';
import { renderIcoReportPdf } from './ico-report-pdf.ts';
import { REPORT_KINDS, missingFromRecord } from './ico-report.ts';

type Form = Record<string, unknown>;

const BANNERS: Record<string, string> = {
  created: 'Breach record started. The 72-hour clock runs from when the council became aware.',
  saved: 'Breach record saved.',
  assessed: 'Risk assessment saved.',
  reported: 'Report to the ICO recorded, with a copy of what was sent.',
};

/** A reference as a file name: letters, digits and dashes only, so no header or path tricks. */
export function reportFileName(reference: string, council: string, extension: 'pdf' | 'csv'): string {
  const safe = (text: string) =>
    text
      .replace(/[^A-Za-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 80);
  return `${['breach', safe(reference), safe(council)].filter(Boolean).join('-')}.${extension}`;
}

const clockView = (clock: BreachClock) => describeClock(clock, formatDateTime);

const riskView = (risk: RiskAssessment | undefined) =>
  risk ? { ...risk, text: OVERALL_RISK[risk.overall].text, tagClass: OVERALL_RISK[risk.overall].tagClass } : undefined;

/** The record in words, for its page. */
function recordView(record: BreachRecord) {
  const special = specialCategories(record.dataCategories);
  return {
    ...record,
    categoryNames: categoryNames(record.dataCategories, record.dataCategoriesOther),
    specialText: special.length ? `Yes: ${special.map((c) => DATA_CATEGORIES[c].text).join('; ')}` : 'No',
    criminalText: hasCriminalOffenceData(record.dataCategories) ? 'Yes' : 'No',
    peopleText: describeEstimate(record.people),
    recordsText: describeEstimate(record.records),
    exfiltratedText: YES_NO_UNKNOWN[record.dataExfiltrated],
    encryptedText: YES_NO_UNKNOWN[record.dataEncrypted],
    bodyNames: record.bodiesInformed.map((b) => (b === 'other' ? record.bodiesInformedOther : BODIES[b])),
    tellPeopleText: `${TELL_PEOPLE[record.tellPeople]}${record.tellPeopleOn ? `: ${formatDate(`${record.tellPeopleOn}T12:00:00Z`)}` : ''}`,
    likelihoodText: record.risk.likelihood ? LIKELIHOODS[record.risk.likelihood].text : '',
    severityText: record.risk.severity ? SEVERITIES[record.risk.severity].text : '',
  };
}

const options = (map: Record<string, string | { text: string; hint?: string }>, selected: string | string[]) =>
  Object.entries(map).map(([value, label]) => ({
    value,
    text: typeof label === 'string' ? label : label.text,
    ...(typeof label === 'string' || !label.hint ? {} : { hint: { text: label.hint } }),
    checked: Array.isArray(selected) ? selected.includes(value) : selected === value,
  }));

export async function breachesRoutes(
  app: FastifyInstance,
  opts: { database: Database; navigation: StaffNavigation },
): Promise<void> {
  const service = createBreachesService(opts.database.db);
  opts.navigation.add({ href: '/staff/breaches', text: 'Data breaches', action: 'breach.read' });
  const read = { preHandler: requireStaff('breach.read') };
  const manage = { preHandler: requireStaff('breach.manage') };
  const breachIdOf = (request: FastifyRequest) => (request.params as { breachId: string }).breachId;
  const recordUrl = (breachId: string, rest = '') => `/staff/breaches/${breachId}${rest}`;
  const versionFrom = (request: FastifyRequest) => {
    const value = formText(request.body, 'version', 12);
    return /^\d{1,9}$/.test(value) ? Number(value) : 0;
  };
  const query = (request: FastifyRequest, name: string) => {
    const value = (request.query as Form)[name];
    return typeof value === 'string' ? value.slice(0, 100) : '';
  };

  app.get('/staff/breaches', read, async (request, reply) => {
    const councils = await service.dashboard(request.staff!.principal);
    return reply.render('breaches/views/staff-breaches.njk', {
      pageTitle: 'Personal data breaches',
      councils: councils.map((c) => ({
        ...c,
        entries: c.entries.map((e) => ({ ...e, clock: clockView(e.clock), risk: riskView(e.risk) })),
      })),
    });
  });

  // The record's main form, for a new record and for changes.
  const recordForm = (request: FastifyRequest): RecordInput => {
    const text = (name: string, max = LIMITS.text + 2000) => formText(request.body, name, max);
    return {
      description: text('description'),
      awareDay: text('awareAt-day', 10),
      awareMonth: text('awareAt-month', 10),
      awareYear: text('awareAt-year', 10),
      awareTime: text('awareTime', 10),
      discovery: text('discovery'),
      dataCategories: formList(request.body, 'dataCategories'),
      dataCategoriesOther: text('dataCategoriesOther', LIMITS.other + 500),
      systemsAffected: text('systemsAffected', 20_000),
      peopleBasis: text('peopleBasis', 20),
      peopleLow: text('peopleLow', 30),
      peopleHigh: text('peopleHigh', 30),
      recordsBasis: text('recordsBasis', 20),
      recordsLow: text('recordsLow', 30),
      recordsHigh: text('recordsHigh', 30),
      dataExfiltrated: text('dataExfiltrated', 20),
      dataEncrypted: text('dataEncrypted', 20),
      consequences: text('consequences'),
      measuresTaken: text('measuresTaken'),
      measuresProposed: text('measuresProposed'),
      bodiesInformed: formList(request.body, 'bodiesInformed'),
      bodiesInformedOther: text('bodiesInformedOther', LIMITS.other + 500),
      tellPeople: text('tellPeople', 20),
      tellOnDay: text('tellOn-day', 10),
      tellOnMonth: text('tellOn-month', 10),
      tellOnYear: text('tellOn-year', 10),
      tellPeopleReason: text('tellPeopleReason'),
      dpoName: text('dpoName', LIMITS.short + 200),
      dpoEmail: text('dpoEmail', LIMITS.short + 200),
      dpoPhone: text('dpoPhone', 100),
    };
  };

  const renderRecordForm = (
    reply: FastifyReply,
    page: {
      heading: string;
      caption: string;
      backHref: string;
      version?: number;
      incidentId?: string;
      council?: string;
    },
    values: RecordInput,
    errors: FieldError[] = [],
    status = errors.length ? 400 : 200,
  ) =>
    reply.code(status).render('breaches/views/staff-breach-form.njk', {
      pageTitle: page.heading,
      ...page,
      values,
      errors,
      categories: options(DATA_CATEGORIES, values.dataCategories),
      bodies: options(BODIES, values.bodiesInformed),
      yesNo: (selected: string) => options(YES_NO_UNKNOWN, selected),
      tellPeople: options(TELL_PEOPLE, values.tellPeople),
      bases: ESTIMATE_BASES,
    });

  app.get('/staff/breaches/new', manage, async (request, reply) => {
    const found = await service.newRecordScope(
      request.staff!.principal,
      query(request, 'incident'),
      query(request, 'council'),
    );
    if (found.existing) return reply.redirect(recordUrl(found.existing.id), 303);
    const user = request.staff!.user;
    return renderRecordForm(
      reply,
      {
        heading: 'Start a breach record',
        caption: `${found.council.name}: ${found.incident.reference}`,
        backHref: '/staff/breaches',
        incidentId: found.incident.id,
        council: found.council.slug,
      },
      await service.startingInput(found.incident, { name: user.display_name, email: user.email }),
    );
  });

  app.post('/staff/breaches/new', manage, async (request, reply) => {
    const principal = request.staff!.principal;
    const incidentId = formText(request.body, 'incidentId', 100);
    const councilSlug = formText(request.body, 'council', 100);
    const values = recordForm(request);
    const result = await service.createRecord(principal, actorOf(request), incidentId, councilSlug, values);
    if (!result.ok) {
      const found = await service.newRecordScope(principal, incidentId, councilSlug);
      return renderRecordForm(
        reply,
        {
          heading: 'Start a breach record',
          caption: `${found.council.name}: ${found.incident.reference}`,
          backHref: '/staff/breaches',
          incidentId: found.incident.id,
          council: found.council.slug,
        },
        values,
        result.errors,
      );
    }
    return reply.redirect(`${recordUrl(result.breachId)}?done=created`, 303);
  });

  // The Article 33(5) register. Registered before /:breachId so "register" is never read as an id.
  app.get('/staff/breaches/register', read, async (request, reply) => {
    const found = await service.register(
      request.staff!.principal,
      actorOf(request),
      query(request, 'council') || undefined,
      'html',
    );
    return reply.render('breaches/views/staff-breach-register.njk', {
      pageTitle: 'Breach register',
      ...found,
      rows: found.rows?.map((r) => ({ ...r })),
    });
  });

  app.get('/staff/breaches/register.csv', read, async (request, reply) => {
    const found = await service.register(
      request.staff!.principal,
      actorOf(request),
      query(request, 'council') || undefined,
      'csv',
    );
    if (!found.council || !found.rows) return reply.redirect('/staff/breaches/register', 303);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${reportFileName('register', found.council.slug, 'csv')}"`)
      .send(toCsv(REGISTER_COLUMNS, found.rows.map(registerCells)));
  });

  const banner = (request: FastifyRequest) => {
    const done = (request.query as Form)['done'];
    return typeof done === 'string' && Object.hasOwn(BANNERS, done) ? BANNERS[done] : undefined;
  };

  const detailsView = (found: RecordDetails) => ({
    ...found,
    record: recordView(found.record),
    clock: clockView(found.clock),
    risk: riskView(found.risk),
    incidentStatus: INCIDENT_STATUSES[found.incident.status],
    missing: missingFromRecord(found.record),
    submissions: found.submissions.map((s) => ({
      ...s,
      kindText: REPORT_KINDS[s.kind],
    })),
  });

  app.get('/staff/breaches/:breachId', read, async (request, reply) => {
    const found = await service.details(request.staff!.principal, actorOf(request), breachIdOf(request));
    return reply.render('breaches/views/staff-breach.njk', {
      pageTitle: `Breach record: ${found.council.name}`,
      ...detailsView(found),
      banner: banner(request),
    });
  });

  const editPage = (found: RecordDetails, version: number) => ({
    heading: 'Change the breach record',
    caption: `${found.council.name}: ${found.incident.reference}`,
    backHref: recordUrl(found.record.id),
    version,
  });

  app.get('/staff/breaches/:breachId/edit', manage, async (request, reply) => {
    const found = await service.details(request.staff!.principal, actorOf(request), breachIdOf(request), 'edit');
    return renderRecordForm(reply, editPage(found, found.record.version), recordInputFrom(found.record));
  });

  app.post('/staff/breaches/:breachId/edit', manage, async (request, reply) => {
    const principal = request.staff!.principal;
    const breachId = breachIdOf(request);
    const values = recordForm(request);
    const seen = versionFrom(request);
    const result = await service.updateRecord(principal, actorOf(request), breachId, seen, values);
    if (result.ok) return reply.redirect(`${recordUrl(breachId)}?done=saved`, 303);
    const found = await service.details(principal, actorOf(request), breachId, 'edit');
    return renderRecordForm(
      reply,
      editPage(found, result.currentVersion ?? seen),
      values,
      result.errors,
      result.currentVersion ? 409 : 400,
    );
  });

  // The risk assessment.
  const renderRisk = (
    reply: FastifyReply,
    found: RecordDetails,
    version: number,
    values: RiskInput,
    errors: FieldError[] = [],
    status = errors.length ? 400 : 200,
  ) =>
    reply.code(status).render('breaches/views/staff-breach-risk.njk', {
      pageTitle: 'Assess the risk to people',
      ...detailsView(found),
      version,
      values,
      errors,
      likelihoods: options(LIKELIHOODS, values.likelihood),
      severities: options(SEVERITIES, values.severity),
      overallRisk: OVERALL_RISK,
    });

  app.get('/staff/breaches/:breachId/risk', manage, async (request, reply) => {
    const found = await service.details(request.staff!.principal, actorOf(request), breachIdOf(request), 'risk');
    const { risk } = found.record;
    return renderRisk(reply, found, found.record.version, {
      likelihood: risk.likelihood ?? '',
      severity: risk.severity ?? '',
      reasoning: risk.reasoning,
      notReportingReason: found.record.notReportingReason,
    });
  });

  app.post('/staff/breaches/:breachId/risk', manage, async (request, reply) => {
    const principal = request.staff!.principal;
    const breachId = breachIdOf(request);
    const seen = versionFrom(request);
    const values: RiskInput = {
      likelihood: formText(request.body, 'likelihood', 20),
      severity: formText(request.body, 'severity', 20),
      reasoning: formText(request.body, 'reasoning', LIMITS.text + 2000),
      notReportingReason: formText(request.body, 'notReportingReason', LIMITS.text + 2000),
    };
    const result = await service.assessRisk(principal, actorOf(request), breachId, seen, values);
    if (result.ok) return reply.redirect(`${recordUrl(breachId)}?done=assessed`, 303);
    const found = await service.details(principal, actorOf(request), breachId, 'risk');
    return renderRisk(
      reply,
      found,
      result.currentVersion ?? seen,
      values,
      result.errors,
      result.currentVersion ? 409 : 400,
    );
  });

  // The ICO report, made from the record now.
  app.get('/staff/breaches/:breachId/report', read, async (request, reply) => {
    const found = await service.report(request.staff!.principal, actorOf(request), breachIdOf(request), 'html');
    return reply.render('breaches/views/staff-breach-report.njk', {
      pageTitle: 'Personal data breach report',
      ...found,
      kindText: REPORT_KINDS[found.report.kind],
      clock: clockView(found.clock),
    });
  });

  app.get('/staff/breaches/:breachId/report.pdf', read, async (request, reply) => {
    const found = await service.report(request.staff!.principal, actorOf(request), breachIdOf(request), 'pdf');
    const pdf = await renderIcoReportPdf(found.report);
    return reply
      .type('application/pdf')
      .header(
        'content-disposition',
        `attachment; filename="${reportFileName(found.incident.reference, found.council.slug, 'pdf')}"`,
      )
      .send(pdf);
  });

  app.get('/staff/breaches/:breachId/report.json', read, async (request, reply) => {
    const found = await service.report(request.staff!.principal, actorOf(request), breachIdOf(request), 'json');
    return reply.type('application/json; charset=utf-8').send(JSON.stringify(found.report));
  });

  // Reports sent to the ICO.
  const submissionFormFrom = (request: FastifyRequest): SubmissionInput => ({
    day: formText(request.body, 'submittedAt-day', 10),
    month: formText(request.body, 'submittedAt-month', 10),
    year: formText(request.body, 'submittedAt-year', 10),
    time: formText(request.body, 'submittedTime', 10),
    icoReference: formText(request.body, 'icoReference', LIMITS.reference + 100),
    delayReason: formText(request.body, 'delayReason', LIMITS.text + 2000),
    notes: formText(request.body, 'notes', LIMITS.text + 2000),
  });

  const renderSubmissionForm = (
    reply: FastifyReply,
    found: Awaited<ReturnType<typeof service.submissionForm>>,
    version: number,
    values: SubmissionInput,
    errors: FieldError[] = [],
    status = errors.length ? 400 : 200,
  ) =>
    reply.code(status).render('breaches/views/staff-breach-submission-form.njk', {
      pageTitle: found.sequence === 1 ? 'Record the initial report to the ICO' : 'Record a follow-up report to the ICO',
      ...detailsView(found),
      sequence: found.sequence,
      version,
      values,
      errors,
    });

  app.get('/staff/breaches/:breachId/submissions/new', manage, async (request, reply) => {
    const found = await service.submissionForm(request.staff!.principal, actorOf(request), breachIdOf(request));
    return renderSubmissionForm(reply, found, found.record.version, {
      day: '',
      month: '',
      year: '',
      time: '',
      icoReference: found.submissions[0]?.icoReference ?? '',
      delayReason: '',
      notes: '',
    });
  });

  app.post('/staff/breaches/:breachId/submissions/new', manage, async (request, reply) => {
    const principal = request.staff!.principal;
    const breachId = breachIdOf(request);
    const seen = versionFrom(request);
    const values = submissionFormFrom(request);
    const result = await service.recordSubmission(principal, actorOf(request), breachId, seen, values);
    if (result.ok) return reply.redirect(`${recordUrl(breachId)}?done=reported#reports`, 303);
    const found = await service.submissionForm(principal, actorOf(request), breachId);
    return renderSubmissionForm(
      reply,
      found,
      result.currentVersion ?? seen,
      values,
      result.errors,
      result.currentVersion ? 409 : 400,
    );
  });

  app.get('/staff/breaches/:breachId/submissions/:submissionId', read, async (request, reply) => {
    const { submissionId } = request.params as { submissionId: string };
    const found = await service.submission(
      request.staff!.principal,
      actorOf(request),
      breachIdOf(request),
      submissionId,
    );
    return reply.render('breaches/views/staff-breach-submission.njk', {
      pageTitle: REPORT_KINDS[found.submission.kind],
      ...found,
    });
  });
}
