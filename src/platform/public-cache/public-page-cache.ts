// Public pages after a breach announcement are what everyone opens at once. Each page is rendered
// once per change, compressed once (gzip and brotli), and then served from memory, with an ETag for
// conditional requests and Cache-Control fit for a CDN in front. Every instance (and every process
// of a cluster) polls one version counter in the database (moved on in the same transaction as any
// public change), so a change is visible on all of them within one poll interval.
//
// When the poll finds a change made elsewhere, a page's previous copy is still answered to the fast
// path for a moment (at most STALE_WHILE_RENDERING_MS) while the page is rendered again, rather than
// holding every open connection until it is: a publish during a surge then costs the readers of that
// instant nothing. A change made by this instance (`invalidate`) drops its pages at once, so whoever
// made it sees it on their next request.
//
// A page already in memory is answered straight on Node's request, before Fastify sees it
// (`serveFromMemory`, called by the server app.ts builds): no routing, hooks, logging or header
// building per request, since the response headers were built with the page. That is what lets one
// Node process come close to a static file server.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlibConstants, gzip } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import { readPublicContentVersion } from './public-content.repository.ts';

export type ContentCoding = 'identity' | 'gzip' | 'br';

/** One stored form of a page (as rendered, or compressed) with its response headers, built once. */
export interface Representation {
  coding: ContentCoding;
  body: Buffer;
  etag: string;
  /** Flat [name, value, …] lists, which `res.writeHead` takes as they are. */
  okHeaders: string[];
  notModifiedHeaders: string[];
}

export interface CachedPage {
  /** The bytes as rendered. */
  body: Buffer;
  etag: string;
  contentType: string;
  identity: Representation;
  /** Compressed copies, kept only when the page is big enough for compression to pay. */
  gzip: Representation | undefined;
  br: Representation | undefined;
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
/** Below this, compressing saves less than the headers it adds. */
const MIN_COMPRESS_BYTES = 1024;

/**
 * How long after a change made elsewhere is seen a page's previous copy may still be answered while
 * the page renders again: with the poll's 250 ms, a change shows within 750 ms at most even if the
 * render is slow, and within the poll and one render when it is not.
 */
export const STALE_WHILE_RENDERING_MS = 500;

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

export interface PublicPageCacheOptions {
  db: Kysely<DB>;
  pollIntervalMs?: number;
  onError?: (err: unknown) => void;
  /** Headers every response carries (the security headers), added to each stored page's headers. */
  headers?: ReadonlyArray<readonly [string, string]>;
  /**
   * Told when a page's previous copy is answered after a change made elsewhere, to have the page
   * rendered again (once, however often it is told). Without it no previous copy is answered.
   */
  renderStale?: (key: string) => void;
  /** STALE_WHILE_RENDERING_MS unless given (tests). */
  staleWhileRenderingMs?: number;
}

/** Pages answered from memory before reaching Fastify, by status and content coding (for metrics). */
export type ServedCounts = Record<'200' | '304', Record<ContentCoding, number>>;

export function createPublicPageCache(opts: PublicPageCacheOptions) {
  const pages = new Map<string, CachedPage>();
  const rendering = new Map<string, Promise<CachedPage | null>>();
  /** Pages dropped by a change and not rendered again yet (see `droppedByChange`). */
  const dropped = new Set<string>();
  /** The copies a change made elsewhere dropped, answered until `staleUntil` while they render again. */
  let stale = new Map<string, CachedPage>();
  let staleUntil = 0;
  const staleMs = opts.staleWhileRenderingMs ?? STALE_WHILE_RENDERING_MS;
  const commonHeaders = opts.headers ?? [];
  const served: ServedCounts = {
    '200': { identity: 0, gzip: 0, br: 0 },
    '304': { identity: 0, gzip: 0, br: 0 },
  };
  let version: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  /** Moves on whenever a page is kept or pages are dropped (see `generation`). */
  let generation = 0;

  /**
   * Drops every page; `keepStale` keeps their copies to answer while they render again (a change made
   * elsewhere). Copies kept by an earlier change are two versions old by now, and go.
   */
  function dropAll(keepStale: boolean): void {
    for (const key of pages.keys()) if (dropped.size < MAX_PAGES) dropped.add(key);
    if (keepStale && opts.renderStale && pages.size > 0) {
      stale = new Map(pages);
      staleUntil = Date.now() + staleMs;
    } else stale.clear();
    pages.clear();
    generation += 1;
  }

  async function checkVersion(): Promise<void> {
    const current = await readPublicContentVersion(opts.db);
    if (current !== version) {
      // Unknown version: this instance's own change (`invalidate`), or the first read.
      dropAll(version !== undefined);
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
    dropAll(false);
    version = undefined;
    // Pages rendered before the new version is read are not kept: read it now, not at the next poll.
    if (timer) checkVersion().catch((err: unknown) => opts.onError?.(err));
  }

  /**
   * Whether the page at `key` was in memory until a change dropped it and has not been rendered
   * again since: the fast path then has it rendered again rather than sending its connection on.
   */
  function droppedByChange(key: string): boolean {
    return dropped.has(key);
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
      if (!rendered) {
        dropped.delete(key);
        return null;
      }
      const page = await preparePage(Buffer.from(rendered.body), rendered.contentType, commonHeaders);
      // A change that landed while this page was rendering must not be hidden behind it.
      if (startedAt !== undefined && startedAt === version) {
        if (pages.size >= MAX_PAGES) pages.clear();
        pages.set(key, page);
        generation += 1;
        dropped.delete(key);
      }
      return page;
    })().finally(() => {
      rendering.delete(key);
      // Rendered (and kept, unless yet another change came meanwhile), gone, or failed: either way
      // the previous copy is answered no more.
      stale.delete(key);
    });
    rendering.set(key, promise);
    return promise;
  }

  /** The cached page for a key, without rendering. */
  function peek(key: string): CachedPage | undefined {
    return pages.get(key);
  }

  /**
   * Answers a GET or HEAD for exactly the address of a page in memory, on Node's own request and
   * response; false (having written nothing) for anything else, which then goes to Fastify.
   */
  function serveFromMemory(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const page = pages.get(req.url as string);
    if (!page) return false;
    const sent = writeCachedPage(req, res, page);
    served[sent.status][sent.coding] += 1;
    return true;
  }

  /**
   * What to send for a GET or HEAD of exactly `url` with these request headers, counted as served;
   * undefined when the page is not in memory. For the fast path, which writes the bytes itself, and
   * so also answers a page's previous copy while it renders again after a change made elsewhere.
   */
  function answerFromMemory(
    url: string,
    acceptEncoding: string | undefined,
    ifNoneMatch: string | undefined,
  ): CachedAnswer | undefined {
    const current = pages.get(url);
    const page = current ?? previousCopy(url);
    if (!page) return undefined;
    const answer = chooseAnswer(page, acceptEncoding, ifNoneMatch);
    countServed(answer);
    return current ? answer : { ...answer, previousCopy: true };
  }

  function countServed(answer: CachedAnswer): void {
    served[answer.status][answer.representation.coding] += 1;
  }

  /** The copy of `url` a change made elsewhere dropped, while its successor renders (and has it rendered). */
  function previousCopy(url: string): CachedPage | undefined {
    if (stale.size === 0) return undefined;
    const page = stale.get(url);
    if (!page) return undefined;
    if (Date.now() >= staleUntil) {
      stale.clear();
      return undefined;
    }
    opts.renderStale?.(url);
    return page;
  }

  return {
    start,
    stop,
    invalidate,
    get,
    peek,
    checkVersion,
    serveFromMemory,
    answerFromMemory,
    countServed,
    /**
     * Moves on whenever what `answerFromMemory` answers from the pages in memory may change (a page
     * kept, pages dropped); previous copies are marked as such and are not covered by it.
     */
    generation: (): number => generation,
    droppedByChange,
    served: (): ServedCounts => served,
    size: () => pages.size,
  };
}

export type PublicPageCache = ReturnType<typeof createPublicPageCache>;

/** Builds a page's representations and their headers: identity always, gzip and brotli if they pay. */
export async function preparePage(
  body: Buffer,
  contentType: string,
  commonHeaders: ReadonlyArray<readonly [string, string]> = [],
): Promise<CachedPage> {
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 27);
  const represent = (coding: ContentCoding, bytes: Buffer): Representation => {
    // Each form of the page has its own strong validator, as RFC 9110 asks of different bytes.
    const etag = coding === 'identity' ? `"${hash}"` : `"${hash}-${coding}"`;
    const validators = ['cache-control', PUBLIC_CACHE_CONTROL, 'etag', etag, 'vary', 'Accept-Encoding'];
    const common = commonHeaders.flat();
    return {
      coding,
      body: bytes,
      etag,
      okHeaders: [
        ...validators,
        'content-type',
        contentType,
        ...(coding === 'identity' ? [] : ['content-encoding', coding]),
        ...common,
        'content-length',
        String(bytes.length),
      ],
      notModifiedHeaders: [...validators, ...common],
    };
  };
  let gzipped: Buffer | undefined;
  let brotlied: Buffer | undefined;
  if (body.length >= MIN_COMPRESS_BYTES) {
    // Off the event loop (zlib's thread pool), so a page being compressed holds up no one.
    [gzipped, brotlied] = await Promise.all([
      gzipAsync(body, { level: zlibConstants.Z_BEST_COMPRESSION }),
      brotliAsync(body, {
        params: {
          [zlibConstants.BROTLI_PARAM_MODE]: zlibConstants.BROTLI_MODE_TEXT,
          [zlibConstants.BROTLI_PARAM_QUALITY]: zlibConstants.BROTLI_MAX_QUALITY,
          [zlibConstants.BROTLI_PARAM_SIZE_HINT]: body.length,
        },
      }),
    ]);
  }
  const identity = represent('identity', body);
  return {
    body,
    etag: identity.etag,
    contentType,
    identity,
    gzip: gzipped && gzipped.length < body.length ? represent('gzip', gzipped) : undefined,
    br: brotlied && brotlied.length < body.length ? represent('br', brotlied) : undefined,
  };
}

/**
 * Which compressed forms an Accept-Encoding header allows (q above 0, named or through `*`).
 * Brotli is preferred whenever allowed, as it is the smaller; without the header, neither.
 */
export function acceptedCodings(header: string | undefined): { br: boolean; gzip: boolean } {
  if (!header) return { br: false, gzip: false };
  let br: number | undefined;
  let gz: number | undefined;
  let any: number | undefined;
  for (const part of header.split(',')) {
    const semicolon = part.indexOf(';');
    const name = (semicolon === -1 ? part : part.slice(0, semicolon)).trim().toLowerCase();
    let q = 1;
    if (semicolon !== -1) {
      const match = /;\s*q\s*=\s*([^;\s]*)/i.exec(part.slice(semicolon));
      if (match) q = Number(match[1]);
      if (!(q >= 0 && q <= 1)) q = 0;
    }
    if (name === 'br') br = q;
    else if (name === 'gzip' || name === 'x-gzip') gz = q;
    else if (name === '*') any = q;
  }
  return { br: (br ?? any ?? 0) > 0, gzip: (gz ?? any ?? 0) > 0 };
}

/** The representation to send for a request's Accept-Encoding. */
export function chooseRepresentation(page: CachedPage, acceptEncoding: string | undefined): Representation {
  if (!acceptEncoding) return page.identity;
  const accepted = acceptedCodings(acceptEncoding);
  if (accepted.br && page.br) return page.br;
  if (accepted.gzip && page.gzip) return page.gzip;
  return page.identity;
}

function etagMatches(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/** The answer to a GET or HEAD of a cached page: which form of it, and whether the asker already has it. */
export interface CachedAnswer {
  status: '200' | '304';
  representation: Representation;
  /** A page's previous copy, answered for a moment while the page renders again after a change. */
  previousCopy?: boolean;
}

/** Content negotiation and the conditional request, in one place for every way a page is sent. */
export function chooseAnswer(
  page: CachedPage,
  acceptEncoding: string | undefined,
  ifNoneMatch: string | undefined,
): CachedAnswer {
  const representation = chooseRepresentation(page, acceptEncoding);
  const notModified = ifNoneMatch !== undefined && etagMatches(ifNoneMatch, representation.etag);
  return { status: notModified ? '304' : '200', representation };
}

/** Writes a cached page, or 304 when the browser or CDN already has it, on Node's request and response. */
export function writeCachedPage(
  req: IncomingMessage,
  res: ServerResponse,
  page: CachedPage,
): { status: '200' | '304'; coding: ContentCoding } {
  const { status, representation } = chooseAnswer(page, req.headers['accept-encoding'], req.headers['if-none-match']);
  if (status === '304') {
    res.writeHead(304, representation.notModifiedHeaders);
    res.end();
  } else {
    res.writeHead(200, representation.okHeaders);
    // Node leaves the body out of an answer to HEAD, keeping its Content-Length.
    res.end(representation.body);
  }
  return { status, coding: representation.coding };
}

/**
 * Sends a cached page from a route (after rendering it, or on a request the server did not answer
 * from memory), with exactly the bytes and headers `serveFromMemory` sends. Fastify's onSend hooks
 * do not run (the page's headers already hold the security headers), its onResponse hooks do.
 */
export function sendCachedPage(request: FastifyRequest, reply: FastifyReply, page: CachedPage): FastifyReply {
  reply.hijack();
  writeCachedPage(request.raw, reply.raw, page);
  return reply;
}
