// Job queue depth for Prometheus, read from the database when scraped, so every instance reports
// the same shared queue and alerts can watch for a growing backlog or dead letters.
import { Gauge, type Registry } from 'prom-client';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import { JOB_STATUSES, countJobsByStatus } from './jobs.repository.ts';

export function registerJobMetrics(registry: Registry, db: Kysely<DB>): void {
  new Gauge({
    name: 'wardroom_jobs',
    help: 'Jobs in the queue by status',
    labelNames: ['status'] as const,
    registers: [registry],
    // Every process of a cluster reads the same shared queue: report it once, not once per process.
    aggregator: 'first',
    async collect() {
      const counts = await countJobsByStatus(db);
      for (const status of JOB_STATUSES) this.set({ status }, counts[status]);
    },
  });
}
