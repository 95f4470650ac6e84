// GOV.UK Notify's delivery-status callbacks: Notify POSTs JSON (id, reference, status, …) with the
// bearer token set in the service's callback settings (NOTIFY_CALLBACK_TOKEN). A campaign message
// found by its reference (else Notify's id) moves to delivered, temporary-failure or
// permanent-failure. Idempotent: a repeated callback changes nothing. A temporary failure here is
// Notify having given up on the message for now (a full inbox, a phone off): it is recorded, not
// retried by itself, since the DPO sees it on the campaign page. No cookies, so no CSRF token: the
// bearer token, compared in constant time, is the authorisation.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../platform/db/database.ts';
import { nowIso } from '../../platform/ids.ts';
import * as repo from './campaigns.repository.ts';

export const NOTIFY_CALLBACK_PATH = '/notify/delivery-status';

const STATUSES = {
  delivered: 'delivered',
  'permanent-failure': 'permanent-failure',
  'temporary-failure': 'temporary-failure',
  'technical-failure': 'temporary-failure',
} as const;

/** Whether the Authorization header carries the token, compared in constant time (hashes of equal length). */
export function bearerMatches(header: string | undefined, token: string | undefined): boolean {
  if (!token || typeof header !== 'string') return false;
  const match = /^Bearer (.+)$/i.exec(header.trim());
  if (!match) return false;
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(match[1] as string), digest(token));
}

export async function notifyCallbackRoutes(
  app: FastifyInstance,
  opts: { database: Database; callbackToken: string | undefined },
): Promise<void> {
  const db = opts.database.db;
  app.post(
    NOTIFY_CALLBACK_PATH,
    { config: { csrf: false }, bodyLimit: 16 * 1024, schema: { hide: true } },
    async (request, reply) => {
      if (!bearerMatches(request.headers.authorization, opts.callbackToken)) {
        return reply.code(401).header('www-authenticate', 'Bearer').send({ status: 401, title: 'Unauthorised' });
      }
      const body = request.body as Record<string, unknown> | null;
      const id = typeof body?.['id'] === 'string' ? body['id'].slice(0, 100) : undefined;
      const reference = typeof body?.['reference'] === 'string' ? body['reference'].slice(0, 100) : undefined;
      const status = typeof body?.['status'] === 'string' ? body['status'] : '';
      if ((!id && !reference) || !Object.hasOwn(STATUSES, status)) {
        return reply
          .code(400)
          .send({ status: 400, title: 'The callback has no id or reference, or an unknown status' });
      }
      const to = STATUSES[status as keyof typeof STATUSES];
      const now = nowIso();
      const found =
        (reference ? await repo.findRecipientByReference(db, reference) : undefined) ??
        (id ? await repo.findRecipientByProviderId(db, id) : undefined);
      // Not a campaign message (platform mail has its own reference): accepted, nothing to change.
      if (found) {
        await repo.moveRecipients(
          db,
          found.campaignId,
          [found.personId],
          ['sending', 'sent', 'unknown'],
          {
            status: to,
            ...(id ? { providerId: id } : {}),
            lastError: to === 'delivered' ? null : `GOV.UK Notify: ${status}`,
          },
          now,
        );
      }
      return reply.code(204).send();
    },
  );
}
