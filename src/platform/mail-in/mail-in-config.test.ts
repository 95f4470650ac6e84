import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../config.ts';

const base = { NODE_ENV: 'test', SESSION_SECRET: 'x'.repeat(40), WARDROOM_DATA_DIR: '/tmp/wardroom-config-test' };

test('without MAIL_IN_SMTP_PORT there is no listener; the size limit defaults to 25 MB', () => {
  const { mailIn } = loadConfig(base);
  assert.equal(mailIn.smtp, undefined);
  assert.equal(mailIn.maxBytes, 25 * 1024 * 1024);
  assert.deepEqual(mailIn.imap, []);
  assert.equal(mailIn.imapPollSeconds, 60);
});

test('the SMTP listener settings are read and checked', () => {
  const { mailIn } = loadConfig({
    ...base,
    MAIL_IN_SMTP_PORT: '2525',
    MAIL_IN_SMTP_ALLOWED_CLIENTS: '10.0.0.5, 10.1.0.0/16, 2001:db8::/32',
    MAIL_IN_SMTP_MAX_PER_MINUTE: '12000',
    INBOUND_MAIL_MAX_BYTES: '36700160',
  });
  assert.deepEqual(mailIn.smtp, {
    port: 2525,
    host: '127.0.0.1',
    tlsKeyFile: undefined,
    tlsCertFile: undefined,
    allowedClients: ['10.0.0.5', '10.1.0.0/16', '2001:db8::/32'],
    maxMessagesPerMinute: 12000,
  });
  assert.equal(mailIn.maxBytes, 36700160);

  assert.throws(
    () =>
      loadConfig({
        ...base,
        MAIL_IN_SMTP_PORT: '2525',
        MAIL_IN_SMTP_TLS_KEY: '/nonexistent/key.pem',
        MAIL_IN_SMTP_ALLOWED_CLIENTS: 'relay.example',
        INBOUND_MAIL_MAX_BYTES: '10',
      }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.problems, [
        'INBOUND_MAIL_MAX_BYTES must be a number of bytes from 65536 to 209715200, not "10"',
        'MAIL_IN_SMTP_TLS_KEY and MAIL_IN_SMTP_TLS_CERT must be set together',
        'MAIL_IN_SMTP_TLS_KEY: no file at "/nonexistent/key.pem"',
        'MAIL_IN_SMTP_ALLOWED_CLIENTS: "relay.example" is not an IP address or CIDR range',
      ]);
      return true;
    },
  );
  assert.throws(
    () => loadConfig({ ...base, MAIL_IN_SMTP_HOST: '0.0.0.0' }),
    /MAIL_IN_SMTP_HOST is set but MAIL_IN_SMTP_PORT is not/,
  );
});
