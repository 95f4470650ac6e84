// Administrators manage staff in the organisations where they are an administrator: invite (a
// one-time set-up link), change roles, disable, reset MFA, sign out every session. Every change
// is audited in the same transaction as the change.
import type { Kysely } from 'kysely';
import * as accounts from '../../platform/accounts/accounts.repository.ts';
import * as authRepo from '../../platform/auth/auth.repository.ts';
import type { AuthService } from '../../platform/auth/auth.service.ts';
import { recordAudit, type AuditActor } from '../../platform/audit/audit.service.ts';
import type { DB } from '../../platform/db/schema.ts';
import { nowIso } from '../../platform/ids.ts';
import { HttpProblem } from '../../platform/http/errors.ts';
import { organisationsWhere, type Principal, type Role } from '../../platform/policy/policy.ts';

export interface InviteInput {
  email: string;
  displayName: string;
  organisationId: string;
  roles: Role[];
}

export type InviteResult =
  | { outcome: 'invited'; userId: string; setupUrl: string; expiresAt: string }
  | { outcome: 'roles-added'; userId: string };

export function createStaffAccountsService(deps: { db: Kysely<DB>; auth: AuthService; publicBaseUrl: string }) {
  const { db, auth } = deps;

  function adminOrganisations(admin: Principal): string[] {
    return organisationsWhere(admin, 'users.manage');
  }

  /** The user, if they hold a role in an organisation where the admin is an admin (to view them). */
  async function visibleUser(admin: Principal, userId: string) {
    const user = await accounts.findStaffUser(db, userId);
    const mine = adminOrganisations(admin);
    if (!user || !user.memberships.some((m) => mine.includes(m.organisationId))) {
      throw new HttpProblem(404, 'Page not found');
    }
    return user;
  }

  /**
   * An account is one person across every organisation they work for, so changing it (password,
   * MFA, sessions, status) needs an admin of every one of those organisations: otherwise an admin
   * of one council could take over another council's administrator.
   */
  function mayChange(admin: Principal, user: accounts.StaffUser): boolean {
    const mine = adminOrganisations(admin);
    return user.memberships.length > 0 && user.memberships.every((m) => mine.includes(m.organisationId));
  }

  async function changeableUser(admin: Principal, userId: string) {
    const user = await visibleUser(admin, userId);
    if (!mayChange(admin, user)) {
      throw new HttpProblem(
        403,
        'You cannot change this account',
        'This person also works for an organisation where you are not an administrator.',
      );
    }
    return user;
  }

  function assertAdminOf(admin: Principal, organisationId: string): void {
    if (!adminOrganisations(admin).includes(organisationId)) {
      throw new HttpProblem(403, 'You are not an administrator of that organisation');
    }
  }

  async function invite(admin: Principal, actor: AuditActor, input: InviteInput): Promise<InviteResult> {
    assertAdminOf(admin, input.organisationId);
    return db.transaction().execute(async (trx) => {
      const existing = await accounts.findUserRowByEmail(trx, input.email);
      if (existing) {
        const current = await accounts.findStaffUser(trx, existing.id);
        if (!current || !mayChange(admin, current)) {
          throw new HttpProblem(
            409,
            'This person already has an account with another organisation',
            'Ask an administrator of all the organisations they work for to add the role.',
          );
        }
        for (const role of input.roles) await accounts.addMembership(trx, existing.id, input.organisationId, role);
        await recordAudit(trx, actor, {
          action: 'admin.user.roles-added',
          organisationId: input.organisationId,
          targetType: 'user',
          targetId: existing.id,
          details: { roles: input.roles },
        });
        return { outcome: 'roles-added' as const, userId: existing.id };
      }
      const user = await accounts.insertUser(trx, {
        email: input.email,
        displayName: input.displayName,
        status: 'invited',
      });
      for (const role of input.roles) await accounts.addMembership(trx, user.id, input.organisationId, role);
      const link = await auth.issueSetupLink(user.id, admin.userId, trx);
      await recordAudit(trx, actor, {
        action: 'admin.user.invited',
        organisationId: input.organisationId,
        targetType: 'user',
        targetId: user.id,
        details: { roles: input.roles, email: user.email },
      });
      return {
        outcome: 'invited' as const,
        userId: user.id,
        setupUrl: `${deps.publicBaseUrl}/sign-in/set-up/${link.token}`,
        expiresAt: link.expiresAt,
      };
    });
  }

  async function setRoles(
    admin: Principal,
    actor: AuditActor,
    userId: string,
    organisationId: string,
    roles: Role[],
  ): Promise<void> {
    assertAdminOf(admin, organisationId);
    await changeableUser(admin, userId);
    if (userId === admin.userId && organisationId && !roles.includes('admin')) {
      throw new HttpProblem(
        400,
        'You cannot remove your own administrator role',
        'Ask another administrator to do it.',
      );
    }
    await db.transaction().execute(async (trx) => {
      await accounts.setMemberships(trx, userId, organisationId, roles);
      await recordAudit(trx, actor, {
        action: 'admin.user.roles-changed',
        organisationId,
        targetType: 'user',
        targetId: userId,
        details: { roles },
      });
    });
  }

  async function setDisabled(admin: Principal, actor: AuditActor, userId: string, disabled: boolean): Promise<void> {
    const user = await changeableUser(admin, userId);
    if (userId === admin.userId) throw new HttpProblem(400, 'You cannot disable your own account');
    await db.transaction().execute(async (trx) => {
      const next = disabled ? 'disabled' : user.hasPassword ? 'active' : 'invited';
      await accounts.updateUser(trx, userId, { status: next });
      if (disabled) await authRepo.revokeSessionsOfUser(trx, userId, nowIso());
      await recordAudit(trx, actor, {
        action: disabled ? 'admin.user.disabled' : 'admin.user.enabled',
        targetType: 'user',
        targetId: userId,
      });
    });
  }

  /**
   * Resets the authenticator app. The password goes too: a new app can then only be enrolled
   * through the new set-up link, never with a password alone (which may be what was stolen).
   */
  async function resetMfa(
    admin: Principal,
    actor: AuditActor,
    userId: string,
  ): Promise<{ setupUrl: string; expiresAt: string }> {
    const user = await changeableUser(admin, userId);
    if (user.status === 'disabled') throw new HttpProblem(400, 'Enable the account before resetting it');
    return db.transaction().execute(async (trx) => {
      await accounts.updateUser(trx, userId, {
        totp_secret_box: null,
        totp_enrolled_at: null,
        totp_last_step: null,
        password_hash: null,
        status: 'invited',
      });
      await accounts.deleteRecoveryCodes(trx, userId);
      await authRepo.revokeSessionsOfUser(trx, userId, nowIso());
      const link = await auth.issueSetupLink(userId, admin.userId, trx);
      await recordAudit(trx, actor, { action: 'admin.user.mfa-reset', targetType: 'user', targetId: userId });
      return { setupUrl: `${deps.publicBaseUrl}/sign-in/set-up/${link.token}`, expiresAt: link.expiresAt };
    });
  }

  async function signOutEverywhere(admin: Principal, actor: AuditActor, userId: string): Promise<number> {
    await changeableUser(admin, userId);
    return db.transaction().execute(async (trx) => {
      const n = await authRepo.revokeSessionsOfUser(trx, userId, nowIso());
      await recordAudit(trx, actor, {
        action: 'admin.user.signed-out-everywhere',
        targetType: 'user',
        targetId: userId,
        details: { sessions: n },
      });
      return n;
    });
  }

  async function newSetupLink(
    admin: Principal,
    actor: AuditActor,
    userId: string,
  ): Promise<{ setupUrl: string; expiresAt: string }> {
    const user = await changeableUser(admin, userId);
    if (user.status === 'disabled') throw new HttpProblem(400, 'Enable the account before sending a set-up link');
    return db.transaction().execute(async (trx) => {
      const link = await auth.issueSetupLink(userId, admin.userId, trx);
      await recordAudit(trx, actor, { action: 'admin.user.set-up-link-issued', targetType: 'user', targetId: userId });
      return { setupUrl: `${deps.publicBaseUrl}/sign-in/set-up/${link.token}`, expiresAt: link.expiresAt };
    });
  }

  async function listUsers(admin: Principal) {
    return accounts.listStaffInOrganisations(db, adminOrganisations(admin));
  }

  async function userDetails(admin: Principal, userId: string) {
    const user = await visibleUser(admin, userId);
    const liveSessions = await authRepo.countLiveSessionsOfUser(db, userId, nowIso());
    return { user, liveSessions, canChange: mayChange(admin, user) };
  }

  return {
    invite,
    setRoles,
    setDisabled,
    resetMfa,
    signOutEverywhere,
    newSetupLink,
    listUsers,
    userDetails,
    adminOrganisations,
  };
}

export type StaffAccountsService = ReturnType<typeof createStaffAccountsService>;
