// CSRF protection for every state-changing request: a signed double-submit token. Each browser
// gets a random HttpOnly cookie; forms carry an HMAC of it under the server secret, which another
// site can neither read nor forge. Routes that authenticate otherwise (signed callbacks, bearer
// tokens) opt out with `config: { csrf: false }`.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { redactUrl } from '../logger.ts';

export const CSRF_FIELD = '_csrf';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

declare module 'fastify' {
  interface FastifyRequest {
    /** The token to put in this response's forms (as the `_csrf` hidden field). */
    csrfToken(): string;
  }
  interface FastifyContextConfig {
    csrf?: boolean;
  }
}

export interface CsrfOptions {
  secret: string;
}

export const csrfProtection = fp(
  async (app: FastifyInstance, opts: CsrfOptions) => {
    const names = app.siteCookies;
    // The token is bound to the browser's CSRF cookie and to its session cookie (if any), so a
    // cookie planted by someone else cannot be paired with a token they obtained themselves.
    const sign = (request: FastifyRequest, value: string) =>
      createHmac('sha256', opts.secret)
        .update(`csrf:${value}:${request.cookies[names.session] ?? ''}`)
        .digest('base64url');

    app.decorateRequest('csrfToken', function (this: FastifyRequest) {
      const reply = (this as FastifyRequest & { csrfReply?: FastifyReply }).csrfReply;
      let value = this.cookies[names.csrf];
      if (!value || !/^[A-Za-z0-9_-]{43}$/.test(value)) {
        value = randomBytes(32).toString('base64url');
        this.cookies[names.csrf] = value;
        reply?.setCookie(names.csrf, value, names.options);
      }
      return sign(this, value);
    });

    app.addHook('onRequest', async (request, reply) => {
      (request as FastifyRequest & { csrfReply?: FastifyReply }).csrfReply = reply;
    });

    app.addHook('preHandler', async (request, reply) => {
      if (SAFE_METHODS.has(request.method)) return;
      if (request.routeOptions.config.csrf === false) return;
      const cookie = request.cookies[names.csrf];
      const body = request.body as Record<string, unknown> | undefined;
      const sent =
        (typeof body?.[CSRF_FIELD] === 'string' ? body[CSRF_FIELD] : undefined) ??
        (typeof request.headers['x-csrf-token'] === 'string' ? request.headers['x-csrf-token'] : undefined);
      if (!cookie || !sent || !safeEqual(sent, sign(request, cookie))) {
        request.log.warn({ url: redactUrl(request.url) }, 'CSRF token missing or invalid');
        return reply.code(403).sendProblemOrPage({
          status: 403,
          title: 'This form has expired',
          detail: 'Go back to the page, refresh it and try again.',
        });
      }
    });
  },
  { name: 'csrf', dependencies: ['@fastify/cookie', 'site-cookies'] },
);

/** Starts a fresh CSRF cookie, e.g. when someone signs in or out. */
export function rotateCsrfCookie(request: FastifyRequest, reply: FastifyReply): void {
  const names = request.server.siteCookies;
  const value = randomBytes(32).toString('base64url');
  request.cookies[names.csrf] = value;
  reply.setCookie(names.csrf, value, names.options);
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
