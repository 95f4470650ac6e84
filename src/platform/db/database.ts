// Opens the database: SQLite (embedded default) or PostgreSQL, behind one Kysely<DB>.
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  PostgresAdapter,
  PostgresDialect,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DialectAdapter,
  sql,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  type SqliteDatabase,
  type SqliteStatement,
  type Transaction,
} from 'kysely';
import pg from 'pg';
import type { DatabaseConfig } from '../config.ts';
import type { DB } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';

export interface Database {
  db: Kysely<DB>;
  dialect: Dialect;
  /** Checks the database answers (for readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL only: the schema to use (tests use one schema each). */
  schema?: string;
  poolSize?: number;
  /**
   * SQLite only. 'on-commit' (the default): SQLite checkpoints the write-ahead log into the database
   * file in whichever commit fills it past 1,000 pages, on the event loop. 'background': a thread
   * with a connection of its own does it every few hundred milliseconds, and the app's connection
   * only past a far higher threshold (should that thread fall behind). For `serve`.
   */
  walCheckpoints?: 'on-commit' | 'background';
  /** Told when the background checkpointer fails (it keeps trying). */
  onCheckpointError?: (message: string) => void;
}

/**
 * How a long-running Wardroom process (`wardroom serve`, and the benches that run its jobs as serve
 * would) opens the database: on SQLite, write-ahead log checkpoints in a thread of their own, off the
 * event loop (each process has its own; two at once cost nothing, one simply finds the other's work
 * done).
 */
export const SERVE_DATABASE_OPTIONS: OpenOptions = { walCheckpoints: 'background' };

/** Pages in the write-ahead log past which the app's own connection checkpoints anyway (about 40 MB). */
export const BACKGROUND_CHECKPOINT_BACKSTOP_PAGES = 10_000;
const BACKGROUND_CHECKPOINT_INTERVAL_MS = 200;

export function openDatabase(config: DatabaseConfig, options: OpenOptions = {}): Database {
  if (config.kind === 'sqlite') {
    if (config.file !== ':memory:') mkdirSync(path.dirname(config.file), { recursive: true });
    const connection = new SQLite(config.file);
    connection.pragma('journal_mode = WAL');
    connection.pragma('foreign_keys = ON');
    // Waiting for another process's write lock happens in the driver, without blocking the event
    // loop (see WardroomSqliteDriver); SQLite itself reports a lock at once.
    connection.pragma('busy_timeout = 0');
    connection.pragma('synchronous = NORMAL');
    // 64 MiB of pages instead of 2: cases and their indexes stay in memory under a surge.
    connection.pragma('cache_size = -65536');
    const checkpointer =
      options.walCheckpoints === 'background' && config.file !== ':memory:'
        ? startCheckpointer(connection, config.file, options.onCheckpointError)
        : undefined;
    const reader = config.file === ':memory:' ? undefined : new SqliteReader(config.file);
    const db = new Kysely<DB>({ dialect: new WardroomSqliteDialect(connection, reader) });
    return {
      db,
      dialect: 'sqlite',
      ping: async () => {
        await sql`select 1`.execute(db);
      },
      close: async () => {
        await checkpointer?.stop();
        await db.destroy();
        reader?.close();
      },
    };
  }

  const pool = new pg.Pool({
    connectionString: config.url,
    max: options.poolSize ?? 10,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}

/**
 * Moves the checkpoints of `connection`'s database to a thread (sqlite-checkpointer.worker.js). The
 * app's connection keeps a high threshold of its own, so the log stays bounded if the thread stops.
 */
function startCheckpointer(
  connection: SQLite.Database,
  file: string,
  onError: ((message: string) => void) | undefined,
): { stop(): Promise<void> } {
  connection.pragma(`wal_autocheckpoint = ${BACKGROUND_CHECKPOINT_BACKSTOP_PAGES}`);
  const worker = new Worker(new URL('./sqlite-checkpointer.worker.js', import.meta.url), {
    workerData: { file, intervalMs: BACKGROUND_CHECKPOINT_INTERVAL_MS },
  });
  worker.unref();
  worker.on('message', (message: { error?: string }) => {
    if (message.error) onError?.(message.error);
  });
  worker.on('error', (error) => onError?.(String(error)));
  return {
    async stop() {
      if (worker.threadId < 0) return;
      const exited = once(worker, 'exit');
      // Unreferenced so that it never keeps a process alive; waited for here, so referenced again.
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}

/** How long a statement waits for another process to release the write lock before it fails. */
export const SQLITE_LOCK_WAIT_MS = 5_000;

/**
 * better-sqlite3 with three changes to Kysely's SQLite driver, all for several processes (the HTTP
 * workers of `serve`, a separate `wardroom worker`) writing to one database file:
 *
 * - Transactions take the write lock when they begin (BEGIN IMMEDIATE). With a plain BEGIN, a
 *   transaction that reads and then writes fails at once with "database is locked" if another
 *   process wrote in between (its snapshot is stale, so waiting cannot help); under load that
 *   failed residents' requests.
 * - A statement that finds the database locked by another process waits for it here, between
 *   retries, instead of in SQLite's busy handler, which sleeps on the thread and so stops the whole
 *   event loop (every other request of the process) for as long as the other process writes.
 * - Prepared statements are kept (see withStatementCache).
 */
class WardroomSqliteDialect extends SqliteDialect {
  readonly #connection: SQLite.Database;
  readonly #reader: SqliteReader | undefined;

  constructor(connection: SQLite.Database, reader: SqliteReader | undefined) {
    super({ database: connection });
    this.#connection = connection;
    this.#reader = reader;
  }

  override createDriver(): Driver {
    return new WardroomSqliteDriver({ database: withStatementCache(this.#connection) });
  }

  override createAdapter(): DialectAdapter {
    return new WardroomSqliteAdapter(this.#connection, this.#reader);
  }
}

/**
 * Kysely's SQLite adapter, holding the connection for hand-prepared statements (see sqliteTransaction)
 * and the read-only connection for hand-prepared reads outside any transaction (see sqliteReads).
 */
class WardroomSqliteAdapter extends SqliteAdapter {
  constructor(
    readonly connection: SQLite.Database,
    readonly reader: SqliteReader | undefined,
  ) {
    super();
  }
}

/**
 * A second, read-only connection to a database file, opened at its first use. In WAL mode a reader
 * never waits for a writer: a read through it runs at once, on the last committed state, even while
 * the app's own connection is inside a batch of writes or waiting for another process's write lock
 * (Kysely queues every query on that one connection behind whatever holds it).
 */
class SqliteReader {
  #connection: SQLite.Database | undefined;
  readonly #statements = new Map<string, SQLite.Statement>();

  constructor(readonly file: string) {}

  prepare(text: string): SQLite.Statement {
    let statement = this.#statements.get(text);
    if (!statement) {
      if (!this.#connection) {
        this.#connection = new SQLite(this.file, { readonly: true, fileMustExist: true });
        this.#connection.pragma('busy_timeout = 0');
      }
      statement = this.#connection.prepare(text);
      this.#statements.set(text, statement);
    }
    return statement;
  }

  close(): void {
    this.#connection?.close();
    this.#connection = undefined;
    this.#statements.clear();
  }
}

/** A statement prepared by hand on a hot path, kept per connection by its SQL. */
export interface SqliteTransaction {
  /** The statement for `text`, prepared once per connection (pass a constant). */
  prepare(text: string): SQLite.Statement;
}

const handPrepared = new WeakMap<SQLite.Database, Map<string, SQLite.Statement>>();

/**
 * On SQLite, inside a transaction: the transaction's connection, for the few hot statements that a
 * repository prepares by hand instead of building them with Kysely (building and compiling a query
 * cost more than SQLite running it: see docs/benchmarks.md, enquiry-intake). Undefined on PostgreSQL,
 * where the repository uses Kysely, and outside a transaction, where only Kysely may take the single
 * connection from whoever holds it. Statements run through it are part of the transaction: Kysely's
 * SQLite driver holds its one connection for the whole transaction, and better-sqlite3 runs each
 * statement to completion before returning.
 */
export function sqliteTransaction(executor: Kysely<DB> | Transaction<DB>): SqliteTransaction | undefined {
  if (!executor.isTransaction) return undefined;
  const adapter = executor.getExecutor().adapter;
  if (!(adapter instanceof WardroomSqliteAdapter)) return undefined;
  const connection = adapter.connection;
  // A transaction object kept past its end must not write outside any transaction: Kysely decides.
  if (!connection.inTransaction) return undefined;
  let statements = handPrepared.get(connection);
  if (!statements) {
    statements = new Map();
    handPrepared.set(connection, statements);
  }
  const cache = statements;
  return {
    prepare(text) {
      let statement = cache.get(text);
      if (!statement) {
        statement = connection.prepare(text);
        cache.set(text, statement);
      }
      return statement;
    },
  };
}

/** Hand-prepared reads of committed data, outside any transaction. */
export interface SqliteReads {
  /** Runs `text` (a constant) with `params` and returns its first row, or undefined. */
  get<R>(text: string, ...params: unknown[]): R | undefined;
}

/**
 * On a SQLite database file, outside a transaction: reads for a hot path that must not queue behind
 * the writes (see SqliteReader), prepared by hand as for sqliteTransaction. Undefined on PostgreSQL
 * (whose pool does not queue reads behind writes), on an in-memory database (another connection
 * would see another database), and inside a transaction, whose reads must see its own writes. A
 * read that finds the file busy (only while another process recovers the log after a crash) throws
 * SQLITE_BUSY rather than answering "not found".
 */
export function sqliteReads(executor: Kysely<DB> | Transaction<DB>): SqliteReads | undefined {
  if (executor.isTransaction) return undefined;
  const adapter = executor.getExecutor().adapter;
  if (!(adapter instanceof WardroomSqliteAdapter) || !adapter.reader) return undefined;
  const reader = adapter.reader;
  return {
    get: <R>(text: string, ...params: unknown[]) => reader.prepare(text).get(...params) as R | undefined,
  };
}

class WardroomSqliteDriver extends SqliteDriver {
  #connection: DatabaseConnection | undefined;

  override async acquireConnection(): Promise<DatabaseConnection> {
    const inner = await super.acquireConnection();
    this.#connection ??= new LockWaitingConnection(inner);
    return this.#connection;
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class LockWaitingConnection implements DatabaseConnection {
  constructor(readonly inner: DatabaseConnection) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const started = Date.now();
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.inner.executeQuery<R>(query);
      } catch (error) {
        if (!isLocked(error) || Date.now() - started >= SQLITE_LOCK_WAIT_MS) throw error;
        // Another process is writing, usually for a millisecond or two: look again soon, then less often.
        await new Promise((resolve) => setTimeout(resolve, Math.min(1 + (attempt >> 4), 10)));
      }
    }
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

/**
 * SQLITE_BUSY: another connection holds the lock (or is recovering the WAL after a crash). Not
 * SQLITE_BUSY_SNAPSHOT, which waiting cannot cure, nor SQLITE_LOCKED, which is this connection's own.
 */
function isLocked(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_RECOVERY';
}

/** How many prepared statements one SQLite connection keeps. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Keeps prepared statements by their SQL, so a query the app runs again is not compiled by SQLite
 * again: preparing cost more than running for most of the app's queries. The SQL Kysely builds is
 * the same text for the same query shape (values are parameters), so the cache stays small; the
 * least recently used statement goes when it is full. Kysely uses one statement at a time on the
 * single connection, so a statement is never in use twice.
 */
function withStatementCache(connection: SQLite.Database): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    prepare(text: string): SqliteStatement {
      let statement = statements.get(text);
      if (statement) {
        // Most recently used last.
        statements.delete(text);
      } else {
        statement = connection.prepare(text);
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value as string);
      }
      statements.set(text, statement);
      return statement;
    },
    close: () => connection.close(),
  };
}

/** Per SQLite database: how many jobs run with the small cache, and the size to put back after. */
const smallCaches = new WeakMap<Kysely<DB>, { users: number; restore: Promise<number> }>();

/**
 * Runs `work` with the SQLite connection's page cache at most `kib` KiB, then puts it back. A bulk
 * job (an import of a million rows) passes through far more pages than it will read again, so the
 * platform's 64 MiB cache would only fill with them and count towards the process's memory; the
 * pages of other queries stay in the operating system's file cache meanwhile. Several jobs at once
 * share the smaller cache; the last to finish restores it. PostgreSQL: runs `work` as it is.
 */
export async function withSmallPageCache<T>(
  database: Pick<Database, 'db' | 'dialect'>,
  kib: number,
  work: () => Promise<T>,
): Promise<T> {
  if (database.dialect !== 'sqlite') return work();
  const { db } = database;
  let held = smallCaches.get(db);
  if (!held) {
    const restore = (async () => {
      const size = (await sql<{ cache_size: number }>`pragma cache_size`.execute(db)).rows[0]?.cache_size;
      await sql.raw(`pragma cache_size = ${-Math.max(1, Math.trunc(kib))}`).execute(db);
      return Number(size ?? -2000);
    })();
    held = { users: 0, restore };
    smallCaches.set(db, held);
  }
  held.users += 1;
  try {
    await held.restore;
    return await work();
  } finally {
    held.users -= 1;
    if (held.users === 0) {
      smallCaches.delete(db);
      const size = await held.restore.catch(() => undefined);
      if (size !== undefined) await sql.raw(`pragma cache_size = ${Math.trunc(size)}`).execute(db);
    }
  }
}

/** Which database a Kysely (or a transaction of it) speaks to, from its adapter. */
export function dialectOf(db: Kysely<DB>): Dialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/**
 * On PostgreSQL, holds `key` (any text) until the transaction ends, waiting for whoever holds it;
 * true if it had to wait, when what they did is committed now and may need reading again. On SQLite
 * nothing is done and false is answered: a transaction there already holds the one write lock.
 */
export async function holdUntilCommit(trx: Transaction<DB>, key: string): Promise<boolean> {
  if (dialectOf(trx) !== 'postgres') return false;
  const tried = await sql<{ held: boolean }>`select pg_try_advisory_xact_lock(hashtext(${key})) as held`.execute(trx);
  if (tried.rows[0]?.held) return false;
  await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(trx);
  return true;
}

/** Kysely's result for count(*) is a string on PostgreSQL and a number on SQLite. */
export function toCount(value: string | number | bigint | null | undefined): number {
  return value === null || value === undefined ? 0 : Number(value);
}
