// The public site's frame: the home page that lists the councils, each council's page, and the
// accessibility statement and privacy notice (site-wide and per council). No sign-in, no JavaScript.
import type { FastifyInstance } from 'fastify';
import { councilFromPath } from '../../platform/accounts/council-from-path.ts';
import { listOrganisations, type Organisation } from '../../platform/accounts/accounts.repository.ts';
import type { Database } from '../../platform/db/database.ts';
import { findCurrentIncidentForCouncil } from '../incidents/incidents.repository.ts';

const councilSchema = {
  type: 'object',
  properties: {
    slug: { type: 'string' },
    name: { type: 'string' },
    shortName: { type: 'string' },
    websiteUrl: { type: 'string', nullable: true },
    officialDomains: { type: 'array', items: { type: 'string' } },
    pageUrl: { type: 'string' },
  },
  required: ['slug', 'name', 'shortName', 'officialDomains', 'pageUrl'],
} as const;

function councilView(council: Organisation) {
  return {
    slug: council.slug,
    name: council.name,
    shortName: council.shortName,
    websiteUrl: council.websiteUrl,
    officialDomains: council.officialDomains,
  };
}

export async function publicSiteRoutes(app: FastifyInstance, opts: { database: Database }): Promise<void> {
  const { db } = opts.database;

  const councilFromParams = (params: unknown) => councilFromPath(db, params);
  const notFound = { status: 404, title: 'Page not found' };

  app.get('/', async (_request, reply) => {
    const councils = await listOrganisations(db, 'council');
    return reply.render('public-site/views/home.njk', {
      pageTitle: 'Find your council',
      councils: councils.map(councilView),
    });
  });

  app.get('/:council', async (request, reply) => {
    const council = await councilFromParams(request.params);
    if (!council) return reply.sendProblemOrPage(notFound);
    const hasIncident = (await findCurrentIncidentForCouncil(db, council.id)) !== undefined;
    return reply.render('public-site/views/council.njk', {
      pageTitle: council.name,
      council: councilView(council),
      hasIncident,
    });
  });

  for (const page of ['accessibility', 'privacy'] as const) {
    const template = `public-site/views/${page}.njk`;
    const pageTitle = page === 'accessibility' ? 'Accessibility statement' : 'Privacy notice';
    app.get(`/${page}`, async (_request, reply) => reply.render(template, { pageTitle }));
    app.get(`/:council/${page}`, async (request, reply) => {
      const council = await councilFromParams(request.params);
      if (!council) return reply.sendProblemOrPage(notFound);
      return reply.render(template, { pageTitle, council: councilView(council) });
    });
  }

  app.get(
    '/api/v1/councils',
    {
      schema: {
        tags: ['public'],
        summary: 'The councils that publish incident information here',
        response: {
          200: {
            type: 'object',
            properties: { councils: { type: 'array', items: councilSchema } },
            required: ['councils'],
          },
        },
      },
    },
    async (request) => {
      const base = `${request.protocol}://${request.host}`;
      const councils = await listOrganisations(db, 'council');
      return { councils: councils.map((c) => ({ ...councilView(c), pageUrl: `${base}/${c.slug}` })) };
    },
  );
}
