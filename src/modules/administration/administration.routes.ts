// Staff home and the administrator's pages: staff accounts and the audit log.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { formList, formText } from '../../platform/http/form-fields.ts';
import { pageFromQuery, paging } from '../../platform/http/paging.ts';
import { listOrganisations } from '../../platform/accounts/accounts.repository.ts';
import type { AuthService } from '../../platform/auth/auth.service.ts';
import { actorOf, requireStaff } from '../../platform/auth/staff-guard.ts';
import type { StaffNavigation } from '../../platform/auth/staff-navigation.ts';
import { createSecretBox } from '../../platform/auth/secret-box.ts';
import { findEvents, recordAudit } from '../../platform/audit/audit.service.ts';
import type { Database } from '../../platform/db/database.ts';
import { ROLES, ROLE_NAMES, isRole, organisationsWhere, type Role } from '../../platform/policy/policy.ts';
import { jobsAdminRoutes } from './jobs-admin.routes.ts';
import { mailInAdminRoutes } from './mail-in-admin.routes.ts';
import { createStaffAccountsService } from './staff-accounts.service.ts';

export interface AdministrationOptions {
  database: Database;
  auth: AuthService;
  navigation: StaffNavigation;
  publicBaseUrl: string;
  sessionSecret: string;
}

const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;
const LINK_COOKIE = 'wardroom_setup_link';
const PAGE_SIZE = 50;

type Form = Record<string, unknown>;
/** Names, emails and ids are compared and stored without stray spaces. */
const trimmedText = (body: unknown, name: string, max = 500) => formText(body, name, max).trim();

export async function administrationRoutes(app: FastifyInstance, opts: AdministrationOptions): Promise<void> {
  const { db } = opts.database;
  const service = createStaffAccountsService({ db, auth: opts.auth, publicBaseUrl: opts.publicBaseUrl });
  const linkBox = createSecretBox(opts.sessionSecret, 'set-up-link-flash');
  opts.navigation.add({ href: '/staff/admin/users', text: 'Staff accounts', action: 'users.manage' });
  opts.navigation.add({ href: '/staff/admin/audit', text: 'Audit log', action: 'audit.read' });
  await app.register(jobsAdminRoutes, { database: opts.database, navigation: opts.navigation });
  await app.register(mailInAdminRoutes, { database: opts.database, navigation: opts.navigation });

  const roleItems = (checked: string[]) =>
    ROLES.map((r) => ({ value: r, text: ROLE_NAMES[r], checked: checked.includes(r) }));
  const organisationNames = async () => new Map((await listOrganisations(db)).map((o) => [o.id, o.name]));

  app.get('/staff', { preHandler: requireStaff('staff.home') }, async (request, reply) => {
    const names = await organisationNames();
    const memberships = request.staff?.principal.memberships ?? [];
    return reply.render('administration/views/staff-home.njk', {
      pageTitle: 'Incident room',
      memberships: memberships.map((m) => ({
        organisation: names.get(m.organisationId) ?? m.organisationId,
        role: ROLE_NAMES[m.role],
      })),
    });
  });

  app.get('/staff/admin/users', { preHandler: requireStaff('users.manage') }, async (request, reply) => {
    const principal = request.staff!.principal;
    const [users, names] = await Promise.all([service.listUsers(principal), organisationNames()]);
    const mine = service.adminOrganisations(principal);
    return reply.render('administration/views/users.njk', {
      pageTitle: 'Staff accounts',
      users: users.map((u) => ({
        ...u,
        roles: u.memberships
          .filter((m) => mine.includes(m.organisationId))
          .map((m) => `${ROLE_NAMES[m.role]}, ${names.get(m.organisationId) ?? ''}`),
      })),
    });
  });

  const inviteForm = async (request: FastifyRequest) => {
    const names = await organisationNames();
    return service.adminOrganisations(request.staff!.principal).map((id) => ({ value: id, text: names.get(id) ?? id }));
  };

  app.get('/staff/admin/users/invite', { preHandler: requireStaff('users.manage') }, async (request, reply) => {
    return reply.render('administration/views/invite.njk', {
      pageTitle: 'Invite someone',
      organisations: await inviteForm(request),
      roleItems: roleItems([]),
      values: {},
    });
  });

  app.post('/staff/admin/users/invite', { preHandler: requireStaff('users.manage') }, async (request, reply) => {
    const values = {
      email: trimmedText(request.body, 'email', 320),
      displayName: trimmedText(request.body, 'displayName', 200),
      organisationId: trimmedText(request.body, 'organisationId', 60),
    };
    const roles = formList(request.body, 'roles').filter(isRole);
    const organisations = await inviteForm(request);
    const errors: Array<{ text: string; href: string }> = [];
    if (!values.displayName) errors.push({ text: 'Enter their full name', href: '#displayName' });
    if (!values.email) errors.push({ text: 'Enter their work email address', href: '#email' });
    else if (!EMAIL.test(values.email))
      errors.push({
        text: 'Enter an email address in the correct format, like name@westminster.gov.uk',
        href: '#email',
      });
    if (!organisations.some((o) => o.value === values.organisationId))
      errors.push({ text: 'Select their organisation', href: '#organisationId' });
    if (roles.length === 0) errors.push({ text: 'Select at least one role', href: '#roles' });
    if (errors.length) {
      return reply.code(400).render('administration/views/invite.njk', {
        pageTitle: 'Invite someone',
        organisations,
        roleItems: roleItems(roles),
        values,
        errors,
      });
    }
    const result = await service.invite(request.staff!.principal, actorOf(request), { ...values, roles });
    if (result.outcome === 'invited') showLinkOnce(reply, result);
    return reply.redirect(`/staff/admin/users/${result.userId}?${result.outcome}=1`, 303);
  });

  app.get('/staff/admin/users/:userId', { preHandler: requireStaff('users.manage') }, async (request, reply) => {
    const { userId } = request.params as { userId: string };
    const principal = request.staff!.principal;
    const { user, liveSessions, canChange } = await service.userDetails(principal, userId);
    const names = await organisationNames();
    const sealed = request.cookies[LINK_COOKIE];
    const link = sealed
      ? (JSON.parse(linkBox.open(sealed) ?? 'null') as { url: string; expiresAt: string } | null)
      : null;
    if (sealed) reply.clearCookie(LINK_COOKIE, { path: '/staff/admin' });
    const query = request.query as Form;
    return reply.render('administration/views/user.njk', {
      pageTitle: user.displayName,
      user,
      liveSessions,
      link,
      notice: ['invited', 'roles-added', 'saved', 'disabled', 'enabled', 'mfa-reset', 'signed-out', 'link'].find(
        (k) => query[k] === '1',
      ),
      organisations: service.adminOrganisations(principal).map((id) => ({
        id,
        name: names.get(id) ?? id,
        roleItems: roleItems(user.memberships.filter((m) => m.organisationId === id).map((m) => m.role)),
      })),
      isSelf: user.id === principal.userId,
      canChange,
      otherOrganisations: [
        ...new Set(
          user.memberships
            .filter((m) => !service.adminOrganisations(principal).includes(m.organisationId))
            .map((m) => names.get(m.organisationId) ?? m.organisationId),
        ),
      ],
    });
  });

  const userAction = (path: string, run: (request: FastifyRequest, userId: string) => Promise<string>) =>
    app.post(
      `/staff/admin/users/:userId/${path}`,
      { preHandler: requireStaff('users.manage') },
      async (request, reply) => {
        const { userId } = request.params as { userId: string };
        const notice = await run(request, userId);
        return reply.redirect(`/staff/admin/users/${userId}?${notice}=1`, 303);
      },
    );

  userAction('roles', async (request, userId) => {
    const organisationId = trimmedText(request.body, 'organisationId', 60);
    const roles = formList(request.body, 'roles').filter(isRole) as Role[];
    await service.setRoles(request.staff!.principal, actorOf(request), userId, organisationId, roles);
    return 'saved';
  });
  userAction('disable', async (request, userId) => {
    await service.setDisabled(request.staff!.principal, actorOf(request), userId, true);
    return 'disabled';
  });
  userAction('enable', async (request, userId) => {
    await service.setDisabled(request.staff!.principal, actorOf(request), userId, false);
    return 'enabled';
  });
  userAction('sign-out-everywhere', async (request, userId) => {
    await service.signOutEverywhere(request.staff!.principal, actorOf(request), userId);
    return 'signed-out';
  });
  // The one-time link is shown on the next page only: sealed in a short-lived cookie, never in a URL.
  const showLinkOnce = (reply: FastifyReply, link: { setupUrl: string; expiresAt: string }) =>
    reply.setCookie(LINK_COOKIE, linkBox.seal(JSON.stringify({ url: link.setupUrl, expiresAt: link.expiresAt })), {
      path: '/staff/admin',
      httpOnly: true,
      sameSite: 'lax',
      maxAge: 300,
      secure: opts.publicBaseUrl.startsWith('https://'),
    });

  const linkAction = (
    path: string,
    notice: string,
    run: (request: FastifyRequest, userId: string) => Promise<{ setupUrl: string; expiresAt: string }>,
  ) =>
    app.post(
      `/staff/admin/users/:userId/${path}`,
      { preHandler: requireStaff('users.manage') },
      async (request, reply) => {
        const { userId } = request.params as { userId: string };
        showLinkOnce(reply, await run(request, userId));
        return reply.redirect(`/staff/admin/users/${userId}?${notice}=1`, 303);
      },
    );
  linkAction('set-up-link', 'link', (request, userId) =>
    service.newSetupLink(request.staff!.principal, actorOf(request), userId),
  );
  linkAction('reset-mfa', 'mfa-reset', (request, userId) =>
    service.resetMfa(request.staff!.principal, actorOf(request), userId),
  );

  app.get('/staff/admin/audit', { preHandler: requireStaff('audit.read') }, async (request, reply) => {
    const query = request.query as Form;
    const filter = {
      visibleTo: organisationsWhere(request.staff!.principal, 'audit.read'),
      action: trimmedText(query, 'action', 100) || undefined,
      targetId: trimmedText(query, 'targetId', 100) || undefined,
      from: /^\d{4}-\d{2}-\d{2}$/.test(trimmedText(query, 'from'))
        ? `${trimmedText(query, 'from')}T00:00:00.000Z`
        : undefined,
      to: /^\d{4}-\d{2}-\d{2}$/.test(trimmedText(query, 'to'))
        ? new Date(Date.parse(`${trimmedText(query, 'to')}T00:00:00.000Z`) + 86_400_000).toISOString()
        : undefined,
    };
    const page = pageFromQuery(trimmedText(query, 'page', 6));
    const { rows, total } = await findEvents(db, filter, { limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE });
    await recordAudit(db, actorOf(request), {
      action: 'audit.viewed',
      details: { filter: { ...filter, visibleTo: undefined }, page },
    });
    const names = await organisationNames();
    const values = {
      action: trimmedText(query, 'action'),
      targetId: trimmedText(query, 'targetId'),
      from: trimmedText(query, 'from'),
      to: trimmedText(query, 'to'),
    };
    return reply.render('administration/views/audit.njk', {
      pageTitle: 'Audit log',
      values,
      total,
      events: rows.map((e) => ({
        ...e,
        organisation: e.organisation_id ? (names.get(e.organisation_id) ?? e.organisation_id) : '',
      })),
      ...paging(page, total, PAGE_SIZE, values),
    });
  });
}
