import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DEMO_ORGANISATIONS } from '../../platform/demo/seed-demo.ts';
import { runAnalyseCommand } from './analyse-command.ts';

function folder(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'wardroom-analyse-'));
  mkdirSync(path.join(dir, 'inbox', 'nested'), { recursive: true });
  writeFileSync(
    path.join(dir, 'inbox', 'nested', 'scam.eml'),
    'From: "Westminster City Council" <refunds@westminster-refund.co.uk>\r\nSubject: Refund\r\n\r\nDear Ann, claim your council tax refund of £90 at https://westminster-refund.co.uk/c/1 within 24 hours.\r\n',
  );
  writeFileSync(
    path.join(dir, 'inbox', 'genuine.eml'),
    'From: "Westminster City Council" <no-reply@westminster.gov.uk>\r\nSubject: Bins\r\n\r\nBin collections are back to normal: https://www.westminster.gov.uk/bins\r\n',
  );
  writeFileSync(path.join(dir, 'inbox', 'notes.txt'), 'not an email');
  writeFileSync(
    path.join(dir, 'texts.jsonl'),
    `${JSON.stringify({ id: 't1', sender: '+447700900123', body: 'WCC: your refund of £120 is ready https://bit.ly/3xY' })}\nnot json\n`,
  );
  return dir;
}

test('wardroom analyse prints one JSON line per message with ids relative to the folder', async () => {
  const dir = folder();
  const lines: string[] = [];
  const code = await runAnalyseCommand([path.join(dir, 'inbox'), '--sms', path.join(dir, 'texts.jsonl')], {
    write: (line) => lines.push(line),
    error: (line) => assert.fail(line),
    organisations: DEMO_ORGANISATIONS,
  });
  assert.equal(code, 0);
  const results = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    results.map((r) => [r.id, r.verdict, r.campaign]),
    [
      ['genuine.eml', 'likely-genuine', 'c1'],
      ['nested/scam.eml', 'likely-scam', 'c2'],
      ['t1', 'likely-scam', 'c3'],
      ['line-2', 'cannot-tell', 'c4'],
    ],
  );
  for (const r of results) assert.deepEqual(Object.keys(r), ['id', 'verdict', 'score', 'reasons', 'campaign']);
});

test('the wardroom command runs analyse and exits 0', () => {
  const dir = folder();
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'analyse', path.join(dir, 'inbox')], {
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout.trim().split('\n').length, 2);
});

test('every line reaches a pipe before the command exits', () => {
  const corpus = 'src/modules/suspicious-messages/test-fixtures/corpus';
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'src/cli.ts', 'analyse', corpus, '--sms', `${corpus}/sms.jsonl`],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout.trim().split('\n').length, 108);
});

test('a missing path or a bad register is a usage error', async () => {
  const errors: string[] = [];
  const io = { write: () => undefined, error: (l: string) => errors.push(l), organisations: DEMO_ORGANISATIONS };
  assert.equal(await runAnalyseCommand([], io), 2);
  assert.equal(await runAnalyseCommand(['/no/such/place'], io), 2);
  const dir = folder();
  writeFileSync(path.join(dir, 'register.json'), '{"organisations": 3}');
  assert.equal(await runAnalyseCommand(['--register', path.join(dir, 'register.json'), dir], io), 2);
  assert.match(errors.join('\n'), /organisations/);
});
