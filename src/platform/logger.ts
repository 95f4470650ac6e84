// Structured logs (pino) that never carry secrets or residents' personal data: cookies, tokens,
// passwords, codes and contact details are redacted, and one-time links are cut from URLs.
import {
  LogController,
  type FastifyBaseLogger,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import pino from 'pino';

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

/** A block of lines is written once it reaches this many bytes… */
const LOG_BLOCK_BYTES = 4096;
/** …or this long after the last write, whichever comes first. */
const LOG_FLUSH_MS = 250;

let processLogDestination: pino.DestinationStream | undefined;

/**
 * Where every logger of this process writes: standard output, in blocks of about 4 KB rather than a
 * system call for each line (under a surge, each HTTP worker logs thousands of lines a second, and
 * writing each one cost more than parsing the request it describes). A line waits at most
 * LOG_FLUSH_MS, and what is waiting is written when the process exits, however it exits short of
 * being killed outright (SIGKILL loses at most that last quarter of a second).
 */
export function logDestination(): pino.DestinationStream {
  if (processLogDestination === undefined) {
    const destination = pino.destination({
      dest: 1,
      sync: true,
      minLength: LOG_BLOCK_BYTES,
      periodicFlush: LOG_FLUSH_MS,
    });
    process.on('exit', () => {
      try {
        destination.flushSync();
      } catch {
        // Standard output is gone (its reader exited): nothing can be written anywhere.
      }
    });
    processLogDestination = destination;
  }
  return processLogDestination;
}

/** A logger for code outside the web app (the cluster's primary, the job process), to the same destination. */
export function processLogger(level: string): pino.Logger {
  return pino({ level }, logDestination());
}

export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    stream: logDestination(),
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

/** Loggers for access lines, one per destination (an app's logger and its children share one). */
const accessLoggers = new WeakMap<object, pino.Logger>();

function accessLoggerFor(log: FastifyBaseLogger): pino.Logger {
  const stream = (log as unknown as Record<symbol, pino.DestinationStream>)[pino.symbols.streamSym];
  if (!stream) return log as pino.Logger;
  let access = accessLoggers.get(stream);
  if (!access) {
    access = pino({ level: 'info' }, stream);
    accessLoggers.set(stream, access);
  }
  return access;
}

/**
 * One access log line per request, written when it is answered: what was asked (method, address
 * with one-time tokens cut, client) and how it was answered (status, time taken). Fastify's default
 * writes two, "incoming request" and "request completed", each through the redaction of every path
 * in REDACTED_PATHS, which cost more CPU than a web-form submission's database work under a surge
 * (see docs/benchmarks.md, enquiry-intake). This line holds only those few plain values, which no
 * redacted path can match (they are not nested, and none is a cookie, a body or a form field), so it
 * is written by a logger without the redaction pass, to the same destination. An error keeps the
 * redacted logger, since its details are not ours to vouch for.
 */
export class AccessLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (error) {
      reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
      return;
    }
    if ((pino.levels.values[reply.log.level] ?? Infinity) > (pino.levels.values['info'] as number)) return;
    const userAgent = request.headers['user-agent'];
    accessLoggerFor(reply.log).info(
      {
        reqId: request.id,
        method: request.method,
        url: redactUrl(request.url),
        statusCode: reply.statusCode,
        responseTime: reply.elapsedTime,
        remoteAddress: request.ip,
        ...(typeof userAgent === 'string' ? { userAgent: userAgent.slice(0, 300) } : {}),
      },
      'request completed',
    );
  }
}
