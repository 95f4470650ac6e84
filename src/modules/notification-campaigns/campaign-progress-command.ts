// `wardroom campaign progress <id> [--watch]`: a campaign's figures and a text progress bar, for
// the operator at a terminal. With --watch it prints again every few seconds until the campaign is
// finished (or paused, or cancelled). Reads only counts: no personal data.
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/schema.ts';
import { isId } from '../../platform/ids.ts';
import { createCampaignsService } from './campaigns.service.ts';

export const CAMPAIGN_USAGE = `  campaign progress ID [--watch] a breach notice campaign's progress, with a text progress bar; --watch
                                refreshes it until the campaign is finished`;

type Progress = NonNullable<Awaited<ReturnType<ReturnType<typeof createCampaignsService>['progress']>>>;

/** `[#########-----------]  45%` */
export function textBar(finished: number, total: number, width = 40): string {
  const share = total === 0 ? 0 : Math.min(1, finished / total);
  const filled = Math.floor(share * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%`;
}

export function describeProgress(p: Progress): string {
  const c = p.counts.all;
  const n = (value: number) => value.toLocaleString('en-GB');
  const lines = [
    `${p.campaign.title} (${p.campaign.status})`,
    `${textBar(p.finished, p.total)}  ${n(p.finished)} of ${n(p.total)} done`,
    `waiting ${n(c.queued + c['temporary-failure'] + c.sending)}, sent ${n(c.sent)}, delivered ${n(c.delivered)}, ` +
      `printed ${n(c.printed)}, failed ${n(c['permanent-failure'])}, unknown ${n(c.unknown)}, no way to reach ${n(c['no-route'])}`,
  ];
  for (const channel of ['email', 'sms', 'letter'] as const) {
    const ch = p.counts.byChannel[channel];
    if (ch.total > 0) lines.push(`  ${channel}: ${n(ch.total)}`);
  }
  if (p.campaign.status === 'sending' || p.campaign.status === 'queueing')
    lines.push(`time to finish: ${p.estimate.text}`);
  return `${lines.join('\n')}\n`;
}

export async function runCampaignProgress(
  db: Kysely<DB>,
  campaignId: string | undefined,
  options: { watch: boolean; viaNotify: boolean; write: (text: string) => void; intervalMs?: number },
): Promise<number> {
  if (!campaignId || !isId(campaignId)) {
    options.write(`Give the campaign's id: wardroom campaign progress ID [--watch]\n`);
    return 2;
  }
  const service = createCampaignsService(db, { viaNotify: options.viaNotify });
  for (;;) {
    const progress = await service.progress(campaignId);
    if (!progress) {
      options.write(`No campaign has the id ${campaignId}\n`);
      return 1;
    }
    options.write(describeProgress(progress));
    const settled = ['done', 'cancelled', 'paused', 'draft', 'approved'].includes(progress.campaign.status);
    if (!options.watch || settled) return 0;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 2_000));
  }
}
