// The council a public address names (`/{council}/…`): only a council, never an agency, and nothing
// is looked up for a slug that cannot be one.
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/schema.ts';
import { findOrganisationBySlug, type Organisation } from './accounts.repository.ts';

const SLUG = /^[a-z0-9-]{2,60}$/;

export async function councilFromPath(
  db: Kysely<DB> | Transaction<DB>,
  params: unknown,
): Promise<Organisation | undefined> {
  const slug = (params as { council?: unknown } | undefined)?.council;
  if (typeof slug !== 'string' || !SLUG.test(slug)) return undefined;
  const org = await findOrganisationBySlug(db, slug);
  return org?.kind === 'council' ? org : undefined;
}
