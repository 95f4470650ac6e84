// The administrator's view of inbound mail: counts by status, messages with the reason they were
// rejected or failed, one message's headers and text, and "try again" for a failed one. A message's
// HTML is never shown: only the text made from it, escaped, in a <pre>. Opening a message and
// retrying one are audited; a message tied to a council is shown only to that council's admins.
import type { FastifyInstance } from 'fastify';
import { actorOf, requireStaff } from '../../platform/auth/staff-guard.ts';
import type { StaffNavigation } from '../../platform/auth/staff-navigation.ts';
import { recordAudit } from '../../platform/audit/audit.service.ts';
import type { Database } from '../../platform/db/database.ts';
import { HttpProblem } from '../../platform/http/errors.ts';
import { pageFromQuery, paging } from '../../platform/http/paging.ts';
import { isId, nowIso } from '../../platform/ids.ts';
import { enqueueInboundMailProcessing } from '../../platform/mail-in/inbound-mail-intake.ts';
import { formatBytes, parseInboundMail } from '../../platform/mail-in/inbound-mail-parser.ts';
import {
  INBOUND_MAIL_STATUSES,
  countInboundMailByStatus,
  findInboundMail,
  findInboundMailSummary,
  listInboundMail,
  resetFailedInboundMail,
  type InboundMailStatus,
  type InboundMailSummary,
} from '../../platform/mail-in/inbound-mail.repository.ts';
import { organisationsWhere, type Principal } from '../../platform/policy/policy.ts';

const PAGE_SIZE = 50;
const ACTION = 'mail-in.manage';

export async function mailInAdminRoutes(
  app: FastifyInstance,
  opts: { database: Database; navigation: StaffNavigation },
): Promise<void> {
  const { db } = opts.database;
  opts.navigation.add({ href: '/staff/admin/inbound-mail', text: 'Mail in', action: ACTION });

  /** The message, if this admin may see it. */
  const visible = (principal: Principal, mail: InboundMailSummary | undefined) =>
    mail && (mail.organisationId === null || organisationsWhere(principal, ACTION).includes(mail.organisationId))
      ? mail
      : undefined;

  app.get('/staff/admin/inbound-mail', { preHandler: requireStaff(ACTION) }, async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    const status = INBOUND_MAIL_STATUSES.includes(query['status'] as InboundMailStatus)
      ? (query['status'] as InboundMailStatus)
      : undefined;
    const page = pageFromQuery(query['page']);
    const visibleTo = organisationsWhere(request.staff!.principal, ACTION);
    const [counts, { mail, total }] = await Promise.all([
      countInboundMailByStatus(db, { visibleTo }),
      listInboundMail(db, { status, visibleTo }, { limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }),
    ]);
    return reply.render('administration/views/mail-in.njk', {
      pageTitle: 'Mail in',
      counts,
      status,
      statuses: INBOUND_MAIL_STATUSES,
      mail: mail.map((m) => ({ ...m, sizeText: formatBytes(m.size) })),
      total,
      ...paging(page, total, PAGE_SIZE, { status }),
      retried: query['retried'] === '1',
    });
  });

  app.get('/staff/admin/inbound-mail/:mailId', { preHandler: requireStaff(ACTION) }, async (request, reply) => {
    const { mailId } = request.params as { mailId: string };
    const record = isId(mailId) ? await findInboundMail(db, mailId) : undefined;
    const mail = visible(request.staff!.principal, record);
    if (!mail || !record) throw new HttpProblem(404, 'Page not found');
    await recordAudit(db, actorOf(request), {
      action: 'admin.inbound-mail.viewed',
      organisationId: mail.organisationId,
      targetType: 'inbound-mail',
      targetId: mail.id,
    });
    // Read again from the raw bytes: what staff see is what the mailboxes were given.
    let parsed: Awaited<ReturnType<typeof parseInboundMail>> | undefined;
    let parseError: string | undefined;
    try {
      parsed = await parseInboundMail(record.raw);
    } catch (error) {
      parseError = error instanceof Error ? error.message : String(error);
    }
    return reply.render('administration/views/mail-in-message.njk', {
      pageTitle: mail.subject ? `Mail in: ${mail.subject}` : 'Mail in: a message',
      mail: { ...mail, sizeText: formatBytes(mail.size), storedText: formatBytes(record.raw.length) },
      parsed: parsed && {
        ...parsed,
        attachments: parsed.attachments.map((a) => ({ ...a, sizeText: formatBytes(a.size) })),
      },
      parseError,
    });
  });

  app.post('/staff/admin/inbound-mail/:mailId/retry', { preHandler: requireStaff(ACTION) }, async (request, reply) => {
    const { mailId } = request.params as { mailId: string };
    const mail = visible(request.staff!.principal, isId(mailId) ? await findInboundMailSummary(db, mailId) : undefined);
    if (!mail) throw new HttpProblem(404, 'Page not found');
    const ok = await db.transaction().execute(async (trx) => {
      const retry = await resetFailedInboundMail(trx, mailId, nowIso());
      if (retry === undefined) return false;
      await enqueueInboundMailProcessing(trx, mailId, retry);
      await recordAudit(trx, actorOf(request), {
        action: 'admin.inbound-mail.retried',
        organisationId: mail.organisationId,
        targetType: 'inbound-mail',
        targetId: mailId,
        details: { retry, reason: mail.reason?.slice(0, 500) ?? null },
      });
      return true;
    });
    if (!ok) throw new HttpProblem(409, 'Only a message that failed can be tried again');
    return reply.redirect('/staff/admin/inbound-mail?status=failed&retried=1', 303);
  });
}
