// Public pages answered from memory never reach Fastify, so its request-duration histogram does
// not see them: this counter does, read from the cache's own tallies when scraped.
import { Counter, type Registry } from 'prom-client';
import type { ContentCoding, PublicPageCache } from './public-page-cache.ts';

export function registerPublicCacheMetrics(registry: Registry, cache: Pick<PublicPageCache, 'served'>): void {
  new Counter({
    name: 'wardroom_public_pages_from_memory_total',
    help: 'Public pages answered from memory before routing, by status code and content coding',
    labelNames: ['status_code', 'encoding'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const served = cache.served();
      for (const status of ['200', '304'] as const) {
        for (const [encoding, count] of Object.entries(served[status]) as Array<[ContentCoding, number]>) {
          if (count > 0) this.inc({ status_code: status, encoding }, count);
        }
      }
    },
  });
}
