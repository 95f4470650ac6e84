// The composition root: wires the database into services and services into routes, in a fixed
// order (external plugins, then platform, then capabilities). No I/O happens at import.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import { affectedCheckRoutes } from './modules/affected-check/affected-check.routes.ts';
import { administrationRoutes } from './modules/administration/administration.routes.ts';
import { affectedPeopleRoutes } from './modules/affected-people/affected-people.routes.ts';
import { breachesRoutes } from './modules/breaches/breaches.routes.ts';
import { createCampaignSenders } from './modules/notification-campaigns/campaign-senders.ts';
import { campaignsRoutes } from './modules/notification-campaigns/campaigns.routes.ts';
import { notifyCallbackRoutes } from './modules/notification-campaigns/notify-callbacks.routes.ts';
import { genuineContactRoutes } from './modules/genuine-contact/genuine-contact.routes.ts';
import { reportSettingsRoutes } from './modules/suspicious-reports/report-settings.routes.ts';
import { suspiciousReportsRoutes } from './modules/suspicious-reports/suspicious-reports.routes.ts';
import { reportOutcomeNotifier } from './modules/suspicious-reports/suspicious-reports.service.ts';
import { incidentTimelineRoutes } from './modules/incident-timeline/incident-timeline.routes.ts';
import { incidentSetupRoutes } from './modules/incidents/incident-setup.routes.ts';
import { enquiriesRoutes } from './modules/enquiries/enquiries.routes.ts';
import { enquiryRepliesRoutes } from './modules/enquiries/enquiry-replies.routes.ts';
import { replyTemplatesRoutes } from './modules/enquiries/reply-templates.routes.ts';
import {
  reportCampaignsRoutes,
  type ReportCampaignRoutesOptions,
} from './modules/report-campaigns/report-campaigns.routes.ts';
import { incidentSharingRoutes } from './modules/incidents/incident-sharing.routes.ts';
import { incidentsRoutes } from './modules/incidents/incidents.routes.ts';
import { publicContentRoutes } from './modules/public-content/public-content.routes.ts';
import { publicUpdatesRoutes } from './modules/public-updates/public-updates.routes.ts';
import { publicSiteRoutes } from './modules/public-site/public-site.routes.ts';
import { enqueueSubscriberNotification } from './modules/subscriptions/subscription-jobs.ts';
import { scamWarningsRoutes } from './modules/scam-warnings/scam-warnings.routes.ts';
import { subscriptionsRoutes } from './modules/subscriptions/subscriptions.routes.ts';
import { authRoutes } from './platform/auth/auth.routes.ts';
import { createAuthService, type AuthService } from './platform/auth/auth.service.ts';
import { createStaffNavigation } from './platform/auth/staff-navigation.ts';
import type { Config } from './platform/config.ts';
import type { Database } from './platform/db/database.ts';
import { healthRoutes } from './platform/health.routes.ts';
import { siteCookiesPlugin } from './platform/http/cookies.ts';
import { csrfProtection } from './platform/http/csrf.ts';
import { errorPages } from './platform/http/errors.ts';
import { rateLimits, type RateLimitPolicy } from './platform/http/rate-limit.ts';
import { renderPlugin } from './platform/http/render.ts';
import { securityHeaderList, securityHeaders } from './platform/http/security-headers.ts';
import { smsConfigured } from './platform/sms/sms-sender.ts';
import { AccessLogController, loggerOptions } from './platform/logger.ts';
import { registerJobMetrics } from './platform/jobs/job-metrics.ts';
import { createInboundMailboxes } from './platform/mail-in-runtime.ts';
import { metricsPlugin } from './platform/metrics.ts';
import { createPublicPageCache, type PublicPageCache } from './platform/public-cache/public-page-cache.ts';
import { registerPublicCacheMetrics } from './platform/public-cache/public-cache-metrics.ts';
import { attachPublicPageFastPath, type PublicPageFastPath } from './platform/public-cache/public-page-fast-path.ts';
import { createViewEnvironment, govukFrontendDist } from './platform/views/views.ts';

const publicDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../public');

export interface AppDeps {
  config: Config;
  database: Database;
  /** Override rate limits (tests). */
  rateLimitPolicies?: Record<string, RateLimitPolicy>;
  /** What the analyst console calls in other modules (reporters' outcome emails, scam warnings). */
  reportCampaigns?: Pick<ReportCampaignRoutesOptions, 'onOutcome'>;
}

export interface AppServices {
  auth: AuthService;
}

export interface RegisteredRoute {
  method: string;
  url: string;
  /** False only where the route opted out of CSRF protection. */
  csrf: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: AppServices;
    registeredRoutes: readonly RegisteredRoute[];
    publicCache: PublicPageCache;
    /** The public page fast path, unless PUBLIC_FAST_PATH=false. */
    publicFastPath: PublicPageFastPath | undefined;
  }
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, database } = deps;
  const https = config.publicBaseUrl.startsWith('https://');

  // Public pages are rendered once per change and then answered from memory by the server itself,
  // before Fastify sees the request (see public-page-cache.ts); everything else goes to Fastify.
  let closing = false;
  const publicCache = createPublicPageCache({
    db: database.db,
    headers: securityHeaderList(https),
    onError: (err) => app.log.error({ err }, 'could not check the public content version'),
    // After a change made elsewhere, the previous copy answers the fast path while this renders.
    renderStale: (url) => {
      renderAgain(url)?.catch((err: unknown) => app.log.error({ err, url }, 'could not render a public page again'));
    },
  });
  let fastPath: PublicPageFastPath | undefined;
  // A page a change dropped is rendered again through its own route, once however many ask.
  const rendersAgain = new Map<string, Promise<unknown>>();
  const renderAgain = (url: string): Promise<unknown> | undefined => {
    if (!publicCache.droppedByChange(url)) return undefined;
    let pending = rendersAgain.get(url);
    if (!pending) {
      pending = app.inject({ method: 'GET', url }).finally(() => rendersAgain.delete(url));
      rendersAgain.set(url, pending);
    }
    return pending;
  };
  const app: FastifyInstance = Fastify({
    logger: loggerOptions(config.logLevel),
    logController: new AccessLogController(),
    // A hop count becomes the function form: believe the first n addresses from the nearest proxy.
    trustProxy:
      typeof config.trustProxy === 'number'
        ? (_address: string, hop: number) => hop < (config.trustProxy as number)
        : config.trustProxy,
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    serverFactory: (handler, options) => {
      const server = createServer((req: IncomingMessage, res: ServerResponse) => {
        // While closing, Fastify answers 503 and closes the connection.
        if (closing || !publicCache.serveFromMemory(req, res)) handler(req, res);
      });
      // The commonest request of all, a GET of a page in memory, is answered off the socket before
      // node:http parses it; anything else goes on to node:http (see public-page-fast-path.ts).
      if (config.publicFastPath) {
        fastPath = attachPublicPageFastPath(server, {
          answerFromMemory: publicCache.answerFromMemory,
          memoryGeneration: publicCache.generation,
          countRepeat: publicCache.countServed,
          isClosing: () => closing,
          renderAgain,
          onError: (err) => app.log.error({ err }, 'the public page fast path failed on a connection'),
        });
      }
      // What Fastify does to the server it would have made itself (the options hold its defaults).
      const timeouts = options as { keepAliveTimeout: number; requestTimeout: number; connectionTimeout: number };
      server.keepAliveTimeout = timeouts.keepAliveTimeout;
      server.requestTimeout = timeouts.requestTimeout;
      server.setTimeout(timeouts.connectionTimeout);
      return server;
    },
  });

  // Every route, as registered: lets tests hold every state-changing route to the CSRF rule.
  const routes: RegisteredRoute[] = [];
  app.decorate('registeredRoutes', routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat())
      routes.push({ method, url: route.url, csrf: route.config?.csrf !== false });
  });

  const navigation = createStaffNavigation();
  const services: AppServices = {
    auth: createAuthService(database.db, { sessionSecret: config.sessionSecret }),
  };
  app.decorate('services', services);

  app.decorate('publicCache', publicCache);
  app.decorate('publicFastPath', fastPath);
  app.addHook('onReady', async () => publicCache.start());
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onClose', async () => publicCache.stop());

  // External plugins.
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 256 * 1024 });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Wardroom API',
        version: '1',
        description: 'Public information about council cyber incidents, and the staff API.',
      },
      servers: [{ url: config.publicBaseUrl }],
    },
    hideUntagged: true,
  });

  // Platform.
  await app.register(securityHeaders, { https });
  await app.register(metricsPlugin);
  registerJobMetrics(app.metricsRegistry, database.db);
  registerPublicCacheMetrics(app.metricsRegistry, publicCache, fastPath);
  await app.register(siteCookiesPlugin, { https });
  await app.register(csrfProtection, { secret: config.sessionSecret });
  await app.register(renderPlugin, { env: createViewEnvironment() });
  await app.register(errorPages);
  await app.register(rateLimits, {
    policies: {
      'public-form': { max: config.publicFormMaxPerMinute, windowMs: 60_000 },
      ...deps.rateLimitPolicies,
    },
  });
  await registerAssets(app);

  await app.register(healthRoutes, { database });
  await app.register(authRoutes, {
    auth: services.auth,
    navigation,
    sessionSecret: config.sessionSecret,
  });

  // Capabilities.
  await app.register(publicSiteRoutes, { database });
  await app.register(incidentsRoutes, { database, navigation, publicBaseUrl: config.publicBaseUrl });
  await app.register(incidentSetupRoutes, { database });
  await app.register(incidentSharingRoutes, { database });
  await app.register(publicUpdatesRoutes, {
    database,
    navigation,
    publicBaseUrl: config.publicBaseUrl,
    // Publishing an update queues the messages to its councils' subscribers, in the same transaction.
    onPublishing: async (trx, { updateId, versionId, councilIds }) => {
      await enqueueSubscriberNotification(trx, { updateId, versionId, councilIds, baseUrl: config.publicBaseUrl });
    },
  });
  await app.register(subscriptionsRoutes, {
    database,
    publicBaseUrl: config.publicBaseUrl,
    smsAvailable: smsConfigured(config),
  });
  await app.register(scamWarningsRoutes, { database, publicBaseUrl: config.publicBaseUrl });
  await app.register(affectedCheckRoutes, {
    database,
    sessionSecret: config.sessionSecret,
    smsAvailable: smsConfigured(config),
  });
  await app.register(incidentTimelineRoutes, { database });
  // Settings that give a mailbox addresses check that no other mailbox takes them already.
  const mailboxes = () => createInboundMailboxes(config);
  await app.register(enquiriesRoutes, { database, navigation, publicBaseUrl: config.publicBaseUrl, mailboxes });
  await app.register(enquiryRepliesRoutes, { database, publicBaseUrl: config.publicBaseUrl });
  await app.register(replyTemplatesRoutes, { database, navigation });
  // An analyst's verdict tells the reporters who asked (the reporting module's outcome email).
  await app.register(reportCampaignsRoutes, {
    database,
    navigation,
    ncscAvailable: config.smtp !== undefined,
    onOutcome: reportOutcomeNotifier({ publicBaseUrl: config.publicBaseUrl }),
    ...deps.reportCampaigns,
  });
  await app.register(reportSettingsRoutes, { database, navigation, mailboxes });
  await app.register(publicContentRoutes, { database });
  await app.register(breachesRoutes, { database, navigation });
  await app.register(affectedPeopleRoutes, { database, navigation, dataDir: config.dataDir });
  // Test sends from the campaign pages go out as the campaigns do.
  const campaignSenders = createCampaignSenders(config);
  app.addHook('onClose', async () => {
    await campaignSenders.email?.close();
    await campaignSenders.sms?.close();
  });
  await app.register(campaignsRoutes, { database, navigation, senders: campaignSenders });
  await app.register(notifyCallbackRoutes, { database, callbackToken: config.notifyCallbackToken });
  await app.register(genuineContactRoutes, { database, navigation });
  await app.register(suspiciousReportsRoutes, { database, publicBaseUrl: config.publicBaseUrl });
  await app.register(administrationRoutes, {
    database,
    auth: services.auth,
    navigation,
    publicBaseUrl: config.publicBaseUrl,
    sessionSecret: config.sessionSecret,
  });

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}

async function registerAssets(app: FastifyInstance): Promise<void> {
  const cacheControl = 'public, max-age=86400';
  await app.register(fastifyStatic, {
    root: path.join(govukFrontendDist, 'govuk/assets'),
    prefix: '/assets/',
    wildcard: false,
    cacheControl: false,
    setHeaders: (res) => res.setHeader('cache-control', cacheControl),
  });
  await app.register(fastifyStatic, {
    root: publicDir,
    prefix: '/assets/wardroom/',
    wildcard: false,
    decorateReply: false,
    cacheControl: false,
    setHeaders: (res) => res.setHeader('cache-control', cacheControl),
  });
  // The two compiled govuk-frontend files, held in memory.
  for (const [file, type] of [
    ['govuk-frontend.min.css', 'text/css; charset=utf-8'],
    ['govuk-frontend.min.js', 'text/javascript; charset=utf-8'],
  ] as const) {
    const body = readFileSync(path.join(govukFrontendDist, 'govuk', file));
    app.get(`/assets/${file}`, { schema: { hide: true } }, async (_request, reply) =>
      reply.type(type).header('cache-control', cacheControl).send(body),
    );
  }
}
