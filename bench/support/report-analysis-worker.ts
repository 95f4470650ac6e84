// Bench support for bench/report-analysis: one analysing process. Told its files over IPC, it reads
// them into memory, warms up on other messages, says it is ready, and on "go" reads and analyses every
// message the way `wardroom analyse` does (readEmail, then analyseLoaded), timing the whole pass by
// the wall clock and by its own CPU time, then groups them into campaigns.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import {
  analyseLoaded,
  readEmail,
  type UnreadableMessage,
} from '../../src/modules/suspicious-messages/analyse-command.ts';
import { groupCampaigns } from '../../src/modules/suspicious-messages/campaign-grouping.ts';
import type {
  MessageFeatures,
  SuspiciousMessage,
  Verdict,
} from '../../src/modules/suspicious-messages/message-analysis.ts';
import { buildOfficialRegister, indexRegister } from '../../src/modules/suspicious-messages/official-register.ts';
import { DEMO_ORGANISATIONS } from '../../src/platform/demo/seed-demo.ts';
import { parseInboundMail } from '../../src/platform/mail-in/inbound-mail-parser.ts';

export interface AnalysisJob {
  files: Array<{ path: string; label: string }>;
  /** Messages analysed before the timed pass, none of them among `files`. */
  warmupFiles: string[];
  /** 'mailparser' reads with parseInboundMail instead of readEmail's reader, for A/B runs. */
  reader?: 'mailparser';
}

export interface AnalysisResult {
  messages: number;
  wallMs: number;
  cpuMs: number;
  groupingMs: number;
  unreadable: number;
  /** label → verdict → count */
  verdicts: Record<string, Partial<Record<Verdict, number>>>;
}

const index = indexRegister(buildOfficialRegister(DEMO_ORGANISATIONS));

/** mailparser, as readEmail read mail before the MIME reader. */
async function readWithMailparser(id: string, raw: Buffer): Promise<SuspiciousMessage | UnreadableMessage> {
  try {
    return { kind: 'email', id, mail: await parseInboundMail(raw) };
  } catch (error) {
    return { id, problem: (error as Error).message };
  }
}

process.once('message', (job: AnalysisJob) => {
  const read = job.reader === 'mailparser' ? readWithMailparser : readEmail;
  const messages = job.files.map((f) => ({ id: f.path, label: f.label, raw: readFileSync(f.path) }));
  void (async () => {
    for (const file of job.warmupFiles) analyseLoaded(await read(file, readFileSync(file)), index);
    process.send!({ ready: true });
    process.once('message', () => {
      void (async () => {
        const verdicts: AnalysisResult['verdicts'] = {};
        const features: MessageFeatures[] = [];
        let unreadable = 0;
        const cpu = process.cpuUsage();
        const t0 = performance.now();
        for (const m of messages) {
          const result = analyseLoaded(await read(m.id, m.raw), index);
          features.push(result.features);
          if (result.reasons.some((r) => r.code === 'unreadable')) unreadable++;
          const byLabel = (verdicts[m.label] ??= {});
          byLabel[result.verdict] = (byLabel[result.verdict] ?? 0) + 1;
        }
        const wallMs = performance.now() - t0;
        const used = process.cpuUsage(cpu);
        const t1 = performance.now();
        groupCampaigns(features, { officialDomains: index.lookalikeTargets });
        const groupingMs = performance.now() - t1;
        const result: AnalysisResult = {
          messages: messages.length,
          wallMs,
          cpuMs: (used.user + used.system) / 1000,
          groupingMs,
          unreadable,
          verdicts,
        };
        process.send!(result, () => process.exit(0));
      })();
    });
  })();
});
