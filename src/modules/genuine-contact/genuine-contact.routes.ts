// "Is this really from the council?" over HTTP: the public check page, the staff pages that keep
// each council's register of genuine contact, and the page where staff on a call give a resident
// a one-time code.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { findOrganisationBySlug, type Organisation } from '../../platform/accounts/accounts.repository.ts';
import { actorOf, requireStaff } from '../../platform/auth/staff-guard.ts';
import type { StaffNavigation } from '../../platform/auth/staff-navigation.ts';
import type { Database } from '../../platform/db/database.ts';
import { formText } from '../../platform/http/form-fields.ts';
import type { FieldError } from '../../platform/http/form-result.ts';
import { CHANNELS, KINDS, MAX_CHECK_LENGTH, type EntryAnswers } from './genuine-contact-register.ts';
import { CALL_CODE_MINUTES, createGenuineContactService } from './genuine-contact.service.ts';

export interface GenuineContactRoutesOptions {
  database: Database;
  navigation: StaffNavigation;
}

const EMPTY_ENTRY: EntryAnswers = { channel: '', kind: '', value: '', description: '', activeFrom: '', activeTo: '' };

export async function genuineContactRoutes(app: FastifyInstance, opts: GenuineContactRoutesOptions): Promise<void> {
  const { db } = opts.database;
  const service = createGenuineContactService(db);
  const notFound = { status: 404, title: 'Page not found' };
  opts.navigation.add({ href: '/staff/genuine-contact', text: 'Genuine contact', action: 'genuine-contact.manage' });

  const councilFrom = async (params: unknown): Promise<Organisation | undefined> => {
    const slug = (params as { council: string }).council;
    if (!/^[a-z0-9-]{2,60}$/.test(slug)) return undefined;
    const org = await findOrganisationBySlug(db, slug);
    return org?.kind === 'council' ? org : undefined;
  };

  // The public check. The answer is the response to the POST rather than a redirect, so what a
  // resident typed never lands in an address, a history or a log.
  const renderCheck = async (
    reply: FastifyReply,
    council: Organisation,
    typed: string,
    result?: Awaited<ReturnType<typeof service.check>>,
  ) => {
    const register = result?.ok ? result.register : await service.publicRegister(council);
    const errors = result && !result.ok ? result.errors : [];
    if (result) reply.header('cache-control', 'no-store');
    return reply.code(errors.length ? 400 : 200).render('genuine-contact/views/check.njk', {
      pageTitle: 'Is this really from us?',
      council,
      typed,
      errors,
      answer: result?.ok ? result.answer : undefined,
      register,
      channels: CHANNELS,
    });
  };

  app.get('/:council/is-this-really-us', async (request, reply) => {
    const council = await councilFrom(request.params);
    if (!council) return reply.sendProblemOrPage(notFound);
    return renderCheck(reply, council, '');
  });

  app.post('/:council/is-this-really-us', { config: { rateLimit: 'public-form' } }, async (request, reply) => {
    const council = await councilFrom(request.params);
    if (!council) return reply.sendProblemOrPage(notFound);
    const typed = formText(request.body, 'contact', MAX_CHECK_LENGTH + 100);
    const actor = { ...actorOf(request), label: 'resident' };
    return renderCheck(reply, council, typed, await service.check(council, typed, actor));
  });

  // The register, for the councils this person manages.
  app.get('/staff/genuine-contact', { preHandler: requireStaff('genuine-contact.manage') }, async (request, reply) =>
    reply.render('genuine-contact/views/staff-register.njk', {
      pageTitle: 'Genuine contact',
      registers: await service.registersFor(request.staff!.principal),
      banner: (request.query as { done?: string }).done === 'saved',
      channels: CHANNELS,
      kinds: KINDS,
    }),
  );

  const params = (request: FastifyRequest) => request.params as { organisationId: string; entryId?: string };
  const entryAnswers = (request: FastifyRequest): EntryAnswers => ({
    channel: formText(request.body, 'channel', 20),
    kind: formText(request.body, 'kind', 30),
    value: formText(request.body, 'value', 400),
    description: formText(request.body, 'description', 400),
    activeFrom: formText(request.body, 'activeFrom', 20),
    activeTo: formText(request.body, 'activeTo', 20),
  });

  const renderEntryForm = async (
    request: FastifyRequest,
    reply: FastifyReply,
    values: EntryAnswers | undefined,
    errors: FieldError[] = [],
  ) => {
    const { organisationId, entryId } = params(request);
    const principal = request.staff!.principal;
    const found = entryId
      ? await service.findEntry(principal, organisationId, entryId)
      : await service
          .managedCouncil(principal, organisationId)
          .then((council) => council && { council, entry: undefined });
    if (!found) return reply.sendProblemOrPage(notFound);
    const { council, entry } = found;
    return reply.code(errors.length ? 400 : 200).render('genuine-contact/views/staff-entry-form.njk', {
      pageTitle: entry ? 'Change an entry' : 'Add an entry',
      council,
      values:
        values ??
        (entry
          ? {
              channel: entry.channel,
              kind: entry.kind,
              value: entry.value,
              description: entry.description,
              activeFrom: entry.activeFrom,
              activeTo: entry.activeTo ?? '',
            }
          : EMPTY_ENTRY),
      errors,
      channels: CHANNELS,
      kinds: KINDS,
    });
  };

  const saveEntry = async (request: FastifyRequest, reply: FastifyReply) => {
    const { organisationId, entryId } = params(request);
    const values = entryAnswers(request);
    const result = await service.saveEntry(request.staff!.principal, actorOf(request), organisationId, entryId, values);
    if (!result) return reply.sendProblemOrPage(notFound);
    if (!result.ok) return renderEntryForm(request, reply, values, result.errors);
    return reply.redirect('/staff/genuine-contact?done=saved', 303);
  };

  const manage = { preHandler: requireStaff('genuine-contact.manage') };
  app.get('/staff/genuine-contact/:organisationId/new', manage, (request, reply) =>
    renderEntryForm(request, reply, undefined),
  );
  app.post('/staff/genuine-contact/:organisationId/new', manage, saveEntry);
  app.get('/staff/genuine-contact/:organisationId/entries/:entryId', manage, (request, reply) =>
    renderEntryForm(request, reply, undefined),
  );
  app.post('/staff/genuine-contact/:organisationId/entries/:entryId', manage, saveEntry);

  const renderNeverAsk = async (
    request: FastifyRequest,
    reply: FastifyReply,
    typed: string | undefined,
    errors: FieldError[] = [],
  ) => {
    const { organisationId } = params(request);
    const found = (await service.registersFor(request.staff!.principal)).find((r) => r.council.id === organisationId);
    if (!found) return reply.sendProblemOrPage(notFound);
    return reply.code(errors.length ? 400 : 200).render('genuine-contact/views/staff-never-ask.njk', {
      pageTitle: 'What we will never ask for',
      council: found.council,
      neverAsk: typed ?? found.neverAsk.join('\n'),
      errors,
    });
  };

  app.get('/staff/genuine-contact/:organisationId/never-ask', manage, (request, reply) =>
    renderNeverAsk(request, reply, undefined),
  );
  app.post('/staff/genuine-contact/:organisationId/never-ask', manage, async (request, reply) => {
    const typed = formText(request.body, 'neverAsk', 6000);
    const { organisationId } = params(request);
    const result = await service.saveNeverAsk(request.staff!.principal, actorOf(request), organisationId, typed);
    if (!result) return reply.sendProblemOrPage(notFound);
    if (!result.ok) return renderNeverAsk(request, reply, typed, result.errors);
    return reply.redirect('/staff/genuine-contact?done=saved', 303);
  });

  // Call codes: any staff who may read the incident can give one while on a call. The code is
  // shown once, in the response to the POST, and never stored.
  opts.navigation.add({ href: '/staff/call-code', text: 'Call code', action: 'incident.read' });
  app.get('/staff/call-code', { preHandler: requireStaff('incident.read') }, (_request, reply) =>
    reply.redirect('/staff/genuine-contact/call-code', 303),
  );
  const callCode = { preHandler: requireStaff('incident.read') };
  const renderCallCodeForm = async (request: FastifyRequest, reply: FastifyReply, errors: FieldError[] = []) =>
    reply.code(errors.length ? 400 : 200).render('genuine-contact/views/staff-call-code.njk', {
      pageTitle: 'Give a caller a code',
      councils: await service.callCodeCouncils(request.staff!.principal),
      minutes: CALL_CODE_MINUTES,
      errors,
    });
  app.get('/staff/genuine-contact/call-code', callCode, (request, reply) => renderCallCodeForm(request, reply));
  app.post('/staff/genuine-contact/call-code', callCode, async (request, reply) => {
    const councils = await service.callCodeCouncils(request.staff!.principal);
    const organisationId =
      formText(request.body, 'organisationId', 60) || (councils.length === 1 ? councils[0]!.id : '');
    if (organisationId === '') {
      return renderCallCodeForm(request, reply, [
        { text: 'Select the council you are calling for', href: '#organisationId' },
      ]);
    }
    const issued = await service.issueCallCode(request.staff!.principal, actorOf(request), organisationId);
    if (!issued) return reply.sendProblemOrPage(notFound);
    reply.header('cache-control', 'no-store');
    return reply.render('genuine-contact/views/staff-call-code-issued.njk', {
      pageTitle: 'Read this code to the caller',
      council: issued.council,
      code: issued.code,
      expiresAt: issued.expiresAt,
      minutes: CALL_CODE_MINUTES,
    });
  });
}
