// The fast path must send exactly what node:http sends, and leave everything else to node:http. Two
// instances of the app share one database: one with the fast path, one without (PUBLIC_FAST_PATH=false),
// so every request is sent, byte for byte, to both, and the answers compared byte for byte.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../db/test-databases.ts';
import { seedDemo } from '../demo/seed-demo.ts';
import { createTestApp, TEST_SESSION_SECRET, type TestApp } from '../testing/test-app.ts';
import { bumpPublicContentVersion } from './public-content.repository.ts';
import { chooseAnswer, preparePage, writeCachedPage, type CachedPage } from './public-page-cache.ts';
import { attachPublicPageFastPath, readFastRequest, type HandOverReason } from './public-page-fast-path.ts';

/** A raw connection: bytes in, bytes out, nothing added or interpreted. */
class RawConnection {
  private received = Buffer.alloc(0);
  private read = 0;
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => (this.received = Buffer.concat([this.received, chunk])));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => {});
  }

  static async open(port: number): Promise<RawConnection> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return new RawConnection(socket);
  }

  /** Sends the pieces (pausing between them) and returns what came back once the line went quiet. */
  send(...pieces: Array<string | Buffer>): Promise<string> {
    return this.sendInPieces(pieces, () => sleep(50));
  }

  async sendInPieces(pieces: Array<string | Buffer>, between: () => Promise<void>): Promise<string> {
    for (const [i, piece] of pieces.entries()) {
      if (i > 0) await between();
      this.socket.write(typeof piece === 'string' ? Buffer.from(piece, 'latin1') : piece);
    }
    // Every request here gets an answer: wait for its first byte, then until nothing more comes.
    const deadline = Date.now() + 5000;
    while (!this.closed && this.received.length === this.read && Date.now() < deadline) await sleep(10);
    let seen = -1;
    while (!this.closed && seen !== this.received.length) {
      seen = this.received.length;
      await sleep(100);
    }
    const text = this.received.subarray(this.read).toString('latin1');
    this.read = this.received.length;
    return text;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** One request (or several) on a connection of its own. */
async function exchange(port: number, ...pieces: Array<string | Buffer>): Promise<{ text: string; closed: boolean }> {
  const connection = await RawConnection.open(port);
  try {
    const text = await connection.send(...pieces);
    // An answer that says the connection closes: wait for it to (a loaded machine may take a while).
    if (/\r\nConnection: close\r\n/i.test(text)) await until(() => connection.closed);
    return { text, closed: connection.closed };
  } finally {
    connection.close();
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits until `check()` holds (or 5 s have gone). */
async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check() && Date.now() < deadline) await sleep(5);
}

/** The one header that differs from one second to the next. */
const sameSecond = (text: string) => text.replace(/\r\nDate: [^\r]*\r\n/g, '\r\nDate: (now)\r\n');

const statusLines = (text: string) => text.match(/HTTP\/1\.1 \d{3} [^\r]*/g) ?? [];

const PAGE = '/westminster/cyber-incident';

describe('public pages answered off the socket', () => {
  let database: TestDatabase;
  let fast: TestApp;
  let plain: TestApp;
  let fastPort: number;
  let plainPort: number;
  let etags: Record<'identity' | 'gzip' | 'br', string>;

  before(async () => {
    database = await createTestDatabase('sqlite');
    await seedDemo(database.db, { sessionSecret: TEST_SESSION_SECRET });
    const env = { PUBLIC_BASE_URL: 'https://incident.example.gov.uk' };
    fast = await createTestApp(database, { env });
    plain = await createTestApp(database, { env: { ...env, PUBLIC_FAST_PATH: 'false' } });
    for (const t of [fast, plain]) {
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      await t.app.publicCache.checkVersion();
    }
    fastPort = (fast.app.server.address() as AddressInfo).port;
    plainPort = (plain.app.server.address() as AddressInfo).port;
    // Both render the page once; from then on both have it in memory.
    const get = (encoding: string) => `GET ${PAGE} HTTP/1.1\r\nHost: x\r\nAccept-Encoding: ${encoding}\r\n\r\n`;
    for (const port of [fastPort, plainPort]) await exchange(port, get('identity'));
    const etagOf = async (encoding: string) =>
      /\r\netag: ("[^"]+")/.exec((await exchange(plainPort, get(encoding))).text)![1]!;
    etags = { identity: await etagOf('identity'), gzip: await etagOf('gzip'), br: await etagOf('gzip, br') };
  });
  after(async () => {
    await fast?.close();
    await plain?.close();
    await database?.close();
  });

  /** What the fast path answered, and why connections went to node:http, during `run`. */
  const watch = async <T>(run: () => Promise<T>) => {
    const before = fast.app.publicFastPath!.stats();
    const result = await run();
    const after = fast.app.publicFastPath!.stats();
    const handedOver: Partial<Record<HandOverReason, number>> = {};
    for (const [reason, count] of Object.entries(after.handedOver) as Array<[HandOverReason, number]>) {
      if (count > before.handedOver[reason]) handedOver[reason] = count - before.handedOver[reason];
    }
    return { result, answered: after.answered - before.answered, handedOver };
  };

  /** The same bytes to both instances; the answers, with the Date header evened out. */
  const both = async (...pieces: Array<string | Buffer>) => {
    const fromFast = await exchange(fastPort, ...pieces);
    const fromNode = await exchange(plainPort, ...pieces);
    return {
      fast: sameSecond(fromFast.text),
      node: sameSecond(fromNode.text),
      closed: { fast: fromFast.closed, node: fromNode.closed },
    };
  };

  test('answers GET and HEAD of a page in memory with the bytes node:http sends: plain, gzip, brotli, 304, HTTP/1.0, close', async () => {
    const requests: Record<string, string> = {
      plain: `GET ${PAGE} HTTP/1.1\r\nHost: x\r\n\r\n`,
      gzip: `GET ${PAGE} HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip, deflate\r\n\r\n`,
      brotli: `GET ${PAGE} HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip, deflate, br, zstd\r\nUser-Agent: test\r\n\r\n`,
      'header names in any case, values trimmed': `GET ${PAGE} HTTP/1.1\r\nHOST: x\r\naccept-ENCODING:\t GZIP \r\n\r\n`,
      '304': `GET ${PAGE} HTTP/1.1\r\nHost: x\r\nIf-None-Match: ${etags.identity}\r\n\r\n`,
      '304 for the gzip copy': `GET ${PAGE} HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nIf-None-Match: "other", W/${etags.gzip}\r\n\r\n`,
      'another ETag: 200': `GET ${PAGE} HTTP/1.1\r\nHost: x\r\nIf-None-Match: "other"\r\n\r\n`,
      HEAD: `HEAD ${PAGE} HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br\r\n\r\n`,
      'Connection: close': `GET ${PAGE} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      'Content-Length: 0': `GET ${PAGE} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`,
      'HTTP/1.0': `GET ${PAGE} HTTP/1.0\r\n\r\n`,
      'HTTP/1.0 keep-alive': `GET ${PAGE} HTTP/1.0\r\nConnection: Keep-Alive\r\nHost: x\r\n\r\n`,
      'HTTP/1.0 keep-alive 304 (node:http closes)': `GET ${PAGE} HTTP/1.0\r\nConnection: keep-alive\r\nIf-None-Match: ${etags.identity}\r\n\r\n`,
      'HTTP/1.0 HEAD keep-alive': `HEAD ${PAGE} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n`,
    };
    for (const [name, request] of Object.entries(requests)) {
      const { result, answered, handedOver } = await watch(() => both(request));
      assert.equal(result.fast, result.node, name);
      assert.equal(result.closed.fast, result.closed.node, `${name}: the connection is closed by both or neither`);
      assert.ok(result.fast.startsWith('HTTP/1.1 '), name);
      assert.equal(answered, 1, `${name}: answered by the fast path`);
      assert.deepEqual(handedOver, {}, name);
    }
    const br = await both(requests.brotli!);
    assert.match(br.fast, /\r\ncontent-encoding: br\r\n/);
    assert.match(br.fast, /\r\nConnection: keep-alive\r\nKeep-Alive: timeout=\d+\r\n\r\n/);
    assert.match(br.fast, /\r\ncontent-security-policy: default-src 'self'/);
  });

  test('pipelined requests in one read are answered in order, then the connection is kept open', async () => {
    const pipelined =
      `GET ${PAGE} HTTP/1.1\r\nHost: x\r\n\r\n` +
      `GET ${PAGE} HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nIf-None-Match: ${etags.gzip}\r\n\r\n` +
      `HEAD ${PAGE} HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br\r\n\r\n`;
    const { result, answered, handedOver } = await watch(() => both(pipelined));
    assert.equal(result.fast, result.node);
    assert.deepEqual(statusLines(result.fast), ['HTTP/1.1 200 OK', 'HTTP/1.1 304 Not Modified', 'HTTP/1.1 200 OK']);
    assert.equal(answered, 3);
    assert.deepEqual(handedOver, {});
    assert.deepEqual(result.closed, { fast: false, node: false });

    // A request after one that closes the connection is not answered; node:http (with Fastify's
    // clientError handler) sends a 400 for it, so the fast path leaves both to node:http.
    const closing = `GET ${PAGE} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET ${PAGE} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const closed = await watch(() => both(closing));
    assert.equal(closed.result.fast, closed.result.node);
    assert.deepEqual(statusLines(closed.result.fast), ['HTTP/1.1 200 OK', 'HTTP/1.1 400 Bad Request']);
    assert.deepEqual(closed.result.closed, { fast: true, node: true });
    assert.deepEqual(closed.handedOver, { 'other-request': 1 });
  });

  test('anything else goes to node:http, which answers exactly as it does without the fast path', async () => {
    const cases: Array<{ name: string; request: string | Buffer; reason: HandOverReason }> = [
      {
        name: 'POST',
        request: `POST ${PAGE} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`,
        reason: 'other-request',
      },
      {
        name: 'a page not in memory',
        request: `GET /westminster/no-such-page HTTP/1.1\r\nHost: x\r\n\r\n`,
        reason: 'not-in-memory',
      },
      {
        name: 'a query string',
        request: `GET ${PAGE}?group=waste HTTP/1.1\r\nHost: x\r\n\r\n`,
        reason: 'not-in-memory',
      },
      {
        name: 'a GET with a body',
        request: `GET ${PAGE} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello`,
        reason: 'other-request',
      },
      {
        name: 'a chunked GET',
        request: `GET ${PAGE} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
        reason: 'other-request',
      },
      {
        name: 'a control character in a value',
        request: `GET ${PAGE} HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n`,
        reason: 'other-request',
      },
      {
        name: 'a byte above 0x7E in a value',
        request: Buffer.concat([
          Buffer.from(`GET ${PAGE} HTTP/1.1\r\nHost: x\r\nX-A: caf`),
          Buffer.from([0xc3, 0xa9]),
          Buffer.from('\r\n\r\n'),
        ]),
        reason: 'other-request',
      },
      { name: 'obs-fold', request: `GET ${PAGE} HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n`, reason: 'other-request' },
      {
        name: 'a space before the colon',
        request: `GET ${PAGE} HTTP/1.1\r\nHost : x\r\n\r\n`,
        reason: 'other-request',
      },
      { name: 'a bare LF', request: `GET ${PAGE} HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n`, reason: 'other-request' },
      { name: 'a bare CR', request: `GET ${PAGE} HTTP/1.1\r\nHost: x\rX-A: b\r\n\r\n`, reason: 'other-request' },
      { name: 'no Host in HTTP/1.1', request: `GET ${PAGE} HTTP/1.1\r\n\r\n`, reason: 'other-request' },
      { name: 'two Hosts', request: `GET ${PAGE} HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n`, reason: 'other-request' },
      {
        name: 'two Accept-Encodings',
        request: `GET ${PAGE} HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nAccept-Encoding: br\r\n\r\n`,
        reason: 'other-request',
      },
      {
        name: 'an upgrade',
        request: `GET ${PAGE} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`,
        reason: 'other-request',
      },
      {
        name: 'Expect',
        request: `GET ${PAGE} HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n`,
        reason: 'other-request',
      },
      { name: 'a lower-case method', request: `get ${PAGE} HTTP/1.1\r\nHost: x\r\n\r\n`, reason: 'other-request' },
      { name: 'two spaces', request: `GET  ${PAGE} HTTP/1.1\r\nHost: x\r\n\r\n`, reason: 'other-request' },
      { name: 'an absolute URL', request: `GET http://x${PAGE} HTTP/1.1\r\nHost: x\r\n\r\n`, reason: 'other-request' },
      { name: 'HTTP/1.2', request: `GET ${PAGE} HTTP/1.2\r\nHost: x\r\n\r\n`, reason: 'other-request' },
      { name: 'the HTTP/2 preface', request: 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', reason: 'other-request' },
      { name: 'an empty line first', request: `\r\nGET ${PAGE} HTTP/1.1\r\nHost: x\r\n\r\n`, reason: 'other-request' },
      {
        name: 'a 10 KB header',
        request: `GET ${PAGE} HTTP/1.1\r\nHost: x\r\nCookie: a=${'b'.repeat(10_000)}\r\n\r\n`,
        reason: 'other-request',
      },
      {
        name: 'a 20 KB header',
        request: `GET ${PAGE} HTTP/1.1\r\nHost: x\r\nCookie: a=${'b'.repeat(20_000)}\r\n\r\n`,
        reason: 'other-request',
      },
      { name: 'not HTTP at all', request: 'hello\r\n\r\n', reason: 'other-request' },
    ];
    for (const { name, request, reason } of cases) {
      const { result, answered, handedOver } = await watch(() => both(request));
      assert.equal(result.fast, result.node, name);
      assert.equal(result.closed.fast, result.closed.node, `${name}: the connection is closed by both or neither`);
      assert.ok(statusLines(result.fast).length >= 1, `${name}: answered`);
      assert.deepEqual(handedOver, { [reason]: 1 }, name);
      assert.equal(answered, 0, `${name}: node:http answered, from memory or through Fastify`);
    }
  });

  test('a request body is never read as a request of its own', async () => {
    // A body that looks like a request for a page in memory must not be answered as one.
    const smuggled = `GET ${PAGE} HTTP/1.1\r\nHost: x\r\n\r\n`;
    for (const request of [
      `POST /westminster/no-such-page HTTP/1.1\r\nHost: x\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`,
      `POST /westminster/no-such-page HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${smuggled.length.toString(16)}\r\n${smuggled}\r\n0\r\n\r\n`,
      `GET ${PAGE} HTTP/1.1\r\nHost: x\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`,
    ]) {
      const { result, answered } = await watch(() => both(request));
      assert.equal(result.fast, result.node);
      assert.equal(statusLines(result.fast).length, 1, 'one request, one answer');
      assert.equal(answered, 0);
    }
  });

  test('after a hand-over the connection stays with node:http; before it, keep-alive works as usual', async () => {
    const connection = await RawConnection.open(fastPort);
    try {
      const get = `GET ${PAGE} HTTP/1.1\r\nHost: x\r\n\r\n`;
      const first = await watch(() => connection.send(get));
      assert.deepEqual(statusLines(first.result), ['HTTP/1.1 200 OK']);
      assert.equal(first.answered, 1);
      const second = await watch(() => connection.send(get));
      assert.deepEqual(statusLines(second.result), ['HTTP/1.1 200 OK']);
      assert.deepEqual(second.handedOver, {});

      const other = await watch(() => connection.send('GET /westminster/no-such-page HTTP/1.1\r\nHost: x\r\n\r\n'));
      assert.deepEqual(statusLines(other.result), ['HTTP/1.1 404 Not Found']);
      assert.deepEqual(other.handedOver, { 'not-in-memory': 1 });

      // The page again: node:http answers it (from memory, through its own request handler).
      const third = await watch(() => connection.send(get));
      assert.deepEqual(statusLines(third.result), ['HTTP/1.1 200 OK']);
      assert.equal(sameSecond(third.result), sameSecond(first.result));
      assert.deepEqual(third.handedOver, {}, 'the connection was handed over once, and stays handed over');
      assert.equal(connection.closed, false);
    } finally {
      connection.close();
    }
  });

  test('a head that arrives in pieces goes to node:http with nothing lost', async () => {
    const incompleteHeads = () => fast.app.publicFastPath!.stats().handedOver['incomplete-head'];
    /** Each piece sent once the fast path has read the one before (it could otherwise read them as one). */
    const inPieces = async (pieces: string[]) => {
      const before = incompleteHeads();
      const connection = await RawConnection.open(fastPort);
      try {
        const fromFast = await connection.sendInPieces(pieces, () => until(() => incompleteHeads() > before));
        const fromNode = await exchange(plainPort, ...pieces);
        assert.equal(incompleteHeads(), before + 1);
        return { fast: sameSecond(fromFast), node: sameSecond(fromNode.text) };
      } finally {
        connection.close();
      }
    };
    const split = await inPieces([`GET ${PAGE} HTTP/1.1\r\nHo`, 'st: x\r\nAccept-Encoding: gzip\r\n', '\r\n']);
    assert.equal(split.fast, split.node);
    assert.match(split.fast, /^HTTP\/1\.1 200 OK\r\n[^]*content-encoding: gzip/);

    // A first request whole, the second in pieces, in one connection.
    const mixed = await inPieces([
      `GET ${PAGE} HTTP/1.1\r\nHost: x\r\n\r\nHEAD ${PAGE} HTTP/1.1\r\n`,
      'Host: x\r\n\r\n',
    ]);
    assert.equal(mixed.fast, mixed.node);
    assert.deepEqual(statusLines(mixed.fast), ['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
  });

  test('after a change, the page is rendered again and answered off the socket; connections stay', async () => {
    const connection = await RawConnection.open(fastPort);
    try {
      const get = `GET ${PAGE} HTTP/1.1\r\nHost: x\r\n\r\n`;
      const first = await watch(() => connection.send(get));
      assert.equal(first.answered, 1);
      // Another instance changes a service (through the database only); this one reads the new version.
      const changeElsewhere = (workaround: string) =>
        database.db.transaction().execute(async (trx) => {
          await trx.updateTable('services').set({ workaround }).where('slug', '=', 'libraries').execute();
          await bumpPublicContentVersion(trx);
        });
      await changeElsewhere('Libraries are open again.');
      await fast.app.publicCache.checkVersion();
      assert.equal(fast.app.publicCache.peek(PAGE), undefined, 'the change dropped the page');
      // The previous copy answers while the page renders again; then the new page does.
      const second = await watch(() => connection.send(get));
      assert.doesNotMatch(second.result, /Libraries are open again\./);
      assert.equal(second.answered, 1, 'the previous copy, off the socket');
      assert.deepEqual(second.handedOver, {});
      let fresh = second;
      for (let i = 0; i < 100 && !/Libraries are open again\./.test(fresh.result); i += 1) {
        await sleep(10);
        fresh = await watch(() => connection.send(get));
        assert.equal(fresh.answered, 1);
        assert.deepEqual(fresh.handedOver, {});
      }
      assert.match(fresh.result, /Libraries are open again\./, 'rendered again within a second');
      const third = await watch(() => connection.send(get));
      assert.equal(third.answered, 1);
      assert.equal(sameSecond(third.result), sameSecond(fresh.result));

      // A change made through this instance drops the page for good: the request waits for the
      // page to be rendered again, and is answered off the socket then.
      await changeElsewhere('Libraries are open, and you can join again.');
      fast.app.publicCache.invalidate();
      const fourth = await watch(() => connection.send(get));
      assert.match(fourth.result, /Libraries are open, and you can join again\./);
      assert.equal(fourth.answered, 1, 'answered by the fast path once rendered again');
      assert.deepEqual(fourth.handedOver, {});
      // The instance without the fast path answers the same.
      await plain.app.publicCache.checkVersion();
      const again = await both(get);
      assert.equal(again.fast, again.node);
    } finally {
      connection.close();
    }
  });

  test('closing the app ends the connections the fast path holds, without waiting for them', async () => {
    const other = await createTestApp(database, { env: { PUBLIC_BASE_URL: 'https://incident.example.gov.uk' } });
    await other.app.listen({ port: 0, host: '127.0.0.1' });
    await other.app.publicCache.checkVersion();
    const port = (other.app.server.address() as AddressInfo).port;
    await exchange(port, `GET ${PAGE} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    const idle = await RawConnection.open(port);
    assert.deepEqual(statusLines(await idle.send(`GET ${PAGE} HTTP/1.1\r\nHost: x\r\n\r\n`)), ['HTTP/1.1 200 OK']);
    const startedAt = Date.now();
    await other.close();
    assert.ok(Date.now() - startedAt < 2000, 'closed at once, not after the keep-alive timeout');
    await sleep(50);
    assert.equal(idle.closed, true);
  });
});

describe('the fast path on its own', () => {
  const page = preparePage(Buffer.from('<p>'.repeat(2000)), 'text/html; charset=utf-8');

  /** What the fast path is told of memory, and what it asked. */
  interface Memory {
    /** Whether the page is in memory. */
    inMemory: boolean;
    /** The fast path's, if given. */
    renderAgain?: (url: string) => Promise<unknown> | undefined;
    /** The page in memory, if not the one above. */
    page?: CachedPage;
    /** The pages' generation: given, the fast path may give a repeated head its last answer again. */
    generation?: number;
    /** Answers marked as a previous copy (not to be given again without asking). */
    previousCopy?: boolean;
    /** How often the fast path asked for an answer, and counted one it gave again. */
    asked?: number;
    repeated?: number;
  }

  /** A server with the fast path and one page, /page, in memory as `memory` says. */
  async function serverWithPage(
    setup: (server: ReturnType<typeof createServer>) => void = () => {},
    memory: Memory = { inMemory: true },
  ) {
    const cached = await page;
    // node:http answers as the app's server does: the page, or (standing in for Fastify) 404.
    const server = createServer((req, res) => {
      if (req.url === '/page' && (req.method === 'GET' || req.method === 'HEAD'))
        return writeCachedPage(req, res, cached);
      res.writeHead(404, ['content-length', '0']);
      res.end();
    });
    const fastPath = attachPublicPageFastPath(server, {
      answerFromMemory: (url, acceptEncoding, ifNoneMatch) => {
        memory.asked = (memory.asked ?? 0) + 1;
        if (url !== '/page' || !memory.inMemory) return undefined;
        const answer = chooseAnswer(memory.page ?? cached, acceptEncoding, ifNoneMatch);
        return memory.previousCopy ? { ...answer, previousCopy: true } : answer;
      },
      isClosing: () => false,
      ...(memory.renderAgain ? { renderAgain: memory.renderAgain } : {}),
      ...(memory.generation === undefined
        ? {}
        : {
            memoryGeneration: () => memory.generation as number,
            countRepeat: () => (memory.repeated = (memory.repeated ?? 0) + 1),
          }),
    });
    setup(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return { server, fastPath, port: (server.address() as AddressInfo).port };
  }

  test('a connection sending the head it sent last gets its last answer again, until memory or the second changes', async () => {
    const memory: Memory = { inMemory: true, generation: 1 };
    const { server, fastPath, port } = await serverWithPage(() => {}, memory);
    const get = 'GET /page HTTP/1.1\r\nHost: x\r\n\r\n';
    const gzip = 'GET /page HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n';
    const bodies = (text: string) =>
      text
        .split(/HTTP\/1\.1 200 OK\r\n/)
        .slice(1)
        .map(sameSecond);
    try {
      const connection = await RawConnection.open(port);
      // Wait for the start of a second, so the answers below all carry the same Date.
      await sleep(1000 - (Date.now() % 1000) + 20);
      const first = await connection.send(get, get + get);
      assert.equal(bodies(first).length, 3);
      assert.equal(new Set(bodies(first)).size, 1, 'the same answer three times');
      assert.equal(memory.asked, 1, 'read and answered once, then given again');
      assert.equal(memory.repeated, 2);
      assert.equal(fastPath.stats().answered, 3);
      // Another head is read; so is the first again after it.
      const other = await connection.send(gzip, get);
      assert.match(other, /content-encoding: gzip/);
      assert.equal(memory.asked, 3);
      // A change to the pages in memory: the same head is read again, and gets the new page.
      memory.page = await preparePage(Buffer.from('<p>changed</p>'.repeat(200)), 'text/html; charset=utf-8');
      memory.generation = 2;
      const changed = await connection.send(get);
      assert.match(changed, /<p>changed<\/p>/);
      assert.equal(memory.asked, 4);
      assert.equal(memory.repeated, 2);
      // The next second: the same head is read again, for an answer with the new Date.
      await sleep(1000 - (Date.now() % 1000) + 20);
      const later = await connection.send(get);
      assert.notEqual(/\r\nDate: ([^\r]*)/.exec(later)?.[1], /\r\nDate: ([^\r]*)/.exec(changed)?.[1]);
      assert.equal(memory.asked, 5);
      assert.equal(fastPath.stats().answered, 7);
      connection.close();
    } finally {
      server.close();
    }
  });

  test('answers that close the connection, or give a previous copy, are not given again without asking', async () => {
    const memory: Memory = { inMemory: true, generation: 1, previousCopy: true };
    const { server, port } = await serverWithPage(() => {}, memory);
    try {
      const connection = await RawConnection.open(port);
      const get = 'GET /page HTTP/1.1\r\nHost: x\r\n\r\n';
      assert.deepEqual(statusLines(await connection.send(get + get)), ['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
      assert.equal(memory.asked, 2, 'a previous copy is asked for each time');
      connection.close();
      memory.previousCopy = false;
      const { text, closed } = await exchange(port, 'GET /page HTTP/1.0\r\n\r\n');
      assert.deepEqual(statusLines(text), ['HTTP/1.1 200 OK']);
      assert.ok(closed);
      assert.equal(memory.asked, 3);
      assert.equal(memory.repeated, undefined);
    } finally {
      server.close();
    }
  });

  test('reads only strictly well-formed heads', () => {
    assert.deepEqual(readFastRequest('GET /page HTTP/1.1\r\nHost: x'), {
      url: '/page',
      head: false,
      http10: false,
      keepAlive: true,
      acceptEncoding: undefined,
      ifNoneMatch: undefined,
    });
    assert.equal(readFastRequest('GET /page HTTP/1.0')?.keepAlive, false);
    assert.equal(readFastRequest('GET /page HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, close')?.keepAlive, false);
    for (const bad of [
      'GET /page HTTP/1.1',
      'GET /page HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, upgrade',
      'GET /page HTTP/1.1\r\nHost: x\r\nConnection: close\r\nConnection: close',
      'GET /page HTTP/1.1\r\nHost: x\r\nContent-Length: 00',
      'GET /page HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 0',
      'GET /page HTTP/1.1\r\nHost: x\r\nTE: trailers',
      'GET /page HTTP/1.1\r\nHost: x\r\nIf-None-Match: "a"\r\nIf-None-Match: "b"',
      'GET /page HTTP/1.1\r\nHost: x\r\n: empty name',
      'GET /page HTTP/1.1\r\nHost: x\r\nX\x00: y',
      'GET /pa\tge HTTP/1.1\r\nHost: x',
      'GET /page HTTP/1.1 \r\nHost: x',
      'OPTIONS * HTTP/1.1\r\nHost: x',
      'CONNECT x:443 HTTP/1.1\r\nHost: x',
    ]) {
      assert.equal(readFastRequest(bad), undefined, JSON.stringify(bad));
    }
  });

  test('a client that does not read its answers is handed to node:http, which stops reading', async () => {
    const { server, fastPath, port } = await serverWithPage();
    try {
      const request = 'GET /page HTTP/1.1\r\nHost: x\r\n\r\n';
      const one = Buffer.byteLength(await exchange(port, request).then((r) => r.text), 'latin1');
      const socket = connect(port, '127.0.0.1');
      await once(socket, 'connect');
      socket.pause();
      socket.write(request.repeat(2000));
      await until(() => fastPath.stats().handedOver.busy > 0);
      const stats = fastPath.stats();
      assert.equal(stats.handedOver.busy, 1);
      assert.ok(stats.answered < 2000, `answered ${stats.answered} before handing over`);
      // Reading now gets every answer, in order, nothing lost or doubled.
      const chunks: Buffer[] = [];
      let received = 0;
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
      });
      socket.resume();
      const deadline = Date.now() + 10_000;
      while (received < one * 2000 && Date.now() < deadline) await sleep(50);
      await sleep(100);
      const text = Buffer.concat(chunks).toString('latin1');
      assert.equal(text.length, one * 2000);
      assert.equal(statusLines(text).length, 2000);
      socket.destroy();
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  test('idle connections are closed after keepAliveTimeout, silent ones after headersTimeout', async () => {
    const { server, port } = await serverWithPage((s) => {
      s.keepAliveTimeout = 1000;
      s.headersTimeout = 1500;
    });
    try {
      const silent = await RawConnection.open(port);
      const idle = await RawConnection.open(port);
      assert.match(await idle.send('GET /page HTTP/1.1\r\nHost: x\r\n\r\n'), /\r\nKeep-Alive: timeout=1\r\n/);
      await sleep(300);
      assert.equal(idle.closed, false);
      assert.equal(silent.closed, false);
      await sleep(1500);
      assert.equal(idle.closed, true);
      assert.equal(silent.closed, true);
    } finally {
      server.close();
    }
  });

  test('a client that stops sending gets its answers, then the connection ends', async () => {
    const { server, port } = await serverWithPage();
    try {
      const socket = connect(port, '127.0.0.1');
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
      socket.end('GET /page HTTP/1.1\r\nHost: x\r\n\r\n');
      await once(socket, 'close');
      assert.deepEqual(statusLines(text), ['HTTP/1.1 200 OK']);
    } finally {
      server.close();
    }
  });
  test('a request for a page a change dropped waits for it to be rendered again, in order, keeping its connection', async () => {
    const memory = {
      inMemory: false,
      renders: 0,
      renderAgain: (url: string) => {
        if (url !== '/page') return undefined;
        memory.renders += 1;
        return sleep(50).then(() => (memory.inMemory = true));
      },
    };
    const { server, fastPath, port } = await serverWithPage(() => {}, memory);
    try {
      const connection = await RawConnection.open(port);
      const text = await connection.send('GET /page HTTP/1.1\r\nHost: x\r\n\r\nGET /other HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.deepEqual(statusLines(text), ['HTTP/1.1 200 OK', 'HTTP/1.1 404 Not Found']);
      assert.equal(memory.renders, 1);
      assert.equal(fastPath.stats().answered, 1);
      assert.deepEqual(
        Object.entries(fastPath.stats().handedOver).filter(([, n]) => n > 0),
        [['not-in-memory', 1]],
      );
      connection.close();
    } finally {
      server.close();
    }
  });

  test('a page that does not come back goes to node:http after a few waits', async () => {
    const memory = { inMemory: false, renders: 0, renderAgain: () => Promise.resolve(memory.renders++) };
    const { server, fastPath, port } = await serverWithPage(() => {}, memory);
    try {
      const { text } = await exchange(port, 'GET /page HTTP/1.1\r\nHost: x\r\n\r\n');
      // node:http's stand-in has the page; the fast path, told it is not in memory, never answered.
      assert.deepEqual(statusLines(text), ['HTTP/1.1 200 OK']);
      assert.equal(memory.renders, 3);
      assert.equal(fastPath.stats().answered, 0);
      assert.equal(fastPath.stats().handedOver['not-in-memory'], 1);
    } finally {
      server.close();
    }
  });
});
