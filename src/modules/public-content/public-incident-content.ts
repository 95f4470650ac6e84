// What a council adds to its public incident page and API beyond the incident record: its questions
// and answers, its translations, and the language picker that leads to them. Each language is its
// own address (`?lang=cy`), so each is cached as a page of its own.
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/schema.ts';
import type { Incident } from '../incidents/incidents.repository.ts';
import type { FaqEntry } from './faq.repository.ts';
import { faqForResidents } from './faq.service.ts';
import type { Language } from './languages.ts';
import { translationsForResidents, type ShownTranslation } from './translations.service.ts';

export { findLanguage, type Language } from './languages.ts';
export type { ShownTranslation } from './translations.service.ts';

export interface PublicIncidentContent {
  faq: FaqEntry[];
  translations: ShownTranslation[];
}

export async function loadPublicIncidentContent(
  db: Kysely<DB>,
  incident: Incident,
  councilId: string,
): Promise<PublicIncidentContent> {
  const [faq, translations] = await Promise.all([
    faqForResidents(db, incident.id, councilId),
    translationsForResidents(db, incident, councilId),
  ]);
  return { faq, translations };
}

/** The incident page's address: the language first, then the service group, as the cache keys it. */
export function incidentPageHref(councilSlug: string, options: { lang?: string; group?: string } = {}): string {
  const query = [
    ...(options.lang ? [`lang=${encodeURIComponent(options.lang)}`] : []),
    ...(options.group ? [`group=${encodeURIComponent(options.group)}`] : []),
  ].join('&');
  return `/${councilSlug}/cyber-incident${query ? `?${query}` : ''}`;
}

export interface LanguageLink {
  code: string;
  text: string;
  dir: 'ltr' | 'rtl';
  href: string;
  current: boolean;
}

/** English and each translation, each named in its own language; none when there are no translations. */
export function languageLinks(
  councilSlug: string,
  translations: ShownTranslation[],
  selected: Language | undefined,
): LanguageLink[] {
  if (translations.length === 0) return [];
  return [
    { code: 'en', text: 'English', dir: 'ltr' as const, href: incidentPageHref(councilSlug), current: !selected },
    ...translations.map(({ language }) => ({
      code: language.code,
      text: language.nativeName,
      dir: language.dir,
      href: incidentPageHref(councilSlug, { lang: language.code }),
      current: selected?.code === language.code,
    })),
  ];
}
