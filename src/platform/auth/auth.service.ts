// Staff sign-in: password (argon2id), then mandatory TOTP MFA (enrolment on first sign-in, hashed
// recovery codes), server-side sessions that can be revoked, and back-off and lockout that never
// reveal whether an account exists. No HTTP here: the routes translate.
import { createHash, createHmac, randomBytes, randomInt } from 'node:crypto';
import type { Kysely } from 'kysely';
import * as accounts from '../accounts/accounts.repository.ts';
import { recordAudit, type AuditActor } from '../audit/audit.service.ts';
import type { DB, SessionRow, UserRow } from '../db/schema.ts';
import { isoPlus, nowIso } from '../ids.ts';
import type { Principal } from '../policy/policy.ts';
import * as repo from './auth.repository.ts';
import { hashPassword, passwordProblem, verifyAgainstDummy, verifyPassword } from './passwords.ts';
import { createSecretBox } from './secret-box.ts';
import { generateTotpSecret, otpauthUri, verifyTotp } from './totp.ts';

const MINUTE = 60_000;

export interface AuthSettings {
  sessionSecret: string;
  idleTimeoutMs?: number;
  absoluteTimeoutMs?: number;
  /** How long someone has between their password and their MFA code. */
  pendingTimeoutMs?: number;
  setupLinkValidityMs?: number;
  /** Failures for one email address before it is locked for a while. */
  maxFailuresPerAccount?: number;
  maxFailuresPerIp?: number;
}

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

export type SignInResult =
  | { outcome: 'continue'; token: string; stage: 'mfa' | 'mfa-enrol' }
  | { outcome: 'invalid' }
  | { outcome: 'set-up-incomplete' }
  | { outcome: 'locked'; minutes: number };

export type CodeResult =
  | { outcome: 'signed-in'; token: string; recoveryCodes?: string[] }
  | { outcome: 'invalid' }
  | { outcome: 'locked'; minutes: number };

export interface LoadedSession {
  session: SessionRow;
  user: UserRow;
  principal: Principal;
}

export type AuthService = ReturnType<typeof createAuthService>;

export function createAuthService(db: Kysely<DB>, settings: AuthSettings) {
  const idleMs = settings.idleTimeoutMs ?? 30 * MINUTE;
  const absoluteMs = settings.absoluteTimeoutMs ?? 12 * 60 * MINUTE;
  const pendingMs = settings.pendingTimeoutMs ?? 10 * MINUTE;
  const setupMs = settings.setupLinkValidityMs ?? 72 * 60 * MINUTE;
  const maxPerAccount = settings.maxFailuresPerAccount ?? 5;
  const maxPerIp = settings.maxFailuresPerIp ?? 50;
  const totpBox = createSecretBox(settings.sessionSecret, 'totp');

  const keyFor = (kind: string, value: string) =>
    `${kind}:${createHmac('sha256', settings.sessionSecret).update(`${kind}:${value}`).digest('hex').slice(0, 40)}`;
  const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
  const hashRecoveryCode = (code: string) =>
    createHmac('sha256', settings.sessionSecret)
      .update(`recovery:${code.toLowerCase().replace(/[^a-z0-9]/g, '')}`)
      .digest('hex');

  function actorFor(user: UserRow | undefined, client: ClientInfo): AuditActor {
    return { userId: user?.id ?? null, label: user?.email ?? 'anonymous', ip: client.ip, userAgent: client.userAgent };
  }

  const minutesUntil = (until: string, at: string) =>
    Math.max(1, Math.ceil((Date.parse(until) - Date.parse(at)) / MINUTE));

  /** Minutes until the key is unlocked, or 0. */
  async function lockedFor(key: string, at: string): Promise<number> {
    const state = await repo.readThrottle(db, key);
    return state?.lockedUntil && state.lockedUntil > at ? minutesUntil(state.lockedUntil, at) : 0;
  }

  type Guess = { outcome: 'right' } | { outcome: 'wrong' } | { outcome: 'locked'; minutes: number };

  /**
   * One guess (a password or a code) against the throttle for `key`. The attempt is counted before
   * it is checked, in one statement, so many guesses sent at once cannot all slip in under the
   * limit. Reaching the limit locks the key for 5 minutes, doubling with each lock up to an hour;
   * after a lock, one more try is allowed before the next.
   */
  async function guess(key: string, limit: number, check: () => Promise<boolean>): Promise<Guess> {
    const at = nowIso();
    const state = await repo.countAttempt(db, key, { at, freshAfter: isoPlus(at, -60 * MINUTE), limit });
    if (state.lockedUntil && state.lockedUntil > at)
      return { outcome: 'locked', minutes: minutesUntil(state.lockedUntil, at) };
    if (state.failures > limit) return { outcome: 'locked', minutes: 1 };
    if (await check()) {
      await repo.refundAttempt(db, key);
      return { outcome: 'right' };
    }
    if (state.failures >= limit) {
      const until = isoPlus(at, Math.min(60, 5 * 2 ** state.locks) * MINUTE);
      await repo.lockThrottle(db, key, until);
      return { outcome: 'locked', minutes: minutesUntil(until, at) };
    }
    return { outcome: 'wrong' };
  }

  async function createSession(
    userId: string,
    stage: SessionRow['stage'],
    client: ClientInfo,
    executor: Kysely<DB> = db,
  ): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const at = nowIso();
    const absolute = isoPlus(at, stage === 'active' ? absoluteMs : pendingMs);
    await repo.insertSession(executor, {
      id: hashToken(token),
      user_id: userId,
      stage,
      created_at: at,
      last_seen_at: at,
      idle_expires_at: stage === 'active' ? isoPlus(at, idleMs) : absolute,
      absolute_expires_at: absolute,
      revoked_at: null,
      ip: client.ip,
      user_agent: client.userAgent?.slice(0, 512) ?? null,
      pending_totp_box: null,
    });
    return token;
  }

  async function signInWithPassword(email: string, password: string, client: ClientInfo): Promise<SignInResult> {
    const accountKey = keyFor('email', accounts.normaliseEmail(email));
    const ipKey = keyFor('ip', client.ip ?? 'unknown');
    const ipMinutes = await lockedFor(ipKey, nowIso());
    if (ipMinutes > 0) return { outcome: 'locked', minutes: ipMinutes };
    const user = await accounts.findUserRowByEmail(db, email);
    // Unknown, invited and disabled accounts go through the same steps, with a dummy argon2 check,
    // so neither the answer nor its timing says whether an account exists.
    const result = await guess(accountKey, maxPerAccount, () =>
      user && user.status === 'active' && user.password_hash
        ? verifyPassword(user.password_hash, password)
        : verifyAgainstDummy(password),
    );
    if (result.outcome !== 'right' || !user) {
      const ipState = await guess(ipKey, maxPerIp, async () => false);
      await recordAudit(db, actorFor(user, client), {
        action: 'auth.sign-in.password-rejected',
        targetType: 'user',
        targetId: user?.id ?? null,
      });
      if (result.outcome === 'locked') return result;
      return ipState.outcome === 'locked' ? ipState : { outcome: 'invalid' };
    }
    // Without an enrolled authenticator, a password alone must not be enough to enrol one: that
    // needs a set-up link from an administrator (which proves more than a stolen password does).
    if (!user.totp_enrolled_at) {
      await recordAudit(db, actorFor(user, client), {
        action: 'auth.sign-in.set-up-incomplete',
        targetType: 'user',
        targetId: user.id,
      });
      return { outcome: 'set-up-incomplete' };
    }
    const token = await db.transaction().execute(async (trx) => {
      const t = await createSession(user.id, 'mfa', client, trx);
      await recordAudit(trx, actorFor(user, client), {
        action: 'auth.sign-in.password-accepted',
        targetType: 'user',
        targetId: user.id,
      });
      return t;
    });
    return { outcome: 'continue', token, stage: 'mfa' };
  }

  /** The session behind a cookie token, with the user and their roles; null if not live. */
  async function loadSession(token: string | undefined): Promise<LoadedSession | null> {
    if (!token || token.length > 100) return null;
    const at = nowIso();
    const session = await repo.findLiveSession(db, hashToken(token), at);
    if (!session) return null;
    const user = await accounts.findUserRowById(db, session.user_id);
    if (!user || user.status !== 'active') return null;
    if (session.stage === 'active') {
      // Only write when a minute has passed, so a busy page does not write on every request.
      if (Date.parse(at) - Date.parse(session.last_seen_at) > MINUTE) {
        await repo.touchSession(db, session.id, at, isoPlus(at, idleMs));
      }
    }
    const memberships = await accounts.membershipsOf(db, user.id);
    return { session, user, principal: { userId: user.id, email: user.email, memberships } };
  }

  /**
   * The key offered to this sign-in attempt, made on first view and kept (encrypted) on the session
   * until a code from it is confirmed. Another attempt gets a key of its own.
   */
  async function enrolmentSecret(loaded: LoadedSession): Promise<{ secret: string; uri: string }> {
    let secret = loaded.session.pending_totp_box ? totpBox.open(loaded.session.pending_totp_box) : null;
    if (!secret) {
      secret = generateTotpSecret();
      await repo.setPendingTotp(db, loaded.session.id, totpBox.seal(secret));
    }
    return { secret, uri: otpauthUri(secret, loaded.user.email) };
  }

  /** A wrong code was entered: audit it, and when the account is now locked, end this attempt. */
  async function codeRejected(
    loaded: LoadedSession,
    client: ClientInfo,
    action: string,
    result: Guess,
  ): Promise<CodeResult> {
    await recordAudit(db, actorFor(loaded.user, client), { action, targetType: 'user', targetId: loaded.user.id });
    if (result.outcome === 'locked') {
      await repo.revokeSession(db, loaded.session.id, nowIso());
      return result;
    }
    return { outcome: 'invalid' };
  }

  async function finishSignIn(
    loaded: LoadedSession,
    client: ClientInfo,
    how: string,
    recoveryCodes?: string[],
  ): Promise<CodeResult> {
    const at = nowIso();
    // Rotation: the pre-MFA session ends and a new one begins, so a session id seen before sign-in is useless after.
    const token = await db.transaction().execute(async (trx) => {
      await repo.revokeSession(trx, loaded.session.id, at);
      const t = await createSession(loaded.user.id, 'active', client, trx);
      await recordAudit(trx, actorFor(loaded.user, client), {
        action: 'auth.sign-in.completed',
        targetType: 'user',
        targetId: loaded.user.id,
        details: { method: how },
      });
      return t;
    });
    await repo.clearThrottle(db, keyFor('email', loaded.user.email));
    return recoveryCodes ? { outcome: 'signed-in', token, recoveryCodes } : { outcome: 'signed-in', token };
  }

  async function completeEnrolment(loaded: LoadedSession, code: string, client: ClientInfo): Promise<CodeResult> {
    if (loaded.session.stage !== 'mfa-enrol') return { outcome: 'invalid' };
    const secret = loaded.session.pending_totp_box ? totpBox.open(loaded.session.pending_totp_box) : null;
    let step: number | null = null;
    const result = await guess(keyFor('email', loaded.user.email), maxPerAccount, async () => {
      step = secret ? verifyTotp(secret, code, null) : null;
      return step !== null;
    });
    if (result.outcome !== 'right' || step === null || !secret) {
      return codeRejected(loaded, client, 'auth.mfa.enrolment-code-rejected', result);
    }
    const codes = Array.from({ length: 10 }, () => newRecoveryCode());
    const enrolled = await db.transaction().execute(async (trx) => {
      // Conditional: if another attempt enrolled first, this one does not replace its key.
      if (!(await accounts.enrolTotp(trx, loaded.user.id, totpBox.seal(secret), step as number))) return false;
      await accounts.replaceRecoveryCodes(trx, loaded.user.id, codes.map(hashRecoveryCode));
      await recordAudit(trx, actorFor(loaded.user, client), {
        action: 'auth.mfa.enrolled',
        targetType: 'user',
        targetId: loaded.user.id,
      });
      return true;
    });
    if (!enrolled) {
      await repo.revokeSession(db, loaded.session.id, nowIso());
      return { outcome: 'invalid' };
    }
    return finishSignIn(loaded, client, 'totp-enrolment', codes);
  }

  async function verifyCode(loaded: LoadedSession, code: string, client: ClientInfo): Promise<CodeResult> {
    if (loaded.session.stage !== 'mfa') return { outcome: 'invalid' };
    const secret = loaded.user.totp_secret_box ? totpBox.open(loaded.user.totp_secret_box) : null;
    const result = await guess(keyFor('email', loaded.user.email), maxPerAccount, async () => {
      const step = secret ? verifyTotp(secret, code, loaded.user.totp_last_step) : null;
      // Claiming the step is atomic: the same code sent twice at once is accepted once.
      return step !== null && (await accounts.claimTotpStep(db, loaded.user.id, step));
    });
    if (result.outcome !== 'right') return codeRejected(loaded, client, 'auth.mfa.code-rejected', result);
    return finishSignIn(loaded, client, 'totp');
  }

  async function verifyRecoveryCode(loaded: LoadedSession, code: string, client: ClientInfo): Promise<CodeResult> {
    if (loaded.session.stage !== 'mfa') return { outcome: 'invalid' };
    const result = await guess(keyFor('email', loaded.user.email), maxPerAccount, () =>
      accounts.useRecoveryCode(db, loaded.user.id, hashRecoveryCode(code)),
    );
    if (result.outcome !== 'right') return codeRejected(loaded, client, 'auth.mfa.recovery-code-rejected', result);
    const left = await accounts.countUnusedRecoveryCodes(db, loaded.user.id);
    await recordAudit(db, actorFor(loaded.user, client), {
      action: 'auth.mfa.recovery-code-used',
      targetType: 'user',
      targetId: loaded.user.id,
      details: { remaining: left },
    });
    return finishSignIn(loaded, client, 'recovery-code');
  }

  async function signOut(loaded: LoadedSession, client: ClientInfo): Promise<void> {
    await db.transaction().execute(async (trx) => {
      await repo.revokeSession(trx, loaded.session.id, nowIso());
      await recordAudit(trx, actorFor(loaded.user, client), {
        action: 'auth.sign-out',
        targetType: 'user',
        targetId: loaded.user.id,
      });
    });
  }

  /** A one-time link for a new or reset account; only its hash is stored. */
  async function issueSetupLink(
    userId: string,
    createdBy: string | null,
    executor: Kysely<DB> = db,
  ): Promise<{ token: string; expiresAt: string }> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = isoPlus(nowIso(), setupMs);
    await accounts.insertUserToken(executor, { userId, tokenHash: hashToken(token), expiresAt, createdBy });
    return { token, expiresAt };
  }

  async function findSetupLink(token: string): Promise<{ tokenId: string; user: UserRow } | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    const found = await accounts.findUsableToken(db, hashToken(token), nowIso());
    if (!found) return null;
    const user = await accounts.findUserRowById(db, found.userId);
    return user && user.status !== 'disabled' ? { tokenId: found.id, user } : null;
  }

  type SetupResult =
    { outcome: 'problem'; message: string } | { outcome: 'expired' } | { outcome: 'continue'; token: string };

  async function completeSetup(linkToken: string, password: string, client: ClientInfo): Promise<SetupResult> {
    const link = await findSetupLink(linkToken);
    if (!link) return { outcome: 'expired' };
    const problem = passwordProblem(password, { email: link.user.email });
    if (problem) return { outcome: 'problem', message: problem };
    const hash = await hashPassword(password);
    const token = await db.transaction().execute(async (trx) => {
      if (!(await accounts.consumeToken(trx, link.tokenId))) return null;
      await accounts.updateUser(trx, link.user.id, { password_hash: hash, status: 'active' });
      await repo.revokeSessionsOfUser(trx, link.user.id, nowIso());
      await recordAudit(trx, actorFor(link.user, client), {
        action: 'auth.account.set-up',
        targetType: 'user',
        targetId: link.user.id,
      });
      return createSession(link.user.id, link.user.totp_enrolled_at ? 'mfa' : 'mfa-enrol', client, trx);
    });
    return token ? { outcome: 'continue', token } : { outcome: 'expired' };
  }

  return {
    signInWithPassword,
    loadSession,
    enrolmentSecret,
    completeEnrolment,
    verifyCode,
    verifyRecoveryCode,
    signOut,
    issueSetupLink,
    findSetupLink,
    completeSetup,
    createSession,
    hashToken,
  };
}

const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

function newRecoveryCode(): string {
  let code = '';
  for (let i = 0; i < 10; i += 1) code += RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)];
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}
