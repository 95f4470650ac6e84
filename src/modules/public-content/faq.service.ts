// A council's questions and answers about an incident, shown on its public page in the order comms
// puts them. Each change is audited and moves the public content version on, in one transaction.
import type { Kysely } from 'kysely';
import { recordAudit, type AuditActor } from '../../platform/audit/audit.service.ts';
import type { DB } from '../../platform/db/schema.ts';
import { HttpProblem } from '../../platform/http/errors.ts';
import type { FieldError, Result } from '../../platform/http/form-result.ts';
import { newId, nowIso } from '../../platform/ids.ts';
import type { Principal } from '../../platform/policy/policy.ts';
import { bumpPublicContentVersion } from '../../platform/public-cache/public-content.repository.ts';
import { councilScopeFor, type CouncilScope } from './public-content-access.ts';
import * as repo from './faq.repository.ts';

/** A page of questions longer than this stops being read; the answer text matches the English record. */
export const FAQ_LIMITS = { question: 200, answer: 5000, entries: 30 };

export interface FaqInput {
  question: string;
  answer: string;
}

export type Direction = 'up' | 'down';

/** A council's entries as residents see them. */
export async function faqForResidents(db: Kysely<DB>, incidentId: string, councilId: string) {
  return repo.listFaqEntries(db, incidentId, councilId);
}

function validate(input: FaqInput): FieldError[] {
  const errors: FieldError[] = [];
  if (!input.question.trim()) errors.push({ text: 'Enter the question', href: '#question' });
  else if (input.question.length > FAQ_LIMITS.question) {
    errors.push({ text: `The question must be ${FAQ_LIMITS.question} characters or fewer`, href: '#question' });
  }
  if (!input.answer.trim()) errors.push({ text: 'Enter the answer', href: '#answer' });
  else if (input.answer.length > FAQ_LIMITS.answer) {
    errors.push({
      text: `The answer must be ${FAQ_LIMITS.answer.toLocaleString('en-GB')} characters or fewer`,
      href: '#answer',
    });
  }
  return errors;
}

export function createFaqService(db: Kysely<DB>) {
  async function list(principal: Principal, incidentId: string, councilSlug: string) {
    const scope = await councilScopeFor(db, principal, incidentId, councilSlug);
    return { ...scope, entries: await repo.listFaqEntries(db, scope.incident.id, scope.council.id) };
  }

  /** One entry of this council's, for this incident; otherwise 404. */
  async function entryFor(
    principal: Principal,
    incidentId: string,
    councilSlug: string,
    entryId: string,
  ): Promise<CouncilScope & { entry: repo.FaqEntry }> {
    const scope = await councilScopeFor(db, principal, incidentId, councilSlug);
    const entry = await repo.findFaqEntry(db, entryId);
    if (!entry || entry.incidentId !== scope.incident.id || entry.organisationId !== scope.council.id) {
      throw new HttpProblem(404, 'Page not found');
    }
    return { ...scope, entry };
  }

  async function add(
    principal: Principal,
    actor: AuditActor,
    incidentId: string,
    councilSlug: string,
    input: FaqInput,
  ): Promise<Result<{ entryId: string }>> {
    const { incident, council } = await councilScopeFor(db, principal, incidentId, councilSlug);
    const errors = validate(input);
    if (errors.length) return { ok: false, errors };
    const id = newId();
    const at = nowIso();
    const added = await db.transaction().execute(async (trx) => {
      const entries = await repo.listFaqEntries(trx, incident.id, council.id);
      if (entries.length >= FAQ_LIMITS.entries) return false;
      await repo.insertFaqEntry(trx, {
        id,
        incident_id: incident.id,
        organisation_id: council.id,
        position: entries.length === 0 ? 0 : Math.max(...entries.map((e) => e.position)) + 1,
        question: input.question.trim(),
        answer: input.answer.trim(),
        created_at: at,
        updated_at: at,
        updated_by_label: actor.label,
      });
      await bumpPublicContentVersion(trx);
      await recordAudit(trx, actor, {
        action: 'incident.faq-added',
        organisationId: council.id,
        targetType: 'faq-entry',
        targetId: id,
        details: { incidentId: incident.id, question: input.question.trim() },
      });
      return true;
    });
    if (!added) {
      return {
        ok: false,
        errors: [
          {
            text: `There are already ${FAQ_LIMITS.entries} questions: remove one before adding another`,
            href: '#question',
          },
        ],
      };
    }
    return { ok: true, entryId: id };
  }

  async function change(
    principal: Principal,
    actor: AuditActor,
    incidentId: string,
    councilSlug: string,
    entryId: string,
    input: FaqInput,
  ): Promise<Result> {
    const { incident, council, entry } = await entryFor(principal, incidentId, councilSlug, entryId);
    const errors = validate(input);
    if (errors.length) return { ok: false, errors };
    const question = input.question.trim();
    const answer = input.answer.trim();
    const fields = [
      ...(question !== entry.question ? ['question'] : []),
      ...(answer !== entry.answer ? ['answer'] : []),
    ];
    if (fields.length === 0) return { ok: true };
    await db.transaction().execute(async (trx) => {
      await repo.updateFaqEntry(trx, entry.id, {
        question,
        answer,
        updated_at: nowIso(),
        updated_by_label: actor.label,
      });
      await bumpPublicContentVersion(trx);
      await recordAudit(trx, actor, {
        action: 'incident.faq-changed',
        organisationId: council.id,
        targetType: 'faq-entry',
        targetId: entry.id,
        details: { incidentId: incident.id, fields, question },
      });
    });
    return { ok: true };
  }

  /** Swaps the entry with the one above or below it; at the top (or bottom) nothing changes. */
  async function move(
    principal: Principal,
    actor: AuditActor,
    incidentId: string,
    councilSlug: string,
    entryId: string,
    direction: Direction,
  ): Promise<void> {
    const { incident, council, entry } = await entryFor(principal, incidentId, councilSlug, entryId);
    await db.transaction().execute(async (trx) => {
      const ids = (await repo.listFaqEntries(trx, incident.id, council.id)).map((e) => e.id);
      const from = ids.indexOf(entry.id);
      const to = direction === 'up' ? from - 1 : from + 1;
      if (from < 0 || to < 0 || to >= ids.length) return;
      [ids[from], ids[to]] = [ids[to]!, ids[from]!];
      // Renumbering the whole list also mends any tie left by two moves at the same moment.
      await repo.setFaqOrder(trx, ids);
      await bumpPublicContentVersion(trx);
      await recordAudit(trx, actor, {
        action: 'incident.faq-moved',
        organisationId: council.id,
        targetType: 'faq-entry',
        targetId: entry.id,
        details: { incidentId: incident.id, direction, from: from + 1, to: to + 1 },
      });
    });
  }

  async function remove(
    principal: Principal,
    actor: AuditActor,
    incidentId: string,
    councilSlug: string,
    entryId: string,
  ): Promise<void> {
    const { incident, council, entry } = await entryFor(principal, incidentId, councilSlug, entryId);
    await db.transaction().execute(async (trx) => {
      await repo.deleteFaqEntry(trx, entry.id);
      await repo.setFaqOrder(
        trx,
        (await repo.listFaqEntries(trx, incident.id, council.id)).map((e) => e.id),
      );
      await bumpPublicContentVersion(trx);
      await recordAudit(trx, actor, {
        action: 'incident.faq-removed',
        organisationId: council.id,
        targetType: 'faq-entry',
        targetId: entry.id,
        details: { incidentId: incident.id, question: entry.question },
      });
    });
  }

  return { list, entryFor, add, change, move, remove };
}

export type FaqService = ReturnType<typeof createFaqService>;
