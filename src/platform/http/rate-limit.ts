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
};

export const rateLimits = fp(
  async (app: FastifyInstance, opts: { policies?: Record<string, RateLimitPolicy> }) => {
    const policies = { ...DEFAULT_RATE_LIMITS, ...opts.policies };
    const windows = new Map<string, { count: number; resetAt: number }>();
    const sweep = setInterval(() => {
      const now = Date.now();
      for (const [key, w] of windows) if (w.resetAt <= now) windows.delete(key);
    }, 60_000);
    sweep.unref();
    app.addHook('onClose', async () => clearInterval(sweep));

    app.addHook('preHandler', async (request, reply) => {
      const name = request.routeOptions.config.rateLimit;
      if (!name || request.method === 'GET' || request.method === 'HEAD') return;
      const policy = policies[name];
      if (!policy) throw new Error(`no rate-limit policy called ${name}`);
      const key = `${name}:${request.ip}`;
      const now = Date.now();
      let w = windows.get(key);
      if (!w || w.resetAt <= now) {
        w = { count: 0, resetAt: now + policy.windowMs };
        windows.set(key, w);
      }
      w.count += 1;
      if (w.count > policy.max) {
        reply.header('retry-after', Math.ceil((w.resetAt - now) / 1000));
        return reply.sendProblemOrPage({
          status: 429,
          title: 'Too many requests',
          detail: 'Wait a minute and try again.',
        });
      }
    });
  },
  { name: 'rate-limits', dependencies: ['errors'] },
);
