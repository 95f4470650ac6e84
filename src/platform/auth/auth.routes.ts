// Sign-in pages: password, MFA enrolment (QR code and key in text), MFA code, recovery code,
// account set-up from a one-time link, and sign out. Every step is audited by the service.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import QRCode from 'qrcode';
import { rotateCsrfCookie } from '../http/csrf.ts';
import { formText } from '../http/form-fields.ts';
import { createSecretBox } from './secret-box.ts';
import type { AuthService, ClientInfo, CodeResult } from './auth.service.ts';
import { safeReturnPath } from './staff-guard.ts';
import type { StaffNavigation } from './staff-navigation.ts';
import { formatSecretForPeople } from './totp.ts';
import { MIN_PASSWORD_LENGTH } from './passwords.ts';

export interface AuthRoutesOptions {
  auth: AuthService;
  navigation: StaffNavigation;
  sessionSecret: string;
}

type Form = Record<string, unknown>;

export function clientInfo(request: FastifyRequest): ClientInfo {
  const ua = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null };
}

const FLASH_COOKIE = 'wardroom_recovery_codes';

export const authRoutes = fp(
  async (app: FastifyInstance, opts: AuthRoutesOptions) => {
    const { auth } = opts;
    const flashBox = createSecretBox(opts.sessionSecret, 'flash');
    const names = app.siteCookies;

    app.decorateRequest('staff', null);
    app.decorateRequest('pendingSignIn', null);
    app.addHook('onRequest', async (request) => {
      const token = request.cookies[names.session];
      // Static files and probes never need to know who is asking: spare the database.
      if (!token || request.url.startsWith('/assets/') || request.url === '/healthz' || request.url === '/readyz')
        return;
      const loaded = await auth.loadSession(token);
      if (!loaded) return;
      if (loaded.session.stage === 'active') {
        request.staff = loaded;
        request.viewLocals['staff'] = { displayName: loaded.user.display_name, email: loaded.user.email };
        request.viewLocals['navigation'] = opts.navigation.for(loaded.principal, request.url.split('?')[0] ?? '');
      } else {
        request.pendingSignIn = loaded;
      }
    });

    const startSession = (reply: FastifyReply, token: string) => reply.setCookie(names.session, token, names.options);

    const afterSignIn = (
      request: FastifyRequest,
      reply: FastifyReply,
      result: Extract<CodeResult, { outcome: 'signed-in' }>,
    ) => {
      startSession(reply, result.token);
      rotateCsrfCookie(request, reply);
      if (result.recoveryCodes) {
        reply.setCookie(FLASH_COOKIE, flashBox.seal(JSON.stringify(result.recoveryCodes)), {
          ...names.options,
          path: '/sign-in',
          maxAge: 600,
        });
        return reply.redirect('/sign-in/recovery-codes', 303);
      }
      const back = safeReturnPath(request.cookies[names.returnTo]);
      reply.clearCookie(names.returnTo, names.options);
      return reply.redirect(back ?? '/staff', 303);
    };

    const lockedMessage = (minutes: number) =>
      `Too many attempts. Wait ${minutes} minute${minutes === 1 ? '' : 's'} and try again.`;

    /** Too many wrong codes: the part-signed-in session has been ended; start again at the password. */
    const lockedOut = (reply: FastifyReply, minutes: number) => {
      reply.clearCookie(names.session, names.options);
      return reply.code(429).render('auth/views/sign-in.njk', {
        pageTitle: 'Sign in',
        errors: [{ text: lockedMessage(minutes), href: '#email' }],
        values: {},
      });
    };

    app.get('/sign-in', async (request, reply) => {
      if (request.staff) return reply.redirect('/staff', 303);
      const timedOut = (request.query as Form)['timedOut'] === '1';
      return reply.render('auth/views/sign-in.njk', { pageTitle: 'Sign in', timedOut, values: {} });
    });

    app.post('/sign-in', { config: { rateLimit: 'sign-in' } }, async (request, reply) => {
      const email = formText(request.body, 'email', 320).trim();
      const password = formText(request.body, 'password', 1000);
      const errors: Array<{ text: string; href: string }> = [];
      if (!email) errors.push({ text: 'Enter your email address', href: '#email' });
      if (!password) errors.push({ text: 'Enter your password', href: '#password' });
      if (errors.length === 0) {
        const result = await auth.signInWithPassword(email, password, clientInfo(request));
        if (result.outcome === 'continue') {
          startSession(reply, result.token);
          return reply.redirect(result.stage === 'mfa' ? '/sign-in/mfa' : '/sign-in/mfa/set-up', 303);
        }
        // One message whether or not the account exists. Only after a correct password does the
        // person learn that their set-up was not finished.
        const text =
          result.outcome === 'locked'
            ? lockedMessage(result.minutes)
            : result.outcome === 'set-up-incomplete'
              ? 'Your account is not set up yet. Ask an administrator in your organisation for a new set-up link'
              : 'Enter a correct email address and password';
        errors.push({ text, href: '#email' });
      }
      return reply
        .code(errors.length ? 400 : 200)
        .render('auth/views/sign-in.njk', { pageTitle: 'Sign in', errors, values: { email } });
    });

    app.get('/sign-in/mfa/set-up', async (request, reply) => {
      const pending = request.pendingSignIn;
      if (!pending || pending.session.stage !== 'mfa-enrol') return reply.redirect('/sign-in', 303);
      return renderEnrolment(reply, pending, []);
    });

    async function renderEnrolment(
      reply: FastifyReply,
      pending: NonNullable<FastifyRequest['pendingSignIn']>,
      errors: Array<{ text: string; href: string }>,
    ) {
      const { secret, uri } = await auth.enrolmentSecret(pending);
      const qrSvg = await QRCode.toString(uri, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' });
      return reply.code(errors.length ? 400 : 200).render('auth/views/mfa-set-up.njk', {
        pageTitle: 'Set up your authenticator app',
        qrSvg,
        secretText: formatSecretForPeople(secret),
        errors,
      });
    }

    app.post('/sign-in/mfa/set-up', async (request, reply) => {
      const pending = request.pendingSignIn;
      if (!pending || pending.session.stage !== 'mfa-enrol') return reply.redirect('/sign-in', 303);
      const code = formText(request.body, 'code', 20);
      if (!code.trim())
        return renderEnrolment(reply, pending, [
          { text: 'Enter the 6-digit code from your authenticator app', href: '#code' },
        ]);
      const result = await auth.completeEnrolment(pending, code, clientInfo(request));
      if (result.outcome === 'signed-in') return afterSignIn(request, reply, result);
      if (result.outcome === 'locked') return lockedOut(reply, result.minutes);
      return renderEnrolment(reply, pending, [
        { text: 'The code is not correct. Check your app and enter the newest code', href: '#code' },
      ]);
    });

    app.get('/sign-in/recovery-codes', async (request, reply) => {
      if (!request.staff) return reply.redirect('/sign-in', 303);
      const sealed = request.cookies[FLASH_COOKIE];
      const opened = sealed ? flashBox.open(sealed) : null;
      if (!opened) return reply.redirect('/staff', 303);
      reply.clearCookie(FLASH_COOKIE, { path: '/sign-in' });
      return reply.render('auth/views/recovery-codes.njk', {
        pageTitle: 'Save your recovery codes',
        codes: JSON.parse(opened) as string[],
      });
    });

    const codeRoute = (path: string, template: string, pageTitle: string, verify: 'totp' | 'recovery') => {
      app.get(path, async (request, reply) => {
        if (!request.pendingSignIn || request.pendingSignIn.session.stage !== 'mfa')
          return reply.redirect('/sign-in', 303);
        return reply.render(template, { pageTitle });
      });
      app.post(path, { config: { rateLimit: 'sign-in' } }, async (request, reply) => {
        const pending = request.pendingSignIn;
        if (!pending || pending.session.stage !== 'mfa') return reply.redirect('/sign-in', 303);
        const code = formText(request.body, 'code', 40);
        const missing =
          verify === 'totp' ? 'Enter the 6-digit code from your authenticator app' : 'Enter a recovery code';
        if (!code.trim())
          return reply.code(400).render(template, { pageTitle, errors: [{ text: missing, href: '#code' }] });
        const result =
          verify === 'totp'
            ? await auth.verifyCode(pending, code, clientInfo(request))
            : await auth.verifyRecoveryCode(pending, code, clientInfo(request));
        if (result.outcome === 'signed-in') return afterSignIn(request, reply, result);
        if (result.outcome === 'locked') return lockedOut(reply, result.minutes);
        const wrong =
          verify === 'totp'
            ? 'The code is not correct. Enter the newest code from your app'
            : 'The recovery code is not correct or has been used';
        return reply.code(400).render(template, { pageTitle, errors: [{ text: wrong, href: '#code' }] });
      });
    };
    codeRoute('/sign-in/mfa', 'auth/views/mfa-code.njk', 'Enter the code from your authenticator app', 'totp');
    codeRoute('/sign-in/recovery', 'auth/views/recovery-code.njk', 'Use a recovery code', 'recovery');

    app.get('/sign-in/set-up/:token', async (request, reply) => {
      const { token } = request.params as { token: string };
      const link = await auth.findSetupLink(token);
      if (!link) return reply.code(410).render('auth/views/set-up-expired.njk', { pageTitle: 'This link has expired' });
      return reply.render('auth/views/set-up.njk', {
        pageTitle: 'Create your password',
        email: link.user.email,
        minLength: MIN_PASSWORD_LENGTH,
      });
    });

    app.post('/sign-in/set-up/:token', async (request, reply) => {
      const { token } = request.params as { token: string };
      const password = formText(request.body, 'password', 1000);
      const confirm = formText(request.body, 'confirmPassword', 1000);
      const link = await auth.findSetupLink(token);
      if (!link) return reply.code(410).render('auth/views/set-up-expired.njk', { pageTitle: 'This link has expired' });
      const render = (errors: Array<{ text: string; href: string }>) =>
        reply.code(400).render('auth/views/set-up.njk', {
          pageTitle: 'Create your password',
          email: link.user.email,
          minLength: MIN_PASSWORD_LENGTH,
          errors,
        });
      if (!password) return render([{ text: 'Enter a password', href: '#password' }]);
      if (password !== confirm) return render([{ text: 'The passwords do not match', href: '#confirmPassword' }]);
      const result = await auth.completeSetup(token, password, clientInfo(request));
      if (result.outcome === 'problem') return render([{ text: result.message, href: '#password' }]);
      if (result.outcome === 'expired')
        return reply.code(410).render('auth/views/set-up-expired.njk', { pageTitle: 'This link has expired' });
      startSession(reply, result.token);
      return reply.redirect(link.user.totp_enrolled_at ? '/sign-in/mfa' : '/sign-in/mfa/set-up', 303);
    });

    app.post('/sign-out', async (request, reply) => {
      const loaded = request.staff ?? request.pendingSignIn;
      if (loaded) await auth.signOut(loaded, clientInfo(request));
      reply.clearCookie(names.session, names.options);
      rotateCsrfCookie(request, reply);
      return reply.redirect('/signed-out', 303);
    });

    app.get('/signed-out', async (_request, reply) =>
      reply.render('auth/views/signed-out.njk', { pageTitle: 'You have signed out' }),
    );
  },
  { name: 'auth-routes', dependencies: ['render', 'csrf', 'site-cookies'] },
);
