import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from './config.ts';

const dir = () => mkdtempSync(path.join(tmpdir(), 'wardroom-config-'));

test('defaults: embedded SQLite in ./data, port 3000, a generated session secret kept in the data directory', () => {
  const cwd = dir();
  const config = loadConfig({}, cwd);
  assert.equal(config.port, 3000);
  assert.deepEqual(config.database, { kind: 'sqlite', file: path.join(cwd, 'data', 'wardroom.sqlite') });
  assert.equal(config.sessionSecretGenerated, true);
  const file = path.join(cwd, 'data', 'session-secret');
  assert.equal(readFileSync(file, 'utf8').trim(), config.sessionSecret);
  assert.equal(statSync(file).mode & 0o077, 0, 'readable by its owner only');
  assert.equal(loadConfig({}, cwd).sessionSecret, config.sessionSecret, 'the same secret on the next start');
});

test('every problem is reported at once, naming the variable and what is wrong', () => {
  try {
    loadConfig(
      {
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        SESSION_SECRET: 'short',
        NOTIFY_API_KEY: 'nope',
        SMTP_HOST: 'smtp.example.com',
        WARDROOM_WORKER: 'maybe',
      },
      dir(),
    );
    assert.fail('expected a ConfigError');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    const text = err.message;
    assert.match(text, /PORT must be a whole number from 0 to 65535, not "eighty"/);
    assert.match(text, /DATABASE_URL must start with postgres:\/\//);
    assert.match(text, /SESSION_SECRET must be at least 32 characters/);
    assert.match(text, /NOTIFY_API_KEY does not look like a GOV.UK Notify API key/);
    assert.match(text, /SMTP_FROM must be set/);
    assert.match(text, /WARDROOM_WORKER must be true or false/);
  }
});

test('PostgreSQL needs a shared SESSION_SECRET; production needs https and never runs the demo', () => {
  assert.throws(
    () => loadConfig({ DATABASE_URL: 'postgres://u@h/db' }, dir()),
    /SESSION_SECRET is required with PostgreSQL/,
  );
  const pg = loadConfig({ DATABASE_URL: 'postgres://u@h:5432/db', SESSION_SECRET: 's'.repeat(40) }, dir());
  assert.deepEqual(pg.database, { kind: 'postgres', url: 'postgres://u@h:5432/db' });
  assert.throws(
    () =>
      loadConfig({ NODE_ENV: 'production', SESSION_SECRET: 's'.repeat(40), PUBLIC_BASE_URL: 'http://x.gov.uk' }, dir()),
    /https/,
  );
  const prod = loadConfig(
    {
      NODE_ENV: 'production',
      SESSION_SECRET: 's'.repeat(40),
      PUBLIC_BASE_URL: 'https://incident.westminster.gov.uk',
      WARDROOM_DEMO: 'true',
    },
    dir(),
  );
  assert.equal(prod.demoMode, false);
});

test('GOV.UK Notify settings are checked together', () => {
  assert.throws(
    () => loadConfig({ NOTIFY_EMAIL_TEMPLATE_ID: 'not-a-uuid', NOTIFY_BASE_URL: 'http://notify.example.com' }, dir()),
    (err: unknown) =>
      err instanceof ConfigError &&
      /NOTIFY_EMAIL_TEMPLATE_ID must be a Notify ID/.test(err.message) &&
      /NOTIFY_EMAIL_TEMPLATE_ID is set but NOTIFY_API_KEY is not/.test(err.message) &&
      /NOTIFY_BASE_URL must use https/.test(err.message),
  );
  const key = `wardroom-${'1'.repeat(8)}-1111-1111-1111-${'1'.repeat(12)}-${'2'.repeat(8)}-2222-2222-2222-${'2'.repeat(12)}`;
  const ok = loadConfig(
    {
      NOTIFY_API_KEY: key,
      NOTIFY_EMAIL_TEMPLATE_ID: '3f1c2a4e-8b7d-4c1a-9e2f-5a6b7c8d9e0f',
      NOTIFY_BASE_URL: 'http://127.0.0.1:9999/',
    },
    dir(),
  );
  assert.equal(ok.notifyBaseUrl, 'http://127.0.0.1:9999');
  assert.equal(ok.notifyEmailTemplateId, '3f1c2a4e-8b7d-4c1a-9e2f-5a6b7c8d9e0f');
});

test('TRUST_PROXY takes a hop count or addresses, never "trust everyone"', () => {
  assert.equal(loadConfig({}, dir()).trustProxy, false);
  assert.equal(loadConfig({ TRUST_PROXY: '1' }, dir()).trustProxy, 1);
  assert.deepEqual(loadConfig({ TRUST_PROXY: '10.0.0.1, 10.1.0.0/16' }, dir()).trustProxy, ['10.0.0.1', '10.1.0.0/16']);
  assert.throws(() => loadConfig({ TRUST_PROXY: 'true' }, dir()), /TRUST_PROXY must be false, the number of proxies/);
});

test('PUBLIC_FORM_MAX_PER_MINUTE: 10 sends a minute from one address unless set', () => {
  assert.equal(loadConfig({}, dir()).publicFormMaxPerMinute, 10);
  assert.equal(loadConfig({ PUBLIC_FORM_MAX_PER_MINUTE: '600' }, dir()).publicFormMaxPerMinute, 600);
  for (const bad of ['0', 'lots', '-5', '2.5']) {
    assert.throws(
      () => loadConfig({ PUBLIC_FORM_MAX_PER_MINUTE: bad }, dir()),
      new RegExp(`PUBLIC_FORM_MAX_PER_MINUTE must be a whole number above 0, not "${bad}"`),
    );
  }
});

test('WEB_CONCURRENCY: every core in production, one process elsewhere, or the number given', () => {
  const production = { NODE_ENV: 'production', SESSION_SECRET: 's'.repeat(40), PUBLIC_BASE_URL: 'https://x.gov.uk' };
  assert.equal(loadConfig(production, dir(), 8).webConcurrency, 8);
  assert.equal(loadConfig({ ...production, WEB_CONCURRENCY: '2' }, dir(), 8).webConcurrency, 2);
  assert.equal(loadConfig({}, dir(), 8).webConcurrency, 1);
  assert.equal(loadConfig({ NODE_ENV: 'test' }, dir(), 8).webConcurrency, 1);
  assert.equal(loadConfig({ WEB_CONCURRENCY: '3' }, dir(), 8).webConcurrency, 3);
  for (const bad of ['0', 'auto', '-1', '1.5', '65']) {
    assert.throws(
      () => loadConfig({ WEB_CONCURRENCY: bad }, dir()),
      new RegExp(`WEB_CONCURRENCY must be the number of web processes, from 1 to 64, not "${bad}"`),
    );
  }
});

test('HTTP_WORKER_NODE_OPTIONS: Node options for the HTTP workers, none by default, nothing that is not an option', () => {
  assert.deepEqual(loadConfig({}, dir()).httpWorkerNodeOptions, []);
  assert.deepEqual(
    loadConfig({ HTTP_WORKER_NODE_OPTIONS: ' --max-semi-space-size=32  --single-threaded-gc ' }, dir())
      .httpWorkerNodeOptions,
    ['--max-semi-space-size=32', '--single-threaded-gc'],
  );
  assert.deepEqual(loadConfig({ HTTP_WORKER_NODE_OPTIONS: '' }, dir()).httpWorkerNodeOptions, []);
  for (const bad of ['max-semi-space-size=32', '--require=/tmp/x.js --x', '--eval="process.exit()"', '-e']) {
    assert.throws(
      () => loadConfig({ HTTP_WORKER_NODE_OPTIONS: bad }, dir()),
      /HTTP_WORKER_NODE_OPTIONS must be Node options/,
    );
  }
});

test('PUBLIC_FAST_PATH: on unless turned off', () => {
  assert.equal(loadConfig({}, dir()).publicFastPath, true);
  assert.equal(loadConfig({ PUBLIC_FAST_PATH: 'false' }, dir()).publicFastPath, false);
  assert.equal(loadConfig({ PUBLIC_FAST_PATH: 'off' }, dir()).publicFastPath, false);
  assert.throws(() => loadConfig({ PUBLIC_FAST_PATH: 'maybe' }, dir()), /PUBLIC_FAST_PATH must be true or false/);
});
