// Security headers on every response: a strict Content Security Policy that allows no inline
// script or style, and the usual hardening headers.
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

export const securityHeaders = fp(
  async (app: FastifyInstance, opts: { https: boolean }) => {
    app.addHook('onSend', async (request, reply, payload) => {
      reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('x-frame-options', 'DENY');
      reply.header('referrer-policy', 'strict-origin-when-cross-origin');
      reply.header('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()');
      reply.header('cross-origin-opener-policy', 'same-origin');
      reply.header('cross-origin-resource-policy', 'same-origin');
      if (opts.https) reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
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
