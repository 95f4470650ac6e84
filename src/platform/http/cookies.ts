// The cookies that must be whole-site and unforgeable from a sibling subdomain. Over https they
// take the __Host- prefix, which browsers only accept from this exact host, with Secure and Path=/:
// after a council's network is compromised, a neighbouring subdomain must not be able to plant a
// session or CSRF cookie here.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

export interface SiteCookies {
  session: string;
  csrf: string;
  returnTo: string;
  secure: boolean;
  /** Attributes for every site cookie. */
  options: { path: '/'; httpOnly: true; sameSite: 'lax'; secure: boolean };
}

export function siteCookies(https: boolean): SiteCookies {
  const prefix = https ? '__Host-' : '';
  return {
    session: `${prefix}wardroom_session`,
    csrf: `${prefix}wardroom_csrf`,
    returnTo: `${prefix}wardroom_return_to`,
    secure: https,
    options: { path: '/', httpOnly: true, sameSite: 'lax', secure: https },
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    siteCookies: SiteCookies;
  }
}

export const siteCookiesPlugin = fp(
  async (app: FastifyInstance, opts: { https: boolean }) => {
    app.decorate('siteCookies', siteCookies(opts.https));
  },
  { name: 'site-cookies' },
);

/** The cookie that keeps a resident's answers to one public form between its pages. */
export interface DraftCookie {
  read(request: FastifyRequest): string | undefined;
  /** Sets the draft's token, sent back only to the form's own pages (`path`), for two hours. */
  write(reply: FastifyReply, path: string, token: string): void;
}

const DRAFT_MAX_AGE_SECONDS = 2 * 60 * 60;

export function draftCookie(app: FastifyInstance, name: string): DraftCookie {
  return {
    read: (request) => request.cookies[name],
    write: (reply, path, token) => {
      reply.setCookie(name, token, {
        path,
        httpOnly: true,
        sameSite: 'lax',
        secure: app.siteCookies.secure,
        maxAge: DRAFT_MAX_AGE_SECONDS,
      });
    },
  };
}
