// Structured logs (pino) that never carry secrets or residents' personal data: cookies, tokens,
// passwords, codes and contact details are redacted, and one-time links are cut from URLs.
import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';

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

/**
 * One access log line per request, written when it is answered: what was asked (method, address,
 * client) and how it was answered (status, time taken). Fastify's default writes two, "incoming
 * request" and "request completed"; under a surge of residents sending the contact form the second
 * line cost about as much CPU as the database work of a submission (see docs/benchmarks.md,
 * enquiry-intake). A request that never completes (the client went away) is logged by Fastify as
 * aborted, as before.
 */
export class AccessLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (error) {
      reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    } else {
      reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
    }
  }
}
