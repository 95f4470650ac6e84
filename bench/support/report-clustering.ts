// The clustering half of bench/report-analysis: 100,000 generated reports to one council, grouped
// into campaigns by the real grouping code (groupReportBacklog: groupReports a batch to a
// transaction, as the suspicious-report.group-backlog job runs it; or, with oneByOne, one report
// at a time as the suspicious-report.group job does) on a fresh SQLite database, timed, with the
// purity of the campaigns found against the campaigns the reports were generated from.
//
// The reports: about 600 campaigns of very different sizes (a few of thousands of reports, many of
// a handful), each a scam text or email with per-victim details (name, amount, reference, link
// token, the sender's number) and some wording that varies within the campaign; of four kinds —
// one link domain with per-victim paths, a fake helpline with no link at all (found by its text
// alone), one sender address, and links on domains that rotate within the campaign — plus 10% noise
// (messages that belong to no campaign). Their campaign keys and text signatures are made exactly
// as intake makes them (campaignKeys over the links found, minHash of the normalised text); the
// analyser's verdict is worked out once per campaign from its first message (the full analysis is
// what bench/report-analysis measures, and would only slow the preparation here).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDatabase, type Database } from '../../src/platform/db/database.ts';
import { migrateToLatest } from '../../src/platform/db/migrate.ts';
import type { SuspiciousReportsTable } from '../../src/platform/db/schema.ts';
import { newId } from '../../src/platform/ids.ts';
import { analysedReportFields } from '../../src/modules/report-campaigns/report-analysis-fields.ts';
import { assignReportToCampaign } from '../../src/modules/report-campaigns/report-grouping.ts';
import { groupReportBacklog } from '../../src/modules/report-campaigns/report-grouping-job.ts';
import { demoRegisterIndex } from '../../src/modules/report-campaigns/report-recording.ts';
import {
  campaignKeys,
  minHash,
  normaliseForCampaign,
  signatureToBytes,
} from '../../src/modules/suspicious-messages/campaign-grouping.ts';
import { findLinks } from '../../src/modules/suspicious-messages/message-links.ts';

export interface ClusteringResult {
  reports: number;
  generatedCampaigns: number;
  campaignsFound: number;
  /** Share of reports in a found campaign whose generated campaign is that campaign's commonest. */
  purity: number;
  /** Share of reports grouped with the commonest found campaign of their generated campaign. */
  completeness: number;
  prepareSeconds: number;
  clusterSeconds: number;
  /** CPU time of this process while clustering: on a shared machine, wall time also counts others' work. */
  clusterCpuSeconds: number;
  reportsPerSecond: number;
}

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const OPENERS = ['Dear {name},', 'Hi {name},', 'Hello {name},', 'Attn: {name}', '{name},', 'Dear Mr {last},'];
const SENTENCES = [
  'our records show an overpayment on your council tax account',
  'you are entitled to a rebate of {amount}',
  'following the recent cyber incident your personal data may have been exposed',
  'to protect your account you must verify your identity',
  'your parking permit has expired and a penalty of {amount} is now due',
  'a payment of {amount} failed and your direct debit has been cancelled',
  'we tried to deliver your parcel but nobody was home',
  'your housing benefit claim has been suspended pending review',
  'the council is offering compensation to every resident affected by the breach',
  'please call our dedicated helpline on {phone} quoting reference {ref}',
  'you must respond within 24 hours or your account will be closed',
  'your bank has flagged unusual activity linked to the council data leak',
  'click the secure link below to confirm your details',
  'failure to act may result in legal proceedings and additional fees',
  'a fraud officer from the council will call you today',
  'we need your card details to process the refund of {amount}',
  'your electoral registration is incomplete and must be updated',
  'the ncsc has asked us to reset every resident password',
  'your blue badge renewal is overdue',
  'you have an unpaid penalty charge notice {ref}',
  'our investigation found your identity was used to open a new account',
  'reply yes to this message to stop the debt collection',
  'please buy gift cards to settle the balance and send us the codes',
  'your pension payment is on hold until you confirm your national insurance number',
  'to keep receiving council services download the attached form',
  'a council tax discount of {amount} is waiting for you',
  'we have detected that your online account was accessed from abroad',
  'your waste collection subscription could not be renewed',
  'the police have asked us to contact you about the cyber attack',
  'transfer your savings to a safe account while we investigate',
  'your energy rebate of {amount} has been approved',
  'an officer will visit your home tomorrow to inspect the property',
  'confirm your date of birth and sort code to receive the payment',
  'this is your final reminder before enforcement action',
  'your school place offer will be withdrawn unless you pay the deposit',
  'the court has issued a summons {ref} in your name',
];
const CLOSERS = [
  'Westminster City Council',
  'Council Tax Team',
  'Revenues and Benefits',
  'Customer Services',
  'Fraud Team',
];
const FIRST = [
  'John',
  'Amira',
  'Peter',
  'Grace',
  'Tomasz',
  'Linda',
  'Sam',
  'Fatima',
  'Oliver',
  'Chen',
  'Maria',
  'David',
];
const LAST = [
  'Smith',
  'Khan',
  'Wright',
  'Okafor',
  'Nowak',
  'Evans',
  'Patel',
  'Jones',
  'Brown',
  'Garcia',
  'Li',
  'Taylor',
];
const TLDS = ['top', 'xyz', 'info', 'online', 'site', 'live', 'click', 'shop', 'icu', 'com'];
const WORDS = [
  'refund',
  'claim',
  'secure',
  'verify',
  'council',
  'tax',
  'portal',
  'resident',
  'help',
  'pay',
  'gov',
  'uk',
];

type Kind = 'link' | 'helpline' | 'sender' | 'rotating';

interface Template {
  label: string;
  kind: Kind;
  channel: 'email' | 'text';
  sentences: string[];
  /** A sentence with two wordings, chosen per message. */
  variant: [string, string];
  domain: string;
  domains: string[];
  senderAddress: string;
  closer: string;
  verdict: SuspiciousReportsTable['suggested_verdict'];
  score: number;
}

const pick = <T>(rand: () => number, list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;

function makeTemplates(rand: () => number, count: number): Template[] {
  const templates: Template[] = [];
  for (let i = 0; i < count; i++) {
    const n = 4 + Math.floor(rand() * 3);
    const sentences: string[] = [];
    while (sentences.length < n) {
      const s = pick(rand, SENTENCES);
      if (!sentences.includes(s)) sentences.push(s);
    }
    const domainOf = () =>
      `${pick(rand, WORDS)}-${pick(rand, WORDS)}${Math.floor(rand() * 10_000)}.${pick(rand, TLDS)}`;
    const kinds: Kind[] = [
      'link',
      'link',
      'link',
      'link',
      'helpline',
      'helpline',
      'helpline',
      'sender',
      'sender',
      'rotating',
    ];
    const kind = pick(rand, kinds);
    templates.push({
      label: `c${i}`,
      kind,
      channel: kind === 'sender' || rand() < 0.4 ? 'email' : 'text',
      sentences,
      variant: rand() < 0.5 ? ['act now', 'act today'] : ['do not ignore this message', 'do not ignore this notice'],
      domain: domainOf(),
      domains: Array.from({ length: 20 }, domainOf),
      senderAddress: `${pick(rand, WORDS)}.${pick(rand, WORDS)}${i}@${domainOf()}`,
      closer: pick(rand, CLOSERS),
      verdict: 'likely-scam',
      score: 0,
    });
  }
  return templates;
}

interface Generated {
  label: string;
  channel: 'email' | 'text';
  sender: string;
  subject: string;
  text: string;
}

function message(rand: () => number, t: Template): Generated {
  const first = pick(rand, FIRST);
  const last = pick(rand, LAST);
  const amount = `£${Math.floor(rand() * 900 + 20)}.${String(Math.floor(rand() * 100)).padStart(2, '0')}`;
  const ref = `REF${Math.floor(rand() * 1e8)}`;
  const phone = `020 7946 ${String(Math.floor(rand() * 10_000)).padStart(4, '0')}`;
  const token = Math.floor(rand() * 36 ** 6).toString(36);
  const fill = (s: string) =>
    s
      .replace('{name}', `${first} ${last}`)
      .replace('{last}', last)
      .replace('{amount}', amount)
      .replace('{ref}', ref)
      .replace('{phone}', phone);
  const lines = [fill(pick(rand, OPENERS)), ...t.sentences.map((s) => `${fill(s)}.`), `${pick(rand, t.variant)}.`];
  if (t.kind === 'link') lines.push(`https://${t.domain}/r/${token}`);
  if (t.kind === 'rotating') lines.push(`https://${pick(rand, t.domains)}/c/${token}`);
  if (t.kind === 'helpline' && !t.sentences.some((s) => s.includes('{phone}')))
    lines.push(
      `Call us now on ${t.domain.length % 2 ? '0800 046 ' : '020 3966 '}${String(t.label.length * 1111).slice(0, 4)}.`,
    );
  lines.push(t.closer);
  const sender =
    t.kind === 'sender'
      ? t.senderAddress
      : t.channel === 'text'
        ? `+4477009${String(Math.floor(rand() * 100_000)).padStart(5, '0')}`
        : `noreply${Math.floor(rand() * 1e6)}@${pick(rand, t.domains)}`;
  return {
    label: t.label,
    channel: t.channel,
    sender,
    subject: t.channel === 'email' ? fill(t.sentences[0]!).slice(0, 60) : '',
    text: lines.join(t.channel === 'email' ? '\n' : ' '),
  };
}

/** A message that belongs to no campaign: everyday words in no fixed order. */
const VOCABULARY = [...new Set([...SENTENCES, ...CLOSERS].join(' ').replace(/[{}]/g, '').split(' '))].concat(
  'weather garden school holiday train meeting dinner football library bus parcel doctor nursery market music'.split(
    ' ',
  ),
);
function noise(rand: () => number, i: number): Generated {
  const words: string[] = [];
  for (let w = 0; w < 25; w++) words.push(pick(rand, VOCABULARY));
  return {
    label: `noise-${i}`,
    channel: 'text',
    sender: `+4477009${String(i % 100_000).padStart(5, '0')}`,
    subject: '',
    text: words.join(' '),
  };
}

/** Campaign sizes fall away like Zipf's law: a few campaigns of thousands, many of a few. */
function generate(total: number, seed: number): { templates: Template[]; messages: Generated[] } {
  const rand = random(seed);
  const templates = makeTemplates(rand, 600);
  const weights = templates.map((_, i) => 1 / (i + 1) ** 0.9);
  const sum = weights.reduce((a, b) => a + b, 0);
  const campaignMessages = Math.round(total * 0.9);
  const messages: Generated[] = [];
  templates.forEach((t, i) => {
    const n = Math.max(1, Math.round((weights[i]! / sum) * campaignMessages));
    for (let k = 0; k < n; k++) messages.push(message(rand, t));
  });
  for (let i = 0; messages.length < total; i++) messages.push(noise(rand, i));
  messages.length = total;
  // Reports arrive interleaved, as residents report.
  for (let i = messages.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [messages[i], messages[j]] = [messages[j]!, messages[i]!];
  }
  return { templates, messages };
}

export async function runReportClustering(
  options: {
    reports?: number;
    seed?: number;
    batchSize?: number;
    oneByOne?: boolean;
    log?: (line: string) => void;
  } = {},
): Promise<ClusteringResult> {
  const total = options.reports ?? 100_000;
  const log = options.log ?? ((line: string) => console.log(line));
  const dir = mkdtempSync(path.join(tmpdir(), 'wardroom-clustering-'));
  const database: Database = openDatabase({ kind: 'sqlite', file: path.join(dir, 'bench.sqlite') });
  try {
    await migrateToLatest(database);
    const { db } = database;
    const organisationId = newId();
    const at = new Date().toISOString();
    await db
      .insertInto('organisations')
      .values({
        id: organisationId,
        slug: 'bench-council',
        name: 'Bench Council',
        short_name: 'Bench',
        kind: 'council',
        website_url: null,
        official_domains: JSON.stringify(['bench.gov.uk']),
        created_at: at,
        updated_at: at,
      } as never)
      .execute();

    const started = performance.now();
    const { templates, messages } = generate(total, options.seed ?? 20251124);
    const index = demoRegisterIndex();
    const officialDomains = index.lookalikeTargets;
    // The analyser's verdict once per campaign (see the top comment).
    const verdicts = new Map<string, { verdict: SuspiciousReportsTable['suggested_verdict']; score: number }>();
    const labels: string[] = [];
    const ids: string[] = [];
    const base = Date.parse('2025-11-24T00:00:00Z');
    let rows: SuspiciousReportsTable[] = [];
    const flush = async () => {
      if (rows.length === 0) return;
      const batch = rows;
      rows = [];
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < batch.length; i += 400)
          await trx
            .insertInto('suspicious_reports')
            .values(batch.slice(i, i + 400))
            .execute();
      });
    };
    for (const [n, m] of messages.entries()) {
      let verdict = verdicts.get(m.label);
      if (!verdict) {
        const f = analysedReportFields({ kind: 'sms', id: m.label, sender: m.sender, body: m.text }, index);
        verdict = { verdict: f.suggested_verdict, score: f.score };
        verdicts.set(m.label, verdict);
      }
      const links = findLinks(m.text);
      const keys = campaignKeys(
        { text: m.text, sender: m.sender, senderIsOfficial: false, links, attachmentHashes: [] },
        { officialDomains },
      );
      const signature = minHash(normaliseForCampaign(m.channel === 'email' ? `${m.subject}\n${m.text}` : m.text));
      const createdAt = new Date(base + n * 25_000).toISOString();
      const id = newId();
      ids.push(id);
      labels.push(m.label);
      rows.push({
        id,
        reference: `SR-${n.toString(36).toUpperCase().padStart(8, '0')}`,
        organisation_id: organisationId,
        channel: 'web',
        kind: m.channel,
        claimed_sender: '',
        received_on: null,
        sender: m.sender,
        subject: m.subject,
        body_text: m.text,
        original_message: null,
        inbound_mail_id: null,
        screenshot: null,
        screenshot_type: null,
        reporter_email: null,
        wants_outcome: 0,
        acknowledged_at: null,
        outcome_sent_at: null,
        suggested_verdict: verdict.verdict,
        score: verdict.score,
        reasons: '[]',
        indicators: '{}',
        campaign_keys: JSON.stringify(keys),
        text_signature: signature ? signatureToBytes(signature) : null,
        campaign_id: null,
        status: 'new',
        analyst_note: '',
        ncsc_forwarded_at: null,
        ncsc_forwarded_by_label: null,
        created_at: createdAt,
        updated_at: createdAt,
      });
      if (rows.length >= 5000) await flush();
    }
    await flush();
    const prepareSeconds = (performance.now() - started) / 1000;
    log(`prepared ${total} reports from ${templates.length} campaigns and noise in ${prepareSeconds.toFixed(1)} s`);

    // The timed part: the backlog path (groupReports, a batch to a transaction), or with
    // --one-by-one each report grouped as the job for one report does it (groupReports with one id),
    // 500 such to a transaction.
    const clusterStart = performance.now();
    const cpuStart = process.cpuUsage();
    if (options.oneByOne) {
      for (let i = 0; i < ids.length; i += 500) {
        await db.transaction().execute(async (trx) => {
          for (const id of ids.slice(i, i + 500)) await assignReportToCampaign(trx, id);
        });
        if ((i / 500) % 40 === 39)
          log(`  grouped ${i + 500} reports, ${((performance.now() - clusterStart) / 1000).toFixed(1)} s`);
      }
    } else {
      let logged = 0;
      await groupReportBacklog(db, {
        batchSize: options.batchSize ?? 2500,
        progress: (done) => {
          if (done - logged >= 20_000 || (done === total && done !== logged)) {
            logged = done;
            log(`  grouped ${done} reports, ${((performance.now() - clusterStart) / 1000).toFixed(1)} s`);
          }
        },
      });
    }
    const clusterSeconds = (performance.now() - clusterStart) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    const clusterCpuSeconds = (cpu.user + cpu.system) / 1e6;

    const placed = new Map<string, string>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await db
        .selectFrom('suspicious_reports')
        .select(['id', 'campaign_id'])
        .where('id', 'in', ids.slice(i, i + 500))
        .execute();
      for (const r of rows) placed.set(r.id, r.campaign_id ?? `none-${r.id}`);
    }
    const found = ids.map((id) => placed.get(id)!);
    const purity = agreement(found, labels);
    const completeness = agreement(labels, found);
    return {
      reports: total,
      generatedCampaigns: new Set(labels).size,
      campaignsFound: new Set(found).size,
      purity,
      completeness,
      prepareSeconds,
      clusterSeconds,
      clusterCpuSeconds,
      reportsPerSecond: total / clusterSeconds,
    };
  } finally {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** For each group in `groups`, the count of its commonest `labels` value; their sum over all. */
function agreement(groups: readonly string[], labels: readonly string[]): number {
  const counts = new Map<string, Map<string, number>>();
  groups.forEach((g, i) => {
    const inGroup = counts.get(g) ?? new Map<string, number>();
    inGroup.set(labels[i]!, (inGroup.get(labels[i]!) ?? 0) + 1);
    counts.set(g, inGroup);
  });
  let agreeing = 0;
  for (const inGroup of counts.values()) agreeing += Math.max(...inGroup.values());
  return agreeing / groups.length;
}
