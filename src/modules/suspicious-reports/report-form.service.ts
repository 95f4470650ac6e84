// The public form's steps: answers and uploads kept under a cookie while the resident checks them,
// then sent as a report (through recordSuspiciousReport, like every channel) in the transaction
// that marks the draft sent, so sending twice makes one report.
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Organisation } from '../../platform/accounts/accounts.repository.ts';
import type { DB } from '../../platform/db/schema.ts';
import type { FieldError } from '../../platform/http/form-result.ts';
import { nowIso } from '../../platform/ids.ts';
import { InboundMailParseError } from '../../platform/mail-in/inbound-mail-parser.ts';
import { readInboundMail } from '../../platform/mail-in/mime-reader.ts';
import type { UploadedFile } from '../../platform/http/multipart-form.ts';
import { EMPTY_ANSWERS, validateReport, type ReportAnswers } from './report-form.ts';
import { ScreenshotError, stripScreenshotMetadata, type ScreenshotType } from './screenshot-metadata.ts';
import { analyseReport, LIMITS, storeReport, type ReportOptions } from './suspicious-reports.service.ts';
import * as repo from './suspicious-reports.repository.ts';

const DRAFT_MS = 2 * 60 * 60 * 1000;
export const DRAFT_TOKEN = /^[A-Za-z0-9_-]{43}$/;

export interface KeptDraft {
  answers: ReportAnswers;
  emailFileName: string | undefined;
  screenshotName: string | undefined;
  sentReference: string | undefined;
}

type Upload<T> = { ok: true; value: T } | { ok: false; error: FieldError } | undefined;

/** An uploaded .eml checked: within its cap and readable as an email. */
export async function checkEmailUpload(
  file: UploadedFile | undefined,
): Promise<Upload<{ name: string; data: Buffer }>> {
  if (!file) return undefined;
  const error = (text: string) => ({ ok: false as const, error: { text, href: '#emailFile' } });
  if (file.tooLarge || file.data.length > LIMITS.originalMessageBytes)
    return error('The email must be smaller than 10 MB');
  try {
    const mail = readInboundMail(file.data);
    if (mail.problems.some((p) => /no header section/.test(p)) || (!mail.from && mail.subject === '')) {
      return error('The selected file must be an email saved as a .eml file');
    }
  } catch (e) {
    if (e instanceof InboundMailParseError) return error('The selected file must be an email saved as a .eml file');
    throw e;
  }
  return { ok: true, value: { name: file.filename || 'message.eml', data: file.data } };
}

/** An uploaded screenshot checked, and kept without its metadata. */
export function checkScreenshotUpload(
  file: UploadedFile | undefined,
): Upload<{ name: string; type: ScreenshotType; data: Buffer }> {
  if (!file) return undefined;
  const error = (text: string) => ({ ok: false as const, error: { text, href: '#screenshot' } });
  if (file.tooLarge || file.data.length > LIMITS.screenshotBytes)
    return error('The screenshot must be smaller than 5 MB');
  try {
    const stripped = stripScreenshotMetadata(file.data);
    return { ok: true, value: { name: file.filename || 'screenshot', ...stripped } };
  } catch (e) {
    if (e instanceof ScreenshotError) return error('The screenshot must be a PNG or JPEG image');
    throw e;
  }
}

export function createReportFormService(db: Kysely<DB>, options: ReportOptions) {
  const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

  async function draft(council: Organisation, token: string | undefined): Promise<KeptDraft | undefined> {
    if (!token || !DRAFT_TOKEN.test(token)) return undefined;
    const found = await repo.findDraft(db, tokenHash(token), nowIso());
    if (!found || found.organisationId !== council.id) return undefined;
    if (found.reportId) {
      return {
        answers: EMPTY_ANSWERS,
        emailFileName: undefined,
        screenshotName: undefined,
        sentReference: await repo.findReference(db, found.reportId),
      };
    }
    return {
      answers: { ...EMPTY_ANSWERS, ...(JSON.parse(found.answers) as Partial<ReportAnswers>) },
      emailFileName: found.emailFile?.name,
      screenshotName: found.screenshot?.name,
      sentReference: undefined,
    };
  }

  /**
   * Keeps the answers and any new uploads (a new file replaces the kept one; `remove` drops them);
   * returns the token for the cookie.
   */
  async function saveDraft(
    council: Organisation,
    token: string | undefined,
    answers: ReportAnswers,
    uploads: {
      emailFile: { name: string; data: Buffer } | null | undefined;
      screenshot: { name: string; type: ScreenshotType; data: Buffer } | null | undefined;
    },
  ): Promise<string> {
    const useToken = token && DRAFT_TOKEN.test(token) ? token : randomBytes(32).toString('base64url');
    const now = new Date();
    // A draft already sent starts again empty rather than carrying the sent report's state.
    const existing = await repo.findDraft(db, tokenHash(useToken), now.toISOString());
    const restart = existing?.reportId != null;
    await repo.upsertDraft(db, {
      tokenHash: tokenHash(useToken),
      organisationId: council.id,
      answers: JSON.stringify(answers),
      emailFile: uploads.emailFile === undefined && restart ? null : uploads.emailFile,
      screenshot: uploads.screenshot === undefined && restart ? null : uploads.screenshot,
      now: now.toISOString(),
      expiresAt: new Date(now.getTime() + DRAFT_MS).toISOString(),
    });
    return useToken;
  }

  /** Sends the kept answers as a report; sending twice gives the first one's reference. */
  async function submit(
    council: Organisation,
    token: string | undefined,
  ): Promise<{ ok: true; reference: string } | { ok: false; errors: FieldError[] } | { ok: false; expired: true }> {
    if (!token || !DRAFT_TOKEN.test(token)) return { ok: false, expired: true };
    const found = await repo.findDraft(db, tokenHash(token), nowIso());
    if (!found || found.organisationId !== council.id) return { ok: false, expired: true };
    if (found.reportId) return { ok: true, reference: (await repo.findReference(db, found.reportId)) ?? '' };
    const answers = { ...EMPTY_ANSWERS, ...(JSON.parse(found.answers) as Partial<ReportAnswers>) };
    const checked = validateReport(
      answers,
      { emailFile: found.emailFile !== undefined, screenshot: found.screenshot !== undefined },
      nowIso().slice(0, 10),
    );
    if (!checked.ok) return checked;
    const r = checked.report;
    const analysed = await analyseReport(db, {
      organisationId: council.id,
      channel: 'web',
      kind: r.kind,
      claimedSender: r.claimedSender,
      receivedOn: r.receivedOn,
      sender: r.sender,
      subject: r.subject,
      text: r.text,
      originalMessage: found.emailFile?.data ?? null,
      screenshot: found.screenshot ? { type: found.screenshot.type, data: found.screenshot.data } : null,
      reporterEmail: r.reporterEmail,
      wantsOutcome: r.wantsOutcome,
    });
    const reference = await db
      .transaction()
      .execute(async (trx) => {
        const recorded = await storeReport(trx, analysed, options);
        // Sent by another request a moment ago: undo this one, and show that one's reference.
        if (!(await repo.markDraftSent(trx, tokenHash(token), recorded.id))) throw new AlreadySent();
        return recorded.reference;
      })
      .catch(async (error: unknown) => {
        if (!(error instanceof AlreadySent)) throw error;
        return (await draft(council, token))?.sentReference ?? '';
      });
    return { ok: true, reference };
  }

  return { draft, saveDraft, submit };
}

class AlreadySent extends Error {}
