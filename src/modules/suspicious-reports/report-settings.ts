// A council's report addresses, as staff set them: the addresses residents forward suspicious
// emails to, whose mail becomes reports. Each address belongs to one council and one purpose: one
// already taking another council's reports, or another mailbox's mail (enquiries), is refused,
// since its mail would go to the wrong place.
import type { Kysely } from 'kysely';
import { listOrganisations, type Organisation } from '../../platform/accounts/accounts.repository.ts';
import { recordAudit, type AuditActor } from '../../platform/audit/audit.service.ts';
import type { DB } from '../../platform/db/schema.ts';
import { HttpProblem } from '../../platform/http/errors.ts';
import type { FieldError } from '../../platform/http/form-result.ts';
import { isId, nowIso } from '../../platform/ids.ts';
import { parseAddressList } from '../../platform/mail/address-list.ts';
import { takenAddressProblem, type InboundMailboxes } from '../../platform/mail-in/inbound-mailboxes.ts';
import { can, organisationsWhere, type Principal } from '../../platform/policy/policy.ts';
import { REPORT_MAILBOX } from './report-mailbox.ts';
import * as repo from './suspicious-reports.repository.ts';

export function createReportSettingsService(
  db: Kysely<DB>,
  options: {
    /** A registry of every mailbox, made for each question (so no mailbox answers from a cache). */
    mailboxes: () => InboundMailboxes;
  },
) {
  /** The councils whose report addresses `principal` may set, with their addresses. */
  async function settingsFor(principal: Principal): Promise<Array<{ council: Organisation; addresses: string[] }>> {
    const mine = organisationsWhere(principal, 'report.configure');
    const councils = (await listOrganisations(db, 'council')).filter((o) => mine.includes(o.id));
    const byAddress = await repo.reportAddresses(db);
    return councils.map((council) => ({ council, addresses: addressesOf(byAddress, council.id) }));
  }

  async function save(
    principal: Principal,
    actor: AuditActor,
    organisationId: string,
    text: string,
  ): Promise<{ ok: true } | { ok: false; errors: FieldError[] }> {
    if (!isId(organisationId) || !can(principal, 'report.configure', { organisationId })) {
      throw new HttpProblem(404, 'Page not found');
    }
    const href = '#reportAddresses';
    const parsed = parseAddressList(text);
    if (!parsed.ok) return { ok: false, errors: [{ text: parsed.problem, href }] };
    const addresses = parsed.addresses;
    const errors: FieldError[] = [];
    const byAddress = await repo.reportAddresses(db);
    const otherCouncils = addresses.filter((a) => byAddress.has(a) && byAddress.get(a) !== organisationId);
    if (otherCouncils.length > 0) {
      errors.push({ text: `Another council already takes reports sent to ${otherCouncils.join(', ')}`, href });
    }
    for (const taken of await options.mailboxes().takenByOthers(REPORT_MAILBOX, addresses, db)) {
      errors.push({ text: takenAddressProblem(taken), href });
    }
    if (errors.length > 0) return { ok: false, errors };
    const before = addressesOf(byAddress, organisationId);
    await db.transaction().execute(async (trx) => {
      await repo.setReportAddresses(trx, organisationId, addresses, nowIso());
      await recordAudit(trx, actor, {
        action: 'report.settings-changed',
        organisationId,
        targetType: 'organisation',
        targetId: organisationId,
        details: { before, after: addresses },
      });
    });
    return { ok: true };
  }

  return { settingsFor, save };
}

/** One council's addresses, in the order they were set, from every council's (address to council id). */
function addressesOf(byAddress: ReadonlyMap<string, string>, organisationId: string): string[] {
  return [...byAddress].filter(([, id]) => id === organisationId).map(([address]) => address);
}
