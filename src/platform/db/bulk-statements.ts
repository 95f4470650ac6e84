// Multi-row statements for bulk work (an import of a million rows, a campaign of a million people),
// compiled here directly: Kysely's builder costs more than the database for statements this size.
import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import type { Dialect } from './database.ts';
import type { DB } from './schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;

/**
 * Rows per multi-row statement, largest first. Every statement has one of these sizes, so a batch
 * of any length is cut into a few statements of a few shapes: SQLite keeps each prepared statement
 * (see withStatementCache), and one with thousands of values takes hundreds of kilobytes, so a
 * shape per remainder (one more with every batch) filled the cache and the process's memory. The
 * largest is 100 rows: a kept 500-row statement held about 450 KB of SQLite memory, and the import's
 * few dozen of them some 35 MB, for no less CPU than five runs of a 100-row one (bench/breach-import).
 * All are well under both databases' limits on bound values.
 */
export const STATEMENT_ROWS = [100, 20, 5, 1] as const;

/** Cuts `count` into statement sizes: as many of the largest as fit, then the next, and so on. */
export function statementSizes(count: number): number[] {
  const sizes: number[] = [];
  let left = count;
  for (const size of STATEMENT_ROWS) {
    while (left >= size) {
      sizes.push(size);
      left -= size;
    }
  }
  return sizes;
}

const placeholderCache = new Map<string, string>();

/** `(?,?),(?,?)…` (or `($1,$2),…` on PostgreSQL) for `rows` rows of `columns` values. */
export function placeholders(dialect: Dialect, rows: number, columns: number): string {
  const cacheKey = `${dialect}:${rows}:${columns}`;
  let text = placeholderCache.get(cacheKey);
  if (text === undefined) {
    const parts: string[] = [];
    let n = 0;
    for (let r = 0; r < rows; r += 1) {
      const cells: string[] = [];
      for (let c = 0; c < columns; c += 1) {
        n += 1;
        cells.push(dialect === 'postgres' ? `$${n}` : '?');
      }
      parts.push(`(${cells.join(',')})`);
    }
    text = parts.join(',');
    placeholderCache.set(cacheKey, text);
  }
  return text;
}

/** The placeholder of the `n`th (1-based) parameter. */
export function parameter(dialect: Dialect, n: number): string {
  return dialect === 'postgres' ? `$${n}` : '?';
}

/** Runs one statement as written, with its parameters; its rows. */
export async function runStatement(executor: Executor, text: string, parameters: unknown[]): Promise<unknown[]> {
  const result = await executor.executeQuery(CompiledQuery.raw(text, parameters));
  return result.rows as unknown[];
}

/**
 * Runs `head VALUES … tail` over `rows` in statements of fixed sizes; `cells` pushes one row's
 * `columns` values (pushed rather than returned, so a million rows make no million small arrays).
 */
export async function insertMany<T>(
  executor: Executor,
  dialect: Dialect,
  head: string,
  tail: string,
  columns: number,
  rows: readonly T[],
  cells: (row: T, parameters: unknown[]) => void,
): Promise<void> {
  let at = 0;
  for (const size of statementSizes(rows.length)) {
    const parameters: unknown[] = [];
    for (let r = at; r < at + size; r += 1) cells(rows[r]!, parameters);
    await runStatement(executor, `${head} ${placeholders(dialect, size, columns)} ${tail}`, parameters);
    at += size;
  }
}

/**
 * Runs a query with an IN list over `values`, a slice at a time, each slice padded (with its last
 * value again, which changes no answer) to one of the fixed sizes, so there are few shapes. `first`
 * is the number of the list's first parameter (those before it are the query's own).
 */
export async function selectIn<R>(
  values: readonly string[],
  query: (list: string, slice: string[]) => Promise<R[]>,
  dialect: Dialect,
  first: number,
): Promise<R[]> {
  const found: R[] = [];
  const largest = STATEMENT_ROWS[0];
  for (let at = 0; at < values.length; at += largest) {
    const slice = values.slice(at, at + largest);
    const size = [...STATEMENT_ROWS].reverse().find((s) => s >= slice.length)!;
    while (slice.length < size) slice.push(slice[slice.length - 1]!);
    for (const row of await query(inList(dialect, size, first), slice)) found.push(row);
  }
  return found;
}

function inList(dialect: Dialect, count: number, first: number): string {
  return Array.from({ length: count }, (_, i) => parameter(dialect, first + i)).join(',');
}
