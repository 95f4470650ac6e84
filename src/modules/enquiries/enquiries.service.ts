// Resident enquiries: opening a case (from the web form now; from mail and calls through the same
// openCase), triage and response targets, the staff queue and case handling. No HTTP and no SQL.
// Every staff read of a case and every staff action is audited; a resident sending the form is not
// (they act for themselves), and nothing here logs what a resident wrote.
import { createHash, randomInt } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import {
  listOrganisations,
  listStaffInOrganisations,
  type Organisation,
} from '../../platform/accounts/accounts.repository.ts';
import { recordAudit, type AuditActor } from '../../platform/audit/audit.service.ts';
import type { DB, EnquiryPriority, EnquiryStatus, EnquiryTopic } from '../../platform/db/schema.ts';
import type { GroupCommit } from '../../platform/db/group-commit.ts';
import { HttpProblem } from '../../platform/http/errors.ts';
import type { FieldError } from '../../platform/http/form-result.ts';
import { takenAddressProblem, type InboundMailboxes } from '../../platform/mail-in/inbound-mailboxes.ts';
import { isId, newId, nowIso } from '../../platform/ids.ts';
import { enqueuePreparedEmail, prepareEmail, type PreparedEmail } from '../../platform/mail/mail-jobs.ts';
import { parseInboundMail } from '../../platform/mail-in/inbound-mail-parser.ts';
import { findInboundMail } from '../../platform/mail-in/inbound-mail.repository.ts';
import { newVerificationReference } from '../../platform/mail/verification-reference.ts';
import { pooledRandomBytes } from '../../platform/random-pool.ts';
import { can, organisationsWhere, type Principal, type ResourceScope } from '../../platform/policy/policy.ts';
import * as shares from '../incidents/incident-shares.repository.ts';
import { findCurrentIncidentIdForCouncil } from '../incidents/incidents.repository.ts';
import { acknowledgementEmail } from './enquiry-messages.ts';
import { EMPTY_ANSWERS, normaliseUkPhone, validateEnquiry, type EnquiryAnswers } from './enquiry-form.ts';
import { newReference, normaliseReference, prefixFromName } from './enquiry-reference.ts';
import { CALL_OUTCOMES, type ValidCall } from './enquiry-calls.ts';
import { dueAtFor } from './enquiry-targets.ts';
import { buildDashboard } from './enquiry-dashboard.ts';
import { ENQUIRY_MAILBOX, validateSettings, type SettingsAnswers } from './enquiry-settings.ts';
import { triage } from './enquiry-triage.ts';
import * as repo from './enquiries.repository.ts';

/** How long web-form answers wait to be checked and sent. */
const DRAFT_HOURS = 2;
const HOUR = 3_600_000;
/** Two years, until a council sets its own: a common retention period for council contact records. */
export const DEFAULT_RETENTION_DAYS = 730;

export const STATUSES: ReadonlyArray<{ value: EnquiryStatus; text: string; open: boolean }> = [
  { value: 'new', text: 'New', open: true },
  { value: 'in-progress', text: 'In progress', open: true },
  { value: 'waiting', text: 'Waiting for resident', open: true },
  { value: 'resolved', text: 'Resolved', open: false },
  { value: 'closed', text: 'Closed', open: false },
];
export const OPEN_STATUSES = STATUSES.filter((s) => s.open).map((s) => s.value);

export const LIMITS = { note: 5000 };

const tokenHash = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
/** 32 random bytes as base64url: a draft's token, held only in the resident's cookie. */
export const DRAFT_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** What opens a case, whichever way it arrived. */
export interface NewCaseInput {
  organisationId: string;
  openedVia: 'web' | 'email' | 'phone';
  topic: EnquiryTopic;
  summary: string;
  residentName: string | null;
  residentEmail: string | null;
  residentPhone: string | null;
  residentAddress: string | null;
  replyBy: 'email' | 'phone' | 'post' | null;
  supportNeeds: string | null;
  agedOver75: boolean;
  socialCare: boolean;
  /** The resident's first message, or the call that opened the case. */
  first: {
    kind: 'message' | 'call';
    channel: 'web' | 'email' | 'phone';
    subject: string | null;
    body: string;
    emailMessageId: string | null;
    authorUserId: string | null;
    authorLabel: string;
    details?: Record<string, unknown>;
  };
}

/** What opening a case needs to know about its council. */
interface CouncilContext {
  settings: repo.EnquirySettings | undefined;
  referencePrefix: string;
  incidentId: string | null;
}

const councilContexts = new WeakMap<Transaction<DB>, Map<string, Promise<CouncilContext>>>();

/**
 * The council's enquiry settings, reference prefix and current incident. The name, when the caller
 * has the council already, saves reading it (it is needed only when no prefix has been set).
 */
async function readCouncilContext(
  executor: Kysely<DB> | Transaction<DB>,
  organisationId: string,
  name?: string,
): Promise<CouncilContext> {
  const settings = await repo.findSettings(executor, organisationId);
  const incidentId = await findCurrentIncidentIdForCouncil(executor, organisationId);
  const referencePrefix =
    settings?.referencePrefix ??
    prefixFromName(
      name ??
        (
          await executor
            .selectFrom('organisations')
            .select('name')
            .where('id', '=', organisationId)
            .executeTakeFirstOrThrow()
        ).name,
    );
  return { settings, referencePrefix, incidentId: incidentId ?? null };
}

/**
 * The council context (readCouncilContext) looked up once per transaction, for cases opened inside
 * one (by mail, by phone, the demo): none of it changes while the transaction runs.
 */
function councilContext(trx: Transaction<DB>, organisationId: string): Promise<CouncilContext> {
  let byCouncil = councilContexts.get(trx);
  if (!byCouncil) {
    byCouncil = new Map();
    councilContexts.set(trx, byCouncil);
  }
  let context = byCouncil.get(organisationId);
  if (!context) {
    context = readCouncilContext(trx, organisationId);
    byCouncil.set(organisationId, context);
  }
  return context;
}

/** A case made ready to store (see prepareCase): its row, reference included, and its first entry. */
interface PreparedCase {
  row: repo.NewCase;
  first: repo.NewEntry;
}

/**
 * Everything about a new case that needs no database: triage from everything the resident told us,
 * the response target, ids, a fresh reference, and the first entry.
 */
function prepareCase(input: NewCaseInput, council: CouncilContext, now: Date): PreparedCase {
  const { priority, reasons } = triage({
    text: `${input.first.subject ?? ''}\n${input.first.body}`,
    supportNeeds: input.supportNeeds,
    agedOver75: input.agedOver75,
    socialCare: input.socialCare,
  });
  const at = now.toISOString();
  const id = newId();
  return {
    row: {
      id,
      organisation_id: input.organisationId,
      incident_id: council.incidentId,
      // 78 billion codes per council make a clash all but impossible; if one comes, the insert says so.
      reference: newReference(council.referencePrefix, randomInt),
      topic: input.topic,
      status: 'new',
      priority,
      priority_reasons: JSON.stringify(reasons),
      opened_via: input.openedVia,
      summary: input.summary.slice(0, 200),
      resident_name: input.residentName,
      resident_email: input.residentEmail,
      resident_phone: input.residentPhone,
      resident_address: input.residentAddress,
      reply_by: input.replyBy,
      support_needs: input.supportNeeds,
      aged_75_or_over: input.agedOver75 ? 1 : 0,
      social_care: input.socialCare ? 1 : 0,
      due_at: dueAtFor(priority, now),
      created_at: at,
      updated_at: at,
    },
    first: {
      id: newId(),
      case_id: id,
      kind: input.first.kind,
      channel: input.first.channel,
      subject: input.first.subject,
      body: input.first.body,
      email_message_id: input.first.emailMessageId,
      author_user_id: input.first.authorUserId,
      author_label: input.first.authorLabel,
      details: JSON.stringify(input.first.details ?? {}),
      created_at: at,
    },
  };
}

/** Stores a prepared case and its first entry; undefined (nothing stored) if its reference is taken. */
async function storeCase(trx: Transaction<DB>, prepared: PreparedCase): Promise<repo.EnquiryCase | undefined> {
  const stored = await repo.insertCase(trx, prepared.row);
  if (stored) await repo.insertEntry(trx, prepared.first);
  return stored;
}

/**
 * Opens a case in the caller's transaction: a fresh reference, triage from everything the
 * resident told us, the response target, and the first entry. Returns the case as stored.
 */
export async function openCase(trx: Transaction<DB>, input: NewCaseInput, now = new Date()): Promise<repo.EnquiryCase> {
  const council = await councilContext(trx, input.organisationId);
  const prepared = prepareCase(input, council, now);
  for (;;) {
    const stored = await storeCase(trx, prepared);
    if (stored) return stored;
    prepared.row.reference = newReference(council.referencePrefix, randomInt);
  }
}

/** The acknowledgement of a new case made ready to store (see prepareAcknowledgement). */
interface PreparedAcknowledgement {
  entry: repo.NewEntry;
  email: PreparedEmail;
}

/**
 * The acknowledgement email for a new case and its entry on the case (with its Message-ID, so that
 * replies to it thread there), made without the database; undefined when there is no address.
 */
function prepareAcknowledgement(
  council: Pick<Organisation, 'id' | 'name' | 'slug'>,
  opened: Pick<repo.EnquiryCase, 'id' | 'reference' | 'residentEmail' | 'residentName' | 'priority' | 'createdAt'>,
  settings: repo.EnquirySettings | undefined,
  publicBaseUrl: string,
): PreparedAcknowledgement | undefined {
  if (!opened.residentEmail) return undefined;
  const baseUrl = publicBaseUrl.replace(/\/+$/, '');
  const entryId = newId();
  const messageId = `<${opened.reference.toLowerCase()}.${entryId}@${new URL(baseUrl).hostname}>`;
  const message = acknowledgementEmail({
    to: opened.residentEmail,
    name: opened.residentName ?? '',
    councilName: council.name,
    reference: opened.reference,
    urgent: opened.priority === 'urgent',
    replyTo: settings?.enquiryAddresses[0],
    messageId,
    councilPageUrl: `${baseUrl}/${council.slug}/cyber-incident`,
    verificationReference: newVerificationReference(),
  });
  return {
    entry: {
      id: entryId,
      case_id: opened.id,
      kind: 'reply',
      channel: 'email',
      subject: message.subject,
      body: message.text,
      email_message_id: messageId,
      author_user_id: null,
      author_label: 'Wardroom (automatic acknowledgement)',
      details: JSON.stringify({ automatic: true, verificationReference: message.reference }),
      created_at: opened.createdAt,
    },
    email: prepareEmail(message, { idempotencyKey: `enquiry-ack:${opened.id}`, organisationId: council.id }),
  };
}

async function storeAcknowledgement(trx: Transaction<DB>, prepared: PreparedAcknowledgement): Promise<void> {
  await repo.insertEntry(trx, prepared.entry);
  await enqueuePreparedEmail(trx, prepared.email);
}

/**
 * The acknowledgement email for a new case, queued in the caller's transaction and recorded on the
 * case (with its Message-ID) so that replies to it thread there.
 */
export async function queueAcknowledgement(
  trx: Transaction<DB>,
  council: Pick<Organisation, 'id' | 'name' | 'slug'>,
  opened: repo.EnquiryCase,
  publicBaseUrl: string,
): Promise<void> {
  if (!opened.residentEmail) return;
  const { settings } = await councilContext(trx, council.id);
  const prepared = prepareAcknowledgement(council, opened, settings, publicBaseUrl);
  if (prepared) await storeAcknowledgement(trx, prepared);
}

export interface QueueFilter {
  organisationId?: string | undefined;
  status?: 'open' | EnquiryStatus | 'all' | undefined;
  topic?: EnquiryTopic | undefined;
  priority?: EnquiryPriority | undefined;
  assigned?: 'me' | 'nobody' | undefined;
  q?: string | undefined;
  page?: number | undefined;
}

export const PAGE_SIZE = 50;

/** What a search box entry means: a reference, an email address, a phone number, or words. */
export function parseSearch(q: string): repo.CaseFilter['search'] {
  const text = q.trim();
  if (text === '') return undefined;
  const reference = normaliseReference(text);
  if (reference) return { reference };
  if (text.includes('@')) return { email: text.toLowerCase() };
  const phone = normaliseUkPhone(text);
  if (phone) return { phone };
  return { text: text.slice(0, 100) };
}

export function createEnquiriesService(
  db: Kysely<DB>,
  options: {
    publicBaseUrl: string;
    /** Writes residents' drafts and submissions, many to a transaction under load. */
    writes: GroupCommit;
    /** A registry of every mailbox, made for each question (so no mailbox answers from a cache). */
    mailboxes: () => InboundMailboxes;
  },
) {
  const baseUrl = options.publicBaseUrl.replace(/\/+$/, '');
  const { writes } = options;

  // The web form.

  /** Keeps the form's answers for the check-your-answers page; returns the token for the cookie. */
  async function saveDraft(council: Organisation, answers: EnquiryAnswers, token: string | undefined): Promise<string> {
    const now = new Date();
    const useToken = token && DRAFT_TOKEN.test(token) ? token : pooledRandomBytes(32).toString('base64url');
    // Made before the write lock is taken, which the transaction holds for the write alone.
    const row = {
      tokenHash: tokenHash(useToken),
      organisationId: council.id,
      answers: JSON.stringify(answers),
      now: now.toISOString(),
      expiresAt: new Date(now.getTime() + DRAFT_HOURS * HOUR).toISOString(),
    };
    await writes.run((trx) => repo.upsertDraft(trx, row));
    return useToken;
  }

  /**
   * The answers kept for this council under the token, or the reference if they have been sent
   * (`sent`; the reference is undefined should that case be gone).
   */
  async function draft(council: Organisation, token: string | undefined): Promise<KeptDraft | undefined> {
    if (!token || !DRAFT_TOKEN.test(token)) return undefined;
    const found = await repo.findDraft(db, tokenHash(token), nowIso());
    if (!found || found.organisationId !== council.id) return undefined;
    if (found.caseId) {
      const sent = await repo.findCase(db, found.caseId);
      return { answers: EMPTY_ANSWERS, stored: found.answers, sent: true, sentReference: sent?.reference };
    }
    return {
      answers: { ...EMPTY_ANSWERS, ...(JSON.parse(found.answers) as Partial<EnquiryAnswers>) },
      stored: found.answers,
      sent: false,
      sentReference: undefined,
    };
  }

  /**
   * The council's enquiry settings and current incident, as a submission reads them before it takes
   * the write lock. Read once per turn of the event loop for every submission of that turn (a surge
   * brings dozens), so what a submission sees is never older than the turn it arrived in.
   */
  const contextsThisTurn = new Map<string, Promise<CouncilContext>>();
  function currentCouncilContext(council: Organisation): Promise<CouncilContext> {
    let context = contextsThisTurn.get(council.id);
    if (!context) {
      if (contextsThisTurn.size === 0) setImmediate(() => contextsThisTurn.clear());
      context = readCouncilContext(db, council.id, council.name);
      contextsThisTurn.set(council.id, context);
    }
    return context;
  }

  /**
   * Sends the kept answers as a case, in one transaction with the acknowledgement email (shared with
   * other residents' submissions under load); resolves once that has committed. Sending twice (a
   * double click, the back button) makes one case.
   *
   * Everything that needs no lock is done first: reading the answers (from committed data), checking
   * them, triage, the case's reference and rows, and the acknowledgement email. The transaction only
   * writes, so the write lock, which every process of the server shares on SQLite, is held for the
   * writes alone. It stores the case only if the answers are still unsent and unchanged; otherwise
   * (the same answers sent a moment ago, or changed in another tab) the answers are read again.
   */
  async function submit(
    council: Organisation,
    token: string | undefined,
    consent: boolean,
    attempt = 1,
  ): Promise<SubmitOutcome> {
    const kept = await draft(council, token);
    if (!token || !kept) return { ok: false, expired: true };
    if (kept.sent) return { ok: true, reference: kept.sentReference ?? '' };
    if (!consent) {
      return {
        ok: false,
        errors: [{ text: 'Select that you agree to us using your details to answer your enquiry', href: '#consent' }],
      };
    }
    const checked = validateEnquiry(kept.answers);
    if (!checked.ok) return { ok: false, errors: checked.errors };
    const e = checked.enquiry;
    const context = await currentCouncilContext(council);
    const prepared = prepareCase(
      {
        organisationId: council.id,
        openedVia: 'web',
        topic: e.topic,
        summary: e.message.split('\n')[0] ?? '',
        residentName: e.name,
        residentEmail: e.email,
        residentPhone: e.phone,
        residentAddress: e.address,
        replyBy: e.replyBy,
        supportNeeds: e.supportNeeds,
        agedOver75: e.agedOver75,
        socialCare: e.socialCare,
        first: {
          kind: 'message',
          channel: 'web',
          subject: null,
          body: e.message,
          emailMessageId: null,
          authorUserId: null,
          authorLabel: e.name,
        },
      },
      context,
      new Date(),
    );
    const row = prepared.row;
    const acknowledgement = prepareAcknowledgement(
      council,
      {
        id: row.id,
        reference: row.reference,
        residentEmail: row.resident_email,
        residentName: row.resident_name,
        priority: row.priority,
        createdAt: row.created_at,
      },
      context.settings,
      baseUrl,
    );
    try {
      return await writes.run(async (trx): Promise<SubmitOutcome> => {
        if (!(await storeCase(trx, prepared))) throw new ReferenceTaken();
        if (!(await repo.markDraftSent(trx, tokenHash(token), row.id, kept.stored))) throw new DraftMoved();
        if (acknowledgement) await storeAcknowledgement(trx, acknowledgement);
        return { ok: true, reference: row.reference };
      });
    } catch (err) {
      // Rolled back: start again from the answers as they are now (sent, changed, or as they were
      // with another reference). A few tries at most, so that nothing can loop.
      if ((err instanceof DraftMoved || err instanceof ReferenceTaken) && attempt < 5) {
        return submit(council, token, consent, attempt + 1);
      }
      throw err;
    }
  }

  // Staff.

  function readable(principal: Principal): string[] {
    return organisationsWhere(principal, 'enquiry.read');
  }

  /** The queue for the councils the person works for, as filtered. Audited: it lists residents. */
  async function queue(principal: Principal, actor: AuditActor, filter: QueueFilter) {
    const mine = readable(principal);
    const organisationIds = filter.organisationId ? mine.filter((id) => id === filter.organisationId) : mine;
    // Cases other councils shared with the person's councils, for the incidents they shared.
    const sharedIncidents = (await shares.sharedToward(db, mine, 'enquiries')).filter(
      (s) =>
        !mine.includes(s.ownerOrganisationId) &&
        (!filter.organisationId || s.ownerOrganisationId === filter.organisationId),
    );
    const search = filter.q ? parseSearch(filter.q) : undefined;
    // A reference finds its case whatever its status: a resident on the phone may quote a closed one.
    const statuses =
      filter.status === 'all' || (search && 'reference' in search)
        ? undefined
        : filter.status && filter.status !== 'open'
          ? [filter.status]
          : OPEN_STATUSES;
    const page = Math.max(1, Math.min(filter.page ?? 1, 1000));
    const result = await repo.listCases(
      db,
      {
        organisationIds,
        sharedIncidents,
        statuses,
        topic: filter.topic,
        priority: filter.priority,
        assignedTo: filter.assigned === 'me' ? principal.userId : filter.assigned === 'nobody' ? null : undefined,
        search,
      },
      { limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE },
    );
    await recordAudit(db, actor, {
      action: search ? 'enquiry.searched' : 'enquiry.queue-viewed',
      organisationId: organisationIds.length === 1 ? organisationIds[0] : null,
      details: {
        organisationIds,
        status: filter.status ?? 'open',
        topic: filter.topic ?? null,
        priority: filter.priority ?? null,
        assigned: filter.assigned ?? null,
        // What was searched for is itself personal data (an address, a number): only its kind is kept.
        searchedBy: search ? Object.keys(search)[0] : null,
        page,
        shown: result.cases.map((c) => c.reference),
      },
    });
    return { ...result, page, pageSize: PAGE_SIZE };
  }

  /** Who a case belongs to, and who its council shared its enquiries about the incident with. */
  async function scopeOf(c: repo.EnquiryCase): Promise<ResourceScope> {
    const sharedWith = c.incidentId ? await shares.sharedWith(db, c.incidentId, c.organisationId, 'enquiries') : [];
    return { organisationId: c.organisationId, sharedWith };
  }

  async function caseFor(principal: Principal, action: 'enquiry.read' | 'enquiry.handle', caseId: string) {
    if (!isId(caseId)) throw new HttpProblem(404, 'Page not found');
    const found = await repo.findCase(db, caseId);
    const scope = found && (await scopeOf(found));
    // Another council's case is "not found", so its existence is not revealed either.
    if (!found || !scope || !can(principal, 'enquiry.read', scope)) {
      throw new HttpProblem(404, 'Page not found');
    }
    if (action === 'enquiry.handle' && !can(principal, action, scope)) {
      throw new HttpProblem(403, 'You do not have permission to change this case');
    }
    return found;
  }

  /** A case with everything on it, for a person allowed to read it. Audited. */
  async function view(principal: Principal, actor: AuditActor, caseId: string) {
    const found = await caseFor(principal, 'enquiry.read', caseId);
    const entries = await repo.listEntries(db, found.id);
    await recordAudit(db, actor, {
      action: 'enquiry.viewed',
      organisationId: found.organisationId,
      targetType: 'enquiry-case',
      targetId: found.id,
      details: { reference: found.reference },
    });
    const assignable = (await listStaffInOrganisations(db, [found.organisationId])).filter((u) =>
      u.memberships.some((m) => m.organisationId === found.organisationId && m.role === 'agent'),
    );
    const mergedInto = found.mergedIntoCaseId ? await repo.findCase(db, found.mergedIntoCaseId) : undefined;
    return {
      case: found,
      entries,
      assignable,
      mergedInto: mergedInto && { id: mergedInto.id, reference: mergedInto.reference },
      mayHandle: can(principal, 'enquiry.handle', await scopeOf(found)),
    };
  }

  /** Runs a change to a case, with its entry and audit event, if nobody changed it since it was seen. */
  async function change(
    principal: Principal,
    actor: AuditActor,
    caseId: string,
    seenUpdatedAt: string,
    make: (
      c: repo.EnquiryCase,
      at: string,
    ) => {
      change: Omit<Parameters<typeof repo.updateCase>[2], 'updated_at'>;
      entry: { kind: 'note' | 'event'; body: string; details?: Record<string, unknown> };
      audit: { action: string; details: Record<string, unknown> };
    },
  ): Promise<void> {
    const found = await caseFor(principal, 'enquiry.handle', caseId);
    const at = nowIso();
    const made = make(found, at);
    await db.transaction().execute(async (trx) => {
      const done = await repo.updateCase(trx, found.id, { ...made.change, updated_at: at }, seenUpdatedAt);
      if (!done)
        throw new HttpProblem(409, 'Someone else changed this case', 'Look at the case again before you change it.');
      await repo.insertEntry(trx, {
        id: newId(),
        case_id: found.id,
        kind: made.entry.kind,
        channel: null,
        subject: null,
        body: made.entry.body,
        email_message_id: null,
        author_user_id: actor.userId,
        author_label: actor.label,
        details: JSON.stringify(made.entry.details ?? {}),
        created_at: at,
      });
      await recordAudit(trx, actor, {
        action: made.audit.action,
        organisationId: found.organisationId,
        targetType: 'enquiry-case',
        targetId: found.id,
        details: { reference: found.reference, ...made.audit.details },
      });
    });
  }

  async function addNote(
    principal: Principal,
    actor: AuditActor,
    caseId: string,
    seenUpdatedAt: string,
    text: string,
  ): Promise<{ ok: true } | { ok: false; errors: FieldError[] }> {
    const note = text.trim();
    if (note === '') return { ok: false, errors: [{ text: 'Enter a note', href: '#note' }] };
    if (note.length > LIMITS.note) {
      return { ok: false, errors: [{ text: 'The note must be 5,000 characters or fewer', href: '#note' }] };
    }
    await change(principal, actor, caseId, seenUpdatedAt, () => ({
      change: {},
      entry: { kind: 'note', body: note },
      // The note itself may hold personal data; the audit log keeps that a note was added.
      audit: { action: 'enquiry.note-added', details: { length: note.length } },
    }));
    return { ok: true };
  }

  async function setStatus(
    principal: Principal,
    actor: AuditActor,
    caseId: string,
    seenUpdatedAt: string,
    status: string,
  ): Promise<{ ok: true } | { ok: false; errors: FieldError[] }> {
    const to = STATUSES.find((s) => s.value === status);
    if (!to) return { ok: false, errors: [{ text: 'Select a status', href: '#status' }] };
    await change(principal, actor, caseId, seenUpdatedAt, (c, at) => ({
      change: {
        status: to.value,
        closed_at: to.open ? null : (c.closedAt ?? at),
      },
      entry: {
        kind: 'event',
        body: `Status changed from ${STATUSES.find((s) => s.value === c.status)?.text ?? c.status} to ${to.text}`,
        details: { from: c.status, to: to.value },
      },
      audit: { action: 'enquiry.status-changed', details: { from: c.status, to: to.value } },
    }));
    return { ok: true };
  }

  async function assign(
    principal: Principal,
    actor: AuditActor,
    caseId: string,
    seenUpdatedAt: string,
    userId: string,
  ): Promise<{ ok: true } | { ok: false; errors: FieldError[] }> {
    const found = await caseFor(principal, 'enquiry.handle', caseId);
    let label = 'nobody';
    if (userId !== '') {
      const agents = (await listStaffInOrganisations(db, [found.organisationId])).filter((u) =>
        u.memberships.some((m) => m.organisationId === found.organisationId && m.role === 'agent'),
      );
      const agent = agents.find((a) => a.id === userId);
      if (!agent)
        return {
          ok: false,
          errors: [{ text: 'Select someone who works on this council’s enquiries', href: '#assignee' }],
        };
      label = agent.displayName;
    }
    await change(principal, actor, caseId, seenUpdatedAt, (c) => ({
      change: {
        assigned_user_id: userId === '' ? null : userId,
        status: c.status === 'new' && userId !== '' ? 'in-progress' : c.status,
      },
      entry: {
        kind: 'event',
        body: userId === '' ? 'Unassigned' : `Assigned to ${label}`,
        details: { assignedTo: userId || null },
      },
      audit: { action: 'enquiry.assigned', details: { from: c.assignedUserId, to: userId || null } },
    }));
    return { ok: true };
  }

  /**
   * Logs a helpline call: on the case whose reference the agent gave, or as a new case for the
   * council. Triage runs again on what was said (a case can become urgent, never less urgent), a
   * call that reached the resident is the first response if there was none, the outcome sets the
   * status, and a promised call back is kept on the case. One transaction, audited.
   */
  async function logCall(
    principal: Principal,
    actor: AuditActor,
    organisationId: string | undefined,
    call: ValidCall,
  ): Promise<{ ok: true; caseId: string } | { ok: false; errors: FieldError[] }> {
    const handled = organisationsWhere(principal, 'enquiry.handle');
    const now = new Date();
    const at = now.toISOString();
    const reached = call.outcome !== 'no-answer';
    const outcome = CALL_OUTCOMES.find((o) => o.value === call.outcome);
    const details = { direction: call.direction, outcome: call.outcome, callbackDueAt: call.callbackDueAt };

    if (call.reference) {
      const found = await repo.findCaseByReference(db, call.reference);
      if (!found || !can(principal, 'enquiry.handle', await scopeOf(found))) {
        return {
          ok: false,
          errors: [{ text: 'There is no case with that reference in your council’s enquiries', href: '#reference' }],
        };
      }
      await db.transaction().execute(async (trx) => {
        const again = triage({
          text: call.notes,
          supportNeeds: call.supportNeeds,
          agedOver75: call.agedOver75,
          socialCare: call.socialCare,
        });
        const raised = raisePriority(found, again, now);
        const status = outcome?.status ?? found.status;
        const done = await repo.updateCase(trx, found.id, {
          updated_at: at,
          ...raised.change,
          first_response_at: found.firstResponseAt ?? (reached ? at : null),
          status,
          closed_at: OPEN_STATUSES.includes(status) ? null : (found.closedAt ?? at),
          // A call we made settles the call back that was due; a new promise replaces it.
          callback_due_at:
            call.callbackDueAt ?? (call.direction === 'outgoing' && reached ? null : found.callbackDueAt),
          resident_phone: found.residentPhone ?? call.phone,
          resident_email: found.residentEmail ?? call.email,
          support_needs: found.supportNeeds ?? call.supportNeeds,
          aged_75_or_over: found.agedOver75 || call.agedOver75 ? 1 : 0,
          social_care: found.socialCare || call.socialCare ? 1 : 0,
        });
        if (!done) throw new Error('the case could not be updated');
        await repo.insertEntry(trx, callEntry(found.id, call, actor, details, at));
        await recordAudit(trx, actor, {
          action: 'enquiry.call-logged',
          organisationId: found.organisationId,
          targetType: 'enquiry-case',
          targetId: found.id,
          details: { reference: found.reference, ...details, escalated: raised.escalated },
        });
      });
      return { ok: true, caseId: found.id };
    }

    const councilId = organisationId ?? (handled.length === 1 ? handled[0] : undefined);
    if (!councilId || !handled.includes(councilId)) {
      return { ok: false, errors: [{ text: 'Select the council the call is for', href: '#council' }] };
    }
    const caseId = await db.transaction().execute(async (trx) => {
      const opened = await openCase(
        trx,
        {
          organisationId: councilId,
          openedVia: 'phone',
          topic: call.topic ?? 'other',
          summary: call.notes.split('\n')[0] ?? '',
          residentName: call.callerName,
          residentEmail: call.email,
          residentPhone: call.phone,
          residentAddress: null,
          replyBy: call.phone ? 'phone' : 'email',
          supportNeeds: call.supportNeeds,
          agedOver75: call.agedOver75,
          socialCare: call.socialCare,
          first: { ...callEntryFirst(call, actor), details },
        },
        now,
      );
      await repo.updateCase(trx, opened.id, {
        updated_at: at,
        first_response_at: reached ? at : null,
        status: outcome?.status ?? opened.status,
        closed_at: outcome?.status === 'resolved' ? at : null,
        callback_due_at: call.callbackDueAt,
        assigned_user_id: call.outcome === 'follow-up' || call.callbackDueAt ? actor.userId : null,
      });
      await recordAudit(trx, actor, {
        action: 'enquiry.call-logged',
        organisationId: councilId,
        targetType: 'enquiry-case',
        targetId: opened.id,
        details: { reference: opened.reference, ...details, opened: true },
      });
      return opened.id;
    });
    return { ok: true, caseId };
  }

  /** The case to keep when merging, checked; for the confirmation page. */
  async function mergeTarget(
    principal: Principal,
    caseId: string,
    typedReference: string,
  ): Promise<{ ok: true; from: repo.EnquiryCase; into: repo.EnquiryCase } | { ok: false; errors: FieldError[] }> {
    const from = await caseFor(principal, 'enquiry.handle', caseId);
    const fail = (text: string) => ({ ok: false as const, errors: [{ text, href: '#into' }] });
    if (from.mergedIntoCaseId) return fail('This case has already been merged into another');
    const reference = normaliseReference(typedReference);
    if (!reference) return fail('Enter the reference of the case to keep, like WCC-7K4F-9QXD');
    const into = await repo.findCaseByReference(db, reference);
    if (!into || into.organisationId !== from.organisationId) {
      return fail('There is no case with that reference in this council’s enquiries');
    }
    if (into.id === from.id) return fail('Enter the reference of a different case');
    if (into.mergedIntoCaseId) return fail('That case was itself merged into another: enter the reference of that one');
    return { ok: true, from, into };
  }

  /**
   * Merges a duplicate into the case to keep: its history moves across, the kept case takes the
   * more urgent priority, every reason, the earlier target and any contact details it lacked, and
   * the duplicate is closed with a pointer to it. One transaction, audited.
   */
  async function merge(
    principal: Principal,
    actor: AuditActor,
    caseId: string,
    seenUpdatedAt: string,
    typedReference: string,
  ): Promise<{ ok: true; intoId: string } | { ok: false; errors: FieldError[] }> {
    const checked = await mergeTarget(principal, caseId, typedReference);
    if (!checked.ok) return checked;
    const { from, into } = checked;
    const at = nowIso();
    await db.transaction().execute(async (trx) => {
      const closed = await repo.updateCase(
        trx,
        from.id,
        { updated_at: at, merged_into_case_id: into.id, status: 'closed', closed_at: at, callback_due_at: null },
        seenUpdatedAt,
      );
      if (!closed)
        throw new HttpProblem(409, 'Someone else changed this case', 'Look at the case again before you merge it.');
      await repo.moveEntries(trx, from.id, into.id);
      const reasons = [
        ...into.priorityReasons,
        ...from.priorityReasons.filter((r) => !into.priorityReasons.includes(r)),
      ];
      const earliest = (a: string | null, b: string | null) => (a === null ? b : b === null ? a : a < b ? a : b);
      await repo.updateCase(trx, into.id, {
        updated_at: at,
        priority: from.priority === 'urgent' || into.priority === 'urgent' ? 'urgent' : 'standard',
        priority_reasons: JSON.stringify(reasons),
        due_at: earliest(into.dueAt, from.dueAt) ?? into.dueAt,
        first_response_at: earliest(into.firstResponseAt, from.firstResponseAt),
        callback_due_at: earliest(into.callbackDueAt, from.callbackDueAt),
        resident_name: into.residentName ?? from.residentName,
        resident_email: into.residentEmail ?? from.residentEmail,
        resident_phone: into.residentPhone ?? from.residentPhone,
        resident_address: into.residentAddress ?? from.residentAddress,
        support_needs: into.supportNeeds ?? from.supportNeeds,
        aged_75_or_over: into.agedOver75 || from.agedOver75 ? 1 : 0,
        social_care: into.socialCare || from.socialCare ? 1 : 0,
        // A closed case that a live duplicate joins is open again.
        status: into.status === 'closed' || into.status === 'resolved' ? 'in-progress' : into.status,
        closed_at: null,
      });
      const event = (id: string, body: string) =>
        repo.insertEntry(trx, {
          id: newId(),
          case_id: id,
          kind: 'event',
          channel: null,
          subject: null,
          body,
          email_message_id: null,
          author_user_id: actor.userId,
          author_label: actor.label,
          details: JSON.stringify({ mergedFrom: from.reference, mergedInto: into.reference }),
          created_at: at,
        });
      await event(into.id, `${from.reference} merged into this case; its history is above`);
      await event(from.id, `Merged into ${into.reference}`);
      await recordAudit(trx, actor, {
        action: 'enquiry.merged',
        organisationId: from.organisationId,
        targetType: 'enquiry-case',
        targetId: into.id,
        details: { from: from.reference, fromId: from.id, into: into.reference },
      });
    });
    return { ok: true, intoId: into.id };
  }

  /** The dashboard for the councils the person reads enquiries for (or one of them). Counts only: not audited as a read of personal data. */
  async function dashboard(principal: Principal, organisationId: string | undefined, now = new Date()) {
    const mine = readable(principal);
    const organisationIds = organisationId ? mine.filter((id) => id === organisationId) : mine;
    const since = new Date(now.getTime() - 30 * 24 * HOUR).toISOString();
    return buildDashboard(await repo.dashboardCases(db, organisationIds, since), now);
  }

  /**
   * An attachment of an email on a case, from the stored original message: only for someone who may
   * read the case, and audited. Undefined when it is not there (or was over the size cap).
   */
  async function attachment(
    principal: Principal,
    actor: AuditActor,
    caseId: string,
    entryId: string,
    index: number,
  ): Promise<{ filename: string; content: Buffer } | undefined> {
    const found = await caseFor(principal, 'enquiry.read', caseId);
    const entry = (await repo.listEntries(db, found.id)).find((e) => e.id === entryId);
    const mailId = entry?.details['inboundMailId'];
    if (!entry || typeof mailId !== 'string') return undefined;
    const mail = await findInboundMail(db, mailId);
    if (!mail) return undefined;
    const parsed = await parseInboundMail(mail.raw);
    const wanted = parsed.attachments[index];
    if (!wanted?.content) return undefined;
    await recordAudit(db, actor, {
      action: 'enquiry.attachment-downloaded',
      organisationId: found.organisationId,
      targetType: 'enquiry-case',
      targetId: found.id,
      details: { reference: found.reference, entryId, index, sha256: wanted.sha256, size: wanted.size },
    });
    return { filename: wanted.filename ?? `attachment-${index + 1}`, content: wanted.content };
  }

  /** The enquiry settings of each council the person may configure (defaults where none are saved). */
  async function settingsFor(
    principal: Principal,
  ): Promise<Array<{ council: Organisation; settings: repo.EnquirySettings; saved: boolean }>> {
    const mine = organisationsWhere(principal, 'enquiry.configure');
    const saved = await repo.listSettings(db);
    const councils = (await listOrganisations(db, 'council')).filter((o) => mine.includes(o.id));
    return councils.map((council) => {
      const found = saved.find((s) => s.organisationId === council.id);
      return {
        council,
        saved: found !== undefined,
        settings: found ?? {
          organisationId: council.id,
          referencePrefix: prefixFromName(council.name),
          enquiryAddresses: [],
          retentionDays: DEFAULT_RETENTION_DAYS,
        },
      };
    });
  }

  /** Changes a council's enquiry settings, if nobody else uses its letters or addresses. Audited. */
  async function saveSettings(
    principal: Principal,
    actor: AuditActor,
    organisationId: string,
    answers: SettingsAnswers,
  ): Promise<{ ok: true } | { ok: false; errors: FieldError[] }> {
    if (!isId(organisationId) || !can(principal, 'enquiry.configure', { organisationId })) {
      throw new HttpProblem(404, 'Page not found');
    }
    const checked = validateSettings(answers);
    if (!checked.ok) return checked;
    const next = { organisationId, ...checked.settings };
    const others = (await repo.listSettings(db)).filter((s) => s.organisationId !== organisationId);
    const errors: FieldError[] = [];
    if (others.some((s) => s.referencePrefix === next.referencePrefix)) {
      errors.push({
        text: 'Another council’s references start with these letters: choose others',
        href: '#referencePrefix',
      });
    }
    const taken = next.enquiryAddresses.filter((a) => others.some((s) => s.enquiryAddresses.includes(a)));
    if (taken.length > 0) {
      errors.push({ text: `Another council already takes mail for ${taken.join(', ')}`, href: '#enquiryAddresses' });
    }
    for (const taken of await options.mailboxes().takenByOthers(ENQUIRY_MAILBOX, next.enquiryAddresses, db)) {
      errors.push({ text: takenAddressProblem(taken), href: '#enquiryAddresses' });
    }
    if (errors.length > 0) return { ok: false, errors };
    const before = await repo.findSettings(db, organisationId);
    await db.transaction().execute(async (trx) => {
      await repo.upsertSettings(trx, next, nowIso());
      await recordAudit(trx, actor, {
        action: 'enquiry.settings-changed',
        organisationId,
        targetType: 'organisation',
        targetId: organisationId,
        details: { before: before ?? null, after: next },
      });
    });
    return { ok: true };
  }

  return {
    saveDraft,
    draft,
    submit,
    queue,
    view,
    addNote,
    setStatus,
    assign,
    logCall,
    mergeTarget,
    merge,
    settingsFor,
    saveSettings,
    dashboard,
    attachment,
  };
}

/** A submission's answers were sent, or changed, after they were read: read them again. */
class DraftMoved extends Error {}

/** A new case's reference was taken by another (all but impossible): make another. */
class ReferenceTaken extends Error {}

/** Answers kept for the check-your-answers page, or the reference they were sent under. */
interface KeptDraft {
  answers: EnquiryAnswers;
  /** The answers as stored, which sending them compares (see markDraftSent). */
  stored: string;
  sent: boolean;
  sentReference: string | undefined;
}

/** What sending the web form's kept answers came to. */
type SubmitOutcome =
  { ok: true; reference: string } | { ok: false; errors: FieldError[] } | { ok: false; expired: true };

/**
 * What a case becomes after triage of something new the resident said: urgent if it was not and now
 * is (with a 4-hour target unless the old one was sooner), with every reason; never less urgent.
 */
export function raisePriority(
  found: repo.EnquiryCase,
  again: { priority: EnquiryPriority; reasons: string[] },
  now: Date,
) {
  const reasons = [...found.priorityReasons, ...again.reasons.filter((r) => !found.priorityReasons.includes(r))];
  const escalated = again.priority === 'urgent' && found.priority !== 'urgent';
  const urgentDue = dueAtFor('urgent', now);
  return {
    escalated,
    change: {
      priority: again.priority === 'urgent' ? ('urgent' as const) : found.priority,
      priority_reasons: JSON.stringify(reasons),
      due_at: escalated && urgentDue < found.dueAt ? urgentDue : found.dueAt,
    },
  };
}

function callEntryFirst(call: ValidCall, actor: AuditActor) {
  return {
    kind: 'call' as const,
    channel: 'phone' as const,
    subject: null,
    body: call.notes,
    emailMessageId: null,
    authorUserId: actor.userId,
    authorLabel: actor.label,
  };
}

function callEntry(caseId: string, call: ValidCall, actor: AuditActor, details: Record<string, unknown>, at: string) {
  const first = callEntryFirst(call, actor);
  return {
    id: newId(),
    case_id: caseId,
    kind: first.kind,
    channel: first.channel,
    subject: null,
    body: first.body,
    email_message_id: null,
    author_user_id: first.authorUserId,
    author_label: first.authorLabel,
    details: JSON.stringify(details),
    created_at: at,
  };
}

export type EnquiriesService = ReturnType<typeof createEnquiriesService>;
