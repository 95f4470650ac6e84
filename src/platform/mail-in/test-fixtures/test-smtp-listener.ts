// The platform's SMTP listener as tests start it: on a free port of 127.0.0.1, without TLS, open to
// any client, with a rate limit no test reaches and a 25 MB cap unless told otherwise.
import type { Kysely } from 'kysely';
import type { MailInSmtpConfig } from '../../config.ts';
import type { DB } from '../../db/schema.ts';
import { createMemoryLogger } from '../../jobs/test-fixtures/memory-logger.ts';
import type { InboundMailboxes } from '../inbound-mailboxes.ts';
import { startSmtpListener, type SmtpListener } from '../smtp-listener.ts';

export function startTestSmtpListener(
  db: Kysely<DB>,
  mailboxes: InboundMailboxes,
  config: Partial<MailInSmtpConfig> = {},
  maxBytes = 25 * 1024 * 1024,
): Promise<SmtpListener> {
  return startSmtpListener({
    db,
    mailboxes,
    config: {
      port: 0,
      host: '127.0.0.1',
      tlsKeyFile: undefined,
      tlsCertFile: undefined,
      allowedClients: [],
      maxMessagesPerMinute: 1000,
      ...config,
    },
    maxBytes,
    logger: createMemoryLogger(),
  });
}
