// Reports of suspicious messages over HTTP: the public form "Report a suspicious message" (the
// questions with uploads, check your answers, sent) and the JSON API for partner tools (a council's
// "report phishing" button in its mail program, say). Both are open to anyone, like the form, and
// rate limited per client: a report asks nothing of the council but to look, and answers nothing
// about anyone (the analyser's verdict is not given back, so it cannot be used to test a scam).
import type { FastifyInstance, FastifyReply } from 'fastify';
import { councilFromPath } from '../../platform/accounts/council-from-path.ts';
import type { Organisation } from '../../platform/accounts/accounts.repository.ts';
import type { Database } from '../../platform/db/database.ts';
import { draftCookie } from '../../platform/http/cookies.ts';
import { formText } from '../../platform/http/form-fields.ts';
import type { FieldError } from '../../platform/http/form-result.ts';
import { acceptMultipartForms, uploadedFile } from '../../platform/http/multipart-form.ts';
import { answersFrom, EMPTY_ANSWERS, validateReport, type ReportAnswers } from './report-form.ts';
import {
  checkEmailUpload,
  checkScreenshotUpload,
  createReportFormService,
  type KeptDraft,
} from './report-form.service.ts';
import { adviceFor } from './report-messages.ts';
import {
  helplineFor,
  InvalidReportError,
  LIMITS,
  recordSuspiciousReport,
  REPORT_KINDS,
} from './suspicious-reports.service.ts';

export interface SuspiciousReportsRoutesOptions {
  database: Database;
  publicBaseUrl: string;
}

const DRAFT_COOKIE = 'wardroom_report';
/** An email, a screenshot and the text fields, with room for the form's own framing. */
const FORM_BODY_LIMIT = LIMITS.originalMessageBytes + LIMITS.screenshotBytes + 1024 * 1024;
/** Base64 makes the raw email a third larger. */
const API_BODY_LIMIT = Math.ceil((LIMITS.originalMessageBytes * 4) / 3) + 256 * 1024;

const apiRequestSchema = {
  type: 'object',
  required: ['kind'],
  additionalProperties: false,
  properties: {
    kind: { type: 'string', enum: REPORT_KINDS.map((k) => k.value), description: 'What the resident received' },
    claimedSender: { type: 'string', maxLength: LIMITS.claimedSenderChars, description: 'Who it said it was from' },
    receivedOn: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'When it arrived (YYYY-MM-DD)' },
    sender: {
      type: 'string',
      maxLength: LIMITS.senderChars,
      description: 'The sender: an email address, phone number, sender ID or web address',
    },
    subject: { type: 'string', maxLength: LIMITS.subjectChars },
    text: { type: 'string', maxLength: LIMITS.pastedTextChars, description: 'The message as plain text' },
    rawEmail: {
      type: 'string',
      maxLength: Math.ceil((LIMITS.originalMessageBytes * 4) / 3) + 4,
      description: 'The original email (RFC 5322, as a .eml file holds it), base64-encoded; at most 10 MB decoded',
    },
    reporterEmail: {
      type: 'string',
      maxLength: 254,
      description: 'Where to send the acknowledgement (and the outcome, if wanted)',
    },
    wantsOutcome: { type: 'boolean', description: 'Send the reporter the outcome once an analyst has looked' },
  },
} as const;

const apiResponseSchema = {
  type: 'object',
  required: ['reference', 'acknowledgementQueued', 'advice'],
  properties: {
    reference: { type: 'string', description: 'SR- and 8 characters: for the reporter to quote' },
    acknowledgementQueued: { type: 'boolean' },
    advice: { type: 'array', items: { type: 'string' }, description: 'What the reporter should do now' },
  },
} as const;

const problemSchema = {
  type: 'object',
  properties: {
    type: { type: 'string' },
    status: { type: 'integer' },
    title: { type: 'string' },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
} as const;

interface ApiReport {
  kind: (typeof REPORT_KINDS)[number]['value'];
  claimedSender?: string;
  receivedOn?: string;
  sender?: string;
  subject?: string;
  text?: string;
  rawEmail?: string;
  reporterEmail?: string;
  wantsOutcome?: boolean;
}

export async function suspiciousReportsRoutes(
  app: FastifyInstance,
  opts: SuspiciousReportsRoutesOptions,
): Promise<void> {
  const { db } = opts.database;
  const options = { publicBaseUrl: opts.publicBaseUrl };
  const forms = createReportFormService(db, options);
  const notFound = { status: 404, title: 'Page not found' };
  acceptMultipartForms(app, {
    bodyLimit: FORM_BODY_LIMIT,
    fileLimits: { emailFile: LIMITS.originalMessageBytes, screenshot: LIMITS.screenshotBytes },
  });

  const formPath = (council: Organisation) => `/${council.slug}/report-a-suspicious-message`;
  const draft = draftCookie(app, DRAFT_COOKIE);

  const renderForm = (
    reply: FastifyReply,
    council: Organisation,
    values: ReportAnswers,
    kept: Pick<KeptDraft, 'emailFileName' | 'screenshotName'> | undefined,
    errors: FieldError[] = [],
  ) =>
    reply.code(errors.length ? 400 : 200).render('suspicious-reports/views/report-form.njk', {
      pageTitle: 'Report a suspicious message',
      council,
      values,
      errors,
      kinds: REPORT_KINDS,
      maxTextChars: LIMITS.pastedTextChars,
      emailFileName: kept?.emailFileName,
      screenshotName: kept?.screenshotName,
    });

  app.get('/:council/report-a-suspicious-message', async (request, reply) => {
    const council = await councilFromPath(db, request.params);
    if (!council) return reply.sendProblemOrPage(notFound);
    const kept = await forms.draft(council, draft.read(request));
    if (!kept || kept.sentReference) return renderForm(reply, council, EMPTY_ANSWERS, undefined);
    return renderForm(reply, council, kept.answers, kept);
  });

  app.post(
    '/:council/report-a-suspicious-message',
    { config: { rateLimit: 'public-form' } },
    async (request, reply) => {
      const council = await councilFromPath(db, request.params);
      if (!council) return reply.sendProblemOrPage(notFound);
      const answers = answersFrom((name, max) => formText(request.body, name, max));
      const emailFile = await checkEmailUpload(uploadedFile(request.body, 'emailFile'));
      const screenshot = checkScreenshotUpload(uploadedFile(request.body, 'screenshot'));
      // Good uploads are kept even when another answer is wrong, so the resident need not choose them again.
      const token = await forms.saveDraft(council, draft.read(request), answers, {
        emailFile: emailFile?.ok ? emailFile.value : undefined,
        screenshot: screenshot?.ok ? screenshot.value : undefined,
      });
      draft.write(reply, formPath(council), token);
      const kept = await forms.draft(council, token);
      const uploadErrors = [emailFile, screenshot].flatMap((u) => (u && !u.ok ? [u.error] : []));
      const checked = validateReport(
        answers,
        { emailFile: kept?.emailFileName !== undefined, screenshot: kept?.screenshotName !== undefined },
        new Date().toISOString().slice(0, 10),
      );
      const errors = [...(checked.ok ? [] : checked.errors), ...uploadErrors];
      if (errors.length > 0) return renderForm(reply, council, answers, kept, errors);
      return reply.redirect(`${formPath(council)}/check`, 303);
    },
  );

  const renderCheck = (reply: FastifyReply, council: Organisation, kept: KeptDraft) => {
    const a = kept.answers;
    const received = a.day && a.month && a.year ? new Date(Date.UTC(+a.year, +a.month - 1, +a.day)) : undefined;
    return reply.render('suspicious-reports/views/report-check.njk', {
      pageTitle: 'Check your answers before sending your report',
      council,
      formPath: formPath(council),
      answers: a,
      kindText: REPORT_KINDS.find((k) => k.value === a.kind)?.text ?? '',
      receivedText: received?.toLocaleDateString('en-GB', {
        day: 'numeric',
        month: 'long',
        year: 'numeric',
        timeZone: 'UTC',
      }),
      emailFileName: kept.emailFileName,
      screenshotName: kept.screenshotName,
    });
  };

  app.get('/:council/report-a-suspicious-message/check', async (request, reply) => {
    const council = await councilFromPath(db, request.params);
    if (!council) return reply.sendProblemOrPage(notFound);
    const kept = await forms.draft(council, draft.read(request));
    if (!kept) return reply.redirect(formPath(council), 303);
    if (kept.sentReference) return reply.redirect(`${formPath(council)}/sent`, 303);
    return renderCheck(reply, council, kept);
  });

  app.post(
    '/:council/report-a-suspicious-message/check',
    { config: { rateLimit: 'public-form' } },
    async (request, reply) => {
      const council = await councilFromPath(db, request.params);
      if (!council) return reply.sendProblemOrPage(notFound);
      const result = await forms.submit(council, draft.read(request));
      if (result.ok) return reply.redirect(`${formPath(council)}/sent`, 303);
      if ('expired' in result) return reply.redirect(formPath(council), 303);
      const kept = await forms.draft(council, draft.read(request));
      return renderForm(reply, council, kept?.answers ?? EMPTY_ANSWERS, kept, result.errors);
    },
  );

  app.get('/:council/report-a-suspicious-message/sent', async (request, reply) => {
    const council = await councilFromPath(db, request.params);
    if (!council) return reply.sendProblemOrPage(notFound);
    const kept = await forms.draft(council, draft.read(request));
    if (!kept?.sentReference) return reply.redirect(formPath(council), 303);
    return reply.render('suspicious-reports/views/report-sent.njk', {
      pageTitle: 'Report sent',
      council,
      reference: kept.sentReference,
      advice: adviceFor('other', await helplineFor(db, council.id)),
    });
  });

  // The API.

  app.post(
    '/api/v1/councils/:council/suspicious-reports',
    {
      bodyLimit: API_BODY_LIMIT,
      // No cookies and no session: nothing for another site to ride on.
      config: { csrf: false, rateLimit: 'public-form' },
      schema: {
        tags: ['public'],
        summary: 'Report a suspicious message a resident received',
        description:
          'For partner tools, such as a "report phishing" button in a mail program. Open to anyone and rate limited per client, like the public form. The report is analysed and queued for the council’s analysts; the analysis is not returned. When reporterEmail is given, the reporter is sent an acknowledgement with advice, and the outcome later if wantsOutcome is true.',
        params: { type: 'object', properties: { council: { type: 'string' } }, required: ['council'] },
        body: apiRequestSchema,
        response: { 201: apiResponseSchema, 400: problemSchema, 404: problemSchema, 429: problemSchema },
      },
    },
    async (request, reply) => {
      const council = await councilFromPath(db, request.params);
      if (!council) return reply.sendProblemOrPage({ status: 404, title: 'No such council' });
      const body = request.body as ApiReport;
      let rawEmail: Buffer | null = null;
      if (body.rawEmail !== undefined) {
        const compact = body.rawEmail.replace(/\s+/g, '');
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) {
          return problem(reply, 'rawEmail', 'must be the email encoded as base64');
        }
        rawEmail = Buffer.from(compact, 'base64');
        if (rawEmail.length > LIMITS.originalMessageBytes) return problem(reply, 'rawEmail', 'must be at most 10 MB');
      }
      try {
        const recorded = await recordSuspiciousReport(
          db,
          {
            organisationId: council.id,
            channel: 'api',
            kind: rawEmail ? 'email' : body.kind,
            claimedSender: body.claimedSender ?? '',
            receivedOn: body.receivedOn ?? null,
            sender: body.sender ?? '',
            subject: body.subject ?? '',
            text: body.text ?? '',
            originalMessage: rawEmail,
            screenshot: null,
            reporterEmail: body.reporterEmail?.trim() || null,
            wantsOutcome: body.wantsOutcome === true,
          },
          options,
        );
        return reply.code(201).send({
          reference: recorded.reference,
          acknowledgementQueued: recorded.acknowledged,
          advice: adviceFor(body.kind, await helplineFor(db, council.id)),
        });
      } catch (error) {
        if (error instanceof InvalidReportError) return problem(reply, error.field, error.message);
        throw error;
      }
    },
  );
}

function problem(reply: FastifyReply, field: string, message: string): FastifyReply {
  return reply.sendProblemOrPage({
    status: 400,
    title: 'The request is not valid',
    detail: `${field}: ${message}`,
    errors: [{ field: field === 'emailFile' ? 'rawEmail' : field, message }],
  });
}
