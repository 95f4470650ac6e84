// bench/report-clustering: 100,000 reports clustered into campaigns by the real grouping code on a
// fresh SQLite database (see bench/support/report-clustering.ts). Goal (issue 5): under 30 s, with
// campaigns at least 95% pure. Options: --reports N, --seed N, --batch N (reports to a transaction,
// 2500 by default), --one-by-one (as the job for one report groups, 500 to a transaction).
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { runReportClustering } from './support/report-clustering.ts';

const { values } = parseArgs({
  options: {
    reports: { type: 'string' },
    seed: { type: 'string' },
    batch: { type: 'string' },
    'one-by-one': { type: 'boolean' },
  },
});
const reports = values.reports ? Number(values.reports) : 100_000;
const result = await runReportClustering({
  reports,
  seed: values.seed ? Number(values.seed) : undefined,
  batchSize: values.batch ? Number(values.batch) : undefined,
  oneByOne: values['one-by-one'] ?? false,
});
const goalSeconds = 30 * (reports / 100_000);
const met = result.clusterSeconds < goalSeconds && result.purity >= 0.95;
console.log(
  `generated campaigns ${result.generatedCampaigns} (with noise); campaigns found ${result.campaignsFound}; purity ${(result.purity * 100).toFixed(2)}%; completeness ${(result.completeness * 100).toFixed(2)}%`,
);
console.log(
  `clustered ${result.reports} reports in ${result.clusterSeconds.toFixed(1)} s (${Math.round(result.reportsPerSecond)} a second, ${result.clusterCpuSeconds.toFixed(1)} s of CPU; load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} CPUs); goal: under ${goalSeconds.toFixed(0)} s with purity at least 95%: ${met ? 'met' : 'MISSED'}`,
);
process.exit(met ? 0 : 1);
