// Security headers on every response: a strict Content Security Policy that allows no inline
// script or style, and the usual hardening headers. Pages served from memory carry the same list
// (see public-page-cache.ts), so it is kept here, once.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The headers every response carries, as [name, value] pairs; HSTS only over https. */
export function securityHeaderList(https: boolean): ReadonlyArray<readonly [string, string]> {
  return [
    ['content-security-policy', CONTENT_SECURITY_POLICY],
    ['x-content-type-options', 'nosniff'],
    ['x-frame-options', 'DENY'],
    ['referrer-policy', 'strict-origin-when-cross-origin'],
    ['permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()'],
    ['cross-origin-opener-policy', 'same-origin'],
    ['cross-origin-resource-policy', 'same-origin'],
    ...(https ? [['strict-transport-security', 'max-age=31536000; includeSubDomains'] as const] : []),
  ];
}

export const securityHeaders = fp(
  async (app: FastifyInstance, opts: { https: boolean }) => {
    const headers = securityHeaderList(opts.https);
    app.addHook('onSend', async (request, reply, payload) => {
      for (const [name, value] of headers) reply.header(name, value);
      // Staff and sign-in pages hold personal data: never keep them in a shared or browser cache.
      const url = request.url;
      if (url.startsWith('/staff') || url.startsWith('/sign-in') || url.startsWith('/api/v1/staff')) {
        reply.header('cache-control', 'no-store');
      }
      return payload;
    });
  },
  { name: 'security-headers' },
);
