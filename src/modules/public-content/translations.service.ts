// Translations of an incident's summary ("what happened") and advice ("what you should do") that a
// council's comms staff add to its public page, one per language from the fixed list. Each change
// is audited and moves the public content version on, in one transaction. A translation remembers
// the English it was made from, so residents and staff are told when the English has changed since.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { recordAudit, type AuditActor } from '../../platform/audit/audit.service.ts';
import type { DB } from '../../platform/db/schema.ts';
import { HttpProblem } from '../../platform/http/errors.ts';
import type { FieldError, Result } from '../../platform/http/form-result.ts';
import { newId, nowIso } from '../../platform/ids.ts';
import type { Principal } from '../../platform/policy/policy.ts';
import { bumpPublicContentVersion } from '../../platform/public-cache/public-content.repository.ts';
import type { Incident } from '../incidents/incidents.repository.ts';
import { LANGUAGES, findLanguage, type Language } from './languages.ts';
import { councilScopeFor, type CouncilScope } from './public-content-access.ts';
import * as repo from './translations.repository.ts';

/** The same limit as the English text. */
export const TRANSLATION_LIMITS = { text: 5000 };

export interface TranslationInput {
  summary: string;
  advice: string;
}

/** A translation with its language, and whether the English has changed since it was saved. */
export interface ShownTranslation {
  translation: repo.IncidentTranslation;
  language: Language;
  englishChanged: boolean;
}

/** What the translation was made from: the English summary and advice as they are now. */
export function englishDigest(incident: Pick<Incident, 'summary' | 'advice'>): string {
  return createHash('sha256').update(`${incident.summary}\u0000${incident.advice}`).digest('hex');
}

function shown(incident: Incident, translations: repo.IncidentTranslation[]): ShownTranslation[] {
  const digest = englishDigest(incident);
  return translations.flatMap((translation) => {
    const language = findLanguage(translation.language);
    // A language taken off the list keeps its rows but is no longer shown.
    return language ? [{ translation, language, englishChanged: translation.englishDigest !== digest }] : [];
  });
}

/** A council's translations as residents see them, in the order of the language list. */
export async function translationsForResidents(
  db: Kysely<DB>,
  incident: Incident,
  councilId: string,
): Promise<ShownTranslation[]> {
  const list = shown(incident, await repo.listTranslations(db, incident.id, councilId));
  return list.sort((a, b) => LANGUAGES.indexOf(a.language) - LANGUAGES.indexOf(b.language));
}

function validate(language: Language, input: TranslationInput): FieldError[] {
  const errors: FieldError[] = [];
  const fields: Array<[keyof TranslationInput, string]> = [
    ['summary', 'what happened'],
    ['advice', 'what you should do'],
  ];
  for (const [field, words] of fields) {
    const value = input[field];
    if (!value.trim()) errors.push({ text: `Enter the ${language.name} translation of ${words}`, href: `#${field}` });
    else if (value.length > TRANSLATION_LIMITS.text) {
      errors.push({
        text: `The translation of ${words} must be ${TRANSLATION_LIMITS.text.toLocaleString('en-GB')} characters or fewer`,
        href: `#${field}`,
      });
    }
  }
  return errors;
}

export function createTranslationsService(db: Kysely<DB>) {
  async function overview(principal: Principal, incidentId: string, councilSlug: string) {
    const scope = await councilScopeFor(db, principal, incidentId, councilSlug);
    const translations = await translationsForResidents(db, scope.incident, scope.council.id);
    const taken = new Set(translations.map((t) => t.language.code));
    return { ...scope, translations, available: LANGUAGES.filter((l) => !taken.has(l.code)) };
  }

  /** One translation; 404 if the council has none in that language. */
  async function translationFor(
    principal: Principal,
    incidentId: string,
    councilSlug: string,
    code: string,
  ): Promise<CouncilScope & ShownTranslation> {
    const scope = await councilScopeFor(db, principal, incidentId, councilSlug);
    const language = findLanguage(code);
    const translation = language
      ? await repo.findTranslation(db, scope.incident.id, scope.council.id, language.code)
      : undefined;
    if (!language || !translation) throw new HttpProblem(404, 'Page not found');
    const [found] = shown(scope.incident, [translation]);
    return { ...scope, ...found! };
  }

  async function add(
    principal: Principal,
    actor: AuditActor,
    incidentId: string,
    councilSlug: string,
    input: TranslationInput & { language: string },
  ): Promise<Result<{ language: Language }>> {
    const { incident, council } = await councilScopeFor(db, principal, incidentId, councilSlug);
    const language = findLanguage(input.language);
    if (!language) return { ok: false, errors: [{ text: 'Select a language', href: '#language' }] };
    const errors = validate(language, input);
    if (errors.length) return { ok: false, errors };
    const at = nowIso();
    const id = newId();
    const added = await db.transaction().execute(async (trx) => {
      const inserted = await repo.insertTranslation(trx, {
        id,
        incident_id: incident.id,
        organisation_id: council.id,
        language: language.code,
        summary: input.summary.trim(),
        advice: input.advice.trim(),
        english_digest: englishDigest(incident),
        created_at: at,
        updated_at: at,
        updated_by_label: actor.label,
      });
      if (!inserted) return false;
      await bumpPublicContentVersion(trx);
      await recordAudit(trx, actor, {
        action: 'incident.translation-added',
        organisationId: council.id,
        targetType: 'incident-translation',
        targetId: id,
        details: { incidentId: incident.id, language: language.code },
      });
      return true;
    });
    if (!added) {
      return {
        ok: false,
        errors: [
          { text: `There is already a ${language.name} translation: change that one instead`, href: '#language' },
        ],
      };
    }
    return { ok: true, language };
  }

  async function change(
    principal: Principal,
    actor: AuditActor,
    incidentId: string,
    councilSlug: string,
    code: string,
    input: TranslationInput,
  ): Promise<Result> {
    const found = await translationFor(principal, incidentId, councilSlug, code);
    const errors = validate(found.language, input);
    if (errors.length) return { ok: false, errors };
    const summary = input.summary.trim();
    const advice = input.advice.trim();
    const fields = [
      ...(summary !== found.translation.summary ? ['summary'] : []),
      ...(advice !== found.translation.advice ? ['advice'] : []),
    ];
    // Saving unchanged text after the English changed says the translation still matches it.
    if (fields.length === 0 && !found.englishChanged) return { ok: true };
    await db.transaction().execute(async (trx) => {
      await repo.updateTranslation(trx, found.translation.id, {
        summary,
        advice,
        english_digest: englishDigest(found.incident),
        updated_at: nowIso(),
        updated_by_label: actor.label,
      });
      await bumpPublicContentVersion(trx);
      await recordAudit(trx, actor, {
        action: 'incident.translation-changed',
        organisationId: found.council.id,
        targetType: 'incident-translation',
        targetId: found.translation.id,
        details: {
          incidentId: found.incident.id,
          language: found.language.code,
          fields,
          ...(found.englishChanged ? { checkedAgainstNewEnglish: true } : {}),
        },
      });
    });
    return { ok: true };
  }

  async function remove(
    principal: Principal,
    actor: AuditActor,
    incidentId: string,
    councilSlug: string,
    code: string,
  ): Promise<Language> {
    const found = await translationFor(principal, incidentId, councilSlug, code);
    await db.transaction().execute(async (trx) => {
      await repo.deleteTranslation(trx, found.translation.id);
      await bumpPublicContentVersion(trx);
      await recordAudit(trx, actor, {
        action: 'incident.translation-removed',
        organisationId: found.council.id,
        targetType: 'incident-translation',
        targetId: found.translation.id,
        details: { incidentId: found.incident.id, language: found.language.code },
      });
    });
    return found.language;
  }

  return { overview, translationFor, add, change, remove };
}

export type TranslationsService = ReturnType<typeof createTranslationsService>;
