// Public updates with sign-off: comms (or an incident manager) drafts an update for one or more
// affected councils and sends it for approval; a second person, an incident manager, approves it,
// which publishes it at once. Published text is never changed: a correction is a new version that
// is approved again. Every step is audited in the same transaction as the change it records.
import type { Kysely, Transaction } from 'kysely';
import { recordAudit, type AuditActor } from '../../platform/audit/audit.service.ts';
import type { DB } from '../../platform/db/schema.ts';
import { HttpProblem } from '../../platform/http/errors.ts';
import { reasonError, type FieldError, type Result } from '../../platform/http/form-result.ts';
import { newId, nowIso } from '../../platform/ids.ts';
import { can, type Principal } from '../../platform/policy/policy.ts';
import { bumpPublicContentVersion } from '../../platform/public-cache/public-content.repository.ts';
import * as incidents from '../incidents/incidents.repository.ts';
import * as repo from './public-updates.repository.ts';

export const LIMITS = { title: 120, body: 10_000, reason: 2_000 };

export const STATE_NAMES: Record<repo.VersionState, string> = {
  draft: 'Draft',
  submitted: 'Waiting for approval',
  published: 'Published',
};

export interface UpdateInput {
  title: string;
  body: string;
  councilIds: string[];
}

/** What a person saw on the approval page: approval applies to that text and nothing else. */
export interface SeenVersion {
  versionId: string;
  updatedAt: string;
}

export interface PublishedEvent {
  incidentId: string;
  updateId: string;
  versionId: string;
  councilIds: string[];
}

export interface PublicUpdatesServiceOptions {
  /**
   * Called inside the approval's transaction once the version is published: queue what publishing
   * sets off (the messages to subscribers) here, through `trx`, so that it happens if and only if
   * the approval commits. If it throws, the approval is rolled back.
   */
  onPublishing?: (trx: Transaction<DB>, event: PublishedEvent) => Promise<void>;
}

export interface UpdateOverview {
  update: repo.PublicUpdate;
  /** The newest version: the one being worked on, or the published one if none is. */
  current: repo.UpdateVersion;
  published: repo.UpdateVersion | undefined;
}

const notFound = () => new HttpProblem(404, 'Page not found');

/** A new draft version's row, written by its author: every sign-off field still empty. */
function draftVersion(v: {
  id: string;
  updateId: string;
  number: number;
  title: string;
  body: string;
  actor: AuditActor;
  at: string;
}) {
  return {
    id: v.id,
    update_id: v.updateId,
    version_number: v.number,
    state: 'draft' as const,
    title: v.title,
    body: v.body,
    author_user_id: v.actor.userId,
    author_label: v.actor.label,
    contributor_ids: JSON.stringify(v.actor.userId ? [v.actor.userId] : []),
    created_at: v.at,
    updated_at: v.at,
    submitted_at: null,
    submitted_by_label: null,
    rejected_at: null,
    rejected_by_label: null,
    rejection_reason: null,
    approved_by_user_id: null,
    approved_by_label: null,
    published_at: null,
  };
}

function affectedCouncils(incident: incidents.Incident): string[] {
  return incident.organisations.filter((o) => o.relationship === 'affected').map((o) => o.organisationId);
}

/** May the person do this for every council the update is addressed to? One council's staff never speak for another. */
function mayForAll(
  principal: Principal,
  action: 'public-update.draft' | 'public-update.approve',
  councilIds: string[],
) {
  return councilIds.length > 0 && councilIds.every((organisationId) => can(principal, action, { organisationId }));
}

function mayAccess(principal: Principal, councilIds: string[]): boolean {
  return councilIds.some(
    (organisationId) =>
      can(principal, 'public-update.draft', { organisationId }) ||
      can(principal, 'public-update.approve', { organisationId }),
  );
}

function withContributor(version: repo.UpdateVersion, userId: string | null): string {
  const ids = new Set(version.contributorIds);
  if (userId) ids.add(userId);
  return JSON.stringify([...ids]);
}

function overviews(updates: repo.PublicUpdate[], versions: repo.UpdateVersion[]): UpdateOverview[] {
  return updates.flatMap((update) => {
    const own = versions.filter((v) => v.updateId === update.id);
    const current = own.at(-1);
    if (!current) return [];
    return [{ update, current, published: own.find((v) => v.id === update.publishedVersionId) }];
  });
}

export function createPublicUpdatesService(db: Kysely<DB>, options: PublicUpdatesServiceOptions = {}) {
  /** The incident, if the person writes or approves updates for one of its councils; otherwise 404. */
  async function incidentFor(principal: Principal, incidentId: string): Promise<incidents.Incident> {
    const incident = await incidents.findIncident(db, incidentId);
    if (!incident || !mayAccess(principal, affectedCouncils(incident))) throw notFound();
    return incident;
  }

  function draftableCouncils(principal: Principal, incident: incidents.Incident): string[] {
    return affectedCouncils(incident).filter((organisationId) =>
      can(principal, 'public-update.draft', { organisationId }),
    );
  }

  async function listForIncident(principal: Principal, incidentId: string) {
    const incident = await incidentFor(principal, incidentId);
    const updates = (await repo.listUpdatesForIncident(db, incidentId)).filter((u) =>
      mayAccess(principal, u.councilIds),
    );
    const versions = await repo.listVersions(
      db,
      updates.map((u) => u.id),
    );
    return {
      incident,
      updates: overviews(updates, versions),
      draftableCouncilIds: draftableCouncils(principal, incident),
    };
  }

  /** One update with its history and what the person may do next; 404 if it is not theirs to see. */
  async function updateFor(principal: Principal, incidentId: string, updateId: string) {
    const incident = await incidentFor(principal, incidentId);
    const update = await repo.findUpdate(db, updateId);
    if (!update || update.incidentId !== incidentId || !mayAccess(principal, update.councilIds)) throw notFound();
    const versions = await repo.listVersions(db, [updateId]);
    const [overview] = overviews([update], versions);
    if (!overview) throw notFound();
    const mayDraft = mayForAll(principal, 'public-update.draft', update.councilIds);
    const isContributor = overview.current.contributorIds.includes(principal.userId);
    return {
      incident,
      ...overview,
      versions,
      draftableCouncilIds: draftableCouncils(principal, incident),
      mayEdit: mayDraft && overview.current.state === 'draft',
      maySubmit: mayDraft && overview.current.state === 'draft',
      mayApprove: mayForAll(principal, 'public-update.approve', update.councilIds),
      isContributor,
      mayCorrect: mayDraft && overview.current.state === 'published',
    };
  }

  function validate(input: UpdateInput, allowedCouncilIds: string[] | null): FieldError[] {
    const errors: FieldError[] = [];
    if (!input.title.trim()) errors.push({ text: 'Enter a title', href: '#title' });
    else if (input.title.trim().length > LIMITS.title) {
      errors.push({ text: `Title must be ${LIMITS.title} characters or fewer`, href: '#title' });
    }
    if (!input.body.trim()) errors.push({ text: 'Enter the update', href: '#body' });
    else if (input.body.trim().length > LIMITS.body) {
      errors.push({ text: 'The update must be 10,000 characters or fewer', href: '#body' });
    }
    // Null: the councils are fixed (a correction goes to the same councils as the original).
    if (allowedCouncilIds) {
      if (input.councilIds.length === 0) errors.push({ text: 'Select at least one council', href: '#councils' });
      else if (!input.councilIds.every((id) => allowedCouncilIds.includes(id))) {
        errors.push({ text: 'Select only councils you write updates for', href: '#councils' });
      }
    }
    return errors;
  }

  /** Body text as stored: Windows line endings from browsers normalised, outer space trimmed. */
  const cleanBody = (body: string) => body.replace(/\r\n?/g, '\n').trim();

  async function createDraft(
    principal: Principal,
    actor: AuditActor,
    incidentId: string,
    input: UpdateInput,
  ): Promise<Result<{ updateId: string }>> {
    const incident = await incidentFor(principal, incidentId);
    const councilIds = [...new Set(input.councilIds)];
    const errors = validate({ ...input, councilIds }, draftableCouncils(principal, incident));
    if (errors.length) return { ok: false, errors };
    const at = nowIso();
    const updateId = newId();
    const versionId = newId();
    await db.transaction().execute(async (trx) => {
      await repo.insertUpdate(
        trx,
        {
          id: updateId,
          incident_id: incidentId,
          published_version_id: null,
          first_published_at: null,
          last_published_at: null,
          created_at: at,
          updated_at: at,
        },
        councilIds,
      );
      await repo.insertVersion(
        trx,
        draftVersion({
          id: versionId,
          updateId,
          number: 1,
          title: input.title.trim(),
          body: cleanBody(input.body),
          actor,
          at,
        }),
      );
      await recordAudit(trx, actor, {
        action: 'public-update.draft-created',
        organisationId: councilIds[0] ?? null,
        targetType: 'public-update',
        targetId: updateId,
        details: { incidentId, versionId, version: 1, councilIds, title: input.title.trim() },
      });
    });
    return { ok: true, updateId };
  }

  async function editDraft(
    principal: Principal,
    actor: AuditActor,
    incidentId: string,
    updateId: string,
    input: UpdateInput,
  ): Promise<Result> {
    const found = await updateFor(principal, incidentId, updateId);
    if (!found.mayEdit) throw cannotChange();
    // Once published, an update goes on being addressed to the same councils.
    const councilsFixed = found.update.firstPublishedAt !== null;
    const councilIds = councilsFixed ? found.update.councilIds : [...new Set(input.councilIds)];
    const errors = validate({ ...input, councilIds }, councilsFixed ? null : found.draftableCouncilIds);
    if (errors.length) return { ok: false, errors };
    const title = input.title.trim();
    const body = cleanBody(input.body);
    const changed = [
      title !== found.current.title && 'title',
      body !== found.current.body && 'body',
      [...councilIds].sort().join() !== [...found.update.councilIds].sort().join() && 'councils',
    ].filter((f): f is string => f !== false);
    if (changed.length === 0) return { ok: true };
    const at = nowIso();
    await db.transaction().execute(async (trx) => {
      const done = await repo.changeVersion(
        trx,
        found.current.id,
        { state: 'draft' },
        { title, body, updated_at: at, contributor_ids: withContributor(found.current, actor.userId) },
      );
      if (!done) throw cannotChange();
      if (changed.includes('councils')) await repo.replaceCouncils(trx, updateId, councilIds);
      await repo.touchUpdate(trx, updateId, at);
      await recordAudit(trx, actor, {
        action: 'public-update.draft-edited',
        organisationId: councilIds[0] ?? null,
        targetType: 'public-update',
        targetId: updateId,
        details: { incidentId, versionId: found.current.id, version: found.current.number, fields: changed },
      });
    });
    return { ok: true };
  }

  async function submit(principal: Principal, actor: AuditActor, incidentId: string, updateId: string) {
    const found = await updateFor(principal, incidentId, updateId);
    if (!found.maySubmit) throw cannotChange();
    const at = nowIso();
    await db.transaction().execute(async (trx) => {
      const done = await repo.changeVersion(
        trx,
        found.current.id,
        { state: 'draft', updatedAt: found.current.updatedAt },
        {
          state: 'submitted',
          submitted_at: at,
          submitted_by_label: actor.label,
          updated_at: at,
          contributor_ids: withContributor(found.current, actor.userId),
        },
      );
      if (!done) throw cannotChange();
      await repo.touchUpdate(trx, updateId, at);
      await recordAudit(trx, actor, {
        action: 'public-update.submitted',
        organisationId: found.update.councilIds[0] ?? null,
        targetType: 'public-update',
        targetId: updateId,
        details: { incidentId, versionId: found.current.id, version: found.current.number },
      });
    });
  }

  /** The version waiting for this person's decision; refuses the people who wrote it. */
  async function decisionFor(principal: Principal, incidentId: string, updateId: string) {
    const found = await updateFor(principal, incidentId, updateId);
    if (!found.mayApprove) throw notFound();
    if (found.current.state !== 'submitted') {
      throw new HttpProblem(409, 'This update is not waiting for approval', 'It may have been approved or sent back.');
    }
    if (found.isContributor) {
      throw new HttpProblem(
        403,
        'You cannot approve this update',
        'You wrote, changed or submitted this version, so another incident manager must approve it.',
      );
    }
    return found;
  }

  function changedSinceSeen(): HttpProblem {
    return new HttpProblem(
      409,
      'This update has changed',
      'It changed after you opened it. Go back to the update to see the latest version.',
    );
  }

  async function approve(
    principal: Principal,
    actor: AuditActor,
    incidentId: string,
    updateId: string,
    seen: SeenVersion,
  ): Promise<void> {
    const found = await decisionFor(principal, incidentId, updateId);
    if (seen.versionId !== found.current.id || seen.updatedAt !== found.current.updatedAt) throw changedSinceSeen();
    const at = nowIso();
    const correction = found.update.firstPublishedAt !== null;
    await db.transaction().execute(async (trx) => {
      const done = await repo.changeVersion(
        trx,
        found.current.id,
        { state: 'submitted', updatedAt: seen.updatedAt },
        {
          state: 'published',
          approved_by_user_id: actor.userId,
          approved_by_label: actor.label,
          published_at: at,
          updated_at: at,
        },
      );
      if (!done) throw changedSinceSeen();
      await repo.markPublished(trx, updateId, found.current.id, at);
      await incidents.insertTimelineEntry(trx, {
        id: newId(),
        incident_id: incidentId,
        organisation_id: found.update.councilIds.length === 1 ? (found.update.councilIds[0] ?? null) : null,
        kind: 'event',
        occurred_at: at,
        title: correction
          ? `Correction published to a public update: ${found.current.title}`
          : `Public update published: ${found.current.title}`,
        // The words residents were given, as given: the post-incident review needs them.
        body: found.current.body,
        details: JSON.stringify({
          publicUpdateId: updateId,
          versionId: found.current.id,
          version: found.current.number,
          councilIds: found.update.councilIds,
          approvedBy: actor.label,
        }),
        author_user_id: actor.userId,
        author_label: actor.label,
        created_at: at,
      });
      await bumpPublicContentVersion(trx);
      await options.onPublishing?.(trx, {
        incidentId,
        updateId,
        versionId: found.current.id,
        councilIds: found.update.councilIds,
      });
      await recordAudit(trx, actor, {
        action: 'public-update.published',
        organisationId: found.update.councilIds[0] ?? null,
        targetType: 'public-update',
        targetId: updateId,
        details: {
          incidentId,
          versionId: found.current.id,
          version: found.current.number,
          councilIds: found.update.councilIds,
          correction,
          author: found.current.authorLabel,
        },
      });
    });
  }

  async function reject(
    principal: Principal,
    actor: AuditActor,
    incidentId: string,
    updateId: string,
    seen: SeenVersion,
    reason: string,
  ): Promise<Result> {
    const found = await decisionFor(principal, incidentId, updateId);
    if (seen.versionId !== found.current.id || seen.updatedAt !== found.current.updatedAt) throw changedSinceSeen();
    const text = reason.trim();
    const problem = reasonError(text, 'Enter why you are sending the update back', LIMITS.reason);
    if (problem) return { ok: false, errors: [problem] };
    const at = nowIso();
    await db.transaction().execute(async (trx) => {
      const done = await repo.changeVersion(
        trx,
        found.current.id,
        { state: 'submitted', updatedAt: seen.updatedAt },
        { state: 'draft', rejected_at: at, rejected_by_label: actor.label, rejection_reason: text, updated_at: at },
      );
      if (!done) throw changedSinceSeen();
      await repo.touchUpdate(trx, updateId, at);
      await recordAudit(trx, actor, {
        action: 'public-update.rejected',
        organisationId: found.update.councilIds[0] ?? null,
        targetType: 'public-update',
        targetId: updateId,
        details: { incidentId, versionId: found.current.id, version: found.current.number, reason: text },
      });
    });
    return { ok: true };
  }

  /** A new draft version that starts from the published text; the published one stays as it was. */
  async function startCorrection(principal: Principal, actor: AuditActor, incidentId: string, updateId: string) {
    const found = await updateFor(principal, incidentId, updateId);
    if (!found.mayCorrect) throw cannotChange();
    const at = nowIso();
    const versionId = newId();
    const number = found.current.number + 1;
    await db.transaction().execute(async (trx) => {
      // The unique (update, number) constraint stops two people starting a correction at once.
      await repo.insertVersion(
        trx,
        draftVersion({
          id: versionId,
          updateId,
          number: number,
          title: found.current.title,
          body: found.current.body,
          actor,
          at,
        }),
      );
      await repo.touchUpdate(trx, updateId, at);
      await recordAudit(trx, actor, {
        action: 'public-update.correction-started',
        organisationId: found.update.councilIds[0] ?? null,
        targetType: 'public-update',
        targetId: updateId,
        details: { incidentId, versionId, version: number, correcting: found.current.id },
      });
    });
  }

  return {
    incidentFor,
    draftableCouncils,
    listForIncident,
    updateFor,
    createDraft,
    editDraft,
    submit,
    decisionFor,
    approve,
    reject,
    startCorrection,
  };
}

function cannotChange(): HttpProblem {
  return new HttpProblem(
    409,
    'This update cannot be changed now',
    'It may have been sent for approval or published since you opened it. Go back to the update to see where it is.',
  );
}

export type PublicUpdatesService = ReturnType<typeof createPublicUpdatesService>;

/**
 * The published updates a council's public pages show, newest first: for the incident given, or
 * for the council's current incident (the one its incident page shows). Plain objects.
 */
export async function latestPublishedUpdates(
  db: Kysely<DB>,
  councilId: string,
  limit?: number,
  incidentId?: string,
): Promise<repo.PublishedUpdate[]> {
  const forIncident = incidentId ?? (await incidents.findCurrentIncidentForCouncil(db, councilId))?.id;
  if (!forIncident) return [];
  return repo.listPublished(db, { councilId, incidentId: forIncident, ...(limit !== undefined ? { limit } : {}) });
}

/** One published update, if it is addressed to the council; undefined otherwise. */
export async function findPublishedUpdate(
  db: Kysely<DB>,
  councilId: string,
  updateId: string,
): Promise<repo.PublishedUpdate | undefined> {
  return (await repo.listPublished(db, { councilId, updateId }))[0];
}

export type { PublishedUpdate } from './public-updates.repository.ts';
