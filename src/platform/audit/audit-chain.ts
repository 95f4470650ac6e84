// The audit chain's hashing: SHA-256 over a canonical serialisation of the event that includes the
// previous event's hash, so changing, removing or reordering any stored event breaks the chain.
import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

export interface ChainedFields {
  seq: number;
  id: string;
  occurred_at: string;
  actor_user_id: string | null;
  actor_label: string;
  organisation_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  user_agent: string | null;
  details: unknown;
  prev_hash: string;
}

/** JSON with object keys sorted at every depth: one byte sequence for one value. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function hashEvent(fields: ChainedFields): string {
  return createHash('sha256')
    .update(canonicalJson({ ...fields, seq: Number(fields.seq) }))
    .digest('hex');
}
