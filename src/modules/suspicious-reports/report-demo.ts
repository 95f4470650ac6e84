// Demo report mailboxes: Westminster takes forwarded suspicious email at report-a-scam@westminster.gov.uk.
import type { Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.ts';
import { nowIso } from '../../platform/ids.ts';
import * as repo from './suspicious-reports.repository.ts';

const ADDRESSES: Array<{ slug: string; addresses: string[] }> = [
  { slug: 'westminster', addresses: ['report-a-scam@westminster.gov.uk'] },
  { slug: 'kensington-chelsea', addresses: ['report-a-scam@rbkc.gov.uk'] },
  { slug: 'hammersmith-fulham', addresses: ['report-a-scam@lbhf.gov.uk'] },
];

/** Adds the demo councils' report addresses, unless a council has its own already. */
export async function seedDemoReportMailboxes(
  trx: Transaction<DB>,
  organisationIdBySlug: Map<string, string>,
): Promise<void> {
  for (const { slug, addresses } of ADDRESSES) {
    const organisationId = organisationIdBySlug.get(slug);
    if (!organisationId || (await repo.councilReportAddresses(trx, organisationId))) continue;
    await repo.setReportAddresses(trx, organisationId, addresses, nowIso());
  }
}
