// Putting work on the durable job queue. A job is enqueued in the caller's transaction, so it
// exists if and only if the change that asked for it is committed: no job for a rolled-back
// change, and no change without its job.
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/schema.ts';
import { newId, nowIso } from '../ids.ts';
import { insertJob, type NewJob } from './jobs.repository.ts';

/** Payloads carry ids and small parameters; bulk data belongs in its own table. */
export const MAX_JOB_PAYLOAD_BYTES = 64 * 1024;
export const DEFAULT_MAX_ATTEMPTS = 5;
const MAX_ALLOWED_ATTEMPTS = 100;
const MAX_IDEMPOTENCY_KEY_LENGTH = 200;
/** Lower-case words joined by dots, colons or hyphens, such as `email-campaign.send`. */
const JOB_KIND = /^[a-z][a-z0-9]*(?:[.:-][a-z0-9]+)*$/;
const MAX_KIND_LENGTH = 100;

export interface EnqueueJobInput {
  kind: string;
  /** Anything JSON can represent; it is stored as JSON and given to the handler parsed. */
  payload: unknown;
  /**
   * Enqueueing again with a key that is already used does nothing and returns the existing job's
   * id, whatever its kind or payload. Use it to make "start this once" requests safe to repeat.
   */
  idempotencyKey?: string | undefined;
  organisationId?: string | undefined;
  /** When the job may run first; now when not given. */
  runAt?: Date | string | undefined;
  maxAttempts?: number | undefined;
}

export class InvalidJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidJobError';
  }
}

/**
 * Enqueues a job and returns its id. Pass the caller's transaction so the job is committed with
 * the change it belongs to.
 */
export async function enqueueJob(executor: Kysely<DB> | Transaction<DB>, input: EnqueueJobInput): Promise<string> {
  return enqueuePreparedJob(executor, prepareJob(input));
}

/**
 * Checks and serialises a job without touching the database (throwing InvalidJobError as
 * enqueueJob would), so that a hot path can do it before it takes the write lock. A caller that
 * has serialised and size-checked the payload already passes that JSON as `payloadJson`.
 */
export function prepareJob(
  input: EnqueueJobInput,
  payloadJson: string = serialisePayload(input.kind, input.payload),
): NewJob {
  const now = nowIso();
  return {
    id: newId(),
    kind: checkKind(input.kind),
    payloadJson,
    idempotencyKey: checkIdempotencyKey(input.idempotencyKey),
    organisationId: input.organisationId ?? null,
    runAt: input.runAt === undefined ? now : toIso(input.runAt),
    maxAttempts: checkMaxAttempts(input.maxAttempts),
    now,
  };
}

/** Enqueues a job made by prepareJob, as enqueueJob does; returns the id of the job holding its key. */
export async function enqueuePreparedJob(executor: Kysely<DB> | Transaction<DB>, job: NewJob): Promise<string> {
  const { id } = await insertJob(executor, job);
  return id;
}

function checkKind(kind: string): string {
  if (kind.length > MAX_KIND_LENGTH || !JOB_KIND.test(kind)) {
    throw new InvalidJobError(
      `Job kind "${kind}" is not valid: use lower-case words joined by dots, colons or hyphens, such as "email-campaign.send", at most ${MAX_KIND_LENGTH} characters`,
    );
  }
  return kind;
}

function serialisePayload(kind: string, payload: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(payload);
  } catch (error) {
    throw new InvalidJobError(
      `The payload for job kind "${kind}" cannot be stored as JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  // JSON.stringify returns undefined for undefined, functions and symbols.
  if (json === undefined) {
    throw new InvalidJobError(`The payload for job kind "${kind}" cannot be stored as JSON`);
  }
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > MAX_JOB_PAYLOAD_BYTES) {
    throw new InvalidJobError(
      `The payload for job kind "${kind}" is ${bytes} bytes of JSON; the limit is ${MAX_JOB_PAYLOAD_BYTES} bytes (64 KiB). Store large data in its own table and put its id in the payload.`,
    );
  }
  return json;
}

function checkIdempotencyKey(key: string | undefined): string | null {
  if (key === undefined) return null;
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw new InvalidJobError(`An idempotency key must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters long`);
  }
  return key;
}

function checkMaxAttempts(maxAttempts: number | undefined): number {
  if (maxAttempts === undefined) return DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > MAX_ALLOWED_ATTEMPTS) {
    throw new InvalidJobError(
      `maxAttempts must be a whole number from 1 to ${MAX_ALLOWED_ATTEMPTS}, not ${maxAttempts}`,
    );
  }
  return maxAttempts;
}

function toIso(value: Date | string): string {
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidJobError(`runAt is not a valid date and time: "${String(value)}"`);
  return new Date(ms).toISOString();
}
