// The audit log: every staff action and every read of a resident's personal data is recorded as
// an event chained to the one before it. Append-only; `wardroom audit verify` walks the chain.
import type { Kysely, Transaction } from 'kysely';
import type { AuditEventRow, DB } from '../db/schema.ts';
import { newId, nowIso } from '../ids.ts';
import { GENESIS_HASH, hashEvent } from './audit-chain.ts';
import * as repo from './audit.repository.ts';

export interface AuditActor {
  userId: string | null;
  /** Who, in words: a staff email, "system", "cli", or "anonymous". */
  label: string;
  ip?: string | null;
  userAgent?: string | null;
}

export interface AuditEntry {
  action: string;
  organisationId?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  details?: Record<string, unknown>;
}

export const SYSTEM_ACTOR: AuditActor = { userId: null, label: 'system' };

const MAX_DETAILS_BYTES = 16 * 1024;

/**
 * Records an event. Pass the caller's transaction so the event is stored if and only if the action
 * it describes is; given a plain Kysely it opens a transaction of its own.
 */
export async function recordAudit(
  executor: Kysely<DB> | Transaction<DB>,
  actor: AuditActor,
  entry: AuditEntry,
): Promise<AuditEventRow> {
  if (!executor.isTransaction) {
    return (executor as Kysely<DB>).transaction().execute((trx) => recordAudit(trx, actor, entry));
  }
  const trx = executor as Transaction<DB>;
  const details = entry.details ?? {};
  const detailsJson = JSON.stringify(details);
  if (Buffer.byteLength(detailsJson) > MAX_DETAILS_BYTES) {
    throw new Error(`audit details for ${entry.action} exceed ${MAX_DETAILS_BYTES} bytes`);
  }
  const { seq, prevHash } = await repo.advanceHead(trx);
  const fields = {
    seq,
    id: newId(),
    occurred_at: nowIso(),
    actor_user_id: actor.userId,
    actor_label: actor.label,
    organisation_id: entry.organisationId ?? null,
    action: entry.action,
    target_type: entry.targetType ?? null,
    target_id: entry.targetId ?? null,
    ip: actor.ip ?? null,
    user_agent: actor.userAgent ? actor.userAgent.slice(0, 512) : null,
    details: JSON.parse(detailsJson) as unknown,
    prev_hash: prevHash,
  };
  const row: AuditEventRow = { ...fields, details: detailsJson, hash: hashEvent(fields) };
  await repo.insertEvent(trx, row);
  return row;
}

export type VerifyResult =
  | { ok: true; events: number; head: { seq: number; hash: string } }
  | { ok: false; events: number; seq: number; id: string | null; reason: string };

/**
 * A (sequence, hash) pair recorded outside the database. Whoever can write to the database could
 * rebuild the whole chain; they cannot change a hash already written down elsewhere.
 */
export interface AuditAnchor {
  seq: number;
  hash: string;
}

/** Walks the chain from the start and names the first event that does not match. */
export async function verifyAuditChain(db: Kysely<DB>, anchors: AuditAnchor[] = []): Promise<VerifyResult> {
  const anchorAt = new Map(anchors.map((a) => [a.seq, a.hash.toLowerCase()]));
  let expectedPrev = GENESIS_HASH;
  let expectedSeq = 1;
  let events = 0;
  for await (const row of repo.streamChain(db)) {
    if (row.seq !== expectedSeq) {
      return {
        ok: false,
        events,
        seq: expectedSeq,
        id: null,
        reason: `event ${expectedSeq} is missing (the next stored event is ${row.seq})`,
      };
    }
    if (row.prev_hash !== expectedPrev) {
      return {
        ok: false,
        events,
        seq: row.seq,
        id: row.id,
        reason: 'its previous-hash does not match the event before it',
      };
    }
    let details: unknown;
    try {
      details = JSON.parse(row.details);
    } catch {
      return { ok: false, events, seq: row.seq, id: row.id, reason: 'its details are not valid JSON' };
    }
    const { hash, ...rest } = row;
    if (hashEvent({ ...rest, details }) !== hash) {
      return { ok: false, events, seq: row.seq, id: row.id, reason: 'its content does not match its hash' };
    }
    const anchored = anchorAt.get(row.seq);
    if (anchored !== undefined && anchored !== hash) {
      return {
        ok: false,
        events,
        seq: row.seq,
        id: row.id,
        reason: 'its hash differs from the anchor recorded outside the database: the chain was rebuilt',
      };
    }
    expectedPrev = hash;
    expectedSeq += 1;
    events += 1;
  }
  const head = await repo.readHead(db);
  if (head.seq !== events || head.hash !== expectedPrev) {
    return {
      ok: false,
      events,
      seq: events + 1,
      id: null,
      reason: `the chain ends at event ${events} but its head records event ${head.seq}: events were removed from the end`,
    };
  }
  const missing = anchors.find((a) => a.seq > events);
  if (missing) {
    return { ok: false, events, seq: missing.seq, id: null, reason: 'an anchored event is no longer in the chain' };
  }
  return { ok: true, events, head: { seq: head.seq, hash: head.hash } };
}

export { findEvents, type AuditFilter } from './audit.repository.ts';
