// "Were you affected?" on the council's own site: the form, and the one page every request leads
// to whatever the answer, which is sent to the email address or phone and never shown here.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { councilFromPath } from '../../platform/accounts/council-from-path.ts';
import type { Organisation } from '../../platform/accounts/accounts.repository.ts';
import type { Database } from '../../platform/db/database.ts';
import { formText } from '../../platform/http/form-fields.ts';
import type { RateLimitPolicy } from '../../platform/http/rate-limit.ts';
import { createAffectedCheckService, DEFAULT_PER_ADDRESS_LIMIT, type CheckRequest } from './affected-check.service.ts';

export interface AffectedCheckRoutesOptions {
  database: Database;
  sessionSecret: string;
  /** Whether text messages are offered (GOV.UK Notify with a text message template is configured). */
  smsAvailable: boolean;
  /** Answers an hour to one address; three when not given. */
  perAddressLimit?: RateLimitPolicy | undefined;
}

export const wereYouAffectedPath = (slug: string) => `/${slug}/cyber-incident/were-you-affected`;

export async function affectedCheckRoutes(app: FastifyInstance, opts: AffectedCheckRoutesOptions): Promise<void> {
  const { db } = opts.database;
  const perAddressLimit = opts.perAddressLimit ?? DEFAULT_PER_ADDRESS_LIMIT;
  const service = createAffectedCheckService(db, {
    sessionSecret: opts.sessionSecret,
    smsAvailable: opts.smsAvailable,
    perAddressLimit,
  });
  app.addHook('onClose', async () => service.close());
  const notFound = { status: 404, title: 'Page not found' };
  const councilFrom = (params: unknown) => councilFromPath(db, params);

  const renderForm = (reply: FastifyReply, council: Organisation, values: CheckRequest, errors: unknown[] = []) =>
    reply.code(errors.length ? 400 : 200).render('affected-check/views/were-you-affected.njk', {
      pageTitle: 'Find out if your details were in the copied data',
      council,
      smsAvailable: opts.smsAvailable,
      values,
      errors,
    });

  app.get('/:council/cyber-incident/were-you-affected', async (request, reply) => {
    const council = await councilFrom(request.params);
    if (!council) return reply.sendProblemOrPage(notFound);
    return renderForm(reply, council, { channel: '', email: '', phone: '' });
  });

  app.post(
    '/:council/cyber-incident/were-you-affected',
    { config: { rateLimit: 'affected-check' } },
    async (request, reply) => {
      const council = await councilFrom(request.params);
      if (!council) return reply.sendProblemOrPage(notFound);
      // Cut well past the longest valid address (254) and number, so a long one is reported rather than cut.
      const typed: CheckRequest = {
        channel: formText(request.body, 'channel', 10),
        email: formText(request.body, 'email', 400),
        phone: formText(request.body, 'phone', 60),
      };
      const result = await service.requestAnswer(council, typed, {
        userId: null,
        label: 'anonymous',
        ip: request.ip,
        userAgent: request.headers['user-agent'] ?? null,
      });
      if (!result.ok) return renderForm(reply, council, typed, result.errors);
      const next = result.channel === 'sms' ? 'check-your-phone' : 'check-your-email';
      return reply.redirect(`${wereYouAffectedPath(council.slug)}/${next}`, 303);
    },
  );

  // The same page whatever the answer is, and whether or not this address has had its answers for the hour.
  for (const channel of ['email', 'sms'] as const) {
    const page = channel === 'sms' ? 'check-your-phone' : 'check-your-email';
    app.get(`/:council/cyber-incident/were-you-affected/${page}`, async (request, reply) => {
      const council = await councilFrom(request.params);
      if (!council || (channel === 'sms' && !opts.smsAvailable)) return reply.sendProblemOrPage(notFound);
      return reply.render('affected-check/views/check-messages.njk', {
        pageTitle: channel === 'sms' ? 'Check your phone' : 'Check your email',
        council,
        channel,
        perHour: perAddressLimit.max,
      });
    });
  }
}
