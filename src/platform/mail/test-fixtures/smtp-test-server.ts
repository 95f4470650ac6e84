// A real SMTP server for tests (smtp-server, in this process, on a free local port). It keeps each
// message it receives as the raw text, parsed just enough to assert on what a resident would see,
// and can be told to refuse a recipient with a given reply, as a council's mail relay might.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { SmtpConfig } from '../../config.ts';
import { parseReceivedMail, type ReceivedMail } from './received-mail.ts';

export interface ReceivedSmtpMail extends ReceivedMail {
  envelopeFrom: string | undefined;
  envelopeTo: string[];
}

export interface SmtpTestServer {
  port: number;
  /** Settings that send through this server, as config.ts would give them. */
  config: SmtpConfig;
  received: ReceivedSmtpMail[];
  /** SMTP sessions opened and closed by clients since the start or the last reset. */
  sessions: { readonly opened: number; readonly closed: number };
  /** The next `times` RCPT TO for `address` get `code` (such as 550 or 451) instead of 250. */
  refuseRecipient(address: string, code: number, times?: number): void;
  /** Ends every open session with 421, as a relay restarting (or timing out idle clients) does. */
  dropSessions(): void;
  /** Forgets received mail and refusals, between tests that share the server. */
  reset(): void;
  close(): Promise<void>;
}

export async function startSmtpTestServer(): Promise<SmtpTestServer> {
  const received: ReceivedSmtpMail[] = [];
  const refusals = new Map<string, { code: number; times: number }>();
  // Counted by session id, so that a session from before a reset that closes after it is not counted.
  const openedIds = new Set<string>();
  const closedIds = new Set<string>();
  const sessions = {
    get opened() {
      return openedIds.size;
    },
    get closed() {
      return closedIds.size;
    },
  };

  const server = new SMTPServer({
    authOptional: true,
    // No certificate in tests; the sender must cope with a server that offers no STARTTLS.
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 500,
    onConnect(session, callback) {
      openedIds.add(session.id);
      callback();
    },
    onClose(session) {
      if (openedIds.has(session.id)) closedIds.add(session.id);
    },
    onRcptTo(address, _session, callback) {
      const refusal = refusals.get(address.address.toLowerCase());
      if (refusal && refusal.times > 0) {
        refusal.times -= 1;
        const text = refusal.code >= 500 ? 'Mailbox unavailable' : 'Mailbox busy, try again later';
        callback(Object.assign(new Error(text), { responseCode: refusal.code }));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        received.push({
          ...parseReceivedMail(raw),
          envelopeFrom: session.envelope.mailFrom === false ? undefined : session.envelope.mailFrom.address,
          envelopeTo: session.envelope.rcptTo.map((to) => to.address),
        });
        callback();
      });
    },
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    const listening = server.listen(0, '127.0.0.1', () => resolve((listening.address() as AddressInfo).port));
  });

  return {
    port,
    config: {
      host: '127.0.0.1',
      port,
      secure: false,
      user: undefined,
      password: undefined,
      from: 'Westminster City Council <cyber-incident@westminster.example.gov.uk>',
    },
    received,
    sessions,
    refuseRecipient(address, code, times = 1) {
      refusals.set(address.toLowerCase(), { code, times });
    },
    dropSessions() {
      for (const connection of server.connections as Set<{ send(code: number, text: string): void; close(): void }>) {
        connection.send(421, 'Service closing transmission channel');
        connection.close();
      }
    },
    reset() {
      received.length = 0;
      refusals.clear();
      openedIds.clear();
      closedIds.clear();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
