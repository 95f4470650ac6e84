// Sharing an incident's enquiries over HTTP: the page that lists what is shared and the forms to
// share and stop sharing (incident managers of the incident's affected councils).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { actorOf, requireStaff } from '../../platform/auth/staff-guard.ts';
import type { Database } from '../../platform/db/database.ts';
import { formText } from '../../platform/http/form-fields.ts';
import type { FieldError } from '../../platform/http/form-result.ts';
import { createIncidentSharingService } from './incident-sharing.service.ts';

export async function incidentSharingRoutes(app: FastifyInstance, opts: { database: Database }): Promise<void> {
  const service = createIncidentSharingService(opts.database.db);
  const incidentIdOf = (request: FastifyRequest) => (request.params as { incidentId: string }).incidentId;
  const path = (incidentId: string) => `/staff/incidents/${incidentId}/sharing`;

  const render = async (request: FastifyRequest, reply: FastifyReply, errors: FieldError[] = []) => {
    const seen = await service.overview(request.staff!.principal, incidentIdOf(request));
    return reply.code(errors.length ? 400 : 200).render('incidents/views/staff-incident-sharing.njk', {
      pageTitle: 'Share enquiries',
      ...seen,
      names: Object.fromEntries([...seen.candidates, ...seen.owners].map((o) => [o.id, o.name])),
      errors,
      banner: (request.query as { done?: string }).done,
    });
  };

  app.get('/staff/incidents/:incidentId/sharing', { preHandler: requireStaff('incident.share') }, (request, reply) =>
    render(request, reply),
  );

  for (const [suffix, adding] of [
    ['', true],
    ['/remove', false],
  ] as const) {
    app.post(
      `/staff/incidents/:incidentId/sharing${suffix}`,
      { preHandler: requireStaff('incident.share') },
      async (request, reply) => {
        const principal = request.staff!.principal;
        const owner = formText(request.body, 'owner', 40);
        const organisation = formText(request.body, 'organisation', 40);
        const result = adding
          ? await service.share(principal, actorOf(request), incidentIdOf(request), owner, organisation)
          : await service.unshare(principal, actorOf(request), incidentIdOf(request), owner, organisation);
        if (!result.ok) return render(request, reply, result.errors);
        return reply.redirect(`${path(incidentIdOf(request))}?done=${adding ? 'shared' : 'unshared'}`, 303);
      },
    );
  }
}
