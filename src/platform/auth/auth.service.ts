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

  /** Minutes until the key is unlocked, or 0. */
  async function lockedFor(keys: string[], at: string): Promise<number> {
    let until = 0;
    for (const key of keys) {
      const state = await repo.readThrottle(db, key);
      if (state?.lockedUntil && state.lockedUntil > at) until = Math.max(until, Date.parse(state.lockedUntil));
    }
    return until === 0 ? 0 : Math.max(1, Math.ceil((until - Date.parse(at)) / MINUTE));
  }

  async function recordFailure(key: string, limit: number, at: string): Promise<void> {
    await db.transaction().execute(async (trx) => {
      const state = await repo.readThrottle(trx, key);
      // Failures older than an hour with no lock are forgotten.
      const fresh =
        !state || (state.lockedUntil === null && Date.parse(at) - Date.parse(state.firstFailureAt) > 60 * MINUTE);
      const failures = fresh ? 1 : state.failures + 1;
      // Back-off: each failure past the limit doubles the lock, from 5 minutes up to an hour.
      const lockedUntil =
        failures >= limit
          ? isoPlus(at, Math.min(60, 5 * 2 ** (failures - limit)) * MINUTE)
          : (state?.lockedUntil ?? null);
      await repo.writeThrottle(trx, key, { failures, firstFailureAt: fresh ? at : state.firstFailureAt, lockedUntil });
    });
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
    });
    return token;
  }

  async function signInWithPassword(email: string, password: string, client: ClientInfo): Promise<SignInResult> {
    const at = nowIso();
    const accountKey = keyFor('email', accounts.normaliseEmail(email));
    const ipKey = keyFor('ip', client.ip ?? 'unknown');
    const minutes = await lockedFor([accountKey, ipKey], at);
    if (minutes > 0) {
      // Spend the same time as a real check so a locked account cannot be told apart by timing.
      await verifyAgainstDummy(password);
      return { outcome: 'locked', minutes };
    }
    const user = await accounts.findUserRowByEmail(db, email);
    const ok =
      user && user.status === 'active' && user.password_hash
        ? await verifyPassword(user.password_hash, password)
        : await verifyAgainstDummy(password);
    if (!ok || !user) {
      await recordFailure(accountKey, maxPerAccount, at);
      await recordFailure(ipKey, maxPerIp, at);
      if (user) {
        await recordAudit(db, actorFor(user, client), {
          action: 'auth.sign-in.password-rejected',
          targetType: 'user',
          targetId: user.id,
        });
      }
      const nowLocked = await lockedFor([accountKey], at);
      return nowLocked > 0 ? { outcome: 'locked', minutes: nowLocked } : { outcome: 'invalid' };
    }
    const stage = user.totp_enrolled_at ? 'mfa' : 'mfa-enrol';
    const token = await db.transaction().execute(async (trx) => {
      const t = await createSession(user.id, stage, client, trx);
      await recordAudit(trx, actorFor(user, client), {
        action: 'auth.sign-in.password-accepted',
        targetType: 'user',
        targetId: user.id,
        details: { next: stage },
      });
      return t;
    });
    return { outcome: 'continue', token, stage };
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

  /** The key to enrol, created on first view and kept (encrypted) until the first code is confirmed. */
  async function enrolmentSecret(user: UserRow): Promise<{ secret: string; uri: string }> {
    let secret = user.totp_secret_box ? totpBox.open(user.totp_secret_box) : null;
    if (!secret) {
      secret = generateTotpSecret();
      await accounts.updateUser(db, user.id, { totp_secret_box: totpBox.seal(secret), totp_last_step: null });
    }
    return { secret, uri: otpauthUri(secret, user.email) };
  }

  async function failCode(loaded: LoadedSession, client: ClientInfo, action: string): Promise<CodeResult> {
    const at = nowIso();
    const key = keyFor('email', loaded.user.email);
    await recordFailure(key, maxPerAccount, at);
    await recordAudit(db, actorFor(loaded.user, client), { action, targetType: 'user', targetId: loaded.user.id });
    const minutes = await lockedFor([key], at);
    if (minutes > 0) {
      await repo.revokeSession(db, loaded.session.id, at);
      return { outcome: 'locked', minutes };
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
    const secret = loaded.user.totp_secret_box ? totpBox.open(loaded.user.totp_secret_box) : null;
    const step = secret ? verifyTotp(secret, code, loaded.user.totp_last_step) : null;
    if (step === null) return failCode(loaded, client, 'auth.mfa.enrolment-code-rejected');
    const codes = Array.from({ length: 10 }, () => newRecoveryCode());
    await db.transaction().execute(async (trx) => {
      await accounts.updateUser(trx, loaded.user.id, { totp_enrolled_at: nowIso(), totp_last_step: step });
      await accounts.replaceRecoveryCodes(trx, loaded.user.id, codes.map(hashRecoveryCode));
      await recordAudit(trx, actorFor(loaded.user, client), {
        action: 'auth.mfa.enrolled',
        targetType: 'user',
        targetId: loaded.user.id,
      });
    });
    return finishSignIn(loaded, client, 'totp-enrolment', codes);
  }

  async function verifyCode(loaded: LoadedSession, code: string, client: ClientInfo): Promise<CodeResult> {
    if (loaded.session.stage !== 'mfa') return { outcome: 'invalid' };
    const minutes = await lockedFor([keyFor('email', loaded.user.email)], nowIso());
    if (minutes > 0) return { outcome: 'locked', minutes };
    const secret = loaded.user.totp_secret_box ? totpBox.open(loaded.user.totp_secret_box) : null;
    const step = secret ? verifyTotp(secret, code, loaded.user.totp_last_step) : null;
    if (step === null || !(await accounts.claimTotpStep(db, loaded.user.id, step))) {
      return failCode(loaded, client, 'auth.mfa.code-rejected');
    }
    return finishSignIn(loaded, client, 'totp');
  }

  async function verifyRecoveryCode(loaded: LoadedSession, code: string, client: ClientInfo): Promise<CodeResult> {
    if (loaded.session.stage !== 'mfa') return { outcome: 'invalid' };
    const minutes = await lockedFor([keyFor('email', loaded.user.email)], nowIso());
    if (minutes > 0) return { outcome: 'locked', minutes };
    if (!(await accounts.useRecoveryCode(db, loaded.user.id, hashRecoveryCode(code)))) {
      return failCode(loaded, client, 'auth.mfa.recovery-code-rejected');
    }
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
