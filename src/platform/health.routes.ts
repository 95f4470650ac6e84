// Liveness, readiness (the database answers) for load balancers and orchestrators.
import type { FastifyInstance } from 'fastify';
import type { Database } from './db/database.ts';

export async function healthRoutes(app: FastifyInstance, opts: { database: Database }): Promise<void> {
  const statusSchema = {
    type: 'object',
    properties: { status: { type: 'string' }, database: { type: 'string' } },
    required: ['status'],
  } as const;

  app.get(
    '/healthz',
    { schema: { tags: ['health'], summary: 'The process is alive', response: { 200: statusSchema } } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: { tags: ['health'], summary: 'The database answers', response: { 200: statusSchema, 503: statusSchema } },
    },
    async (request, reply) => {
      try {
        await opts.database.ping();
        return { status: 'ready', database: opts.database.dialect };
      } catch (err) {
        request.log.error({ err }, 'readiness check failed');
        return reply.code(503).send({ status: 'unavailable', database: opts.database.dialect });
      }
    },
  );
}
