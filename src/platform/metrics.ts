// Prometheus metrics: process defaults and a request-duration histogram labelled by route
// pattern (never the raw path, whose variety would grow memory without bound).
//
// In a cluster (WEB_CONCURRENCY above 1) a scrape reaches one HTTP worker at random, so that worker
// asks the primary, which gathers every worker's metrics and adds them up (prom-client's
// AggregatorRegistry); the answer is the whole service's, as with one process.
import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AggregatorRegistry, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const CLUSTER_METRICS_REQUEST = 'wardroom:metrics-request';
const CLUSTER_METRICS_ANSWER = 'wardroom:metrics-answer';
const CLUSTER_METRICS_TIMEOUT_MS = 5_000;

interface ClusterMetricsAnswer {
  type: typeof CLUSTER_METRICS_ANSWER;
  id: string;
  text?: string;
  error?: string;
}

export const metricsPlugin = fp(
  async (app: FastifyInstance) => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'wardroom_' });
    const duration = new Histogram({
      name: 'wardroom_http_request_duration_seconds',
      help: 'HTTP request duration by method, route pattern and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
    app.decorate('metricsRegistry', registry);
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      duration.observe(
        { method: request.method, route, status_code: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    });

    const inCluster = cluster.isWorker;
    if (inCluster) {
      // Answers the primary's requests for this worker's metrics (prom-client's own messages).
      AggregatorRegistry.setRegistries([registry]);
      new AggregatorRegistry();
    }
    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      reply.type(registry.contentType);
      return inCluster ? askPrimaryForMetrics() : registry.metrics();
    });
  },
  { name: 'metrics' },
);

/** In an HTTP worker: the metrics of every worker of the cluster, added up by the primary. */
function askPrimaryForMetrics(): Promise<string> {
  const id = randomUUID();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      reject(new Error('the cluster primary did not answer with the metrics'));
    }, CLUSTER_METRICS_TIMEOUT_MS);
    function onMessage(message: unknown): void {
      const answer = message as Partial<ClusterMetricsAnswer> | null;
      if (answer?.type !== CLUSTER_METRICS_ANSWER || answer.id !== id) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      if (typeof answer.text === 'string') resolve(answer.text);
      else reject(new Error(`the cluster primary could not gather the metrics: ${answer.error ?? 'unknown error'}`));
    }
    process.on('message', onMessage);
    process.send?.({ type: CLUSTER_METRICS_REQUEST, id });
  });
}

/** In the cluster's primary: answers workers that were scraped with every worker's metrics. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: { type?: string; id?: string } | null) => {
    if (message?.type !== CLUSTER_METRICS_REQUEST || typeof message.id !== 'string') return;
    const id = message.id;
    aggregator.clusterMetrics().then(
      (text) => worker.isConnected() && worker.send({ type: CLUSTER_METRICS_ANSWER, id, text }),
      (err: unknown) => worker.isConnected() && worker.send({ type: CLUSTER_METRICS_ANSWER, id, error: String(err) }),
    );
  });
}

declare module 'fastify' {
  interface FastifyInstance {
    metricsRegistry: Registry;
  }
}
