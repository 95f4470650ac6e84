// Test support: reports made from the analyser's labelled corpus (the .eml files and texts under
// suspicious-messages/test-fixtures/corpus), recorded and grouped as intake does.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/schema.ts';
import type { OnOutcome } from './report-grouping.ts';
import { recordAnalysedReport, type ReportToRecord } from './report-recording.ts';

const CORPUS = path.join(path.dirname(fileURLToPath(import.meta.url)), '../suspicious-messages/test-fixtures/corpus');

export function corpusEml(name: string): Buffer {
  return readFileSync(path.join(CORPUS, name));
}

export function corpusText(id: string): { sender: string; body: string } {
  for (const line of readFileSync(path.join(CORPUS, 'sms.jsonl'), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const item = JSON.parse(line) as { id: string; sender: string; body: string };
    if (item.id === id) return { sender: item.sender, body: item.body };
  }
  throw new Error(`no text ${id} in the corpus`);
}

/** Records a corpus message as a report to a council; `eml` names a file such as `scam/crypto.eml`. */
export function recordCorpusReport(
  db: Kysely<DB>,
  organisationId: string,
  source: { eml: string } | { sms: string },
  extra: Partial<Omit<ReportToRecord, 'organisationId' | 'message'>> = {},
  onOutcome?: OnOutcome,
) {
  return recordAnalysedReport(
    db,
    {
      organisationId,
      message: 'eml' in source ? { eml: corpusEml(source.eml) } : { sms: corpusText(source.sms) },
      ...extra,
    },
    { onOutcome },
  );
}
