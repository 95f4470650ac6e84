// Replying to residents by email with approved wording: one case at a time, or one template to many
// cases of a council at once. A reply is recorded on its case in the same transaction as its queued
// email, the case's first response, its new status and the audit event, so none exists without
// the others. A bulk reply queues one job per case (enquiry-reply-jobs.ts), each recording its
// reply the same way. No HTTP and no SQL.
import type { Kysely, Transaction } from 'kysely';
import {
  findOrganisationById,
  listOrganisations,
  type Organisation,
} from '../../platform/accounts/accounts.repository.ts';
import { recordAudit, type AuditActor } from '../../platform/audit/audit.service.ts';
import type { DB, EnquiryPriority, EnquiryTopic } from '../../platform/db/schema.ts';
import { HttpProblem } from '../../platform/http/errors.ts';
import type { FieldError, Result } from '../../platform/http/form-result.ts';
import { isId, newId, nowIso } from '../../platform/ids.ts';
import { enqueueJob } from '../../platform/jobs/job-queue.ts';
import { enqueueEmail } from '../../platform/mail/mail-jobs.ts';
import type { OutboundMessage } from '../../platform/mail/outbound-message.ts';
import { newVerificationReference } from '../../platform/mail/verification-reference.ts';
import { can, organisationsWhere, type Principal } from '../../platform/policy/policy.ts';
import * as cases from './enquiries.repository.ts';
import { OPEN_STATUSES, parseSearch, STATUSES } from './enquiries.service.ts';
import * as bulk from './enquiry-replies.repository.ts';
import { replyEmail } from './enquiry-reply-message.ts';
import { fillPlaceholders, validatePersonalParagraph } from './reply-template-rules.ts';
import * as templates from './reply-templates.repository.ts';

/** The most cases one bulk reply may hold: one confirmation page, one short transaction. */
export const BULK_LIMIT = 500;
export const BULK_REPLY_JOB = 'enquiries.bulk-reply';

export type StatusAfterReply = 'waiting' | 'in-progress' | 'resolved';
export const STATUSES_AFTER_REPLY: ReadonlyArray<{ value: StatusAfterReply; text: string }> = [
  { value: 'waiting', text: 'Waiting for resident' },
  { value: 'in-progress', text: 'In progress' },
  { value: 'resolved', text: 'Resolved' },
];

export const SKIP_REASONS = {
  noEmail: 'No email address',
  closed: 'Resolved or closed',
  merged: 'Merged into another enquiry',
  gone: 'The enquiry no longer exists',
  withdrawn: 'The template was withdrawn before the reply was sent',
};

const notFound = () => new HttpProblem(404, 'Page not found');

/** The placeholders' values for one case. */
function placeholderValues(enquiry: cases.EnquiryCase, council: Organisation, baseUrl: string) {
  return {
    name: enquiry.residentName || 'resident',
    reference: enquiry.reference,
    council: council.name,
    'incident page': `${baseUrl}/${council.slug}/cyber-incident`,
  };
}

export interface ReplyToRecord {
  enquiry: cases.EnquiryCase;
  council: Organisation;
  version: templates.ReplyTemplateVersion;
  /** The agent's own paragraph, checked, placeholders not yet filled; '' for none. */
  personal: string;
  statusAfter: StatusAfterReply;
  actor: AuditActor;
  entryId: string;
  baseUrl: string;
  idempotencyKey: string;
  bulkReplyId?: string | undefined;
  /** For a reply from the case page: refuse if the case changed since the agent saw it. */
  seenUpdatedAt?: string | undefined;
}

/** The email a reply would send, without sending it (for the preview, and the example in a bulk reply). */
export async function composeReply(
  db: Kysely<DB> | Transaction<DB>,
  input: Pick<ReplyToRecord, 'enquiry' | 'council' | 'version' | 'personal' | 'entryId' | 'baseUrl'>,
): Promise<OutboundMessage> {
  const { enquiry, council, version } = input;
  const settings = await cases.findSettings(db, council.id);
  const thread = (await cases.listEntries(db, enquiry.id)).flatMap((e) => (e.emailMessageId ? [e.emailMessageId] : []));
  const values = placeholderValues(enquiry, council, input.baseUrl);
  return replyEmail({
    to: enquiry.residentEmail ?? '',
    name: enquiry.residentName,
    councilName: council.name,
    reference: enquiry.reference,
    subject: version.subject,
    body: fillPlaceholders(version.body, values),
    personal: fillPlaceholders(input.personal, values),
    replyTo: settings?.enquiryAddresses[0],
    messageId: `<${enquiry.reference.toLowerCase()}.${input.entryId}@${new URL(input.baseUrl).hostname}>`,
    thread,
    verificationReference: newVerificationReference(),
  });
}

/**
 * Records a reply in the caller's transaction: the reply entry with the text as sent, the queued
 * email, the case's first response and status, and the audit event. The caller has checked that
 * the case may be emailed.
 */
export async function recordReply(trx: Transaction<DB>, input: ReplyToRecord): Promise<OutboundMessage> {
  const { enquiry, version, actor } = input;
  const at = nowIso();
  const to = STATUSES.find((s) => s.value === input.statusAfter);
  const changed = await cases.updateCase(
    trx,
    enquiry.id,
    {
      status: input.statusAfter,
      first_response_at: enquiry.firstResponseAt ?? at,
      closed_at: to?.open === false ? (enquiry.closedAt ?? at) : null,
      updated_at: at,
    },
    input.seenUpdatedAt,
  );
  if (!changed) {
    throw new HttpProblem(409, 'Someone else changed this case', 'Look at the case again before you reply.');
  }
  const message = await composeReply(trx, input);
  await cases.insertEntry(trx, {
    id: input.entryId,
    case_id: enquiry.id,
    kind: 'reply',
    channel: 'email',
    subject: message.subject,
    body: message.text,
    email_message_id: message.messageId ?? null,
    author_user_id: actor.userId,
    author_label: actor.label,
    details: JSON.stringify({
      templateId: version.templateId,
      templateVersionId: version.id,
      templateVersion: version.version,
      templateName: version.name,
      personalParagraph: input.personal !== '',
      verificationReference: message.reference,
      ...(input.bulkReplyId ? { bulkReplyId: input.bulkReplyId } : {}),
    }),
    created_at: at,
  });
  if (enquiry.status !== input.statusAfter) {
    const text = (value: string) => STATUSES.find((s) => s.value === value)?.text ?? value;
    await cases.insertEntry(trx, {
      id: newId(),
      case_id: enquiry.id,
      kind: 'event',
      channel: null,
      subject: null,
      body: `Status changed from ${text(enquiry.status)} to ${text(input.statusAfter)} with the reply`,
      email_message_id: null,
      author_user_id: actor.userId,
      author_label: actor.label,
      details: JSON.stringify({ from: enquiry.status, to: input.statusAfter }),
      created_at: at,
    });
  }
  await enqueueEmail(trx, message, { idempotencyKey: input.idempotencyKey, organisationId: enquiry.organisationId });
  await recordAudit(trx, actor, {
    action: 'enquiry.replied',
    organisationId: enquiry.organisationId,
    targetType: 'enquiry-case',
    targetId: enquiry.id,
    // What was sent is on the case; the audit log keeps which wording and how it was changed.
    details: {
      reference: enquiry.reference,
      entryId: input.entryId,
      templateId: version.templateId,
      templateVersionId: version.id,
      templateVersion: version.version,
      personalParagraphLength: input.personal.length,
      verificationReference: message.reference,
      status: { from: enquiry.status, to: input.statusAfter },
      firstResponse: enquiry.firstResponseAt === null,
      ...(input.bulkReplyId ? { bulkReplyId: input.bulkReplyId } : {}),
    },
  });
  return message;
}

/** Why a case cannot be sent an email now, or undefined when it can. */
export function skipReason(enquiry: cases.EnquiryCase): string | undefined {
  if (enquiry.mergedIntoCaseId) return SKIP_REASONS.merged;
  if (!OPEN_STATUSES.includes(enquiry.status)) return SKIP_REASONS.closed;
  if (!enquiry.residentEmail) return SKIP_REASONS.noEmail;
  return undefined;
}

export interface ReplyChoice {
  versionId: string;
  personal: string;
  statusAfter: string;
}

export interface BulkFilter {
  organisationId?: string | undefined;
  topic?: EnquiryTopic | undefined;
  priority?: EnquiryPriority | undefined;
  q?: string | undefined;
}

export interface BulkChoice {
  caseIds: string[];
  versionId: string;
  statusAfter: string;
}

export function createEnquiryRepliesService(db: Kysely<DB>, options: { publicBaseUrl: string }) {
  const baseUrl = options.publicBaseUrl.replace(/\/+$/, '');

  /** A case the person may reply to; 404 for another council's, 403 for someone who may only read it. */
  async function caseToHandle(principal: Principal, caseId: string) {
    if (!isId(caseId)) throw notFound();
    const found = await cases.findCase(db, caseId);
    if (!found || !can(principal, 'enquiry.read', { organisationId: found.organisationId })) throw notFound();
    if (!can(principal, 'enquiry.handle', { organisationId: found.organisationId })) {
      throw new HttpProblem(403, 'You do not have permission to reply to this case');
    }
    const council = await findOrganisationById(db, found.organisationId);
    if (!council) throw notFound();
    return { enquiry: found, council };
  }

  async function viewed(actor: AuditActor, enquiry: cases.EnquiryCase, page: string) {
    await recordAudit(db, actor, {
      action: 'enquiry.viewed',
      organisationId: enquiry.organisationId,
      targetType: 'enquiry-case',
      targetId: enquiry.id,
      details: { reference: enquiry.reference, page },
    });
  }

  /** The approved templates a council's agents may send, those for the case's topic first. */
  async function usableTemplates(organisationId: string, topic?: EnquiryTopic) {
    const usable = (await templates.listUsableVersions(db, organisationId)).map((v) => ({
      ...v,
      suits: topic !== undefined && v.topics.includes(topic),
    }));
    return [...usable.filter((v) => v.suits), ...usable.filter((v) => !v.suits)];
  }

  /** Why this case cannot be replied to by email from its page, if it cannot. */
  function cannotEmail(enquiry: cases.EnquiryCase): string | undefined {
    if (enquiry.mergedIntoCaseId) return 'This enquiry was merged into another. Reply on that one instead.';
    if (!enquiry.residentEmail) {
      return enquiry.residentPhone
        ? 'This resident has not given an email address. Phone them instead.'
        : 'This resident has not given an email address. Write to them instead.';
    }
    return undefined;
  }

  /** The reply page: the case, what stops an email, and the templates to choose from. Audited as a view. */
  async function replyPage(principal: Principal, actor: AuditActor, caseId: string) {
    const { enquiry, council } = await caseToHandle(principal, caseId);
    await viewed(actor, enquiry, 'reply');
    return {
      enquiry,
      council,
      cannotEmail: cannotEmail(enquiry),
      templates: await usableTemplates(council.id, enquiry.topic),
    };
  }

  /** Checks a choice of template, paragraph and status against the case. */
  async function checkChoice(enquiry: cases.EnquiryCase, council: Organisation, choice: ReplyChoice) {
    const errors: FieldError[] = [];
    const problem = cannotEmail(enquiry);
    if (problem) errors.push({ text: problem, href: '#template' });
    const usable = await templates.listUsableVersions(db, council.id);
    const version = usable.find((v) => v.id === choice.versionId);
    if (!version) {
      const known = isId(choice.versionId) ? await templates.findVersion(db, choice.versionId) : undefined;
      errors.push({
        text: known
          ? 'That template has changed or been withdrawn since you chose it. Choose a template again'
          : 'Select a template',
        href: '#template',
      });
    }
    const personal = validatePersonalParagraph(choice.personal, council.officialDomains);
    if (!personal.ok) errors.push(...personal.errors);
    const statusAfter = STATUSES_AFTER_REPLY.find((s) => s.value === choice.statusAfter)?.value;
    if (!statusAfter)
      errors.push({ text: 'Select the status the case will have after the reply', href: '#statusAfter' });
    if (errors.length > 0 || !version || !personal.ok || !statusAfter) return { ok: false as const, errors };
    return { ok: true as const, version, personal: personal.text, statusAfter };
  }

  /** The email as it would be sent, and a fresh id that makes sending it once only. */
  async function preview(
    principal: Principal,
    actor: AuditActor,
    caseId: string,
    choice: ReplyChoice,
  ): Promise<
    Result<{
      enquiry: cases.EnquiryCase;
      version: templates.ReplyTemplateVersion;
      personal: string;
      statusAfter: StatusAfterReply;
      message: OutboundMessage;
      entryId: string;
    }>
  > {
    const { enquiry, council } = await caseToHandle(principal, caseId);
    const checked = await checkChoice(enquiry, council, choice);
    if (!checked.ok) return checked;
    await viewed(actor, enquiry, 'reply-preview');
    const entryId = newId();
    const message = await composeReply(db, { ...checked, enquiry, council, entryId, baseUrl });
    return { ...checked, enquiry, message, entryId };
  }

  /**
   * Sends the previewed reply. `entryId` comes from the preview: sending the same preview twice (a
   * double click) sends one email. `seen` is when the case last changed as the agent saw it.
   */
  async function send(
    principal: Principal,
    actor: AuditActor,
    caseId: string,
    choice: ReplyChoice & { entryId: string; seen: string },
  ): Promise<Result> {
    const { enquiry, council } = await caseToHandle(principal, caseId);
    if (!isId(choice.entryId))
      throw new HttpProblem(400, 'This form is not complete', 'Go back to the case and start the reply again.');
    const earlier = (await cases.listEntries(db, enquiry.id)).find((e) => e.id === choice.entryId);
    if (earlier) return { ok: true };
    const checked = await checkChoice(enquiry, council, choice);
    if (!checked.ok) return checked;
    await db.transaction().execute(async (trx) => {
      await recordReply(trx, {
        ...checked,
        enquiry,
        council,
        actor,
        entryId: choice.entryId,
        baseUrl,
        idempotencyKey: `enquiry-reply:${choice.entryId}`,
        seenUpdatedAt: choice.seen,
      });
    });
    return { ok: true };
  }

  // Bulk replies.

  /** The councils whose cases the person may reply to. */
  async function handledCouncils(principal: Principal): Promise<Organisation[]> {
    const ids = organisationsWhere(principal, 'enquiry.handle');
    return (await listOrganisations(db, 'council')).filter((o) => ids.includes(o.id));
  }

  /**
   * Open cases of one council to choose from, as filtered, at most BULK_LIMIT; the council's
   * templates; its latest bulk replies. Audited: it lists residents.
   */
  async function bulkCandidates(principal: Principal, actor: AuditActor, filter: BulkFilter) {
    const councils = await handledCouncils(principal);
    const council = councils.length === 1 ? councils[0] : councils.find((c) => c.id === filter.organisationId);
    if (!council) return { councils, council: undefined, cases: [], more: false, templates: [], recent: [] };
    const search = filter.q ? parseSearch(filter.q) : undefined;
    const listed = await cases.listCases(
      db,
      {
        organisationIds: [council.id],
        statuses: OPEN_STATUSES,
        topic: filter.topic,
        priority: filter.priority,
        search,
      },
      { limit: BULK_LIMIT, offset: 0 },
    );
    await recordAudit(db, actor, {
      action: search ? 'enquiry.searched' : 'enquiry.queue-viewed',
      organisationId: council.id,
      details: {
        purpose: 'bulk-reply',
        organisationIds: [council.id],
        topic: filter.topic ?? null,
        priority: filter.priority ?? null,
        searchedBy: search ? Object.keys(search)[0] : null,
        shown: listed.cases.map((c) => c.reference),
      },
    });
    return {
      councils,
      council,
      cases: listed.cases,
      more: listed.total > listed.cases.length,
      templates: await usableTemplates(council.id, filter.topic),
      recent: await bulk.listBulkReplies(db, [council.id], 10),
    };
  }

  /** Loads the chosen cases: all of one council the person may handle; any other is a 404. */
  async function chosenCases(principal: Principal, caseIds: readonly string[]) {
    const loaded: cases.EnquiryCase[] = [];
    for (const id of new Set(caseIds)) {
      if (!isId(id)) throw notFound();
      const found = await cases.findCase(db, id);
      if (!found || !can(principal, 'enquiry.read', { organisationId: found.organisationId })) throw notFound();
      loaded.push(found);
    }
    return loaded;
  }

  /** What a bulk reply would do: which cases get the email and which are skipped, and why. */
  async function bulkCheck(
    principal: Principal,
    choice: BulkChoice,
  ): Promise<
    Result<{
      council: Organisation;
      version: templates.ReplyTemplateVersion;
      statusAfter: StatusAfterReply;
      toSend: cases.EnquiryCase[];
      skipped: Array<{ enquiry: cases.EnquiryCase; reason: string }>;
      example: OutboundMessage | undefined;
    }>
  > {
    const ids = [...new Set(choice.caseIds)];
    if (ids.length === 0) return { ok: false, errors: [{ text: 'Select the enquiries to reply to', href: '#cases' }] };
    if (ids.length > BULK_LIMIT) {
      return {
        ok: false,
        errors: [
          { text: `Select ${BULK_LIMIT} enquiries or fewer. Send the rest as another bulk reply`, href: '#cases' },
        ],
      };
    }
    const chosen = await chosenCases(principal, ids);
    const organisationIds = new Set(chosen.map((c) => c.organisationId));
    if (organisationIds.size > 1) {
      return { ok: false, errors: [{ text: 'Select enquiries from one council', href: '#cases' }] };
    }
    const organisationId = chosen[0]?.organisationId ?? '';
    if (!can(principal, 'enquiry.handle', { organisationId })) {
      throw new HttpProblem(403, 'You do not have permission to reply to these cases');
    }
    const council = await findOrganisationById(db, organisationId);
    if (!council) throw notFound();
    const errors: FieldError[] = [];
    const version = (await templates.listUsableVersions(db, council.id)).find((v) => v.id === choice.versionId);
    if (!version) errors.push({ text: 'Select a template', href: '#template' });
    const statusAfter = STATUSES_AFTER_REPLY.find((s) => s.value === choice.statusAfter)?.value;
    if (!statusAfter)
      errors.push({ text: 'Select the status the cases will have after the reply', href: '#statusAfter' });
    if (!version || !statusAfter) return { ok: false, errors };
    const toSend: cases.EnquiryCase[] = [];
    const skipped: Array<{ enquiry: cases.EnquiryCase; reason: string }> = [];
    for (const enquiry of chosen) {
      const reason = skipReason(enquiry);
      if (reason) skipped.push({ enquiry, reason });
      else toSend.push(enquiry);
    }
    const first = toSend[0];
    const example = first
      ? await composeReply(db, { enquiry: first, council, version, personal: '', entryId: newId(), baseUrl })
      : undefined;
    return { ok: true, council, version, statusAfter, toSend, skipped, example };
  }

  /**
   * Queues a bulk reply: one job per case that can be emailed, in one transaction with the record
   * of the bulk reply and its audit event. `bulkReplyId` comes from the confirmation page, so
   * confirming twice queues once.
   */
  async function bulkSend(
    principal: Principal,
    actor: AuditActor,
    choice: BulkChoice & { bulkReplyId: string },
  ): Promise<Result<{ bulkReplyId: string }>> {
    if (!isId(choice.bulkReplyId))
      throw new HttpProblem(400, 'This form is not complete', 'Start the bulk reply again.');
    const existing = await bulk.findBulkReply(db, choice.bulkReplyId);
    if (existing) {
      if (!can(principal, 'enquiry.handle', { organisationId: existing.organisationId })) throw notFound();
      return { ok: true, bulkReplyId: existing.id };
    }
    const checked = await bulkCheck(principal, choice);
    if (!checked.ok) return checked;
    if (checked.toSend.length === 0) {
      return {
        ok: false,
        errors: [{ text: 'None of the enquiries you selected can be sent an email', href: '#cases' }],
      };
    }
    const at = nowIso();
    const id = choice.bulkReplyId;
    await db.transaction().execute(async (trx) => {
      const inserted = await bulk.insertBulkReply(trx, {
        id,
        organisation_id: checked.council.id,
        template_version_id: checked.version.id,
        status_after: checked.statusAfter,
        base_url: baseUrl,
        created_by_user_id: actor.userId,
        created_by_label: actor.label,
        created_at: at,
      });
      if (!inserted) return; // the same confirmation, a moment ago
      await bulk.insertBulkReplyCases(trx, [
        ...checked.toSend.map((c) => ({
          bulk_reply_id: id,
          case_id: c.id,
          outcome: 'queued' as const,
          reason: null,
          entry_id: null,
          updated_at: at,
        })),
        ...checked.skipped.map((s) => ({
          bulk_reply_id: id,
          case_id: s.enquiry.id,
          outcome: 'skipped' as const,
          reason: s.reason,
          entry_id: null,
          updated_at: at,
        })),
      ]);
      for (const c of checked.toSend) {
        await enqueueJob(trx, {
          kind: BULK_REPLY_JOB,
          payload: { bulkReplyId: id, caseId: c.id },
          idempotencyKey: `${BULK_REPLY_JOB}:${id}:${c.id}`,
          organisationId: checked.council.id,
        });
      }
      await recordAudit(trx, actor, {
        action: 'enquiry.bulk-reply-queued',
        organisationId: checked.council.id,
        targetType: 'enquiry-bulk-reply',
        targetId: id,
        details: {
          templateId: checked.version.templateId,
          templateVersionId: checked.version.id,
          templateVersion: checked.version.version,
          statusAfter: checked.statusAfter,
          queued: checked.toSend.map((c) => c.reference),
          skipped: checked.skipped.map((s) => ({ reference: s.enquiry.reference, reason: s.reason })),
        },
      });
    });
    return { ok: true, bulkReplyId: id };
  }

  /** How far a bulk reply has got, case by case, for staff of its council. */
  async function bulkProgress(principal: Principal, bulkReplyId: string) {
    if (!isId(bulkReplyId)) throw notFound();
    const found = await bulk.findBulkReply(db, bulkReplyId);
    if (!found || !can(principal, 'enquiry.read', { organisationId: found.organisationId })) throw notFound();
    const version = await templates.findVersion(db, found.templateVersionId);
    const council = await findOrganisationById(db, found.organisationId);
    if (!version || !council) throw notFound();
    const rows = await bulk.listBulkReplyCases(db, found.id);
    const counts = { queued: 0, sent: 0, skipped: 0 };
    for (const r of rows) counts[r.outcome] += 1;
    return { bulkReply: found, version, council, cases: rows, counts };
  }

  return {
    replyPage,
    preview,
    send,
    handledCouncils,
    bulkCandidates,
    bulkCheck,
    bulkSend,
    bulkProgress,
  };
}

export type EnquiryRepliesService = ReturnType<typeof createEnquiryRepliesService>;
