import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import Fastify from 'fastify';
import pino from 'pino';
import { AccessLogController, loggerOptions, REDACTED_PATHS, redactUrl } from './logger.ts';

test('secrets and personal data are redacted from log lines', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const log = pino({ redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink);
  log.info(
    {
      req: { headers: { cookie: 'wardroom_session=abc', authorization: 'Bearer xyz' } },
      form: { password: 'hunter2-hunter2', email: 'resident@example.com', name: 'Jo Bloggs' },
    },
    'x',
  );
  const out = lines.join('');
  for (const secret of ['wardroom_session=abc', 'Bearer xyz', 'hunter2', 'resident@example.com', 'Jo Bloggs']) {
    assert.ok(!out.includes(secret), `${secret} leaked`);
  }
});

test('one-time tokens are cut from logged URLs', () => {
  assert.equal(redactUrl('/sign-in/set-up/abcDEF123_-x'), '/sign-in/set-up/[redacted]');
  assert.equal(redactUrl('/x?token=abc&page=2'), '/x?token=[redacted]&page=2');
});

/** An app that logs as Wardroom does, into `lines` (one parsed object per line). */
function appLoggingTo() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  const app = Fastify({
    logger: { ...(loggerOptions('info') as object), stream: sink },
    logController: new AccessLogController(),
  });
  return { app, lines };
}

test('each request is logged once, when answered, with what was asked and how it was answered', async () => {
  const { app, lines } = appLoggingTo();
  app.get('/sign-in/set-up/:token', async (_request, reply) => reply.code(404).send('gone'));
  await app.inject({
    method: 'GET',
    url: '/sign-in/set-up/abcDEF123?page=2&email=jo%40example.com',
    headers: { cookie: 'wardroom_session=abc', 'user-agent': 'test-browser' },
  });
  await app.close();
  const requests = lines.filter((l) => l['reqId'] !== undefined);
  assert.equal(requests.length, 1, JSON.stringify(lines));
  const line = requests[0] as Record<string, unknown>;
  assert.equal(line['msg'], 'request completed');
  assert.deepEqual(
    {
      method: line['method'],
      url: line['url'],
      statusCode: line['statusCode'],
      userAgent: line['userAgent'],
      remoteAddress: line['remoteAddress'],
    },
    {
      method: 'GET',
      url: '/sign-in/set-up/[redacted]?page=2&email=[redacted]',
      statusCode: 404,
      userAgent: 'test-browser',
      remoteAddress: '127.0.0.1',
    },
  );
  assert.equal(typeof line['responseTime'], 'number');
  assert.equal(line['level'], 30);
  const all = JSON.stringify(lines);
  for (const secret of ['wardroom_session=abc', 'abcDEF123', 'jo%40example.com'])
    assert.ok(!all.includes(secret), secret);
});

test('a request that fails is logged once, with the error, through the redacting logger', async () => {
  const { app, lines } = appLoggingTo();
  app.get('/broken', async () => {
    throw Object.assign(new Error('it broke'), { email: 'jo@example.com' });
  });
  await app.inject({ method: 'GET', url: '/broken' });
  await app.close();
  const completed = lines.filter((l) => l['msg'] === 'request completed' || l['msg'] === 'request errored');
  assert.equal(completed.length, 1, JSON.stringify(lines));
  assert.ok(!JSON.stringify(lines).includes('jo@example.com'));
});
