// The staff pages where a council's comms staff (and incident managers) change what its public
// incident page adds to the incident record: questions and answers, and translations of what
// happened and what to do. Every change is public at once, so each also drops this instance's
// cached public pages (other instances follow the public content version).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { listOrganisations } from '../../platform/accounts/accounts.repository.ts';
import { actorOf, requireStaff } from '../../platform/auth/staff-guard.ts';
import type { Database } from '../../platform/db/database.ts';
import { HttpProblem } from '../../platform/http/errors.ts';
import { formText } from '../../platform/http/form-fields.ts';
import type { FieldError } from '../../platform/http/form-result.ts';
import { FAQ_LIMITS, createFaqService, type FaqInput } from './faq.service.ts';
import { listFaqEntries } from './faq.repository.ts';
import { editableCouncilIds, readableIncident, type CouncilScope } from './public-content-access.ts';
import {
  TRANSLATION_LIMITS,
  createTranslationsService,
  translationsForResidents,
  type TranslationInput,
} from './translations.service.ts';

type Form = Record<string, unknown>;
type Params = { incidentId: string; council: string; entryId: string; language: string };

const BANNERS: Record<string, string> = {
  'faq-added': 'Question added. It is on the public page now.',
  'faq-saved': 'Question saved. The public page shows the change now.',
  'faq-moved': 'Order saved.',
  'faq-removed': 'Question removed from the public page.',
  'translation-added': 'Translation added. It is on the public page now.',
  'translation-saved': 'Translation saved. The public page shows the change now.',
  'translation-removed': 'Translation removed from the public page.',
};

export async function publicContentRoutes(app: FastifyInstance, opts: { database: Database }): Promise<void> {
  const { db } = opts.database;
  const faq = createFaqService(db);
  const translations = createTranslationsService(db);
  const guard = { preHandler: requireStaff('public-content.edit') };
  const councilBase = '/staff/incidents/:incidentId/councils/:council';
  const params = (request: FastifyRequest) => request.params as Params;
  const banner = (request: FastifyRequest) => {
    const done = (request.query as Form)['done'];
    return typeof done === 'string' && Object.hasOwn(BANNERS, done) ? BANNERS[done] : undefined;
  };
  const councilUrl = (scope: CouncilScope, rest: string) =>
    `/staff/incidents/${scope.incident.id}/councils/${scope.council.slug}/${rest}`;
  /** Every change is public at once: this instance drops its copies now, others at their next poll. */
  const published = () => app.publicCache.invalidate();

  // The councils whose public page this person looks after, for one incident.
  app.get('/staff/incidents/:incidentId/public-content', guard, async (request, reply) => {
    const principal = request.staff!.principal;
    const incident = await readableIncident(db, principal, params(request).incidentId);
    const editable = editableCouncilIds(principal, incident);
    if (editable.length === 0) throw new HttpProblem(403, 'You do not have permission to see this page');
    const organisations = new Map((await listOrganisations(db)).map((o) => [o.id, o]));
    const councils = await Promise.all(
      editable.map(async (id) => {
        const council = organisations.get(id)!;
        const [entries, shown] = await Promise.all([
          listFaqEntries(db, incident.id, id),
          translationsForResidents(db, incident, id),
        ]);
        return {
          name: council.name,
          slug: council.slug,
          faqCount: entries.length,
          languages: shown.map((t) => t.language.name),
          outOfDate: shown.filter((t) => t.englishChanged).length,
        };
      }),
    );
    return reply.render('public-content/views/staff-public-content.njk', {
      pageTitle: 'Public page content',
      incident,
      councils,
    });
  });

  // Questions and answers.
  const renderFaq = (reply: FastifyReply, request: FastifyRequest, found: Awaited<ReturnType<typeof faq.list>>) =>
    reply.render('public-content/views/staff-faq.njk', {
      pageTitle: 'Questions and answers',
      ...found,
      maxEntries: FAQ_LIMITS.entries,
      banner: banner(request),
    });

  app.get(`${councilBase}/faq`, guard, async (request, reply) => {
    const { incidentId, council } = params(request);
    return renderFaq(reply, request, await faq.list(request.staff!.principal, incidentId, council));
  });

  const faqForm = (request: FastifyRequest): FaqInput => ({
    question: formText(request.body, 'question', FAQ_LIMITS.question + 500),
    answer: formText(request.body, 'answer', FAQ_LIMITS.answer + 2000),
  });
  const renderFaqForm = (
    reply: FastifyReply,
    scope: CouncilScope,
    entryId: string | undefined,
    values: FaqInput,
    errors: FieldError[] = [],
  ) =>
    reply.code(errors.length ? 400 : 200).render('public-content/views/staff-faq-form.njk', {
      pageTitle: entryId ? 'Change a question' : 'Add a question',
      ...scope,
      entryId,
      values,
      errors,
      limits: FAQ_LIMITS,
      backHref: councilUrl(scope, 'faq'),
    });

  app.get(`${councilBase}/faq/new`, guard, async (request, reply) => {
    const { incidentId, council } = params(request);
    const found = await faq.list(request.staff!.principal, incidentId, council);
    return renderFaqForm(reply, found, undefined, { question: '', answer: '' });
  });

  app.post(`${councilBase}/faq/new`, guard, async (request, reply) => {
    const { incidentId, council } = params(request);
    const principal = request.staff!.principal;
    const values = faqForm(request);
    const result = await faq.add(principal, actorOf(request), incidentId, council, values);
    if (!result.ok) {
      return renderFaqForm(reply, await faq.list(principal, incidentId, council), undefined, values, result.errors);
    }
    published();
    return reply.redirect(
      `/staff/incidents/${incidentId}/councils/${council}/faq?done=faq-added#entry-${result.entryId}`,
      303,
    );
  });

  app.get(`${councilBase}/faq/:entryId/edit`, guard, async (request, reply) => {
    const { incidentId, council, entryId } = params(request);
    const found = await faq.entryFor(request.staff!.principal, incidentId, council, entryId);
    return renderFaqForm(reply, found, entryId, { question: found.entry.question, answer: found.entry.answer });
  });

  app.post(`${councilBase}/faq/:entryId/edit`, guard, async (request, reply) => {
    const { incidentId, council, entryId } = params(request);
    const principal = request.staff!.principal;
    const found = await faq.entryFor(principal, incidentId, council, entryId);
    const values = faqForm(request);
    const result = await faq.change(principal, actorOf(request), incidentId, council, entryId, values);
    if (!result.ok) return renderFaqForm(reply, found, entryId, values, result.errors);
    published();
    return reply.redirect(`${councilUrl(found, 'faq')}?done=faq-saved`, 303);
  });

  app.post(`${councilBase}/faq/:entryId/move`, guard, async (request, reply) => {
    const { incidentId, council, entryId } = params(request);
    const direction = formText(request.body, 'direction', 10);
    if (direction !== 'up' && direction !== 'down')
      throw new HttpProblem(400, 'Choose to move the question up or down');
    const found = await faq.entryFor(request.staff!.principal, incidentId, council, entryId);
    await faq.move(request.staff!.principal, actorOf(request), incidentId, council, entryId, direction);
    published();
    return reply.redirect(`${councilUrl(found, 'faq')}?done=faq-moved#entry-${entryId}`, 303);
  });

  app.get(`${councilBase}/faq/:entryId/remove`, guard, async (request, reply) => {
    const { incidentId, council, entryId } = params(request);
    const found = await faq.entryFor(request.staff!.principal, incidentId, council, entryId);
    return reply.render('public-content/views/staff-remove.njk', {
      pageTitle: 'Remove this question?',
      ...found,
      what: 'question',
      preview: { heading: found.entry.question, text: found.entry.answer },
      backHref: councilUrl(found, 'faq'),
    });
  });

  app.post(`${councilBase}/faq/:entryId/remove`, guard, async (request, reply) => {
    const { incidentId, council, entryId } = params(request);
    const found = await faq.entryFor(request.staff!.principal, incidentId, council, entryId);
    await faq.remove(request.staff!.principal, actorOf(request), incidentId, council, entryId);
    published();
    return reply.redirect(`${councilUrl(found, 'faq')}?done=faq-removed`, 303);
  });

  // Translations of what happened and what to do.
  app.get(`${councilBase}/translations`, guard, async (request, reply) => {
    const { incidentId, council } = params(request);
    const found = await translations.overview(request.staff!.principal, incidentId, council);
    return reply.render('public-content/views/staff-translations.njk', {
      pageTitle: 'Translations',
      ...found,
      banner: banner(request),
    });
  });

  const translationForm = (request: FastifyRequest): TranslationInput => ({
    summary: formText(request.body, 'summary', TRANSLATION_LIMITS.text + 2000),
    advice: formText(request.body, 'advice', TRANSLATION_LIMITS.text + 2000),
  });
  const renderTranslationForm = async (
    reply: FastifyReply,
    request: FastifyRequest,
    page: { language?: string },
    values: TranslationInput & { language?: string },
    errors: FieldError[] = [],
  ) => {
    const { incidentId, council } = params(request);
    const principal = request.staff!.principal;
    const overview = await translations.overview(principal, incidentId, council);
    const existing = page.language
      ? await translations.translationFor(principal, incidentId, council, page.language)
      : undefined;
    return reply.code(errors.length ? 400 : 200).render('public-content/views/staff-translation-form.njk', {
      pageTitle: existing ? `Change the ${existing.language.name} translation` : 'Add a translation',
      incident: overview.incident,
      council: overview.council,
      language: existing?.language,
      englishChanged: existing?.englishChanged ?? false,
      languages: overview.available.map((l) => ({ value: l.code, text: l.name, selected: l.code === values.language })),
      values,
      errors,
      limits: TRANSLATION_LIMITS,
      backHref: councilUrl(overview, 'translations'),
    });
  };

  app.get(`${councilBase}/translations/new`, guard, async (request, reply) =>
    renderTranslationForm(reply, request, {}, { language: '', summary: '', advice: '' }),
  );

  app.post(`${councilBase}/translations/new`, guard, async (request, reply) => {
    const { incidentId, council } = params(request);
    const values = { language: formText(request.body, 'language', 40), ...translationForm(request) };
    const result = await translations.add(request.staff!.principal, actorOf(request), incidentId, council, values);
    if (!result.ok) return renderTranslationForm(reply, request, {}, values, result.errors);
    published();
    return reply.redirect(
      `/staff/incidents/${incidentId}/councils/${council}/translations?done=translation-added`,
      303,
    );
  });

  app.get(`${councilBase}/translations/:language/edit`, guard, async (request, reply) => {
    const { incidentId, council, language } = params(request);
    const found = await translations.translationFor(request.staff!.principal, incidentId, council, language);
    return renderTranslationForm(
      reply,
      request,
      { language: found.language.code },
      { summary: found.translation.summary, advice: found.translation.advice },
    );
  });

  app.post(`${councilBase}/translations/:language/edit`, guard, async (request, reply) => {
    const { incidentId, council, language } = params(request);
    const principal = request.staff!.principal;
    const found = await translations.translationFor(principal, incidentId, council, language);
    const values = translationForm(request);
    const result = await translations.change(principal, actorOf(request), incidentId, council, language, values);
    if (!result.ok)
      return renderTranslationForm(reply, request, { language: found.language.code }, values, result.errors);
    published();
    return reply.redirect(`${councilUrl(found, 'translations')}?done=translation-saved`, 303);
  });

  app.get(`${councilBase}/translations/:language/remove`, guard, async (request, reply) => {
    const { incidentId, council, language } = params(request);
    const found = await translations.translationFor(request.staff!.principal, incidentId, council, language);
    return reply.render('public-content/views/staff-remove.njk', {
      pageTitle: `Remove the ${found.language.name} translation?`,
      ...found,
      what: 'translation',
      preview: { text: found.translation.summary, lang: found.language.code, dir: found.language.dir },
      backHref: councilUrl(found, 'translations'),
    });
  });

  app.post(`${councilBase}/translations/:language/remove`, guard, async (request, reply) => {
    const { incidentId, council, language } = params(request);
    const found = await translations.translationFor(request.staff!.principal, incidentId, council, language);
    await translations.remove(request.staff!.principal, actorOf(request), incidentId, council, language);
    published();
    return reply.redirect(`${councilUrl(found, 'translations')}?done=translation-removed`, 303);
  });
}
