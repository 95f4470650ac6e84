// Scam warnings on a council's public incident page, with sign-off: comms, an incident manager or a
// security analyst drafts a warning (an analyst usually from a campaign of reported messages), which
// waits for approval; an incident manager who neither wrote nor changed it approves it, which
// publishes it at once, or sends it back with a reason. A published warning is never changed, only
// withdrawn. Every step is audited in the same transaction as the change, and publishing and
// withdrawing move the public content version on, so every instance's cached pages are made again.
import type { Kysely, Transaction } from 'kysely';
import { recordAudit, type AuditActor } from '../../platform/audit/audit.service.ts';
import type { DB } from '../../platform/db/schema.ts';
import { HttpProblem } from '../../platform/http/errors.ts';
import { reasonError, type FieldError, type Result } from '../../platform/http/form-result.ts';
import { isId, newId, nowIso } from '../../platform/ids.ts';
import { can, type Principal } from '../../platform/policy/policy.ts';
import { bumpPublicContentVersion } from '../../platform/public-cache/public-content.repository.ts';
import * as incidents from '../incidents/incidents.repository.ts';
import * as repo from './scam-warnings.repository.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export const LIMITS = { title: 120, summary: 1_000, howToSpot: 2_000, whatToDo: 2_000, reason: 2_000 };

export const STATE_NAMES: Record<repo.ScamWarningState, string> = {
  waiting: 'Waiting for approval',
  'sent-back': 'Sent back',
  published: 'Published',
  withdrawn: 'Withdrawn',
};

export interface ScamWarningText {
  title: string;
  /** What the scam looks like, e.g. "Texts saying you are owed a council tax refund and linking to a website". */
  summary: string;
  howToSpot: string;
  whatToDo: string;
}

/** Who drafts: their permissions are checked, and the audit log and the warning name them. */
export interface StaffAuthor {
  principal: Principal;
  actor: AuditActor;
}

export interface DraftScamWarningInput extends ScamWarningText {
  /** The council whose public incident page will show the warning. */
  organisationId: string;
  incidentId: string;
  /** The campaign of reported messages it warns about (it must be the same council's). */
  campaignId?: string | null | undefined;
  author: StaffAuthor;
}

/** The text or campaign given to draftScamWarning cannot be stored; `errors` say why, field by field. */
export class InvalidScamWarningError extends Error {
  constructor(readonly errors: FieldError[]) {
    super(`The scam warning cannot be saved: ${errors.map((e) => e.text).join('; ')}`);
    this.name = 'InvalidScamWarningError';
  }
}

/** Comms and incident managers draft public content; analysts draft warnings from what they triage. */
export function mayDraftFor(principal: Principal, organisationId: string): boolean {
  return (
    can(principal, 'public-update.draft', { organisationId }) || can(principal, 'report.triage', { organisationId })
  );
}

export function mayApproveFor(principal: Principal, organisationId: string): boolean {
  return can(principal, 'public-update.approve', { organisationId });
}

/** Taking a warning down is urgent and harmless: comms may do it as well as incident managers. */
function mayWithdrawFor(principal: Principal, organisationId: string): boolean {
  return mayApproveFor(principal, organisationId) || can(principal, 'public-update.draft', { organisationId });
}

const clean = (text: string) => text.replace(/\r\n?/g, '\n').trim();

function cleanText(input: ScamWarningText): ScamWarningText {
  return {
    title: clean(input.title),
    summary: clean(input.summary),
    howToSpot: clean(input.howToSpot),
    whatToDo: clean(input.whatToDo),
  };
}

export function validateScamWarning(input: ScamWarningText): FieldError[] {
  const text = cleanText(input);
  const errors: FieldError[] = [];
  const field = (value: string, href: string, empty: string, limit: number, name: string) => {
    if (!value) errors.push({ text: empty, href });
    else if (value.length > limit) {
      errors.push({ text: `${name} must be ${limit.toLocaleString('en-GB')} characters or fewer`, href });
    }
  };
  field(text.title, '#title', 'Enter a title', LIMITS.title, 'The title');
  field(text.summary, '#summary', 'Enter what the scam looks like', LIMITS.summary, 'What the scam looks like');
  field(text.howToSpot, '#howToSpot', 'Enter how to spot it', LIMITS.howToSpot, 'How to spot it');
  field(text.whatToDo, '#whatToDo', 'Enter what to do', LIMITS.whatToDo, 'What to do');
  return errors;
}

const notFound = () => new HttpProblem(404, 'Page not found');

function affectedCouncils(incident: incidents.Incident): string[] {
  return incident.organisations.filter((o) => o.relationship === 'affected').map((o) => o.organisationId);
}

/**
 * What publishing or withdrawing a warning records, in the caller's transaction: an event on the
 * incident's timeline, a new public content version (so cached public pages show the change) and
 * the audit entry.
 */
async function recordPublicChange(
  trx: Transaction<DB>,
  actor: AuditActor,
  warning: repo.ScamWarning,
  at: string,
  change: {
    title: string;
    body: string;
    timelineDetails: Record<string, unknown>;
    action: string;
    auditDetails: Record<string, unknown>;
  },
): Promise<void> {
  await incidents.insertTimelineEntry(trx, {
    id: newId(),
    incident_id: warning.incidentId,
    organisation_id: warning.organisationId,
    kind: 'event',
    occurred_at: at,
    title: change.title,
    body: change.body,
    details: JSON.stringify(change.timelineDetails),
    author_user_id: actor.userId,
    author_label: actor.label,
    created_at: at,
  });
  await bumpPublicContentVersion(trx);
  await recordAudit(trx, actor, {
    action: change.action,
    organisationId: warning.organisationId,
    targetType: 'scam-warning',
    targetId: warning.id,
    details: change.auditDetails,
  });
}

/**
 * Drafts a scam warning for one council's incident page and sends it for approval; returns its id.
 * It is not public until an incident manager who did not write it approves it. Pass a transaction
 * to store it with other changes (say, the analyst's verdict on the campaign), or the database.
 *
 * Throws HttpProblem 404 when the author may not draft for the council (comms, incident manager or
 * analyst there) or the council is not affected by the incident, and InvalidScamWarningError when
 * the text is missing or too long or the campaign is not the council's.
 */
export async function draftScamWarning(executor: Executor, input: DraftScamWarningInput): Promise<string> {
  if (!executor.isTransaction) {
    return (executor as Kysely<DB>).transaction().execute((trx) => draftScamWarning(trx, input));
  }
  const trx = executor as Transaction<DB>;
  const { principal, actor } = input.author;
  if (!isId(input.incidentId) || !mayDraftFor(principal, input.organisationId)) throw notFound();
  const incident = await incidents.findIncident(trx, input.incidentId);
  if (!incident || !affectedCouncils(incident).includes(input.organisationId)) throw notFound();
  const errors = validateScamWarning(input);
  const campaignId = input.campaignId ?? null;
  if (campaignId !== null && !(await repo.campaignBelongsTo(trx, campaignId, input.organisationId))) {
    errors.push({ text: 'The campaign is not one of this council’s', href: '#campaignId' });
  }
  if (errors.length) throw new InvalidScamWarningError(errors);
  const text = cleanText(input);
  const id = newId();
  const at = nowIso();
  await repo.insertWarning(trx, {
    id,
    incident_id: input.incidentId,
    organisation_id: input.organisationId,
    campaign_id: campaignId,
    state: 'waiting',
    title: text.title,
    summary: text.summary,
    how_to_spot: text.howToSpot,
    what_to_do: text.whatToDo,
    author_user_id: actor.userId,
    author_label: actor.label,
    contributor_ids: JSON.stringify(actor.userId ? [actor.userId] : []),
    created_at: at,
    updated_at: at,
    sent_back_at: null,
    sent_back_by_label: null,
    sent_back_reason: null,
    approved_by_user_id: null,
    approved_by_label: null,
    published_at: null,
    withdrawn_at: null,
    withdrawn_by_label: null,
    withdrawal_reason: null,
  });
  await recordAudit(trx, actor, {
    action: 'scam-warning.drafted',
    organisationId: input.organisationId,
    targetType: 'scam-warning',
    targetId: id,
    details: { incidentId: input.incidentId, campaignId, title: text.title },
  });
  return id;
}

/** What a person saw on the approval page: approval applies to that text and nothing else. */
export interface SeenWarning {
  updatedAt: string;
}

export function createScamWarningsService(db: Kysely<DB>) {
  /** The incident, if the person drafts or approves warnings for one of its councils; otherwise 404. */
  async function incidentFor(principal: Principal, incidentId: string) {
    const incident = isId(incidentId) ? await incidents.findIncident(db, incidentId) : undefined;
    if (!incident) throw notFound();
    const councils = affectedCouncils(incident).filter((c) => mayDraftFor(principal, c) || mayApproveFor(principal, c));
    if (councils.length === 0) throw notFound();
    return {
      incident,
      visibleCouncilIds: councils,
      draftableCouncilIds: councils.filter((c) => mayDraftFor(principal, c)),
    };
  }

  async function listForIncident(principal: Principal, incidentId: string) {
    const found = await incidentFor(principal, incidentId);
    return { ...found, warnings: await repo.listWarningsForIncident(db, incidentId, found.visibleCouncilIds) };
  }

  async function warningFor(principal: Principal, incidentId: string, warningId: string) {
    const found = await incidentFor(principal, incidentId);
    const warning = isId(warningId) ? await repo.findWarning(db, warningId) : undefined;
    if (!warning || warning.incidentId !== incidentId || !found.visibleCouncilIds.includes(warning.organisationId)) {
      throw notFound();
    }
    const council = warning.organisationId;
    const isContributor = warning.contributorIds.includes(principal.userId);
    const open = warning.state === 'waiting' || warning.state === 'sent-back';
    return {
      incident: found.incident,
      warning,
      isContributor,
      mayEdit: open && mayDraftFor(principal, council),
      mayApprove: warning.state === 'waiting' && mayApproveFor(principal, council),
      mayWithdraw: warning.state === 'published' && mayWithdrawFor(principal, council),
    };
  }

  const cannotChange = () =>
    new HttpProblem(
      409,
      'This warning cannot be changed now',
      'It may have been approved, sent back or withdrawn since you opened it. Go back to the warning to see where it is.',
    );

  /** Changes the text of a warning not yet published; it goes back to waiting for approval. */
  async function edit(
    principal: Principal,
    actor: AuditActor,
    incidentId: string,
    warningId: string,
    input: ScamWarningText,
  ): Promise<Result> {
    const found = await warningFor(principal, incidentId, warningId);
    if (!found.mayEdit) throw cannotChange();
    const errors = validateScamWarning(input);
    if (errors.length) return { ok: false, errors };
    const text = cleanText(input);
    const w = found.warning;
    const fields = [
      text.title !== w.title && 'title',
      text.summary !== w.summary && 'summary',
      text.howToSpot !== w.howToSpot && 'howToSpot',
      text.whatToDo !== w.whatToDo && 'whatToDo',
    ].filter((f): f is string => f !== false);
    if (fields.length === 0 && w.state === 'waiting') return { ok: true };
    const contributors = new Set(w.contributorIds);
    if (actor.userId) contributors.add(actor.userId);
    await db.transaction().execute(async (trx) => {
      const done = await repo.changeWarning(
        trx,
        warningId,
        { from: ['waiting', 'sent-back'], updatedAt: w.updatedAt },
        {
          state: 'waiting',
          title: text.title,
          summary: text.summary,
          how_to_spot: text.howToSpot,
          what_to_do: text.whatToDo,
          contributor_ids: JSON.stringify([...contributors]),
          updated_at: nowIso(),
        },
      );
      if (!done) throw cannotChange();
      await recordAudit(trx, actor, {
        action: 'scam-warning.edited',
        organisationId: w.organisationId,
        targetType: 'scam-warning',
        targetId: warningId,
        details: { incidentId, fields },
      });
    });
    return { ok: true };
  }

  /** The warning waiting for this person's decision; refuses the people who wrote or changed it. */
  async function decisionFor(principal: Principal, incidentId: string, warningId: string) {
    const found = await warningFor(principal, incidentId, warningId);
    if (!mayApproveFor(principal, found.warning.organisationId)) throw notFound();
    if (found.warning.state !== 'waiting') {
      throw new HttpProblem(409, 'This warning is not waiting for approval', 'It may have been approved or sent back.');
    }
    if (found.isContributor) {
      throw new HttpProblem(
        403,
        'You cannot approve this warning',
        'You wrote or changed it, so another incident manager must approve it.',
      );
    }
    return found;
  }

  const changedSinceSeen = () =>
    new HttpProblem(409, 'This warning has changed', 'It changed after you opened it. Go back to see the latest text.');

  async function approve(
    principal: Principal,
    actor: AuditActor,
    incidentId: string,
    warningId: string,
    seen: SeenWarning,
  ): Promise<void> {
    const found = await decisionFor(principal, incidentId, warningId);
    const w = found.warning;
    if (seen.updatedAt !== w.updatedAt) throw changedSinceSeen();
    const at = nowIso();
    await db.transaction().execute(async (trx) => {
      const done = await repo.changeWarning(
        trx,
        warningId,
        { from: ['waiting'], updatedAt: seen.updatedAt },
        {
          state: 'published',
          approved_by_user_id: actor.userId,
          approved_by_label: actor.label,
          published_at: at,
          updated_at: at,
        },
      );
      if (!done) throw changedSinceSeen();
      await recordPublicChange(trx, actor, w, at, {
        title: `Scam warning published: ${w.title}`,
        // The words residents were given, as given: the post-incident review needs them.
        body: [w.summary, `How to spot it: ${w.howToSpot}`, `What to do: ${w.whatToDo}`].join('\n\n'),
        timelineDetails: { scamWarningId: warningId, campaignId: w.campaignId, approvedBy: actor.label },
        action: 'scam-warning.published',
        auditDetails: { incidentId, campaignId: w.campaignId, author: w.authorLabel, title: w.title },
      });
    });
  }

  async function sendBack(
    principal: Principal,
    actor: AuditActor,
    incidentId: string,
    warningId: string,
    seen: SeenWarning,
    reason: string,
  ): Promise<Result> {
    const found = await decisionFor(principal, incidentId, warningId);
    if (seen.updatedAt !== found.warning.updatedAt) throw changedSinceSeen();
    const text = reason.trim();
    const problem = reasonError(text, 'Enter what needs to change', LIMITS.reason);
    if (problem) return { ok: false, errors: [problem] };
    const at = nowIso();
    await db.transaction().execute(async (trx) => {
      const done = await repo.changeWarning(
        trx,
        warningId,
        { from: ['waiting'], updatedAt: seen.updatedAt },
        {
          state: 'sent-back',
          sent_back_at: at,
          sent_back_by_label: actor.label,
          sent_back_reason: text,
          updated_at: at,
        },
      );
      if (!done) throw changedSinceSeen();
      await recordAudit(trx, actor, {
        action: 'scam-warning.sent-back',
        organisationId: found.warning.organisationId,
        targetType: 'scam-warning',
        targetId: warningId,
        details: { incidentId, reason: text },
      });
    });
    return { ok: true };
  }

  /** Takes a published warning off the public pages; it stays in the staff history. */
  async function withdraw(
    principal: Principal,
    actor: AuditActor,
    incidentId: string,
    warningId: string,
    reason: string,
  ): Promise<Result> {
    const found = await warningFor(principal, incidentId, warningId);
    if (!found.mayWithdraw) throw cannotChange();
    const text = reason.trim();
    const problem = reasonError(text, 'Enter why you are withdrawing the warning', LIMITS.reason);
    if (problem) return { ok: false, errors: [problem] };
    const w = found.warning;
    const at = nowIso();
    await db.transaction().execute(async (trx) => {
      const done = await repo.changeWarning(
        trx,
        warningId,
        { from: ['published'] },
        {
          state: 'withdrawn',
          withdrawn_at: at,
          withdrawn_by_label: actor.label,
          withdrawal_reason: text,
          updated_at: at,
        },
      );
      if (!done) throw cannotChange();
      await recordPublicChange(trx, actor, w, at, {
        title: `Scam warning withdrawn: ${w.title}`,
        body: text,
        timelineDetails: { scamWarningId: warningId, withdrawnBy: actor.label },
        action: 'scam-warning.withdrawn',
        auditDetails: { incidentId, reason: text },
      });
    });
    return { ok: true };
  }

  return { incidentFor, listForIncident, warningFor, edit, decisionFor, approve, sendBack, withdraw };
}

export type ScamWarningsService = ReturnType<typeof createScamWarningsService>;

/**
 * The published warnings a council's public pages show, newest first: for the incident given, or
 * for the council's current incident (the one its incident page shows).
 */
export async function publishedScamWarnings(
  db: Kysely<DB>,
  councilId: string,
  incidentId?: string,
): Promise<repo.PublishedScamWarning[]> {
  const forIncident = incidentId ?? (await incidents.findCurrentIncidentForCouncil(db, councilId))?.id;
  if (!forIncident) return [];
  return repo.listPublishedWarnings(db, councilId, forIncident);
}

export type { PublishedScamWarning, ScamWarning } from './scam-warnings.repository.ts';
