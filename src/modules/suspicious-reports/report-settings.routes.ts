// Staff pages for a council's report addresses (see report-settings.ts): a list of the councils the
// signed-in person may set them for, and a form per council.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { actorOf, requireStaff } from '../../platform/auth/staff-guard.ts';
import type { StaffNavigation } from '../../platform/auth/staff-navigation.ts';
import type { Database } from '../../platform/db/database.ts';
import { formText } from '../../platform/http/form-fields.ts';
import type { FieldError } from '../../platform/http/form-result.ts';
import type { InboundMailboxes } from '../../platform/mail-in/inbound-mailboxes.ts';
import { createReportSettingsService } from './report-settings.ts';

export interface ReportSettingsRoutesOptions {
  database: Database;
  navigation: StaffNavigation;
  /** A registry of every mailbox, made afresh for each check. */
  mailboxes: () => InboundMailboxes;
}

const LIST = '/staff/reports/settings';

export async function reportSettingsRoutes(app: FastifyInstance, opts: ReportSettingsRoutesOptions): Promise<void> {
  const service = createReportSettingsService(opts.database.db, { mailboxes: opts.mailboxes });
  const configure = { preHandler: requireStaff('report.configure') };
  opts.navigation.add({ href: LIST, text: 'Report addresses', action: 'report.configure' });

  app.get(LIST, configure, async (request, reply) =>
    reply.render('suspicious-reports/views/staff-report-settings.njk', {
      pageTitle: 'Report addresses',
      councils: await service.settingsFor(request.staff!.principal),
      banner: (request.query as { done?: string }).done === 'saved',
    }),
  );

  const renderForm = async (
    request: FastifyRequest,
    reply: FastifyReply,
    value: string | undefined,
    errors: FieldError[] = [],
  ) => {
    const organisationId = (request.params as { organisationId: string }).organisationId;
    const found = (await service.settingsFor(request.staff!.principal)).find((c) => c.council.id === organisationId);
    if (!found) return reply.sendProblemOrPage({ status: 404, title: 'Page not found' });
    return reply.code(errors.length ? 400 : 200).render('suspicious-reports/views/staff-report-settings-form.njk', {
      pageTitle: `Report addresses for ${found.council.name}`,
      council: found.council,
      value: value ?? found.addresses.join('\n'),
      errors,
    });
  };

  app.get(`${LIST}/:organisationId`, configure, (request, reply) => renderForm(request, reply, undefined));

  app.post(`${LIST}/:organisationId`, configure, async (request, reply) => {
    const value = formText(request.body, 'reportAddresses', 6000);
    const organisationId = (request.params as { organisationId: string }).organisationId;
    const result = await service.save(request.staff!.principal, actorOf(request), organisationId, value);
    if (!result.ok) return renderForm(request, reply, value, result.errors);
    return reply.redirect(`${LIST}?done=saved`, 303);
  });
}
