// Hostile and broken messages through the path `wardroom analyse` takes (readEmail, analyseLoaded,
// then campaign grouping): each ends analysed or rejected with a reason, and nothing throws. The
// default run is 1,000 messages with one of 10 MB, to keep `npm test` quick on a shared machine;
// WARDROOM_ROBUSTNESS_COUNT=10000 runs the full 10,000 (five of 10 MB). Time per message and
// memory are measured by `npm run bench -- analyser-robustness`, not asserted here.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEMO_ORGANISATIONS } from '../../platform/demo/seed-demo.ts';
import { htmlToText } from '../../platform/mail-in/html-text.ts';
import { parseInboundMail } from '../../platform/mail-in/inbound-mail-parser.ts';
import { analyseLoaded, readEmail } from './analyse-command.ts';
import { CAMPAIGN_TEXT_CHARS, groupCampaigns } from './campaign-grouping.ts';
import type { MessageFeatures } from './message-analysis.ts';
import { buildOfficialRegister, indexRegister } from './official-register.ts';
import { MUTATION_NAMES, mutatedMessages, readCorpus, zipFile } from './test-fixtures/mutated-messages.ts';

const index = indexRegister(buildOfficialRegister(DEMO_ORGANISATIONS));
const COUNT = Number(process.env.WARDROOM_ROBUSTNESS_COUNT ?? 1000);
const VERDICTS = ['likely-scam', 'suspicious', 'likely-genuine', 'cannot-tell'];

describe('mutated messages', () => {
  test(`${COUNT} mutated messages each end analysed or rejected with a reason`, async () => {
    const corpus = readCorpus();
    assert.ok(corpus.emails.length >= 80, `${corpus.emails.length} emails in the corpus`);
    const features: MessageFeatures[] = [];
    const seen = new Set<string>();
    let rejected = 0;
    for (const message of mutatedMessages({ seed: 5, count: COUNT, hugeMessages: COUNT >= 10_000 ? 5 : 1 }, corpus)) {
      const loaded =
        message.kind === 'email'
          ? await readEmail(message.id, message.raw!)
          : { kind: 'sms' as const, ...message.sms! };
      const result = analyseLoaded(loaded, index);
      assert.equal(result.id, message.id);
      assert.ok(VERDICTS.includes(result.verdict), `${message.id}: verdict ${result.verdict}`);
      assert.ok(result.score >= 0 && result.score <= 100, `${message.id}: score ${result.score}`);
      for (const reason of result.reasons) {
        assert.ok(reason.code && reason.text, `${message.id}: a reason with no code or text`);
        assert.ok(reason.evidence.length <= 300, `${message.id}: evidence of ${reason.evidence.length} characters`);
      }
      const unreadable = result.reasons.find((r) => r.code === 'unreadable');
      if (unreadable) {
        rejected++;
        assert.match(unreadable.evidence, /^The message could not be read: \S/, message.id);
      }
      assert.ok(result.features.text.length <= CAMPAIGN_TEXT_CHARS, `${message.id}: features hold too much text`);
      features.push(result.features);
      seen.add(message.mutation.split('+')[0]!);
    }
    // The analysis reader reads what it can of any message (mailparser rejected about 6%, over its
    // header and part limits); a rejection, should one come, still says why (above).
    assert.ok(rejected < COUNT / 20, `${rejected} of ${COUNT} rejected`);
    const everyKind = MUTATION_NAMES.filter((name) => !name.startsWith('huge-'));
    assert.deepEqual(
      everyKind.filter((name) => !seen.has(name)),
      [],
      'every mutation was tried',
    );
    const campaigns = groupCampaigns(features, { officialDomains: index.lookalikeTargets });
    assert.equal(campaigns.length, COUNT);
  });

  test('the same seed makes the same messages', () => {
    const ids = (seed: number) => [...mutatedMessages({ seed, count: 40, hugeMessages: 0 })].map((m) => m.id);
    assert.deepEqual(ids(7), ids(7));
    assert.notDeepEqual(ids(7), ids(8));
  });
});

describe('defects the mutated messages found', () => {
  test('50,000 nested HTML elements are flattened, and the text deep inside is kept', async () => {
    const html = `<html><body>${'<div>'.repeat(50_000)}Claim your refund at https://claim.example.top/r${'</div>'.repeat(50_000)}</body></html>`;
    const mail = await parseInboundMail(
      Buffer.from(`From: a@example.com\r\nSubject: Deep\r\nContent-Type: text/html\r\n\r\n${html}`),
    );
    assert.match(mail.text, /Claim your refund at https:\/\/claim\.example\.top\/r/);
    assert.match(mail.problems.join('\n'), /nested deeper than 100 levels: 998\d\d tags were left out/);
  });

  test('tags past the depth limit are left out in pairs, and shallow HTML loses none', () => {
    const shallow = '<p>One<p>Two <b>bold</b> <a href="x">link</a><br><img src=y>';
    assert.deepEqual(htmlToText(shallow, { maxDepth: 3, maxChars: 1000 }), {
      text: 'One\n\nTwo bold link [x]',
      droppedTags: 0,
      truncated: false,
    });
    assert.deepEqual(htmlToText('<i><b><u>x</u></b></i><i>y</i>', { maxDepth: 2, maxChars: 1000 }), {
      text: 'xy',
      droppedTags: 2,
      truncated: false,
    });
    // A run of "<a" with no ">" is not a tag: the pass stays linear instead of scanning to the end each time.
    const noClose = '<a'.repeat(200_000);
    assert.equal(htmlToText(noClose, { maxDepth: 5, maxChars: 1000 }).droppedTags, 0);
  });

  test('a message saved from an mbox keeps its headers; a text starting "From " keeps its first line', async () => {
    const mbox = await parseInboundMail(
      Buffer.from(
        'From ilug-admin@linux.ie  Tue Aug  6 11:51:02 2002\nReturn-Path: <ilug-admin@linux.ie>\nFrom: "Jo" <jo@example.com>\nSubject: Meeting\n\nSee you at noon.\n',
      ),
    );
    assert.equal(mbox.subject, 'Meeting');
    assert.equal(mbox.from?.address, 'jo@example.com');
    assert.equal(mbox.returnPath, 'ilug-admin@linux.ie');
    assert.equal(mbox.text, 'See you at noon.\n');

    const text = await parseInboundMail(Buffer.from('From what I can tell this is a scam.\nIs it?\n'));
    assert.equal(text.text, 'From what I can tell this is a scam.\nIs it?\n');
  });

  test('the features kept for campaign grouping hold at most its share of a long text', async () => {
    const loaded = await readEmail(
      'long',
      Buffer.from(`From: a@example.com\r\nSubject: Long\r\n\r\n${'Your refund is waiting. '.repeat(100_000)}`),
    );
    const result = analyseLoaded(loaded, index);
    assert.equal(result.features.text.length, CAMPAIGN_TEXT_CHARS);
    assert.ok(result.features.text.startsWith('Long\nYour refund is waiting.'));
  });

  test('a zip attachment, and one declaring a 4 GB entry, are analysed as risky attachments', async () => {
    const zip = zipFile('invoice.pdf', Buffer.alloc(1024 * 1024), 0xfffffff0);
    assert.equal(zip.readUInt32LE(0), 0x04034b50);
    assert.ok(zip.length < 5000, `the zip is ${zip.length} bytes`);
    const raw = Buffer.from(
      [
        'From: "Westminster City Council" <billing@westminster-invoices.com>',
        'Subject: Invoice',
        'Content-Type: multipart/mixed; boundary="z"',
        '',
        '--z',
        'Content-Type: text/plain',
        '',
        'Your invoice is attached.',
        '--z',
        'Content-Type: application/zip; name="invoice.zip"',
        'Content-Disposition: attachment; filename="invoice.zip"',
        'Content-Transfer-Encoding: base64',
        '',
        zip.toString('base64'),
        '--z--',
        '',
      ].join('\r\n'),
    );
    const result = analyseLoaded(await readEmail('zip', raw), index);
    assert.ok(result.reasons.some((r) => r.code === 'risky-attachment' && r.evidence === 'invoice.zip'));
  });
});
