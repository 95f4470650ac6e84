import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import { REDACTED_PATHS, redactUrl } from './logger.ts';

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
