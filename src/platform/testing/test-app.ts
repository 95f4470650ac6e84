// Test support: the real app on a real test database, and a browser-like client for app.inject()
// that keeps cookies and reads CSRF tokens from the pages it gets.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp, type AppDeps } from '../../app.ts';
import * as accounts from '../accounts/accounts.repository.ts';
import { hashPassword } from '../auth/passwords.ts';
import { createSecretBox } from '../auth/secret-box.ts';
import { generateTotpSecret, totpCode, totpStep } from '../auth/totp.ts';
import { loadConfig, type Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { newId, nowIso } from '../ids.ts';
import type { Role } from '../policy/policy.ts';
import type { RateLimitPolicy } from '../http/rate-limit.ts';

export const TEST_SESSION_SECRET = 'test-secret-test-secret-test-secret-0123456789';

export interface TestApp {
  app: FastifyInstance;
  config: Config;
  close(): Promise<void>;
}

export async function createTestApp(
  database: Database,
  options: {
    rateLimitPolicies?: Record<string, RateLimitPolicy>;
    env?: Record<string, string>;
    reportCampaigns?: AppDeps['reportCampaigns'];
  } = {},
): Promise<TestApp> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wardroom-app-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    WARDROOM_DATA_DIR: dataDir,
    SESSION_SECRET: TEST_SESSION_SECRET,
    PUBLIC_BASE_URL: 'http://localhost:3000',
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const app = await buildApp({
    config,
    database,
    rateLimitPolicies: options.rateLimitPolicies ?? {
      'sign-in': { max: 10_000, windowMs: 60_000 },
      'public-form': { max: 10_000, windowMs: 60_000 },
    },
    reportCampaigns: options.reportCampaigns,
  });
  await app.ready();
  return {
    app,
    config,
    close: async () => {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A client that behaves like a browser without JavaScript: cookies kept, forms carry the CSRF token. */
export class TestClient {
  readonly cookies = new Map<string, string>();
  csrfToken = '';

  constructor(
    readonly app: FastifyInstance,
    readonly ip = '127.0.0.1',
  ) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(response: LightMyRequestResponse): void {
    for (const c of response.cookies as Array<{ name: string; value: string; maxAge?: number; expires?: Date }>) {
      const expired = c.maxAge === 0 || (c.expires && c.expires.getTime() < Date.now()) || c.value === '';
      if (expired) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    const match = /name="_csrf" value="([^"]+)"/.exec(response.body);
    if (match?.[1]) this.csrfToken = match[1];
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const response = await this.app.inject({
      method: 'GET',
      url,
      headers: { cookie: this.cookieHeader(), ...headers },
      remoteAddress: this.ip,
    });
    this.remember(response);
    return response;
  }

  /** Posts a form. The CSRF token from the last page is added unless `_csrf` is given (or null to leave it out). */
  async post(
    url: string,
    form: Record<string, string | string[] | null> = {},
    headers: Record<string, string> = {},
  ): Promise<LightMyRequestResponse> {
    const params = new URLSearchParams();
    const withToken = '_csrf' in form ? form : { _csrf: this.csrfToken, ...form };
    for (const [k, v] of Object.entries(withToken)) {
      if (v === null) continue;
      for (const one of Array.isArray(v) ? v : [v]) params.append(k, one);
    }
    const response = await this.app.inject({
      method: 'POST',
      url,
      payload: params.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: this.cookieHeader(), ...headers },
      remoteAddress: this.ip,
    });
    this.remember(response);
    return response;
  }

  /** Posts a form with files, as a browser does (multipart/form-data), with the CSRF token as `post` adds it. */
  async postMultipart(
    url: string,
    fields: Record<string, string | string[] | null> = {},
    files: Record<string, TestUpload | null> = {},
  ): Promise<LightMyRequestResponse> {
    const boundary = `----WardroomTest${Math.random().toString(36).slice(2)}`;
    const parts: Buffer[] = [];
    const withToken = '_csrf' in fields ? fields : { _csrf: this.csrfToken, ...fields };
    for (const [name, value] of Object.entries(withToken)) {
      if (value === null) continue;
      for (const one of Array.isArray(value) ? value : [value])
        parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${one}\r\n`));
    }
    for (const [name, file] of Object.entries(files)) {
      // A file input left empty still sends a part, with no file name and no content.
      const f = file ?? { filename: '', contentType: 'application/octet-stream', data: Buffer.alloc(0) };
      parts.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${f.filename}"\r\nContent-Type: ${f.contentType}\r\n\r\n`,
        ),
        f.data,
        Buffer.from('\r\n'),
      );
    }
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    const response = await this.app.inject({
      method: 'POST',
      url,
      payload: Buffer.concat(parts),
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, cookie: this.cookieHeader() },
      remoteAddress: this.ip,
    });
    this.remember(response);
    return response;
  }

  /** Posts a form with one CSV file, as a browser sends it, with the CSRF token first. */
  postFile(
    url: string,
    form: Record<string, string | string[]>,
    file: { field: string; name: string; content: Buffer },
  ): Promise<LightMyRequestResponse> {
    return this.postMultipart(url, form, {
      [file.field]: { filename: file.name, contentType: 'text/csv', data: file.content },
    });
  }
}

/** A file for TestClient.postMultipart. */
export interface TestUpload {
  filename: string;
  contentType: string;
  data: Buffer;
}

export interface TestStaff {
  id: string;
  email: string;
  password: string;
  totpSecret: string;
  /** A code for the next unused time step (a code is never accepted twice). */
  nextCode(): string;
}

/** Creates an active staff account with a password and an enrolled authenticator. */
export async function createStaff(
  database: Database,
  spec: { roles: Array<{ organisationId: string; role: Role }>; email?: string; enrolled?: boolean },
): Promise<TestStaff> {
  const email = spec.email ?? `staff-${newId().slice(-12)}@example.gov.uk`;
  const password = 'correct-horse-battery-staple-9';
  const totpSecret = generateTotpSecret();
  const user = await accounts.insertUser(database.db, {
    email,
    displayName: `Test ${email.split('@')[0]}`,
    status: 'active',
  });
  await accounts.updateUser(database.db, user.id, {
    password_hash: await hashPassword(password),
    ...(spec.enrolled === false
      ? {}
      : { totp_secret_box: createSecretBox(TEST_SESSION_SECRET, 'totp').seal(totpSecret), totp_enrolled_at: nowIso() }),
  });
  for (const m of spec.roles) await accounts.addMembership(database.db, user.id, m.organisationId, m.role);
  let used = totpStep() - 1;
  return {
    id: user.id,
    email,
    password,
    totpSecret,
    nextCode() {
      // Each call uses a later step within the accepted window, so consecutive sign-ins work.
      used = Math.max(used + 1, totpStep() - 1);
      return totpCode(totpSecret, used);
    },
  };
}

/** Signs a client in through the real pages: password, then MFA code. */
export async function signIn(client: TestClient, staff: TestStaff): Promise<void> {
  await client.get('/sign-in');
  const password = await client.post('/sign-in', { email: staff.email, password: staff.password });
  if (password.statusCode !== 303 || password.headers.location !== '/sign-in/mfa') {
    throw new Error(`password step failed: ${password.statusCode} ${String(password.headers.location)}`);
  }
  await client.get('/sign-in/mfa');
  const code = await client.post('/sign-in/mfa', { code: staff.nextCode() });
  if (code.statusCode !== 303) throw new Error(`MFA step failed: ${code.statusCode}`);
}

export async function createOrganisation(
  database: Database,
  slug: string,
  kind: 'council' | 'agency' | 'provider' = 'council',
) {
  return accounts.upsertOrganisation(database.db, {
    slug,
    name: `${slug} council`,
    shortName: slug,
    kind,
    websiteUrl: null,
    officialDomains: [`${slug}.gov.uk`],
  });
}
