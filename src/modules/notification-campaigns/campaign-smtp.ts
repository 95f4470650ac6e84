// Campaign email over SMTP, with a point of no return the database can record. An SMTP server takes
// responsibility for a message only when it receives the "." that ends DATA (RFC 5321, 4.1.1.4);
// until then, a dropped connection means the message was never taken. So each send goes as far as
// the whole message minus that last line, then calls `handOver` (which commits "sending" for this
// person), and only then writes the ".". A crash before the commit leaves a person whose message the
// server never took: sending again is safe. A crash after it leaves "sending": the dot was written
// (or was about to be, a few microseconds later in the same turn of the event loop), so the message
// is treated as taken and never sent again; see campaign-dispatch.ts for what happens to such rows.
//
// nodemailer cannot pause before the dot, so this speaks SMTP itself over node:net (with STARTTLS,
// implicit TLS and AUTH PLAIN for a council's relay) and uses nodemailer's MailComposer only to
// build the message, exactly as the platform's other email is built. Connections are kept open and
// reused, one message at a time each, in a small pool.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { hostname } from 'node:os';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { SmtpConfig } from '../../platform/config.ts';
import { REFERENCE_HEADER } from '../../platform/mail/smtp-sender.ts';
import { parseMailbox } from '../../platform/mail/outbound-message.ts';

export interface CampaignEmail {
  to: string;
  subject: string;
  text: string;
  reference: string;
}

/** What became of one send. `handedOver` says whether the point of no return was passed. */
export type SendOutcome =
  | { kind: 'sent'; providerId: string }
  | { kind: 'failed'; temporary: boolean; status: number | undefined; error: string; handedOver: boolean }
  | { kind: 'unknown'; error: string };

interface Reply {
  code: number;
  text: string;
}

class SmtpError extends Error {
  constructor(
    message: string,
    readonly code: number | undefined,
  ) {
    super(message);
  }
}

/** One SMTP session: commands answered one at a time, replies read line by line. */
class SmtpSession {
  #socket: Socket | TLSSocket;
  #buffer = '';
  #lines: string[] = [];
  #waiting: { resolve: (reply: Reply) => void; reject: (error: Error) => void } | undefined;
  #closedError: Error | undefined;
  #current: string[] = [];
  broken = false;

  constructor(
    socket: Socket | TLSSocket,
    private readonly timeoutMs: number,
  ) {
    this.#socket = socket;
    this.#attach(socket);
  }

  #attach(socket: Socket | TLSSocket): void {
    socket.setNoDelay?.(true);
    socket.setTimeout(this.timeoutMs, () => socket.destroy(new Error('the mail server did not answer in time')));
    socket.on('data', (chunk: Buffer) => {
      this.#buffer += chunk.toString('latin1');
      let end: number;
      while ((end = this.#buffer.indexOf('\r\n')) >= 0) {
        this.#lines.push(this.#buffer.slice(0, end));
        this.#buffer = this.#buffer.slice(end + 2);
      }
      this.#deliver();
    });
    const fail = (error: Error) => {
      this.broken = true;
      this.#closedError ??= error;
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting?.reject(error);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('the mail server closed the connection')));
  }

  #deliver(): void {
    while (this.#waiting && this.#lines.length > 0) {
      const line = this.#lines.shift() as string;
      this.#current.push(line);
      // "250-..." continues a reply; "250 ..." (or a bare code) ends it.
      if (line.charAt(3) === '-') continue;
      const code = Number(line.slice(0, 3));
      const reply = { code: Number.isInteger(code) ? code : 0, text: this.#current.map((l) => l.slice(4)).join('\n') };
      this.#current = [];
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting.resolve(reply);
    }
  }

  read(): Promise<Reply> {
    if (this.#closedError) return Promise.reject(this.#closedError);
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
      this.#deliver();
    });
  }

  write(data: string | Buffer): void {
    this.#socket.write(data);
  }

  async command(line: string, expected: number): Promise<Reply> {
    this.write(`${line}\r\n`);
    const reply = await this.read();
    if (Math.floor(reply.code / 100) !== Math.floor(expected / 100)) {
      throw new SmtpError(`${line.split(' ')[0]} was answered ${reply.code} ${reply.text}`, reply.code);
    }
    return reply;
  }

  /** Swaps in a TLS socket over the same connection (STARTTLS). */
  async upgrade(servername: string): Promise<void> {
    const plain = this.#socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    const secure = tlsConnect({ socket: plain, servername });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.#socket = secure;
    this.#attach(secure);
  }

  destroy(): void {
    this.broken = true;
    this.#socket.destroy();
  }
}

export interface CampaignSmtpOptions {
  /** Connections kept open to the relay; one message at a time on each. */
  connections?: number | undefined;
  timeoutMs?: number | undefined;
}

export interface CampaignSmtpSender {
  provider: 'smtp';
  send(message: CampaignEmail, handOver: () => Promise<void>): Promise<SendOutcome>;
  close(): Promise<void>;
}

export function createCampaignSmtpSender(smtp: SmtpConfig, options: CampaignSmtpOptions = {}): CampaignSmtpSender {
  const from = parseMailbox(smtp.from);
  if (!from) throw new Error(`the SMTP sender address is not an email address: "${smtp.from}"`);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxConnections = options.connections ?? 8;
  const idle: SmtpSession[] = [];
  let open = 0;
  const queue: Array<(session: SmtpSession | Error) => void> = [];
  const helloName = hostname().replace(/[^A-Za-z0-9.-]/g, '') || 'wardroom';

  async function openSession(): Promise<SmtpSession> {
    const socket = await new Promise<Socket | TLSSocket>((resolve, reject) => {
      const s = smtp.secure
        ? tlsConnect({ host: smtp.host, port: smtp.port, servername: smtp.host }, () => resolve(s))
        : netConnect({ host: smtp.host, port: smtp.port }, () => resolve(s));
      s.once('error', reject);
      s.setTimeout(timeoutMs, () => s.destroy(new Error('could not connect to the mail server in time')));
    });
    const session = new SmtpSession(socket, timeoutMs);
    try {
      const greeting = await session.read();
      if (greeting.code !== 220) throw new SmtpError(`the mail server greeted with ${greeting.code}`, greeting.code);
      let ehlo = await session.command(`EHLO ${helloName}`, 250);
      if (!smtp.secure && /^STARTTLS\b/im.test(ehlo.text)) {
        await session.command('STARTTLS', 220);
        await session.upgrade(smtp.host);
        ehlo = await session.command(`EHLO ${helloName}`, 250);
      }
      if (smtp.user !== undefined) {
        const token = Buffer.from(`\u0000${smtp.user}\u0000${smtp.password ?? ''}`, 'utf8').toString('base64');
        await session.command(`AUTH PLAIN ${token}`, 235);
      }
      return session;
    } catch (error) {
      session.destroy();
      throw error;
    }
  }

  async function acquire(): Promise<SmtpSession> {
    const ready = idle.pop();
    if (ready) return ready;
    if (open < maxConnections) {
      open += 1;
      try {
        return await openSession();
      } catch (error) {
        open -= 1;
        throw error;
      }
    }
    const next = await new Promise<SmtpSession | Error>((resolve) => queue.push(resolve));
    if (next instanceof Error) throw next;
    return next;
  }

  function release(session: SmtpSession): void {
    if (session.broken) {
      open -= 1;
      session.destroy();
      // A waiter gets a fresh connection.
      const waiter = queue.shift();
      if (waiter) {
        open += 1;
        openSession().then(waiter, (error: Error) => {
          open -= 1;
          waiter(error);
        });
      }
      return;
    }
    const waiter = queue.shift();
    if (waiter) waiter(session);
    else idle.push(session);
  }

  return {
    provider: 'smtp',
    async send(message, handOver) {
      const raw = await new MailComposer({
        from: from.name ? { name: from.name, address: from.address } : from.address,
        to: message.to,
        subject: message.subject,
        text: message.text,
        headers: { [REFERENCE_HEADER]: message.reference },
      })
        .compile()
        .build();
      const messageId = /^Message-ID:\s*(<[^>]+>)/im.exec(raw.toString('latin1'))?.[1] ?? message.reference;
      let session: SmtpSession;
      try {
        session = await acquire();
      } catch (error) {
        return failure(error, false);
      }
      let handedOver = false;
      try {
        await session.command(`MAIL FROM:<${from.address}>`, 250);
        await session.command(`RCPT TO:<${message.to}>`, 250);
        await session.command('DATA', 354);
        session.write(dotStuff(raw));
        // The point of no return: recorded before the server can take the message.
        try {
          await handOver();
        } catch (error) {
          // Not recorded, so the message must not go: dropping the connection discards it.
          session.destroy();
          throw new HandOverError('the hand-over was not recorded', { cause: error });
        }
        handedOver = true;
        session.write('.\r\n');
        const reply = await session.read();
        if (reply.code === 250) return { kind: 'sent', providerId: messageId };
        return {
          kind: 'failed',
          temporary: reply.code < 500 || reply.code === 503,
          status: reply.code,
          error: `The mail server refused the message: ${reply.code} ${reply.text}`,
          handedOver: true,
        };
      } catch (error) {
        if (handedOver) {
          session.broken = true;
          return {
            kind: 'unknown',
            error: `The connection was lost after the message was handed over: ${describe(error)}`,
          };
        }
        if (!(error instanceof SmtpError)) session.broken = true;
        else {
          // A refused envelope leaves the session usable once reset.
          try {
            await session.command('RSET', 250);
          } catch {
            session.broken = true;
          }
        }
        if (error instanceof HandOverError) throw error.cause;
        return failure(error, false);
      } finally {
        release(session);
      }
    },
    async close() {
      for (const waiter of queue.splice(0)) waiter(new Error('the sender is closed'));
      for (const session of idle.splice(0)) {
        try {
          session.write('QUIT\r\n');
        } finally {
          session.destroy();
        }
      }
      open = 0;
    },
  };
}

class HandOverError extends Error {}

function failure(error: unknown, handedOver: boolean): SendOutcome {
  const status = error instanceof SmtpError ? error.code : undefined;
  const permanent = status !== undefined && status >= 500 && status !== 503;
  return {
    kind: 'failed',
    temporary: !permanent,
    status,
    error:
      status === undefined
        ? `The mail server could not be reached: ${describe(error)}`
        : `The mail server refused the message: ${describe(error)}`,
    handedOver,
  };
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The message as DATA sends it: lines starting with "." doubled, ending with CRLF, without the final ".". */
export function dotStuff(raw: Buffer): Buffer {
  let text = raw.toString('latin1').replace(/\r?\n/g, '\r\n');
  text = text.replace(/^\./gm, '..');
  if (!text.endsWith('\r\n')) text += '\r\n';
  return Buffer.from(text, 'latin1');
}
