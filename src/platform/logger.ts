// Structured logs (pino) that never carry secrets or residents' personal data: cookies, tokens,
// passwords, codes and contact details are redacted, and one-time links are cut from URLs.
import type { FastifyServerOptions } from 'fastify';

export const REDACTED_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.confirmPassword',
  '*.code',
  '*.token',
  '*.secret',
  '*.email',
  '*.phone',
  '*.name',
  '*.address',
  '*.postcode',
  '*._csrf',
  'body',
];

/** One-time tokens travel in paths such as /sign-in/set-up/<token>: keep them out of the logs. */
export function redactUrl(url: string): string {
  return url
    .replace(/\/(set-up|verify|confirm|unsubscribe)\/[^/?]+/g, '/$1/[redacted]')
    .replace(/([?&](token|code|email)=)[^&]*/g, '$1[redacted]');
}

export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: {
      req(request: { method: string; url: string; ip?: string; headers: Record<string, unknown> }) {
        return {
          method: request.method,
          url: redactUrl(request.url),
          remoteAddress: request.ip,
          userAgent: request.headers['user-agent'],
        };
      },
    },
  };
}
