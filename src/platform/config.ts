// Configuration: the only module that reads process.env. It validates everything at start and
// fails fast with a message that names the variable and what is wrong with it.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
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
   * Which X-Forwarded-For hops to believe (for client IPs in the audit log and rate limits): false,
   * the number of proxies in front, or their addresses. Never "all", which lets clients choose their IP.
   */
  trustProxy: false | number | string[];
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

  const logLevel = read('LOG_LEVEL') ?? (nodeEnv === 'test' ? 'silent' : 'info');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace or silent`);
  }
  const demoMode =
    parseBoolean(read('WARDROOM_DEMO') ?? (nodeEnv === 'production' ? 'false' : 'true'), 'WARDROOM_DEMO', problems) &&
    nodeEnv !== 'production';
  const runWorker = parseBoolean(read('WARDROOM_WORKER') ?? 'true', 'WARDROOM_WORKER', problems);
  const trustProxy = parseTrustProxy(read('TRUST_PROXY'), problems);
  // Production uses every core for a surge of residents; elsewhere one process is simpler to debug.
  const webConcurrency = parseWebConcurrency(
    read('WEB_CONCURRENCY') ?? String(nodeEnv === 'production' ? cpus : 1),
    problems,
  );

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
    logLevel,
    demoMode,
    runWorker,
    webConcurrency,
    trustProxy,
  };
}

function parsePort(value: string, name: string, problems: string[]): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 0 || n > 65535) {
    problems.push(`${name} must be a whole number from 0 to 65535, not "${value}"`);
    return 0;
  }
  return n;
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
