// Subscriptions: the public pages to sign up for a council's cyber incident updates by email or text, confirm
// the sign-up, and unsubscribe (including the RFC 8058 one-click POST that mail programs make).
// Confirming and unsubscribing take a POST, so the link scanners in mail systems, which fetch
// every link in a message, cannot confirm or unsubscribe anyone by following it.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { councilFromPath } from '../../platform/accounts/council-from-path.ts';
import { type Organisation } from '../../platform/accounts/accounts.repository.ts';
import type { Database } from '../../platform/db/database.ts';
import { formText } from '../../platform/http/form-fields.ts';
import {
  CONFIRM_LINK_DAYS,
  confirmPath,
  councilPath,
  createSubscriptionsService,
  type ConfirmationState,
  type SignUp,
} from './subscriptions.service.ts';

export interface SubscriptionsRoutesOptions {
  database: Database;
  /** Links in messages use this, never the Host a request names, which anyone can set. */
  publicBaseUrl: string;
  /** Whether text message updates are offered (GOV.UK Notify with a text message template is configured). */
  smsAvailable: boolean;
}

export async function subscriptionsRoutes(app: FastifyInstance, opts: SubscriptionsRoutesOptions): Promise<void> {
  const { db } = opts.database;
  const service = createSubscriptionsService(db, {
    publicBaseUrl: opts.publicBaseUrl,
    smsAvailable: opts.smsAvailable,
  });
  const notFound = { status: 404, title: 'Page not found' };

  const councilFrom = (params: unknown) => councilFromPath(db, params);
  const tokenFrom = (request: FastifyRequest) => (request.params as { token: string }).token;
  const formPath = (council: Organisation) => `${councilPath(council.slug)}/get-updates`;

  const renderForm = (reply: FastifyReply, council: Organisation, values: SignUp, errors: unknown[] = []) =>
    reply.code(errors.length ? 400 : 200).render('subscriptions/views/get-updates.njk', {
      pageTitle: opts.smsAvailable ? 'Get updates by email or text message' : 'Get email updates',
      council,
      smsAvailable: opts.smsAvailable,
      values,
      errors,
    });

  app.get('/:council/cyber-incident/get-updates', async (request, reply) => {
    const council = await councilFrom(request.params);
    if (!council) return reply.sendProblemOrPage(notFound);
    return renderForm(reply, council, { channel: '', email: '', phone: '' });
  });

  app.post('/:council/cyber-incident/get-updates', { config: { rateLimit: 'public-form' } }, async (request, reply) => {
    const council = await councilFrom(request.params);
    if (!council) return reply.sendProblemOrPage(notFound);
    // Cut well past the longest valid address (254) and number, so a long one is reported rather than cut.
    const typed: SignUp = {
      channel: formText(request.body, 'channel', 10),
      email: formText(request.body, 'email', 400),
      phone: formText(request.body, 'phone', 60),
    };
    const result = await service.subscribe(council, typed);
    if (!result.ok) return renderForm(reply, council, typed, result.errors);
    const next = opts.smsAvailable && typed.channel === 'sms' ? 'check-your-phone' : 'check-your-email';
    return reply.redirect(`${formPath(council)}/${next}`, 303);
  });

  // The same page for every address, new or subscribed already, so the form tells nobody who is on the list.
  app.get('/:council/cyber-incident/get-updates/check-your-email', async (request, reply) => {
    const council = await councilFrom(request.params);
    if (!council) return reply.sendProblemOrPage(notFound);
    return reply.render('subscriptions/views/check-messages.njk', {
      pageTitle: 'Check your email',
      council,
      channel: 'email',
      days: CONFIRM_LINK_DAYS,
    });
  });

  app.get('/:council/cyber-incident/get-updates/check-your-phone', async (request, reply) => {
    const council = await councilFrom(request.params);
    if (!council || !opts.smsAvailable) return reply.sendProblemOrPage(notFound);
    return reply.render('subscriptions/views/check-messages.njk', {
      pageTitle: 'Check your phone',
      council,
      channel: 'sms',
      days: CONFIRM_LINK_DAYS,
    });
  });

  const CONFIRM_PAGES: Record<ConfirmationState, { code: number; pageTitle: string }> = {
    ready: { code: 200, pageTitle: 'Confirm you want updates' },
    confirmed: { code: 200, pageTitle: 'You’re subscribed' },
    expired: { code: 410, pageTitle: 'This link has expired' },
    invalid: { code: 404, pageTitle: 'This link does not work' },
  };

  app.get('/:council/cyber-incident/get-updates/confirm/:token', async (request, reply) => {
    const council = await councilFrom(request.params);
    if (!council) return reply.sendProblemOrPage(notFound);
    const state = await service.confirmationState(council.id, tokenFrom(request));
    const page = CONFIRM_PAGES[state];
    return reply.code(page.code).render('subscriptions/views/confirm.njk', {
      pageTitle: page.pageTitle,
      council,
      state,
      days: CONFIRM_LINK_DAYS,
    });
  });

  app.post('/:council/cyber-incident/get-updates/confirm/:token', async (request, reply) => {
    const council = await councilFrom(request.params);
    if (!council) return reply.sendProblemOrPage(notFound);
    const token = tokenFrom(request);
    await service.confirm(council.id, token);
    // Back to the link's own page, which now says what happened (subscribed, expired or not valid).
    return reply.redirect(confirmPath(council.slug, token), 303);
  });

  app.get('/:council/cyber-incident/unsubscribe/:token', async (request, reply) => {
    const council = await councilFrom(request.params);
    if (!council) return reply.sendProblemOrPage(notFound);
    const state = await service.unsubscribeState(council.id, tokenFrom(request));
    return reply.code(state === 'invalid' ? 404 : 200).render('subscriptions/views/unsubscribe.njk', {
      pageTitle: {
        subscribed: 'Stop getting updates',
        unsubscribed: 'You’ve unsubscribed',
        invalid: 'This link does not work',
      }[state],
      council,
      state,
    });
  });

  // Both the button on the page above and RFC 8058 one-click unsubscribing from a mail program
  // (body `List-Unsubscribe=One-Click`, no cookies) post here. A mail program has no CSRF token;
  // the unguessable token in the address is what authorises the request, and ending a subscription
  // twice does no harm. The answer is the page itself rather than a redirect, because RFC 8058
  // senders must not rely on the mail program following one.
  app.post('/:council/cyber-incident/unsubscribe/:token', { config: { csrf: false } }, async (request, reply) => {
    const council = await councilFrom(request.params);
    if (!council) return reply.sendProblemOrPage(notFound);
    const state = await service.unsubscribe(council.id, tokenFrom(request));
    return reply.code(state === 'invalid' ? 404 : 200).render('subscriptions/views/unsubscribe.njk', {
      pageTitle: state === 'invalid' ? 'This link does not work' : 'You’ve unsubscribed',
      council,
      state,
    });
  });
}
