// One convention for ids and timestamps on both databases: ids are UUIDv7 made by the app (time
// ordered, so indexes stay compact and ids sort by creation), timestamps are UTC ISO-8601 text
// with milliseconds made by the app, which sort and compare the same in SQLite and PostgreSQL.
// Random bytes come from a pool (random-pool.ts): one call to the system's generator per 256 ids
// instead of one per id, which dominated making ids in bulk (an import of a million people).
import { pooledRandomBytes } from './random-pool.ts';

let lastMs = 0;
let counter = 0;

export function newId(): string {
  let ms = Date.now();
  // Keep ids monotonic within a process even when the clock stands still or steps back.
  if (ms <= lastMs) {
    counter += 1;
    if (counter > 0xfff) {
      lastMs += 1;
      counter = 0;
    }
    ms = lastMs;
  } else {
    lastMs = ms;
    counter = 0;
  }
  const bytes = pooledRandomBytes(16);
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = 0x70 | ((counter >> 8) & 0x0f);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | ((bytes[8] as number) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function isId(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(value);
}

/** The current time as stored: UTC ISO-8601 with milliseconds. */
export function nowIso(): string {
  return new Date().toISOString();
}

export function isoPlus(iso: string, ms: number): string {
  return new Date(Date.parse(iso) + ms).toISOString();
}
