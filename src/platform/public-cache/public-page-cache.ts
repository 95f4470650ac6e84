// Public pages after a breach announcement are what everyone opens at once. Each page is rendered
// once per change and then served from memory, with an ETag for conditional requests and
// Cache-Control fit for a CDN in front. Every instance polls one version counter in the database
// (moved on in the same transaction as any public change), so a change is visible on all of them
// within one poll interval.
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import { readPublicContentVersion } from './public-content.repository.ts';

export interface CachedPage {
  body: Buffer;
  etag: string;
  contentType: string;
}

export interface RenderedPage {
  body: string;
  contentType: string;
}

/**
 * A CDN may keep a page for a second, and serve a stale copy for a minute while it fetches a fresh
 * one (or a day if Wardroom is down); browsers always revalidate, which costs a 304.
 */
export const PUBLIC_CACHE_CONTROL = 'public, max-age=0, s-maxage=1, stale-while-revalidate=60, stale-if-error=86400';

const MAX_PAGES = 2000;

export interface PublicPageCacheOptions {
  db: Kysely<DB>;
  pollIntervalMs?: number;
  onError?: (err: unknown) => void;
}

export function createPublicPageCache(opts: PublicPageCacheOptions) {
  const pages = new Map<string, CachedPage>();
  const rendering = new Map<string, Promise<CachedPage | null>>();
  let version: number | undefined;
  let timer: NodeJS.Timeout | undefined;

  async function checkVersion(): Promise<void> {
    const current = await readPublicContentVersion(opts.db);
    if (current !== version) {
      pages.clear();
      version = current;
    }
  }

  function start(): void {
    if (timer) return;
    const poll = () => {
      checkVersion()
        .catch((err: unknown) => opts.onError?.(err))
        .finally(() => {
          if (timer) timer = setTimeout(poll, opts.pollIntervalMs ?? 250).unref();
        });
    };
    timer = setTimeout(poll, 0).unref();
  }

  function stop(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
  }

  /** Drops every cached page now (the instance that made a change need not wait for the poll). */
  function invalidate(): void {
    pages.clear();
    version = undefined;
  }

  /** The page for `key`, rendering it once however many requests ask at the same moment. */
  async function get(key: string, render: () => Promise<RenderedPage | null>): Promise<CachedPage | null> {
    const hit = pages.get(key);
    if (hit) return hit;
    const pending = rendering.get(key);
    if (pending) return pending;
    const startedAt = version;
    const promise = (async () => {
      const rendered = await render();
      if (!rendered) return null;
      const body = Buffer.from(rendered.body);
      const page = {
        body,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
        contentType: rendered.contentType,
      };
      // A change that landed while this page was rendering must not be hidden behind it.
      if (startedAt !== undefined && startedAt === version) {
        if (pages.size >= MAX_PAGES) pages.clear();
        pages.set(key, page);
      }
      return page;
    })().finally(() => rendering.delete(key));
    rendering.set(key, promise);
    return promise;
  }

  /** The cached page for a key, without rendering. */
  function peek(key: string): CachedPage | undefined {
    return pages.get(key);
  }

  return { start, stop, invalidate, get, peek, checkVersion, size: () => pages.size };
}

export type PublicPageCache = ReturnType<typeof createPublicPageCache>;

/**
 * Pages are cached under their canonical address (path and the query the route accepts), so the
 * very first hook can answer a request for exactly that address before any other work is done.
 */
export function servePublicPageEarly(cache: PublicPageCache) {
  return async function earlyPublicPage(request: FastifyRequest, reply: FastifyReply) {
    if (request.method !== 'GET' && request.method !== 'HEAD') return;
    const page = cache.peek(request.url);
    if (page) return sendCachedPage(request, reply, page);
  };
}

/** Sends a cached page, or 304 when the browser or CDN already has it. */
export function sendCachedPage(request: FastifyRequest, reply: FastifyReply, page: CachedPage): FastifyReply {
  reply.header('cache-control', PUBLIC_CACHE_CONTROL).header('etag', page.etag).header('vary', 'Accept-Encoding');
  const match = request.headers['if-none-match'];
  if (match && match.split(',').some((tag) => tag.trim().replace(/^W\//, '') === page.etag)) {
    return reply.code(304).send();
  }
  return reply.type(page.contentType).send(page.body);
}
