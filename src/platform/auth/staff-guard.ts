// Loads the signed-in person on each request that carries a session cookie, and guards staff
// routes: not signed in (or timed out) → sign in and come back; signed in without the permission → 403.
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { AuditActor } from '../audit/audit.service.ts';
import { can, type Action, type ResourceScope } from '../policy/policy.ts';
import type { LoadedSession } from './auth.service.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in person (their session has passed MFA), or null. */
    staff: LoadedSession | null;
    /** A session part-way through sign-in (password accepted, MFA not yet), or null. */
    pendingSignIn: LoadedSession | null;
  }
}

/** Only same-site staff paths are remembered, so the link cannot send anyone elsewhere. */
export function safeReturnPath(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  if (!/^\/staff(\/[A-Za-z0-9\-._~%/?=&]*)?$/.test(value) || value.includes('//') || value.length > 500) return null;
  return value;
}

function sendToSignIn(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  // After a timeout, a form post comes back to the page the form was on; a page view to itself.
  let back: string | null = null;
  if (request.method === 'GET') back = safeReturnPath(request.url);
  else {
    try {
      const referer = request.headers.referer ? new URL(request.headers.referer) : null;
      if (referer && referer.hostname === request.hostname) back = safeReturnPath(referer.pathname + referer.search);
    } catch {
      back = null;
    }
  }
  const cookies = request.server.siteCookies;
  if (back) reply.setCookie(cookies.returnTo, back, { ...cookies.options, maxAge: 30 * 60 });
  return reply.redirect(request.method === 'GET' ? '/sign-in' : '/sign-in?timedOut=1', 303);
}

/** A preHandler: the request must come from signed-in staff who may do `action`. */
export function requireStaff(action: Action): preHandlerAsyncHookHandler {
  return async function guard(request, reply) {
    if (!request.staff) return sendToSignIn(request, reply);
    if (!can(request.staff.principal, action)) {
      return reply.sendProblemOrPage({ status: 403, title: 'You do not have permission to see this page' });
    }
  };
}

/** For a record: may the signed-in person do `action` to it? Throws a 404 rather than reveal it exists. */
export function assertCan(request: FastifyRequest, action: Action, resource: ResourceScope): void {
  if (!request.staff || !can(request.staff.principal, action, resource)) {
    throw Object.assign(new Error('not found'), { statusCode: 404 });
  }
}

/** The signed-in person as the audit log records them. */
export function actorOf(request: FastifyRequest): AuditActor {
  const staff = request.staff ?? request.pendingSignIn;
  const ua = request.headers['user-agent'];
  return {
    userId: staff?.user.id ?? null,
    label: staff?.user.email ?? 'anonymous',
    ip: request.ip ?? null,
    userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null,
  };
}
