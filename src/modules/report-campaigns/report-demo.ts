// The demo councils' reported messages, grouped as intake groups them: council tax refund texts,
// fake helpline emails, lookalike-domain emails, and one genuine council message a resident was
// unsure of. Made from the analyser's labelled corpus; loaded once (skipped when a council has reports).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.ts';
import { insertAndGroup, reportRow, type ReportToRecord } from './report-recording.ts';

const CORPUS = path.join(path.dirname(fileURLToPath(import.meta.url)), '../suspicious-messages/test-fixtures/corpus');
const eml = (name: string) => ({ eml: readFileSync(path.join(CORPUS, name)) });

const REFUND_TEXTS = [
  'WCC: your council tax rebate of £120 is ready. Claim at https://bit.ly/3xYzR before it expires today',
  'WCC: your council tax rebate of £95 is ready. Claim at https://bit.ly/3xYzR before it expires today',
  'WCC: your council tax rebate of £210 is ready. Claim at https://bit.ly/3xYzR before it expires today',
];

const DEMO: Record<string, Array<Omit<ReportToRecord, 'organisationId'>>> = {
  westminster: [
    ...REFUND_TEXTS.map((body, i) => ({
      message: { sms: { sender: `+44770090012${i}`, body } },
      claimedSender: 'Westminster City Council',
      ...(i === 0 ? { reporterEmail: 'resident.one@example.org.uk', wantsOutcome: true } : {}),
    })),
    ...[1, 2, 3].map((n) => ({
      message: eml(`scam/fake-helpline-${n}.eml`),
      claimedSender: 'Westminster City Council',
    })),
    ...['omission', 'homoglyph'].map((kind) => ({
      message: eml(`scam/lookalike-westminster-${kind}.eml`),
      claimedSender: 'Westminster City Council',
    })),
    { message: eml('genuine/westminster-council-tax-reminder.eml'), claimedSender: 'Westminster City Council' },
  ],
  'kensington-chelsea': [
    ...[4, 5].map((n) => ({ message: eml(`scam/refund-campaign-${n}.eml`), claimedSender: 'RBKC' })),
    { message: eml('scam/lookalike-rbkc-tld-swap.eml'), claimedSender: 'RBKC' },
  ],
  'hammersmith-fulham': [
    ...[6, 7, 8].map((n) => ({ message: eml(`scam/refund-campaign-${n}.eml`), claimedSender: 'H&F Council' })),
  ],
};

export async function seedDemoReports(trx: Transaction<DB>, bySlug: ReadonlyMap<string, string>): Promise<void> {
  const start = Date.parse('2025-11-25T09:00:00Z');
  for (const [slug, reports] of Object.entries(DEMO)) {
    const organisationId = bySlug.get(slug);
    if (!organisationId) continue;
    const existing = await trx
      .selectFrom('suspicious_reports')
      .select('id')
      .where('organisation_id', '=', organisationId)
      .executeTakeFirst();
    if (existing) continue;
    for (const [i, report] of reports.entries()) {
      const row = await reportRow({
        ...report,
        organisationId,
        createdAt: new Date(start + i * 7 * 3_600_000).toISOString(),
      });
      await insertAndGroup(trx, row);
    }
  }
}
