// Scores `wardroom analyse` output (JSON lines on standard input) against a labels file written by
// generate-corpus.ts (or any list of {id, label: 'scam'|'genuine', council, campaign}):
//   npx wardroom analyse corpus --sms corpus/sms.jsonl | node --import tsx score-analysis.ts corpus/labels.json
import { readFileSync } from 'node:fs';

interface Label {
  id: string;
  label: 'scam' | 'genuine';
  council?: boolean;
  campaign?: string;
}

const labels = new Map(
  (JSON.parse(readFileSync(process.argv[2] ?? 'labels.json', 'utf8')) as Label[]).map((l) => [l.id, l]),
);
const results = readFileSync(0, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as { id: string; verdict: string; campaign: string });
const scored = results.filter((r) => labels.has(r.id));
const flagged = scored.filter((r) => r.verdict === 'likely-scam');
const truePositives = flagged.filter((r) => labels.get(r.id)!.label === 'scam').length;
const scams = scored.filter((r) => labels.get(r.id)!.label === 'scam').length;
const councilCalledScam = flagged.filter((r) => labels.get(r.id)!.council).map((r) => r.id);
const byCampaign = new Map<string, Map<string, number>>();
for (const r of scored) {
  const truth = labels.get(r.id)!.campaign ?? r.id;
  const counts = byCampaign.get(r.campaign) ?? new Map<string, number>();
  counts.set(truth, (counts.get(truth) ?? 0) + 1);
  byCampaign.set(r.campaign, counts);
}
let pure = 0;
for (const counts of byCampaign.values()) pure += Math.max(...counts.values());
const verdicts: Record<string, number> = {};
for (const r of scored)
  verdicts[`${labels.get(r.id)!.label} → ${r.verdict}`] =
    (verdicts[`${labels.get(r.id)!.label} → ${r.verdict}`] ?? 0) + 1;
process.stdout.write(
  `${JSON.stringify(
    {
      messages: scored.length,
      unlabelled: results.length - scored.length,
      scams,
      precision: flagged.length ? Number((truePositives / flagged.length).toFixed(3)) : 1,
      recall: scams ? Number((truePositives / scams).toFixed(3)) : 1,
      councilCalledScam,
      campaigns: byCampaign.size,
      campaignPurity: Number((pure / Math.max(1, scored.length)).toFixed(3)),
      verdicts,
    },
    null,
    2,
  )}\n`,
);
