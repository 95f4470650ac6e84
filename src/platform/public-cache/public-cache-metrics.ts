// Public pages answered from memory never reach Fastify, so its request-duration histogram does
// not see them: this counter does, read from the cache's own tallies when scraped.
import { Counter, type Registry } from 'prom-client';
import type { ContentCoding, PublicPageCache } from './public-page-cache.ts';
import type { HandOverReason, PublicPageFastPath } from './public-page-fast-path.ts';

export function registerPublicCacheMetrics(
  registry: Registry,
  cache: Pick<PublicPageCache, 'served'>,
  fastPath?: PublicPageFastPath,
): void {
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
  if (!fastPath) return;
  // Why requests went on to node:http; "other-request" also counts every ordinary non-page request.
  new Counter({
    name: 'wardroom_public_fast_path_handovers_total',
    help: 'Connections the public page fast path handed to node:http, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, count] of Object.entries(fastPath.stats().handedOver) as Array<[HandOverReason, number]>) {
        if (count > 0) this.inc({ reason }, count);
      }
    },
  });
}
