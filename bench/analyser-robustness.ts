// bench/analyser-robustness: 10,000 mutated messages (truncated MIME, wrong charsets and transfer
// encodings, broken boundaries, 50-deep and deeper multiparts, a few 10 MB bodies, huge headers,
// thousands of links, pathological HTML, zip attachments, binary garbage, empty input, no headers),
// made deterministically from a seed over the labelled corpus by
// src/modules/suspicious-messages/test-fixtures/mutated-messages.ts, each read and analysed the way
// `wardroom analyse` does (readEmail, then analyseLoaded), then all grouped into campaigns.
//
// Prints how each ended (analysed, or rejected with its reason), the time per message (max, p99,
// p50, the slowest few by mutation), the campaign grouping time and the process's peak RSS.
// Goal (issue 5): every message ends analysed or rejected with a reason, none takes over a second,
// peak RSS under 1 GB.
//
// Options: --count N (10000), --seed N (5), --huge N (how many 10 MB messages, 5).
import { performance } from 'node:perf_hooks';
import { DEMO_ORGANISATIONS } from '../src/platform/demo/seed-demo.ts';
import { analyseLoaded, readEmail } from '../src/modules/suspicious-messages/analyse-command.ts';
import { groupCampaigns } from '../src/modules/suspicious-messages/campaign-grouping.ts';
import type { MessageFeatures } from '../src/modules/suspicious-messages/message-analysis.ts';
import { buildOfficialRegister, indexRegister } from '../src/modules/suspicious-messages/official-register.ts';
import { mutatedMessages } from '../src/modules/suspicious-messages/test-fixtures/mutated-messages.ts';
import { percentiles } from './support/wardroom-process.ts';

const GOAL = { maxMs: 1000, peakRssMb: 1024 };

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}
const COUNT = option('count', 10_000);
const SEED = option('seed', 5);
const HUGE = option('huge', 5);

const index = indexRegister(buildOfficialRegister(DEMO_ORGANISATIONS));
const durations = new Float64Array(COUNT);
const slowest: Array<{ id: string; ms: number }> = [];
const features: MessageFeatures[] = [];
const rejections = new Map<string, number>();
const byMutation = new Map<string, { count: number; maxMs: number }>();
let analysed = 0;
let rejected = 0;
let unexplained = 0;
const rssStart = process.memoryUsage().rss;
let rssPeakSampled = rssStart;

const started = performance.now();
let n = 0;
for (const message of mutatedMessages({ seed: SEED, count: COUNT, hugeMessages: HUGE })) {
  const t0 = performance.now();
  const loaded =
    message.kind === 'email' ? await readEmail(message.id, message.raw!) : { kind: 'sms' as const, ...message.sms! };
  const result = analyseLoaded(loaded, index);
  const ms = performance.now() - t0;
  durations[n++] = ms;
  const unreadable = result.reasons.find((r) => r.code === 'unreadable');
  if (unreadable) {
    rejected++;
    const reason = unreadable.evidence.replace(/\d+/g, 'N').slice(0, 100);
    rejections.set(reason, (rejections.get(reason) ?? 0) + 1);
    if (!unreadable.evidence) unexplained++;
  } else analysed++;
  features.push(result.features);
  const kind = message.mutation.split('+')[0]!;
  const entry = byMutation.get(kind) ?? { count: 0, maxMs: 0 };
  entry.count++;
  entry.maxMs = Math.max(entry.maxMs, ms);
  byMutation.set(kind, entry);
  slowest.push({ id: message.id.slice(0, 80), ms });
  slowest.sort((a, b) => b.ms - a.ms);
  slowest.length = Math.min(slowest.length, 8);
  if (n % 50 === 0 || ms > 100) rssPeakSampled = Math.max(rssPeakSampled, process.memoryUsage().rss);
}
const analysisSeconds = (performance.now() - started) / 1000;
const t0 = performance.now();
const campaigns = groupCampaigns(features, { officialDomains: index.lookalikeTargets });
const groupingMs = performance.now() - t0;
rssPeakSampled = Math.max(rssPeakSampled, process.memoryUsage().rss);
const peakRssMb = process.resourceUsage().maxRSS / 1024;

const [p50, p99, max] = percentiles(durations.subarray(0, n), [50, 99, 100]) as [number, number, number];
const mb = (bytes: number) => (bytes / (1024 * 1024)).toFixed(0);
console.log(`analyser-robustness: ${n} mutated messages, seed ${SEED}, ${HUGE} of 10 MB`);
console.log(`  analysed ${analysed}, rejected with a reason ${rejected}, neither ${n - analysed - rejected}`);
for (const [reason, count] of [...rejections].sort((a, b) => b[1] - a[1]).slice(0, 6))
  console.log(`    rejected ${count}: ${reason}`);
console.log(`  ${(n / analysisSeconds).toFixed(0)} messages/s over ${analysisSeconds.toFixed(1)} s`);
console.log(`  per message: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${max.toFixed(1)} ms`);
console.log('  slowest:');
for (const s of slowest) console.log(`    ${s.ms.toFixed(1)} ms  ${s.id}`);
console.log('  slowest by mutation:');
for (const [kind, e] of [...byMutation].sort((a, b) => b[1].maxMs - a[1].maxMs).slice(0, 12))
  console.log(`    ${e.maxMs.toFixed(1).padStart(8)} ms  ${kind} (${e.count})`);
console.log(`  campaign grouping of all ${n}: ${groupingMs.toFixed(0)} ms, ${new Set(campaigns).size} campaigns`);
console.log(
  `  RSS: ${mb(rssStart)} MB at start, ${mb(rssPeakSampled)} MB highest sampled, peak (maxRSS) ${peakRssMb.toFixed(0)} MB`,
);
const met = analysed + rejected === n && unexplained === 0 && max <= GOAL.maxMs && peakRssMb <= GOAL.peakRssMb;
console.log(
  `goal: every message analysed or rejected with a reason, none over ${GOAL.maxMs} ms, peak RSS under ${GOAL.peakRssMb} MB: ${met ? 'met' : 'MISSED'}`,
);
process.exit(met ? 0 : 1);
