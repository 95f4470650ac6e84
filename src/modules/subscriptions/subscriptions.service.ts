// Subscriptions to a council's incident updates, by email or (where Notify is configured) by text
// message, with double opt-in: sign-up, confirmation, unsubscribing, and queueing the messages. No
// HTTP and no SQL here. Residents act for themselves, so nothing here is audited, and nothing here
// logs an address or a number.
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Organisation } from '../../platform/accounts/accounts.repository.ts';
import type { DB } from '../../platform/db/schema.ts';
import type { FieldError } from '../../platform/http/form-result.ts';
import { newId, nowIso } from '../../platform/ids.ts';
import { enqueueEmail } from '../../platform/mail/mail-jobs.ts';
import { isEmailAddress } from '../../platform/mail/outbound-message.ts';
import { newVerificationReference } from '../../platform/mail/verification-reference.ts';
import { normaliseUkMobile } from '../../platform/sms/outbound-sms.ts';
import { enqueueSms } from '../../platform/sms/sms-jobs.ts';
import { confirmationEmail, confirmationSms, updateEmail, updateSms } from './subscription-messages.ts';
import * as repo from './subscriptions.repository.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export const CONFIRM_LINK_DAYS = 7;
const CONFIRM_LINK_MS = CONFIRM_LINK_DAYS * 24 * 60 * 60 * 1000;
/**
 * A second sign-up for the same pending address within this time sends nothing new: otherwise the
 * form could be used to fill someone's inbox or phone with confirmations they never asked for.
 */
const RESEND_AFTER_MS = 5 * 60 * 1000;

/** 32 random bytes, base64url: 43 characters that cannot be guessed. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Only this hash is stored, so the database alone cannot confirm or end a subscription. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export type SubscribeResult = { ok: true } | { ok: false; errors: FieldError[] };

/** What a confirmation link leads to. */
export type ConfirmationState = 'ready' | 'confirmed' | 'expired' | 'invalid';
/** What an unsubscribe link leads to. */
export type UnsubscribeState = 'subscribed' | 'unsubscribed' | 'invalid';

export interface CouncilLinks {
  baseUrl: string;
  council: Pick<Organisation, 'id' | 'slug' | 'name'>;
}

export const councilPath = (slug: string) => `/${slug}/cyber-incident`;
export const confirmPath = (slug: string, token: string) => `${councilPath(slug)}/get-updates/confirm/${token}`;
export const unsubscribePath = (slug: string, token: string) => `${councilPath(slug)}/unsubscribe/${token}`;

export interface SignUp {
  /** `email` or `sms`, as the form's radios give it. */
  channel: string;
  email: string;
  phone: string;
}

/** Checks a sign-up and says where its messages go, or what to fix. */
export function validateSignUp(
  input: SignUp,
  smsAvailable: boolean,
): { recipient: repo.Recipient; errors: [] } | { recipient: undefined; errors: FieldError[] } {
  // With text messages off, the form has no choice to make: email it is.
  const channel = smsAvailable ? input.channel : 'email';
  if (channel === 'email') {
    const email = input.email.trim().toLowerCase();
    if (email === '') return { recipient: undefined, errors: [{ text: 'Enter your email address', href: '#email' }] };
    if (!isEmailAddress(email)) {
      return {
        recipient: undefined,
        errors: [{ text: 'Enter an email address in the correct format, like name@example.com', href: '#email' }],
      };
    }
    return { recipient: { channel: 'email', address: email }, errors: [] };
  }
  if (channel === 'sms') {
    const typed = input.phone.trim();
    if (typed === '') return { recipient: undefined, errors: [{ text: 'Enter your mobile number', href: '#phone' }] };
    const phone = normaliseUkMobile(typed);
    if (!phone) {
      return {
        recipient: undefined,
        errors: [{ text: 'Enter a UK mobile number, like 07700 900 982 or +44 7700 900 982', href: '#phone' }],
      };
    }
    return { recipient: { channel: 'sms', address: phone }, errors: [] };
  }
  return {
    recipient: undefined,
    errors: [{ text: 'Select how you want to get updates', href: '#channel' }],
  };
}

/**
 * Makes an unsubscribe token for one message to one subscriber and returns its link, or undefined
 * if that message was made already (it was queued in the same transaction, so it is not queued
 * again).
 */
async function newUnsubscribeLink(
  trx: Executor,
  links: CouncilLinks,
  subscriptionId: string,
  messageKey: string,
  now: string,
): Promise<string | undefined> {
  const token = newToken();
  const stored = await repo.insertUnsubscribeToken(trx, {
    tokenHash: hashToken(token),
    subscriptionId,
    messageKey,
    now,
  });
  return stored ? `${links.baseUrl}${unsubscribePath(links.council.slug, token)}` : undefined;
}

export interface SubscriptionsServiceOptions {
  publicBaseUrl: string;
  /** Whether text messages can be sent (GOV.UK Notify with a text message template is configured). */
  smsAvailable: boolean;
}

export function createSubscriptionsService(db: Kysely<DB>, options: SubscriptionsServiceOptions) {
  const baseUrl = options.publicBaseUrl.replace(/\/+$/, '');

  /**
   * Starts a subscription, or sends a new confirmation link for one that is not confirmed. The
   * caller shows the same page whatever happened, so the form cannot tell anyone whether an
   * address is subscribed: a confirmed subscriber gets nothing, since they need nothing.
   */
  async function subscribe(council: CouncilLinks['council'], input: SignUp): Promise<SubscribeResult> {
    const { recipient, errors } = validateSignUp(input, options.smsAvailable);
    if (!recipient) return { ok: false, errors };
    const links = { baseUrl, council };
    const now = new Date();
    const at = now.toISOString();
    const token = newToken();
    const tokenHash = hashToken(token);
    const confirmExpiresAt = new Date(now.getTime() + CONFIRM_LINK_MS).toISOString();

    await db.transaction().execute(async (trx) => {
      let subscriptionId = newId();
      const inserted = await repo.insertPendingSubscription(trx, {
        id: subscriptionId,
        organisationId: council.id,
        recipient,
        confirmTokenHash: tokenHash,
        confirmExpiresAt,
        now: at,
      });
      if (!inserted) {
        const existing = await repo.findSubscriptionByRecipient(trx, council.id, recipient);
        if (!existing || existing.status === 'confirmed') return;
        const sentRecently =
          existing.status === 'pending' &&
          existing.confirmSentAt !== null &&
          now.getTime() - Date.parse(existing.confirmSentAt) < RESEND_AFTER_MS;
        if (sentRecently) return;
        if (
          !(await repo.renewConfirmation(trx, existing.id, { confirmTokenHash: tokenHash, confirmExpiresAt, now: at }))
        ) {
          return;
        }
        subscriptionId = existing.id;
      }
      const confirmUrl = `${baseUrl}${confirmPath(council.slug, token)}`;
      // The token's hash is unique, so part of it names this confirmation.
      const idempotencyKey = `subscription-confirm:${subscriptionId}:${tokenHash.slice(0, 32)}`;
      const reference = newVerificationReference();
      if (recipient.channel === 'sms') {
        // No unsubscribe link: nothing is sent to the number unless the link in this text is used.
        await enqueueSms(
          trx,
          confirmationSms({ to: recipient.address, councilName: council.name, confirmUrl, reference }),
          { idempotencyKey, organisationId: council.id },
        );
        return;
      }
      const unsubscribeUrl = await newUnsubscribeLink(
        trx,
        links,
        subscriptionId,
        `confirm:${tokenHash.slice(0, 32)}`,
        at,
      );
      if (!unsubscribeUrl) return;
      await enqueueEmail(
        trx,
        confirmationEmail({ to: recipient.address, councilName: council.name, confirmUrl, unsubscribeUrl, reference }),
        { idempotencyKey, organisationId: council.id },
      );
    });
    return { ok: true };
  }

  async function confirmationState(councilId: string, token: string): Promise<ConfirmationState> {
    if (!TOKEN_PATTERN.test(token)) return 'invalid';
    const found = await repo.findSubscriptionByConfirmHash(db, councilId, hashToken(token));
    if (!found) return 'invalid';
    if (found.status === 'confirmed') return 'confirmed';
    if (found.status !== 'pending') return 'invalid';
    return found.confirmExpiresAt !== null && found.confirmExpiresAt > nowIso() ? 'ready' : 'expired';
  }

  /** Confirms if the link is still good; using it again changes nothing. Returns the state after. */
  async function confirm(councilId: string, token: string): Promise<ConfirmationState> {
    if (!TOKEN_PATTERN.test(token)) return 'invalid';
    const found = await repo.findSubscriptionByConfirmHash(db, councilId, hashToken(token));
    if (found?.status === 'pending') await repo.confirmSubscription(db, found.id, nowIso());
    return confirmationState(councilId, token);
  }

  async function unsubscribeState(councilId: string, token: string): Promise<UnsubscribeState> {
    if (!TOKEN_PATTERN.test(token)) return 'invalid';
    const found = await repo.findSubscriptionByUnsubscribeHash(db, councilId, hashToken(token));
    if (!found) return 'invalid';
    return found.status === 'unsubscribed' ? 'unsubscribed' : 'subscribed';
  }

  /** Ends the subscription the link belongs to; using it again changes nothing. */
  async function unsubscribe(councilId: string, token: string): Promise<UnsubscribeState> {
    if (!TOKEN_PATTERN.test(token)) return 'invalid';
    const found = await repo.findSubscriptionByUnsubscribeHash(db, councilId, hashToken(token));
    if (!found) return 'invalid';
    await repo.unsubscribe(db, found.id, nowIso());
    return 'unsubscribed';
  }

  return { subscribe, confirmationState, confirm, unsubscribeState, unsubscribe };
}

export type SubscriptionsService = ReturnType<typeof createSubscriptionsService>;

/** One published update version, as the emails about it need it. */
export interface UpdateToSend {
  updateId: string;
  versionId: string;
  title: string;
  body: string;
  corrected: boolean;
}

/**
 * Queues the message about one update version to each of a page of subscribers, in one
 * transaction. A subscriber whose message about this version was queued already (a retried
 * fan-out) is skipped, and the delivery job's idempotency key makes doubly sure. Returns how many
 * were queued now.
 */
export async function queueUpdateMessages(
  trx: Transaction<DB>,
  links: CouncilLinks,
  update: UpdateToSend,
  subscribers: Array<{ id: string } & repo.Recipient>,
): Promise<number> {
  const at = nowIso();
  const updateUrl = `${links.baseUrl}${councilPath(links.council.slug)}/updates/${update.updateId}`;
  let queued = 0;
  for (const subscriber of subscribers) {
    const unsubscribeUrl = await newUnsubscribeLink(trx, links, subscriber.id, `update:${update.versionId}`, at);
    if (!unsubscribeUrl) continue;
    const message = {
      to: subscriber.address,
      councilName: links.council.name,
      title: update.title,
      corrected: update.corrected,
      updateUrl,
      unsubscribeUrl,
      reference: newVerificationReference(),
    };
    const options = {
      idempotencyKey: `subscription-update:${update.versionId}:${subscriber.id}`,
      organisationId: links.council.id,
    };
    if (subscriber.channel === 'sms') await enqueueSms(trx, updateSms(message), options);
    else await enqueueEmail(trx, updateEmail({ ...message, body: update.body }), options);
    queued += 1;
  }
  return queued;
}
