// A client for GOV.UK Notify's REST API (v2): send an email or a text message from a Notify
// template, and look a notification up. It never retries: Notify has no idempotency key, so a
// POST tried twice can send twice. Retrying is the job queue's business, after the job has
// recorded what was sent.
import { createHmac } from 'node:crypto';
import { PermanentDeliveryError, TemporaryDeliveryError } from './mail-sender.ts';
import { InvalidMessageError, referenceProblems } from './outbound-message.ts';

export const NOTIFY_BASE_URL = 'https://api.notifications.service.gov.uk';

export interface NotifyClientOptions {
  /** `{key_name}-{service_id}-{secret_key}`, as Notify shows it once when the key is made. */
  apiKey: string;
  /** Notify's API by default; tests point it at a local server. */
  baseUrl?: string | undefined;
  /** How long to wait for Notify's answer to one request. */
  timeoutMs?: number | undefined;
}

/** Values for a template's ((placeholders)). Lists become bullet points; files are not allowed. */
export type NotifyPersonalisation = Record<string, string | number | readonly string[]>;

export interface NotifyEmailRequest {
  templateId: string;
  emailAddress: string;
  personalisation?: NotifyPersonalisation | undefined;
  /** Shown in Notify and in delivery callbacks; it must never hold personal data. */
  reference: string;
  /** The id of a reply-to address set up in the Notify service; the service's default when not given. */
  emailReplyToId?: string | undefined;
  /** An https link for one-click unsubscribe (RFC 8058); Notify adds the List-Unsubscribe headers. */
  oneClickUnsubscribeUrl?: string | undefined;
}

export interface NotifySmsRequest {
  templateId: string;
  phoneNumber: string;
  personalisation?: NotifyPersonalisation | undefined;
  reference: string;
  smsSenderId?: string | undefined;
}

/** What Notify answers when it has accepted a message. Accepted is not delivered. */
export interface NotifySentNotification {
  id: string;
  reference: string | null;
  uri: string;
  template: { id: string; version: number; uri: string };
  content: {
    body: string;
    subject?: string | undefined;
    fromEmail?: string | undefined;
    fromNumber?: string | undefined;
  };
}

export interface NotifyNotification {
  id: string;
  reference: string | null;
  type: string;
  /** Such as created, sending, delivered, permanent-failure, temporary-failure, technical-failure. */
  status: string;
  createdAt: string;
  sentAt: string | null;
  completedAt: string | null;
}

export interface NotifyClient {
  sendEmail(request: NotifyEmailRequest): Promise<NotifySentNotification>;
  sendSms(request: NotifySmsRequest): Promise<NotifySentNotification>;
  getNotification(id: string): Promise<NotifyNotification>;
  /**
   * The notifications sent with this reference (Notify's GET /v2/notifications?reference=), newest
   * first. How a send whose outcome was lost in a crash is found again: the reference is the
   * platform's own, made to be unique and to hold no personal data.
   */
  findByReference(reference: string): Promise<NotifyNotification[]>;
}

export interface NotifyApiKey {
  keyName: string;
  serviceId: string;
  secretKey: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const MAX_ERROR_BODY_LENGTH = 500;

/**
 * Splits an API key into its parts. The key name may itself contain hyphens, so the two UUIDs
 * are taken from the end. The error never repeats the key: it is a secret.
 */
export function parseNotifyApiKey(apiKey: string): NotifyApiKey {
  const key = apiKey.trim();
  const serviceId = key.slice(-73, -37);
  const secretKey = key.slice(-36);
  const keyName = key.slice(0, -74);
  if (keyName === '' || key.charAt(key.length - 74) !== '-' || key.charAt(key.length - 37) !== '-') {
    throw new InvalidMessageError(['the GOV.UK Notify API key is not in the form key_name-service_id-secret_key']);
  }
  if (!UUID.test(serviceId) || !UUID.test(secretKey)) {
    throw new InvalidMessageError(['the GOV.UK Notify API key does not end with a service id and a secret key']);
  }
  return { keyName, serviceId, secretKey };
}

export function createNotifyClient(options: NotifyClientOptions): NotifyClient {
  const { serviceId, secretKey } = parseNotifyApiKey(options.apiKey);
  const baseUrl = checkBaseUrl(options.baseUrl ?? NOTIFY_BASE_URL);
  const timeoutMs = options.timeoutMs ?? 30_000;

  async function request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    // A fresh token per request: Notify refuses one whose iat is more than 30 seconds old.
    const token = createNotifyToken(serviceId, secretKey, Math.floor(Date.now() / 1000));
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: 'application/json',
          'User-Agent': 'wardroom',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        // The token must not follow a redirect to another host.
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const reason = error instanceof Error ? `${error.message}${causeOf(error)}` : String(error);
      // For a POST this is ambiguous (Notify may have accepted it before the answer was lost).
      // It is still temporary: the job tries again, and the rare duplicate is the accepted cost.
      throw new TemporaryDeliveryError(`GOV.UK Notify could not be reached (${method} ${path}): ${reason}`, {
        provider: 'notify',
        cause: error,
      });
    }
    const text = await readBody(response);
    if (response.ok) {
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        throw unreadableAnswer(method, path, error);
      }
    }
    throw notifyError(method, path, response.status, text);
  }

  return {
    async sendEmail(input) {
      const problems = [
        ...templateProblems(input.templateId),
        ...referenceProblems(input.reference),
        ...personalisationProblems(input.personalisation),
      ];
      if (input.emailReplyToId !== undefined && !UUID.test(input.emailReplyToId)) {
        problems.push('the Notify reply-to id must be a UUID');
      }
      if (input.oneClickUnsubscribeUrl !== undefined && !isHttpsUrl(input.oneClickUnsubscribeUrl)) {
        problems.push('the one-click unsubscribe link must be an https:// URL');
      }
      if (problems.length > 0) throw new InvalidMessageError(problems);
      const answer = await request('POST', '/v2/notifications/email', {
        template_id: input.templateId,
        email_address: input.emailAddress,
        personalisation: input.personalisation ?? {},
        reference: input.reference,
        ...(input.emailReplyToId === undefined ? {} : { email_reply_to_id: input.emailReplyToId }),
        ...(input.oneClickUnsubscribeUrl === undefined
          ? {}
          : { one_click_unsubscribe_url: input.oneClickUnsubscribeUrl }),
      });
      return toSentNotification(answer, 'POST', '/v2/notifications/email');
    },

    async sendSms(input) {
      const problems = [
        ...templateProblems(input.templateId),
        ...referenceProblems(input.reference),
        ...personalisationProblems(input.personalisation),
      ];
      if (input.phoneNumber.trim() === '') problems.push('the phone number must not be blank');
      if (input.smsSenderId !== undefined && !UUID.test(input.smsSenderId)) {
        problems.push('the Notify text message sender id must be a UUID');
      }
      if (problems.length > 0) throw new InvalidMessageError(problems);
      const answer = await request('POST', '/v2/notifications/sms', {
        template_id: input.templateId,
        phone_number: input.phoneNumber,
        personalisation: input.personalisation ?? {},
        reference: input.reference,
        ...(input.smsSenderId === undefined ? {} : { sms_sender_id: input.smsSenderId }),
      });
      return toSentNotification(answer, 'POST', '/v2/notifications/sms');
    },

    async getNotification(id) {
      if (!UUID.test(id)) throw new InvalidMessageError(['a Notify notification id must be a UUID']);
      const path = `/v2/notifications/${id}`;
      return toNotification(await request('GET', path), path);
    },

    async findByReference(reference) {
      const problems = referenceProblems(reference);
      if (problems.length > 0) throw new InvalidMessageError(problems);
      const path = `/v2/notifications?reference=${encodeURIComponent(reference)}`;
      const answer = (await request('GET', path)) as { notifications?: unknown };
      if (!Array.isArray(answer?.notifications)) throw unreadableAnswer('GET', path);
      return answer.notifications.map((n: unknown) => toNotification(n, path));
    },
  };
}

/** A JSON Web Token as Notify expects it: HS256, issued by the service, signed with the secret. */
function createNotifyToken(serviceId: string, secretKey: string, issuedAtSeconds: number): string {
  const header = base64url(JSON.stringify({ typ: 'JWT', alg: 'HS256' }));
  const claims = base64url(JSON.stringify({ iss: serviceId, iat: issuedAtSeconds }));
  const signature = createHmac('sha256', secretKey).update(`${header}.${claims}`).digest('base64url');
  return `${header}.${claims}.${signature}`;
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

function checkBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidMessageError([`the GOV.UK Notify base URL is not a URL: "${value}"`]);
  }
  // Plain http only to this machine: the token is a bearer credential.
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
    throw new InvalidMessageError([`the GOV.UK Notify base URL must use https://, not "${url.protocol}"`]);
  }
  return url.href.replace(/\/+$/, '');
}

function templateProblems(templateId: string): string[] {
  return UUID.test(templateId) ? [] : ['the Notify template id must be a UUID'];
}

/** Notify can attach a file given in the personalisation; Wardroom's messages never carry one. */
function personalisationProblems(personalisation: NotifyPersonalisation | undefined): string[] {
  if (personalisation === undefined) return [];
  const problems: string[] = [];
  for (const [name, value] of Object.entries(personalisation)) {
    const ok =
      typeof value === 'string' ||
      (typeof value === 'number' && Number.isFinite(value)) ||
      (Array.isArray(value) && value.every((item) => typeof item === 'string'));
    if (!ok) problems.push(`the personalisation "${name}" must be text, a number or a list of text (no files)`);
  }
  return problems;
}

function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}

async function readBody(response: Response): Promise<string> {
  try {
    return await response.text();
  } catch {
    return '';
  }
}

function causeOf(error: Error): string {
  return error.cause instanceof Error ? ` (${error.cause.message})` : '';
}

/**
 * 400 (the request is wrong) and 403 (the key or token is refused) will fail the same way every
 * time, as will other 4xx answers; 429 (rate or daily limit) and 5xx may pass later.
 */
function notifyError(
  method: string,
  path: string,
  status: number,
  body: string,
): TemporaryDeliveryError | PermanentDeliveryError {
  const reasons = errorMessages(body);
  const message = `GOV.UK Notify answered ${status} to ${method} ${path}${reasons ? `: ${reasons}` : ''}`;
  const details = { provider: 'notify' as const, status };
  if (status === 429 || status >= 500) return new TemporaryDeliveryError(message, details);
  return new PermanentDeliveryError(message, details);
}

/** Notify's errors look like `{ status_code, errors: [{ error, message }] }`. */
function errorMessages(body: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: unknown };
    if (Array.isArray(parsed.errors)) {
      const messages = parsed.errors
        .map((entry: unknown) => {
          const { error, message } = (entry ?? {}) as { error?: unknown; message?: unknown };
          if (typeof message !== 'string') return undefined;
          return typeof error === 'string' ? `${error}: ${message}` : message;
        })
        .filter((text): text is string => text !== undefined);
      if (messages.length > 0) return messages.join('; ').slice(0, MAX_ERROR_BODY_LENGTH);
    }
  } catch {
    // Not Notify's JSON (say, a proxy's HTML error page): the status says enough.
  }
  return '';
}

/**
 * Notify said yes but its answer cannot be read. For a send, the message has probably gone:
 * sending again could duplicate it, so this is permanent and says so.
 */
function unreadableAnswer(method: string, path: string, cause?: unknown): PermanentDeliveryError {
  const hint = method === 'POST' ? ' The message may have been sent: check GOV.UK Notify before sending again.' : '';
  return new PermanentDeliveryError(
    `GOV.UK Notify accepted ${method} ${path} but its answer is not what its API describes.${hint}`,
    { provider: 'notify', cause },
  );
}

function toSentNotification(answer: unknown, method: string, path: string): NotifySentNotification {
  const a = (answer ?? {}) as Record<string, unknown>;
  const template = (a['template'] ?? {}) as Record<string, unknown>;
  const content = (a['content'] ?? {}) as Record<string, unknown>;
  if (
    typeof a['id'] !== 'string' ||
    typeof a['uri'] !== 'string' ||
    typeof template['id'] !== 'string' ||
    typeof template['version'] !== 'number' ||
    typeof template['uri'] !== 'string' ||
    typeof content['body'] !== 'string'
  ) {
    throw unreadableAnswer(method, path);
  }
  return {
    id: a['id'],
    reference: typeof a['reference'] === 'string' ? a['reference'] : null,
    uri: a['uri'],
    template: { id: template['id'], version: template['version'], uri: template['uri'] },
    content: {
      body: content['body'],
      subject: optionalString(content['subject']),
      fromEmail: optionalString(content['from_email']),
      fromNumber: optionalString(content['from_number']),
    },
  };
}

function toNotification(answer: unknown, path: string): NotifyNotification {
  const a = (answer ?? {}) as Record<string, unknown>;
  if (
    typeof a['id'] !== 'string' ||
    typeof a['type'] !== 'string' ||
    typeof a['status'] !== 'string' ||
    typeof a['created_at'] !== 'string'
  ) {
    throw unreadableAnswer('GET', path);
  }
  return {
    id: a['id'],
    reference: typeof a['reference'] === 'string' ? a['reference'] : null,
    type: a['type'],
    status: a['status'],
    createdAt: a['created_at'],
    sentAt: optionalString(a['sent_at']) ?? null,
    completedAt: optionalString(a['completed_at']) ?? null,
  };
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
