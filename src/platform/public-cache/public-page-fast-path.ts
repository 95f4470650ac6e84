// The fast path for the one request a surge is made of: a GET or HEAD of exactly the address of a
// public page in memory. Node's HTTP server spends about twice nginx's CPU on such a request even
// when the answer is ready (parser callbacks, IncomingMessage and ServerResponse objects, header
// strings), so here the request head is read straight off the socket and the response written as
// prebuilt bytes: the same status line, headers and body node:http would send (Date and the
// connection headers included), built once a second per form of a page.
//
// It owns nothing else. Whatever it is not sure of — another method or address, a request with a
// body, an unusual or malformed header, a head split across reads or over 8 KB, an upgrade, a client
// not reading its answers, the app closing — hands the connection to node:http with the unread
// bytes put back (`socket.unshift`, then the server's own 'connection' listener, as documented for
// injecting connections), and node:http keeps it from then on. So a malformed request is never
// answered here, and is answered by node:http exactly as before.
//
// A connection that sends exactly the head it sent last (a CDN's connection, a browser reloading, a
// load test) gets the same answer again without the head being read again, while the pages in
// memory and the second (for the Date header) are unchanged: one byte comparison instead of reading
// the head, choosing the answer and finding its bytes.
//
// One wait is allowed: a page that a change has just dropped from memory is rendered again through
// its route while the request waits (its connection paused), so that publishing an update does not
// send every open connection to node:http.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { CachedAnswer, Representation } from './public-page-cache.ts';

export type AnswerFromMemory = (
  url: string,
  acceptEncoding: string | undefined,
  ifNoneMatch: string | undefined,
) => CachedAnswer | undefined;

export interface PublicPageFastPathOptions {
  answerFromMemory: AnswerFromMemory;
  /** True once the app is closing: requests then go to node:http, where Fastify answers 503. */
  isClosing: () => boolean;
  /**
   * For a page a change dropped from memory: has it rendered again (through its route) and settles
   * when done; undefined when there is no such page. Without it, such requests go to node:http.
   */
  renderAgain?: (url: string) => Promise<unknown> | undefined;
  /** Told of a fault in the fast path itself (the connection it happened on is dropped). */
  onError?: (err: unknown) => void;
  /**
   * Moves on whenever what `answerFromMemory` answers may change (a page rendered again, or dropped).
   * While it stays put (and within the same second, for the Date header), a connection that sends
   * exactly the request head it sent last gets the same answer again without the head being read
   * again, as a CDN's connection or a browser reloading does. Without it, every head is read.
   */
  memoryGeneration?: () => number;
  /** Counts an answer given again that way (`answerFromMemory` counts those it gives). */
  countRepeat?: (answer: CachedAnswer) => void;
}

/** Why a connection went to node:http. */
export type HandOverReason = 'not-in-memory' | 'other-request' | 'incomplete-head' | 'busy' | 'closing';

export interface PublicPageFastPath {
  /** Requests answered here, and connections handed to node:http by reason (for metrics and tests). */
  stats(): { answered: number; handedOver: Record<HandOverReason, number> };
}

/** Heads longer than this go to node:http, whose own limit (16 KB) then applies. */
export const MAX_FAST_HEAD_BYTES = 8192;
/**
 * How many times one request waits for its page to be rendered again before going to node:http (a
 * render that began before a change is not kept, so the first may not be enough).
 */
const MAX_RENDER_WAITS = 3;
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');

// The whole head, strictly: `GET` or `HEAD`, an origin-form target, HTTP/1.1 or 1.0, then header
// lines of a token, a colon and printable ASCII, space or tab, each after a CRLF. No bare CR or LF,
// no obs-fold (a line starting with whitespace), no space before the colon, no control characters
// or bytes above 0x7E anywhere: any of those fails the match and the request goes to node:http.
const REQUEST_HEAD =
  /^(GET|HEAD) (\/[\x21-\x7e]*) HTTP\/1\.([01])((?:\r\n[-!#$%&'*+.^_`|~0-9A-Za-z]+:[\t\x20-\x7e]*)*)$/;

interface FastRequest {
  url: string;
  head: boolean;
  http10: boolean;
  keepAlive: boolean;
  acceptEncoding: string | undefined;
  ifNoneMatch: string | undefined;
}

/**
 * Reads a request head (without its final blank line) the fast path may answer, or undefined for
 * anything else. Headers that could give the request a body, change the connection's protocol or
 * ask for an interim answer, and repeats of the headers the answer depends on, all send it to node:http.
 */
export function readFastRequest(head: string): FastRequest | undefined {
  const match = REQUEST_HEAD.exec(head);
  if (!match) return undefined;
  const http10 = match[3] === '0';
  let hosts = 0;
  let acceptEncoding: string | undefined;
  let ifNoneMatch: string | undefined;
  let connection: string | undefined;
  let contentLength: string | undefined;
  const lines = (match[4] as string).split('\r\n');
  // lines[0] is the empty string before the first CRLF.
  for (let i = 1; i < lines.length; i += 1) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    // Only space and tab can be trimmed here: the match allowed no other whitespace.
    const value = line.slice(colon + 1).trim();
    switch (name) {
      case 'host':
        hosts += 1;
        break;
      case 'accept-encoding':
        if (acceptEncoding !== undefined) return undefined;
        acceptEncoding = value;
        break;
      case 'if-none-match':
        if (ifNoneMatch !== undefined) return undefined;
        ifNoneMatch = value;
        break;
      case 'connection':
        if (connection !== undefined) return undefined;
        connection = value;
        break;
      case 'content-length':
        if (contentLength !== undefined || value !== '0') return undefined;
        contentLength = value;
        break;
      case 'transfer-encoding':
      case 'upgrade':
      case 'expect':
      case 'te':
      case 'http2-settings':
        return undefined;
    }
  }
  // HTTP/1.1 needs exactly one Host (node:http answers 400 without it); HTTP/1.0 at most one.
  if (http10 ? hosts > 1 : hosts !== 1) return undefined;
  let close = false;
  let keepAlive = false;
  if (connection !== undefined) {
    for (const token of connection.split(',')) {
      const option = token.trim().toLowerCase();
      if (option === 'close') close = true;
      else if (option === 'keep-alive') keepAlive = true;
      else return undefined;
    }
  }
  return {
    url: match[2] as string,
    head: match[1] === 'HEAD',
    http10,
    // As node:http decides: HTTP/1.1 stays open unless told to close, HTTP/1.0 only when asked.
    keepAlive: !close && (!http10 || keepAlive),
    acceptEncoding,
    ifNoneMatch,
  };
}

let dateText = '';
let dateExpires = 0;
/** The Date header's value, made once a second as node:http makes it. */
function httpDate(): string {
  const now = Date.now();
  if (now >= dateExpires) {
    dateText = new Date(now).toUTCString();
    dateExpires = now - (now % 1000) + 1000;
  }
  return dateText;
}

/** Each form's complete answers for the current second: 200 GET, 200 HEAD and 304, kept open or closed. */
interface PrebuiltAnswers {
  date: string;
  bytes: Array<Buffer | undefined>;
}

/**
 * Takes over the server's connections: each is read here until a request the fast path will not
 * answer, then given to node:http for good. Call it on a server node:http made, before it listens.
 */
export function attachPublicPageFastPath(server: Server, options: PublicPageFastPathOptions): PublicPageFastPath {
  const listeners = server.listeners('connection');
  if (listeners.length !== 1) throw new Error('the fast path expects a server with only node:http on its connections');
  const nodeConnectionListener = listeners[0] as (socket: Socket) => void;
  server.removeListener('connection', nodeConnectionListener);

  /** The connections read here, each with how to end it (once what is written has gone) if idle. */
  const held = new Map<Socket, () => void>();
  const prebuilt = new WeakMap<Representation, PrebuiltAnswers>();
  let answered = 0;
  const handedOver: Record<HandOverReason, number> = {
    'not-in-memory': 0,
    'other-request': 0,
    'incomplete-head': 0,
    busy: 0,
    closing: 0,
  };

  /** Exactly what node:http writes for writeHead(status, headers) and end(body) on this request. */
  function answerBytes(answer: CachedAnswer, request: FastRequest, keepAlive: boolean, date: string): Buffer {
    const representation = answer.representation;
    let entry = prebuilt.get(representation);
    if (entry === undefined || entry.date !== date) {
      entry = { date, bytes: [] };
      prebuilt.set(representation, entry);
    }
    const kind = answer.status === '304' ? 2 : request.head ? 1 : 0;
    const index = kind * 2 + (keepAlive ? 0 : 1);
    const built = entry.bytes[index];
    if (built !== undefined) return built;

    const notModified = answer.status === '304';
    const headers = notModified ? representation.notModifiedHeaders : representation.okHeaders;
    let text = notModified ? 'HTTP/1.1 304 Not Modified\r\n' : 'HTTP/1.1 200 OK\r\n';
    for (let i = 0; i < headers.length; i += 2) text += `${headers[i]}: ${headers[i + 1]}\r\n`;
    text += `Date: ${date}\r\n`;
    if (!keepAlive) text += 'Connection: close\r\n';
    else {
      text += 'Connection: keep-alive\r\n';
      if (server.keepAliveTimeout) text += `Keep-Alive: timeout=${Math.floor(server.keepAliveTimeout / 1000)}\r\n`;
    }
    text += '\r\n';
    const head = Buffer.from(text, 'latin1');
    const bytes = kind === 0 ? Buffer.concat([head, representation.body]) : head;
    entry.bytes[index] = bytes;
    return bytes;
  }

  function hold(socket: Socket): void {
    /** Ended by us, or handed to node:http: nothing more is read here. */
    let done = false;
    /** Waiting (paused) for a page to be rendered again, with a request to answer. */
    let waiting = false;
    let served = false;
    /**
     * The last request head answered on this connection with a page in memory, and its answer, to
     * give again while nothing has changed (see `memoryGeneration`). Only for answers that keep the
     * connection open, so the checks on what follows a closing request need not be made again.
     */
    let last: { head: Buffer; generation: number; date: string; answer: CachedAnswer; bytes: Buffer } | undefined;

    /** Ends the connection after its last answer is written, as node:http's `destroySoon` does. */
    const finish = (): void => {
      if (done) return;
      done = true;
      held.delete(socket);
      socket.end();
      if (socket.writableFinished) socket.destroy();
      else socket.once('finish', () => socket.destroy());
    };
    // Closing idle connections passes over one with a request waiting: it goes to node:http when
    // its page is ready, as the app is closing, and is answered there.
    held.set(socket, () => {
      if (!waiting) finish();
    });

    const release = (unread: Buffer, reason: HandOverReason): void => {
      done = true;
      held.delete(socket);
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
      socket.removeListener('error', onError);
      socket.removeListener('timeout', onTimeout);
      socket.removeListener('close', onClose);
      socket.setTimeout(0);
      handedOver[reason] += 1;
      // Paused, the bytes put back wait for node:http's parser; resuming after it is attached lets
      // them reach it first (on the next tick, before anything more is read from the connection).
      socket.pause();
      if (unread.length > 0) socket.unshift(unread);
      nodeConnectionListener.call(server, socket);
      socket.resume();
    };

    /** Answers the requests in `chunk` from `offset`; hands over, finishes or waits where it must. */
    const answerFrom = (chunk: Buffer, offset: number, waits: number): void => {
      while (offset < chunk.length) {
        const rest = chunk.subarray(offset);
        if (options.isClosing()) return release(rest, 'closing');
        // A client that does not read its answers is node:http's to slow down (it stops reading).
        if (socket.writableNeedDrain) return release(rest, 'busy');
        const end = chunk.indexOf(HEAD_END, offset);
        if (end === -1 || end - offset > MAX_FAST_HEAD_BYTES) {
          const whole = end === -1 && rest.length <= MAX_FAST_HEAD_BYTES;
          return release(rest, whole ? 'incomplete-head' : 'other-request');
        }
        const date = httpDate();
        const generation = options.memoryGeneration?.();
        const sameHead =
          last !== undefined &&
          end - offset === last.head.length &&
          chunk.compare(last.head, 0, last.head.length, offset, end) === 0;
        if (sameHead && last !== undefined && last.generation === generation && last.date === date) {
          socket.write(last.bytes);
          answered += 1;
          options.countRepeat?.(last.answer);
          offset = end + HEAD_END.length;
          waits = 0;
          continue;
        }
        const request = readFastRequest(chunk.toString('latin1', offset, end));
        if (request === undefined) return release(rest, 'other-request');
        // Bytes after a request that closes the connection get a 400 from node:http (with Fastify's
        // clientError handler): leave that request and what follows to node:http. (HTTP/1.0 too,
        // as a 304 closes it.)
        const more = end + HEAD_END.length < chunk.length;
        if (more && (!request.keepAlive || request.http10)) return release(rest, 'other-request');
        const answer = options.answerFromMemory(request.url, request.acceptEncoding, request.ifNoneMatch);
        if (answer === undefined) {
          // A page a change just dropped: wait for it to be rendered again, then answer from memory,
          // rather than send this connection to node:http for good.
          const rendering = waits < MAX_RENDER_WAITS ? options.renderAgain?.(request.url) : undefined;
          if (rendering === undefined) return release(rest, 'not-in-memory');
          waiting = true;
          socket.pause();
          const resume = () => {
            waiting = false;
            if (done || socket.destroyed) return;
            guarded(() => answerFrom(chunk, offset, waits + 1));
            if (!done && !waiting) socket.resume();
          };
          rendering.then(resume, resume);
          return;
        }
        // node:http closes after a 304 to HTTP/1.0 even when asked to keep the connection open.
        const keepAlive = request.keepAlive && !(request.http10 && answer.status === '304');
        const bytes = answerBytes(answer, request, keepAlive, date);
        socket.write(bytes);
        answered += 1;
        if (generation !== undefined && keepAlive && !request.http10 && !answer.previousCopy) {
          const head = sameHead && last !== undefined ? last.head : Buffer.from(chunk.subarray(offset, end));
          last = { head, generation, date, answer, bytes };
        }
        offset = end + HEAD_END.length;
        waits = 0;
        if (!keepAlive) return finish();
        if (!served) {
          served = true;
          socket.setTimeout(server.keepAliveTimeout);
        }
      }
    };

    const guarded = (run: () => void): void => {
      try {
        run();
      } catch (err) {
        // A fault here must not take the process down with every other connection: drop this one.
        done = true;
        held.delete(socket);
        socket.destroy();
        options.onError?.(err);
      }
    };

    const onData = (chunk: Buffer): void => {
      if (!done) guarded(() => answerFrom(chunk, 0, 0));
    };
    // The client is done sending: end our side too (node:http does not keep half-open connections).
    // (While a request waits the connection is paused, so this comes only after it is answered.)
    const onEnd = (): void => finish();
    const onError = (): void => {
      socket.destroy();
    };
    const onTimeout = (): void => {
      socket.destroy();
    };
    const onClose = (): void => {
      held.delete(socket);
    };

    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.on('timeout', onTimeout);
    socket.on('close', onClose);
    // As node:http: a connection that sends no request head is closed after headersTimeout, one
    // idle between requests after keepAliveTimeout.
    socket.setTimeout(server.headersTimeout || server.keepAliveTimeout);
  }

  server.on('connection', (socket: Socket) => {
    if (options.isClosing() || (server.maxRequestsPerSocket ?? 0) > 0) {
      // (node:http counts requests per connection for maxRequestsPerSocket; Wardroom sets none.)
      handedOver.closing += 1;
      nodeConnectionListener.call(server, socket);
      return;
    }
    hold(socket);
  });

  // A connection held here is idle unless a request on it waits for its page: every answer is
  // written whole as its request is read. So closing idle connections (as Fastify and server.close()
  // do) ends them too, after what is written.
  const closeIdleConnections = server.closeIdleConnections.bind(server);
  server.closeIdleConnections = () => {
    closeIdleConnections();
    for (const finishIfIdle of [...held.values()]) finishIfIdle();
  };
  const closeAllConnections = server.closeAllConnections.bind(server);
  server.closeAllConnections = () => {
    closeAllConnections();
    for (const socket of [...held.keys()]) socket.destroy();
  };

  return { stats: () => ({ answered, handedOver: { ...handedOver } }) };
}
