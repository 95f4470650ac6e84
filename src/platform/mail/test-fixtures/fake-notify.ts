// A local stand-in for GOV.UK Notify's API v2, strict where the real one is strict, so a test
// against it can fail for the reasons a live send would: it checks the Bearer token's signature,
// issuer and age, validates the JSON body against the template, and answers with Notify's own
// response and error shapes. Its token check is written here from scratch, not shared with the
// client, so a signing mistake in the client cannot hide by being made on both sides.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const GENERIC_EMAIL_TEMPLATE_ID = 'f33517ff-2a88-4f6e-b855-c550268ce08a';
export const SMS_TEMPLATE_ID = '2b6c1a58-1c8e-4d2a-9b7e-0c3c5d1e2f40';
/** The platform's generic text message template: its whole body is ((body)). */
export const GENERIC_SMS_TEMPLATE_ID = '5d0e9a61-7c4b-4f7e-8a2d-3b9c1e6f0a52';
export const FROM_EMAIL = 'westminster.cyber.incident@notifications.service.gov.uk';

interface FakeTemplate {
  type: 'email' | 'sms';
  version: number;
  subject?: string;
  body: string;
}

const TEMPLATES = new Map<string, FakeTemplate>([
  [GENERIC_EMAIL_TEMPLATE_ID, { type: 'email', version: 3, subject: '((subject))', body: '((body))' }],
  [SMS_TEMPLATE_ID, { type: 'sms', version: 1, body: 'Westminster City Council: ((message))' }],
  [GENERIC_SMS_TEMPLATE_ID, { type: 'sms', version: 1, body: '((body))' }],
]);

const EMAIL_FIELDS = new Set([
  'template_id',
  'email_address',
  'personalisation',
  'reference',
  'email_reply_to_id',
  'one_click_unsubscribe_url',
]);
const SMS_FIELDS = new Set(['template_id', 'phone_number', 'personalisation', 'reference', 'sms_sender_id']);

export interface NotifyRequest {
  method: string;
  path: string;
  body: Record<string, unknown> | undefined;
  /** The answer the fake gave. */
  status: number;
}

export interface StoredNotification {
  id: string;
  type: 'email' | 'sms';
  reference: string | null;
  createdAt: string;
  /** To whom, and the message as sent, for tests that read what a person got. */
  to: string;
  body: string;
  subject: string | undefined;
}

export interface FakeNotify {
  baseUrl: string;
  serviceId: string;
  secretKey: string;
  /** A key for this service, in Notify's `{key_name}-{service_id}-{secret_key}` form. */
  apiKey: string;
  requests: NotifyRequest[];
  /** Every notification accepted, in order. */
  sent(): StoredNotification[];
  /** The next `times` authenticated requests get this answer instead (say 429, or 500). */
  answerNext(status: number, body: unknown, times?: number): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeNotify(): Promise<FakeNotify> {
  const serviceId = randomUUID();
  const secretKey = randomUUID();
  const requests: NotifyRequest[] = [];
  const notifications = new Map<string, StoredNotification>();
  let overrides: Array<{ status: number; body: unknown }> = [];
  let baseUrl = '';

  const server = createServer((req, res) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? '/';
    const method = req.method ?? 'GET';
    const raw = await readAll(req);
    let body: Record<string, unknown> | undefined;
    const reply = (status: number, payload: unknown): void => {
      requests.push({ method, path, body, status });
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
    };
    const fail = (status: number, error: string, message: string): void =>
      reply(status, { status_code: status, errors: [{ error, message }] });

    const authProblem = checkToken(req.headers.authorization, serviceId, secretKey);
    if (authProblem) return fail(authProblem.status, 'AuthError', authProblem.message);

    if (method === 'POST') {
      try {
        const parsed = JSON.parse(raw) as unknown;
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
        body = parsed as Record<string, unknown>;
      } catch {
        return fail(400, 'BadRequestError', 'Invalid JSON supplied in POST data');
      }
    }

    const override = overrides.shift();
    if (override) return reply(override.status, override.body);

    if (method === 'POST' && (path === '/v2/notifications/email' || path === '/v2/notifications/sms')) {
      const type = path.endsWith('email') ? 'email' : 'sms';
      const problem = validate(type, body as Record<string, unknown>);
      if (problem) return fail(400, problem.error, problem.message);
      const b = body as Record<string, unknown>;
      const template = TEMPLATES.get(b['template_id'] as string) as FakeTemplate;
      const personalisation = (b['personalisation'] ?? {}) as Record<string, unknown>;
      const id = randomUUID();
      const reference = typeof b['reference'] === 'string' ? b['reference'] : null;
      notifications.set(id, {
        id,
        type,
        reference,
        createdAt: new Date().toISOString(),
        to: String(type === 'email' ? b['email_address'] : b['phone_number']),
        body: fill(template.body, personalisation),
        subject: type === 'email' ? fill(template.subject ?? '', personalisation) : undefined,
      });
      const templateId = b['template_id'] as string;
      return reply(201, {
        id,
        reference,
        content: {
          body: fill(template.body, personalisation),
          ...(type === 'email'
            ? {
                subject: fill(template.subject ?? '', personalisation),
                from_email: FROM_EMAIL,
                ...(typeof b['one_click_unsubscribe_url'] === 'string'
                  ? { one_click_unsubscribe_url: b['one_click_unsubscribe_url'] }
                  : {}),
              }
            : { from_number: 'WCC' }),
        },
        uri: `${baseUrl}/v2/notifications/${id}`,
        template: {
          id: templateId,
          version: template.version,
          uri: `${baseUrl}/services/${serviceId}/templates/${templateId}`,
        },
        scheduled_for: null,
      });
    }

    const byReference = /^\/v2\/notifications\?reference=([^&]+)$/.exec(path);
    if (method === 'GET' && byReference) {
      const reference = decodeURIComponent(byReference[1] as string);
      const found = [...notifications.values()].filter((n) => n.reference === reference).reverse();
      return reply(200, {
        notifications: found.map((n) => ({
          id: n.id,
          reference: n.reference,
          type: n.type,
          status: 'delivered',
          created_at: n.createdAt,
          sent_at: n.createdAt,
          completed_at: n.createdAt,
        })),
        links: { current: `${baseUrl}${path}` },
      });
    }

    const lookup = /^\/v2\/notifications\/([0-9a-f-]{36})$/.exec(path);
    if (method === 'GET' && lookup) {
      const found = notifications.get(lookup[1] as string);
      if (!found) return fail(404, 'NoResultFound', 'No result found');
      return reply(200, {
        id: found.id,
        reference: found.reference,
        type: found.type,
        status: 'delivered',
        created_at: found.createdAt,
        created_by_name: null,
        sent_at: found.createdAt,
        completed_at: found.createdAt,
      });
    }
    return fail(404, 'NotFound', 'The requested URL was not found on the server.');
  }

  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  baseUrl = `http://127.0.0.1:${port}`;

  return {
    baseUrl,
    serviceId,
    secretKey,
    apiKey: `wardroom-test-key-${serviceId}-${secretKey}`,
    requests,
    sent: () => [...notifications.values()],
    answerNext(status, body, times = 1) {
      for (let i = 0; i < times; i += 1) overrides.push({ status, body });
    },
    reset() {
      requests.length = 0;
      overrides = [];
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Notify's checks, in its order: a Bearer token, HS256, the right service, signed, and fresh. */
function checkToken(
  authorization: string | undefined,
  serviceId: string,
  secretKey: string,
): { status: number; message: string } | undefined {
  const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
  if (token === undefined) return { status: 401, message: 'Unauthorized: authentication token must be provided' };
  const [header, claims, signature, ...rest] = token.split('.');
  if (header === undefined || claims === undefined || signature === undefined || rest.length > 0) {
    return { status: 403, message: 'Invalid token: signature, api token is not valid' };
  }
  let headerJson: { alg?: unknown; typ?: unknown };
  let claimsJson: { iss?: unknown; iat?: unknown };
  try {
    headerJson = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as typeof headerJson;
    claimsJson = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as typeof claimsJson;
  } catch {
    return { status: 403, message: 'Invalid token: signature, api token is not valid' };
  }
  if (headerJson.alg !== 'HS256' || headerJson.typ !== 'JWT') {
    return { status: 403, message: 'Invalid token: algorithm used is not HS256' };
  }
  if (claimsJson.iss !== serviceId) {
    return { status: 403, message: 'Invalid token: service not found' };
  }
  const expected = createHmac('sha256', secretKey).update(`${header}.${claims}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { status: 403, message: 'Invalid token: signature, api token not found' };
  }
  if (typeof claimsJson.iat !== 'number' || Math.abs(Date.now() / 1000 - claimsJson.iat) > 30) {
    return { status: 403, message: 'Error: Your system clock must be accurate to within 30 seconds' };
  }
  return undefined;
}

function validate(
  type: 'email' | 'sms',
  body: Record<string, unknown>,
): { error: string; message: string } | undefined {
  const allowed = type === 'email' ? EMAIL_FIELDS : SMS_FIELDS;
  const unexpected = Object.keys(body).filter((key) => !allowed.has(key));
  if (unexpected.length > 0) {
    return {
      error: 'ValidationError',
      message: `Additional properties are not allowed (${unexpected.join(', ')} was unexpected)`,
    };
  }
  const templateId = body['template_id'];
  if (typeof templateId !== 'string')
    return { error: 'ValidationError', message: 'template_id is a required property' };
  const template = TEMPLATES.get(templateId);
  if (!template) return { error: 'BadRequestError', message: 'Template not found' };
  if (template.type !== type) {
    return { error: 'BadRequestError', message: `${type} template is not suitable for ${template.type} notification` };
  }
  if (type === 'email') {
    const address = body['email_address'];
    if (typeof address !== 'string' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) {
      return { error: 'ValidationError', message: 'email_address Not a valid email address' };
    }
    const unsubscribe = body['one_click_unsubscribe_url'];
    if (unsubscribe !== undefined && (typeof unsubscribe !== 'string' || !unsubscribe.startsWith('https://'))) {
      return { error: 'ValidationError', message: 'one_click_unsubscribe_url is not a valid https url' };
    }
  } else {
    const phone = body['phone_number'];
    if (typeof phone !== 'string' || !/^(?:\+44|0)7\d{9}$/.test(phone.replace(/\s+/g, ''))) {
      return { error: 'ValidationError', message: 'phone_number Not a UK mobile number' };
    }
  }
  const reference = body['reference'];
  if (reference !== undefined && (typeof reference !== 'string' || reference.length > 1000)) {
    return { error: 'ValidationError', message: 'reference is not a string of at most 1000 characters' };
  }
  const personalisation = body['personalisation'] ?? {};
  if (typeof personalisation !== 'object' || personalisation === null || Array.isArray(personalisation)) {
    return { error: 'ValidationError', message: 'personalisation is not of type object' };
  }
  const missing = placeholders(`${template.subject ?? ''} ${template.body}`).filter(
    (name) => !(name in (personalisation as Record<string, unknown>)),
  );
  if (missing.length > 0)
    return { error: 'BadRequestError', message: `Missing personalisation: ${missing.join(', ')}` };
  return undefined;
}

function placeholders(text: string): string[] {
  return [...new Set([...text.matchAll(/\(\(([^()]+)\)\)/g)].map((match) => match[1] as string))];
}

function fill(text: string, personalisation: Record<string, unknown>): string {
  return text.replace(/\(\(([^()]+)\)\)/g, (_match, name: string) => String(personalisation[name] ?? ''));
}

async function readAll(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
