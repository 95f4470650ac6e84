// Rate limits on public forms and sign-in, per client IP, in memory. Each instance keeps its own
// counts; behind several instances the limit is per instance, which still bounds abuse.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface RateLimitPolicy {
  max: number;
  windowMs: number;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The name of a rate-limit policy for this route. */
    rateLimit?: string;
  }
}

export const DEFAULT_RATE_LIMITS: Record<string, RateLimitPolicy> = {
  'sign-in': { max: 30, windowMs: 60_000 },
  'public-form': { max: 10, windowMs: 60_000 },
  // "Were you affected?": a person needs one or two answers, so an hour is the window.
  'affected-check': { max: 10, windowMs: 60 * 60_000 },
};

export interface RateLimiter {
  /** Counts one request under `key`; says whether it is within the policy, and if not, when to try again. */
  take(key: string, now?: number): { allowed: true } | { allowed: false; retryAfterSeconds: number };
  /** Forgets windows that have ended. */
  sweep(now?: number): void;
}

/**
 * Fixed-window counts in memory, by any key: the client IP for the plugin below, or something a
 * route knows only after reading the form (say, a hash of the address typed). Keys should not be
 * personal data in clear.
 */
export function createRateLimiter(policy: RateLimitPolicy): RateLimiter {
  const windows = new Map<string, { count: number; resetAt: number }>();
  return {
    take(key, now = Date.now()) {
      let w = windows.get(key);
      if (!w || w.resetAt <= now) {
        w = { count: 0, resetAt: now + policy.windowMs };
        windows.set(key, w);
      }
      w.count += 1;
      return w.count > policy.max
        ? { allowed: false, retryAfterSeconds: Math.ceil((w.resetAt - now) / 1000) }
        : { allowed: true };
    },
    sweep(now = Date.now()) {
      for (const [key, w] of windows) if (w.resetAt <= now) windows.delete(key);
    },
  };
}

export const rateLimits = fp(
  async (app: FastifyInstance, opts: { policies?: Record<string, RateLimitPolicy> }) => {
    const policies = { ...DEFAULT_RATE_LIMITS, ...opts.policies };
    const limiters = new Map(Object.entries(policies).map(([name, policy]) => [name, createRateLimiter(policy)]));
    const sweep = setInterval(() => {
      for (const limiter of limiters.values()) limiter.sweep();
    }, 60_000);
    sweep.unref();
    app.addHook('onClose', async () => clearInterval(sweep));

    app.addHook('preHandler', async (request, reply) => {
      const name = request.routeOptions.config.rateLimit;
      if (!name || request.method === 'GET' || request.method === 'HEAD') return;
      const limiter = limiters.get(name);
      if (!limiter) throw new Error(`no rate-limit policy called ${name}`);
      const taken = limiter.take(request.ip);
      if (!taken.allowed) {
        reply.header('retry-after', taken.retryAfterSeconds);
        return reply.sendProblemOrPage({
          status: 429,
          title: 'Too many requests',
          detail: taken.retryAfterSeconds > 120 ? 'Wait an hour and try again.' : 'Wait a minute and try again.',
        });
      }
    });
  },
  { name: 'rate-limits', dependencies: ['errors'] },
);
