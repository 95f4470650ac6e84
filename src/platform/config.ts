// Configuration: the only module that reads process.env. It validates everything at start and
// fails fast with a message that names the variable and what is wrong with it.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isIP } from 'node:net';
import path from 'node:path';

export type DatabaseConfig = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

export interface SmtpConfig {
  host: string;
  port: number;
  secure: boolean;
  user: string | undefined;
  password: string | undefined;
  from: string;
}

/** The platform's own SMTP listener for inbound mail (behind the council's mail relay). */
export interface MailInSmtpConfig {
  port: number;
  host: string;
  /** PEM files for STARTTLS; without them the listener offers no STARTTLS. */
  tlsKeyFile: string | undefined;
  tlsCertFile: string | undefined;
  /** Client addresses or CIDR ranges allowed to connect (the relay); empty means any. */
  allowedClients: string[];
  /** Messages one client address may send a minute; more are told to try again later. */
  maxMessagesPerMinute: number;
}

/** A mailbox that lives on another server, polled over IMAP, and the platform mailbox it feeds. */
export interface ImapAccountConfig {
  /** The registered inbound mailbox (such as `enquiries`) that every message found here goes to. */
  mailbox: string;
  host: string;
  port: number;
  /** TLS from the start (imaps://); otherwise STARTTLS, required except to localhost. */
  secure: boolean;
  user: string;
  password: string;
  folder: string;
  /** A folder to move processed messages to; without it they are only flagged as seen. */
  moveTo: string | undefined;
  /** Names the account in logs and stored references; never holds the password. */
  key: string;
}

export interface MailInConfig {
  /** The largest message accepted, in bytes; larger ones are refused (SMTP 552) or rejected. */
  maxBytes: number;
  smtp: MailInSmtpConfig | undefined;
  imap: ImapAccountConfig[];
  imapPollSeconds: number;
}

export interface Config {
  env: 'production' | 'development' | 'test';
  port: number;
  host: string;
  dataDir: string;
  database: DatabaseConfig;
  publicBaseUrl: string;
  sessionSecret: string;
  /** True when the session secret was generated and kept in the data directory. */
  sessionSecretGenerated: boolean;
  smtp: SmtpConfig | undefined;
  notifyApiKey: string | undefined;
  /** A Notify email template with subject ((subject)) and body ((body)), for all platform email. */
  notifyEmailTemplateId: string | undefined;
  notifyEmailReplyToId: string | undefined;
  /** A Notify text message template whose body is ((body)); text message updates are offered only with it. */
  notifySmsTemplateId: string | undefined;
  /** A text message sender set up in the Notify service; the service's default when not given. */
  notifySmsSenderId: string | undefined;
  /** Notify's API address; only changed for tests against a local server. */
  notifyBaseUrl: string | undefined;
  /**
   * The bearer token GOV.UK Notify is told to send with its delivery-status callbacks (set in the
   * Notify service's callback settings); callbacks are refused while it is not set.
   */
  notifyCallbackToken: string | undefined;
  logLevel: string;
  /** Demo mode prints demo credentials; never on in production. */
  demoMode: boolean;
  /** Run the job worker inside the web process (with several web processes, in their supervisor). */
  runWorker: boolean;
  /**
   * How many processes serve HTTP. Above 1, `serve` starts that many workers with node:cluster,
   * sharing the port, and one supervising process that migrates and runs the job worker.
   */
  webConcurrency: number;
  /**
   * Node and V8 options for the HTTP worker processes of a cluster, after the supervisor's own
   * (HTTP_WORKER_NODE_OPTIONS, space-separated; none unless set), so an operator may tune the
   * workers' heap, say, without a release.
   */
  httpWorkerNodeOptions: string[];
  /**
   * Answer GETs of public pages in memory straight off the socket, before node:http (on unless
   * PUBLIC_FAST_PATH=false): a way to rule the fast path out without a release.
   */
  publicFastPath: boolean;
  /**
   * Which X-Forwarded-For hops to believe (for client IPs in the audit log and rate limits): false,
   * the number of proxies in front, or their addresses. Never "all", which lets clients choose their IP.
   */
  trustProxy: false | number | string[];
  /**
   * How many times one client address may send a public form (the contact form, sign-up for
   * updates) a minute. Residents behind one address (a library, a mobile network's shared
   * addresses, a council's own contact centre) share it.
   */
  publicFormMaxPerMinute: number;
  mailIn: MailInConfig;
  /** Where "Send to the NCSC" forwards a reported message: the NCSC's Suspicious Email Reporting Service. */
  ncscReportAddress: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Wardroom cannot start because of its configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const NOTIFY_KEY = /^[a-z0-9_-]+-[0-9a-f-]{36}-[0-9a-f-]{36}$/i;

export function loadConfig(env: Env = process.env, cwd = process.cwd(), cpus = availableParallelism()): Config {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };

  const nodeEnv = read('NODE_ENV') ?? 'development';
  if (!['production', 'development', 'test'].includes(nodeEnv)) {
    problems.push(`NODE_ENV must be production, development or test, not "${nodeEnv}"`);
  }

  const port = parsePort(read('PORT') ?? '3000', 'PORT', problems);
  const host = read('HOST') ?? '0.0.0.0';
  const dataDir = path.resolve(cwd, read('WARDROOM_DATA_DIR') ?? './data');

  let database: DatabaseConfig = { kind: 'sqlite', file: path.join(dataDir, 'wardroom.sqlite') };
  const databaseUrl = read('DATABASE_URL');
  if (databaseUrl !== undefined) {
    if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
      try {
        new URL(databaseUrl);
        database = { kind: 'postgres', url: databaseUrl };
      } catch {
        problems.push('DATABASE_URL is not a valid URL (expected postgres://user@host:5432/database)');
      }
    } else if (databaseUrl.startsWith('sqlite:')) {
      database = { kind: 'sqlite', file: path.resolve(cwd, databaseUrl.slice('sqlite:'.length)) };
    } else {
      problems.push('DATABASE_URL must start with postgres:// (or sqlite: for a file path)');
    }
  }

  const publicBaseUrl = (read('PUBLIC_BASE_URL') ?? `http://localhost:${port}`).replace(/\/+$/, '');
  try {
    const u = new URL(publicBaseUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('protocol');
    if (nodeEnv === 'production' && u.protocol !== 'https:') {
      problems.push('PUBLIC_BASE_URL must use https:// in production');
    }
  } catch {
    problems.push(`PUBLIC_BASE_URL is not a valid http(s) URL: "${publicBaseUrl}"`);
  }

  let sessionSecret = read('SESSION_SECRET');
  let sessionSecretGenerated = false;
  if (sessionSecret !== undefined && sessionSecret.length < 32) {
    problems.push('SESSION_SECRET must be at least 32 characters long');
  }
  if (sessionSecret === undefined) {
    if (database.kind === 'postgres') {
      problems.push(
        'SESSION_SECRET is required with PostgreSQL, so that every app instance shares it (at least 32 characters)',
      );
    } else if (problems.length === 0) {
      sessionSecret = readOrCreateSecret(dataDir);
      sessionSecretGenerated = true;
    }
  }

  let smtp: SmtpConfig | undefined;
  const smtpHost = read('SMTP_HOST');
  if (smtpHost !== undefined) {
    const smtpPort = parsePort(read('SMTP_PORT') ?? '587', 'SMTP_PORT', problems);
    const secure = parseBoolean(read('SMTP_SECURE') ?? 'false', 'SMTP_SECURE', problems);
    const from = read('SMTP_FROM');
    if (from === undefined || !/^[^@\s<>]+@[^@\s<>]+$|<[^@\s<>]+@[^@\s<>]+>$/.test(from)) {
      problems.push('SMTP_FROM must be set to an email address when SMTP_HOST is set');
    }
    smtp = {
      host: smtpHost,
      port: smtpPort,
      secure,
      user: read('SMTP_USER'),
      password: read('SMTP_PASSWORD'),
      from: from ?? '',
    };
  }

  const notifyApiKey = read('NOTIFY_API_KEY');
  if (notifyApiKey !== undefined && !NOTIFY_KEY.test(notifyApiKey)) {
    problems.push('NOTIFY_API_KEY does not look like a GOV.UK Notify API key (name-serviceid-secret)');
  }

  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  const notifyEmailTemplateId = read('NOTIFY_EMAIL_TEMPLATE_ID');
  const notifyEmailReplyToId = read('NOTIFY_EMAIL_REPLY_TO_ID');
  const notifySmsTemplateId = read('NOTIFY_SMS_TEMPLATE_ID');
  const notifySmsSenderId = read('NOTIFY_SMS_SENDER_ID');
  for (const [name, value] of [
    ['NOTIFY_EMAIL_TEMPLATE_ID', notifyEmailTemplateId],
    ['NOTIFY_EMAIL_REPLY_TO_ID', notifyEmailReplyToId],
    ['NOTIFY_SMS_TEMPLATE_ID', notifySmsTemplateId],
    ['NOTIFY_SMS_SENDER_ID', notifySmsSenderId],
  ] as const) {
    if (value === undefined) continue;
    if (!UUID.test(value)) problems.push(`${name} must be a Notify ID (a UUID), not "${value}"`);
    if (notifyApiKey === undefined) problems.push(`${name} is set but NOTIFY_API_KEY is not`);
  }
  let notifyBaseUrl = read('NOTIFY_BASE_URL')?.replace(/\/+$/, '');
  if (notifyBaseUrl !== undefined) {
    try {
      const u = new URL(notifyBaseUrl);
      const local = ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
      if (u.protocol !== 'https:' && !(u.protocol === 'http:' && local)) {
        problems.push('NOTIFY_BASE_URL must use https:// (http:// only to localhost)');
      }
    } catch {
      problems.push(`NOTIFY_BASE_URL is not a valid URL: "${notifyBaseUrl}"`);
      notifyBaseUrl = undefined;
    }
  }

  const notifyCallbackToken = read('NOTIFY_CALLBACK_TOKEN');
  if (notifyCallbackToken !== undefined && notifyCallbackToken.length < 32) {
    problems.push(
      'NOTIFY_CALLBACK_TOKEN must be at least 32 characters (Notify asks for at least 10; make it hard to guess)',
    );
  }

  const logLevel = read('LOG_LEVEL') ?? (nodeEnv === 'test' ? 'silent' : 'info');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace or silent`);
  }
  const demoMode =
    parseBoolean(read('WARDROOM_DEMO') ?? (nodeEnv === 'production' ? 'false' : 'true'), 'WARDROOM_DEMO', problems) &&
    nodeEnv !== 'production';
  const runWorker = parseBoolean(read('WARDROOM_WORKER') ?? 'true', 'WARDROOM_WORKER', problems);
  const trustProxy = parseTrustProxy(read('TRUST_PROXY'), problems);
  const publicFormText = read('PUBLIC_FORM_MAX_PER_MINUTE') ?? String(DEFAULT_PUBLIC_FORM_MAX_PER_MINUTE);
  const publicFormMaxPerMinute = Number(publicFormText);
  if (!/^\d+$/.test(publicFormText) || publicFormMaxPerMinute < 1) {
    problems.push(`PUBLIC_FORM_MAX_PER_MINUTE must be a whole number above 0, not "${publicFormText}"`);
  }
  // Production uses every core for a surge of residents; elsewhere one process is simpler to debug.
  const webConcurrency = parseWebConcurrency(
    read('WEB_CONCURRENCY') ?? String(nodeEnv === 'production' ? cpus : 1),
    problems,
  );
  const httpWorkerNodeOptions = parseNodeOptions(read('HTTP_WORKER_NODE_OPTIONS') ?? '', problems);
  const publicFastPath = parseBoolean(read('PUBLIC_FAST_PATH') ?? 'true', 'PUBLIC_FAST_PATH', problems);
  const mailIn = parseMailIn(read, cwd, problems);
  const ncscReportAddress = read('NCSC_REPORT_ADDRESS') ?? 'report@phishing.gov.uk';
  if (!/^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$/.test(ncscReportAddress)) {
    problems.push(`NCSC_REPORT_ADDRESS must be one email address, not "${ncscReportAddress}"`);
  }

  if (problems.length > 0) throw new ConfigError(problems);

  return {
    env: nodeEnv as Config['env'],
    port,
    host,
    dataDir,
    database,
    publicBaseUrl,
    sessionSecret: sessionSecret as string,
    sessionSecretGenerated,
    smtp,
    notifyApiKey,
    notifyEmailTemplateId,
    notifyEmailReplyToId,
    notifySmsTemplateId,
    notifySmsSenderId,
    notifyBaseUrl,
    notifyCallbackToken,
    logLevel,
    demoMode,
    runWorker,
    webConcurrency,
    httpWorkerNodeOptions,
    publicFastPath,
    trustProxy,
    publicFormMaxPerMinute,
    mailIn,
    ncscReportAddress,
  };
}

export const DEFAULT_PUBLIC_FORM_MAX_PER_MINUTE = 10;

export const DEFAULT_INBOUND_MAIL_MAX_BYTES = 25 * 1024 * 1024;

function parseMailIn(read: (name: string) => string | undefined, cwd: string, problems: string[]): MailInConfig {
  const maxBytesText = read('INBOUND_MAIL_MAX_BYTES') ?? String(DEFAULT_INBOUND_MAIL_MAX_BYTES);
  let maxBytes = Number(maxBytesText);
  // Below 64 KiB a council could not take an ordinary reply; above 200 MiB one message would hold
  // too much memory while it is read.
  if (!/^\d+$/.test(maxBytesText) || maxBytes < 65_536 || maxBytes > 200 * 1024 * 1024) {
    problems.push(`INBOUND_MAIL_MAX_BYTES must be a number of bytes from 65536 to 209715200, not "${maxBytesText}"`);
    maxBytes = DEFAULT_INBOUND_MAIL_MAX_BYTES;
  }

  let smtp: MailInSmtpConfig | undefined;
  const smtpPort = read('MAIL_IN_SMTP_PORT');
  const tlsKeyFile = read('MAIL_IN_SMTP_TLS_KEY');
  const tlsCertFile = read('MAIL_IN_SMTP_TLS_CERT');
  if (smtpPort !== undefined) {
    const port = parsePort(smtpPort, 'MAIL_IN_SMTP_PORT', problems);
    if ((tlsKeyFile === undefined) !== (tlsCertFile === undefined)) {
      problems.push('MAIL_IN_SMTP_TLS_KEY and MAIL_IN_SMTP_TLS_CERT must be set together');
    }
    for (const [name, file] of [
      ['MAIL_IN_SMTP_TLS_KEY', tlsKeyFile],
      ['MAIL_IN_SMTP_TLS_CERT', tlsCertFile],
    ] as const) {
      if (file !== undefined && !existsSync(path.resolve(cwd, file))) problems.push(`${name}: no file at "${file}"`);
    }
    const allowed = (read('MAIL_IN_SMTP_ALLOWED_CLIENTS') ?? '')
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean);
    for (const entry of allowed) {
      const [address = '', bits] = entry.split('/');
      const family = isIP(address);
      const maxBits = family === 6 ? 128 : 32;
      if (family === 0 || (bits !== undefined && (!/^\d{1,3}$/.test(bits) || Number(bits) > maxBits))) {
        problems.push(`MAIL_IN_SMTP_ALLOWED_CLIENTS: "${entry}" is not an IP address or CIDR range`);
      }
    }
    const perMinuteText = read('MAIL_IN_SMTP_MAX_PER_MINUTE') ?? '1200';
    const perMinute = Number(perMinuteText);
    if (!/^\d+$/.test(perMinuteText) || perMinute < 1) {
      problems.push(`MAIL_IN_SMTP_MAX_PER_MINUTE must be a whole number above 0, not "${perMinuteText}"`);
    }
    smtp = {
      port,
      host: read('MAIL_IN_SMTP_HOST') ?? '127.0.0.1',
      tlsKeyFile: tlsKeyFile === undefined ? undefined : path.resolve(cwd, tlsKeyFile),
      tlsCertFile: tlsCertFile === undefined ? undefined : path.resolve(cwd, tlsCertFile),
      allowedClients: allowed,
      maxMessagesPerMinute: perMinute,
    };
  } else {
    for (const name of [
      'MAIL_IN_SMTP_HOST',
      'MAIL_IN_SMTP_TLS_KEY',
      'MAIL_IN_SMTP_TLS_CERT',
      'MAIL_IN_SMTP_ALLOWED_CLIENTS',
      'MAIL_IN_SMTP_MAX_PER_MINUTE',
    ]) {
      if (read(name) !== undefined) problems.push(`${name} is set but MAIL_IN_SMTP_PORT is not`);
    }
  }

  const imap = parseImapMailboxes(read('IMAP_MAILBOXES'), problems);
  const pollText = read('IMAP_POLL_SECONDS') ?? '60';
  const imapPollSeconds = Number(pollText);
  if (!/^\d+$/.test(pollText) || imapPollSeconds < 10 || imapPollSeconds > 3600) {
    problems.push(`IMAP_POLL_SECONDS must be a whole number from 10 to 3600, not "${pollText}"`);
  }
  return { maxBytes, smtp, imap, imapPollSeconds };
}

/**
 * `IMAP_MAILBOXES` is a comma-separated list of `mailbox=imaps://user:password@host:993/INBOX`, with
 * the user and password URL-encoded, and optionally `?move-to=Folder` to move processed messages.
 */
function parseImapMailboxes(value: string | undefined, problems: string[]): ImapAccountConfig[] {
  if (value === undefined) return [];
  const accounts: ImapAccountConfig[] = [];
  for (const entry of value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const equals = entry.indexOf('=');
    const mailbox = equals > 0 ? entry.slice(0, equals).trim() : '';
    // Never repeat the entry itself in a message: it holds a password.
    const label = mailbox || `entry ${accounts.length + 1}`;
    if (!/^[a-z][a-z0-9-]*$/.test(mailbox)) {
      problems.push(
        `IMAP_MAILBOXES: each entry must be mailbox=imaps://user:password@host/folder, with a mailbox name such as "enquiries" (${label})`,
      );
      continue;
    }
    let url: URL;
    try {
      url = new URL(entry.slice(equals + 1).trim());
    } catch {
      problems.push(`IMAP_MAILBOXES: the address for ${label} is not a valid imaps:// or imap:// URL`);
      continue;
    }
    if (url.protocol !== 'imaps:' && url.protocol !== 'imap:') {
      problems.push(`IMAP_MAILBOXES: the address for ${label} must start with imaps:// or imap://`);
      continue;
    }
    if (!url.username || !url.password) {
      problems.push(`IMAP_MAILBOXES: the address for ${label} must include a user name and password`);
      continue;
    }
    const secure = url.protocol === 'imaps:';
    const port = url.port ? Number(url.port) : secure ? 993 : 143;
    const folder = decodeURIComponent(url.pathname.replace(/^\/+/, '')) || 'INBOX';
    const moveTo = url.searchParams.get('move-to')?.trim() || undefined;
    const user = decodeURIComponent(url.username);
    accounts.push({
      mailbox,
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port,
      secure,
      user,
      password: decodeURIComponent(url.password),
      folder,
      moveTo,
      key: `${user}@${url.host}/${folder}`,
    });
  }
  return accounts;
}

function parsePort(value: string, name: string, problems: string[]): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 0 || n > 65535) {
    problems.push(`${name} must be a whole number from 0 to 65535, not "${value}"`);
    return 0;
  }
  return n;
}

function parseNodeOptions(value: string, problems: string[]): string[] {
  const options = value.split(/\s+/).filter(Boolean);
  const wrong = options.filter((option) => !/^--[a-z0-9][a-z0-9-_]*(=[A-Za-z0-9._-]+)?$/.test(option));
  if (wrong.length > 0) {
    problems.push(
      `HTTP_WORKER_NODE_OPTIONS must be Node options such as --max-semi-space-size=32, not "${wrong.join(' ')}"`,
    );
    return [];
  }
  return options;
}

function parseWebConcurrency(value: string, problems: string[]): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 64) {
    problems.push(`WEB_CONCURRENCY must be the number of web processes, from 1 to 64, not "${value}"`);
    return 1;
  }
  return n;
}

function parseTrustProxy(value: string | undefined, problems: string[]): false | number | string[] {
  if (value === undefined || ['0', 'false', 'no', 'off'].includes(value.toLowerCase())) return false;
  if (/^\d+$/.test(value)) return Number(value);
  const addresses = value
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  if (addresses.length > 0 && addresses.every((a) => /^[0-9a-f.:]+(\/\d{1,3})?$/i.test(a))) return addresses;
  problems.push(
    `TRUST_PROXY must be false, the number of proxies in front of Wardroom (e.g. 1), or their addresses (e.g. 10.0.0.1,10.0.0.0/24), not "${value}"`,
  );
  return false;
}

function parseBoolean(value: string, name: string, problems: string[]): boolean {
  const v = value.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  problems.push(`${name} must be true or false, not "${value}"`);
  return false;
}

/** In embedded mode the session secret lives beside the database, readable only by its owner. */
function readOrCreateSecret(dataDir: string): string {
  const file = path.join(dataDir, 'session-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  try {
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process started at the same moment and wrote it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw err;
  }
  return secret;
}

/** The PostgreSQL that database tests also run against, when set. */
export function testDatabaseUrl(env: Env = process.env): string | undefined {
  const url = env['TEST_DATABASE_URL']?.trim();
  return url ? url : undefined;
}
