// The administrator's view of the job queue: counts by status, jobs with their progress and last
// error, and "try again" for a job in the dead-letter state. Payloads are not shown: they may hold
// residents' details.
import type { FastifyInstance } from 'fastify';
import { actorOf, requireStaff } from '../../platform/auth/staff-guard.ts';
import type { StaffNavigation } from '../../platform/auth/staff-navigation.ts';
import { recordAudit } from '../../platform/audit/audit.service.ts';
import type { Database } from '../../platform/db/database.ts';
import { nowIso } from '../../platform/ids.ts';
import { HttpProblem } from '../../platform/http/errors.ts';
import { pageFromQuery, paging } from '../../platform/http/paging.ts';
import {
  JOB_STATUSES,
  countJobsByStatus,
  findJob,
  listJobs,
  retryDeadJob,
  type JobStatus,
} from '../../platform/jobs/jobs.repository.ts';
import { organisationsWhere } from '../../platform/policy/policy.ts';

const PAGE_SIZE = 50;

export async function jobsAdminRoutes(
  app: FastifyInstance,
  opts: { database: Database; navigation: StaffNavigation },
): Promise<void> {
  const { db } = opts.database;
  opts.navigation.add({ href: '/staff/admin/jobs', text: 'Jobs', action: 'jobs.manage' });

  app.get('/staff/admin/jobs', { preHandler: requireStaff('jobs.manage') }, async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    const status = JOB_STATUSES.includes(query['status'] as JobStatus) ? (query['status'] as JobStatus) : undefined;
    const page = pageFromQuery(query['page']);
    const visibleTo = organisationsWhere(request.staff!.principal, 'jobs.manage');
    const [counts, { jobs, total }] = await Promise.all([
      countJobsByStatus(db, { visibleTo }),
      listJobs(db, { status, visibleTo }, { limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }),
    ]);
    return reply.render('administration/views/jobs.njk', {
      pageTitle: 'Jobs',
      counts,
      status,
      statuses: JOB_STATUSES,
      jobs: jobs.map((j) => ({
        ...j,
        progress: j.progressTotal
          ? `${j.progressDone} of ${j.progressTotal} (${Math.floor((100 * j.progressDone) / Math.max(1, j.progressTotal))}%)`
          : j.progressDone
            ? `${j.progressDone} done`
            : '',
      })),
      total,
      ...paging(page, total, PAGE_SIZE, { status }),
      retried: query['retried'] === '1',
    });
  });

  app.post('/staff/admin/jobs/:jobId/retry', { preHandler: requireStaff('jobs.manage') }, async (request, reply) => {
    const { jobId } = request.params as { jobId: string };
    const job = await findJob(db, jobId);
    const mine = organisationsWhere(request.staff!.principal, 'jobs.manage');
    if (!job || (job.organisationId && !mine.includes(job.organisationId)))
      throw new HttpProblem(404, 'Page not found');
    const ok = await db.transaction().execute(async (trx) => {
      const retried = await retryDeadJob(trx, jobId, nowIso());
      if (retried)
        await recordAudit(trx, actorOf(request), {
          action: 'admin.job.retried',
          organisationId: job.organisationId,
          targetType: 'job',
          targetId: jobId,
          details: { kind: job.kind },
        });
      return retried;
    });
    if (!ok) throw new HttpProblem(409, 'Only a job that has stopped retrying can be tried again');
    return reply.redirect('/staff/admin/jobs?status=dead&retried=1', 303);
  });
}
