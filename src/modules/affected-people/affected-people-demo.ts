// Demo affected people: a small made-up file from each of Westminster and Kensington and Chelsea,
// imported through the same path as a data protection officer's upload (registered, started, run
// in checkpointed batches), so the demo shows finished imports with a few refused rows, and one
// person whom both councils' files name. Names are made up, email addresses are at example.com and
// mobile numbers are in Ofcom's drama range (07700 900xxx).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import { dialectOf } from '../../platform/db/database.ts';
import type { DB } from '../../platform/db/schema.ts';
import { DEMO_INCIDENT_REFERENCE } from '../incidents/incident-demo.ts';
import type { DataCategory } from '../breaches/breach-record.ts';
import { firstRecords, runImport } from './affected-import.ts';
import { guessColumnMap } from './affected-rows.ts';
import { registerImport, startImport } from './affected-people.service.ts';

const DEMO_FOLDER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'demo');
const ACTOR = { userId: null, label: 'seed-demo' };

export const DEMO_AFFECTED_FILES: Array<{ slug: string; file: string; categories: DataCategory[] }> = [
  { slug: 'westminster', file: 'westminster-affected-people.csv', categories: ['basic-identity', 'contact'] },
  {
    slug: 'kensington-chelsea',
    file: 'kensington-chelsea-affected-people.csv',
    categories: ['basic-identity', 'contact', 'financial'],
  },
];

/**
 * Imports the demo files into the demo incident, once: a file already imported is left alone, and
 * one whose import stopped part-way carries on. Returns how many imports it ran.
 */
export async function seedDemoAffectedPeople(db: Kysely<DB>, organisationIdBySlug: Map<string, string>) {
  const incident = await db
    .selectFrom('incidents')
    .select('id')
    .where('reference', '=', DEMO_INCIDENT_REFERENCE)
    .executeTakeFirst();
  if (!incident) return 0;
  let ran = 0;
  for (const demo of DEMO_AFFECTED_FILES) {
    const organisationId = organisationIdBySlug.get(demo.slug);
    if (!organisationId) throw new Error(`demo organisation ${demo.slug} is missing`);
    let existing = await db
      .selectFrom('affected_imports')
      .select(['id', 'status'])
      .where('incident_id', '=', incident.id)
      .where('organisation_id', '=', organisationId)
      .where('file_name', '=', demo.file)
      .executeTakeFirst();
    if (existing?.status === 'done') continue;
    if (!existing) {
      const storedPath = path.join(DEMO_FOLDER, demo.file);
      const row = await registerImport(db, ACTOR, {
        incidentId: incident.id,
        organisationId,
        fileName: demo.file,
        storedPath,
        categories: demo.categories,
        hasHeader: true,
      });
      const header = (await firstRecords(storedPath, row.encoding, 1))[0]!.fields;
      const started = await startImport(db, ACTOR, row.id, guessColumnMap(header), true, { enqueue: false });
      if (!started.ok) throw new Error(`demo file ${demo.file}: ${started.errors.join('; ')}`);
      existing = { id: row.id, status: 'queued' };
    }
    await runImport({ db, dialect: dialectOf(db) }, existing.id);
    ran += 1;
  }
  return ran;
}
