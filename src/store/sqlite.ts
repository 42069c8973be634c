import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { UserError } from '../errors.js';
import { raw, render, sql, valuesStatements, type Dialect, type Lock, type Result, type Sql, type Step, type Steps } from './dialect.js';
import { refuseNetworkFilesystem } from './filesystem.js';
import { ownerAlive } from './owner.js';
import { REFUSED } from './rows.js';
import { SQLITE_TYPES } from './schema.js';
import { SqlStore } from './sql-store.js';
import type { Clock, OpenOptions, QueryResult, Value } from './store.js';

const BUSY_TIMEOUT_MS = 10_000;
/** Bound values one statement may hold (SQLITE_MAX_VARIABLE_NUMBER's default since 3.32). */
const MAX_PARAMS = 32_766;
/** Prepared statements kept per connection; past it the cache starts over (bulk inserts vary in length). */
const STATEMENT_CACHE = 256;

/**
 * The Store on SQLite (better-sqlite3): one file, one host. The main thread is the only
 * writer of a process; any number of processes on this host share the file (WAL).
 */
export class SqliteStore extends SqlStore {
  /**
   * Opens (creating when writable) the database at `path` and brings its schema up to
   * date. A path that cannot be used, a network filesystem, a file that is not a database,
   * or one from a newer `sweep` is a UserError.
   */
  static async open(path: string, options: OpenOptions = {}): Promise<SqliteStore> {
    const readonly = options.readonly ?? false;
    const lease = SqlStore.lease(options);
    // WAL's shared memory and SQLite's locks do not reach other hosts: readers too are refused there.
    refuseNetworkFilesystem(path);
    let db: Database.Database;
    try {
      if (!readonly && path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      db = new Database(path, { readonly, fileMustExist: readonly });
    } catch (err) {
      throw new UserError(`${path}: cannot open the database (${describe(err)})`);
    }
    const d = new SqliteDialect(db, path, options.clock);
    await SqlStore.ready(d, readonly);
    return new SqliteStore(d, lease);
  }
}

/**
 * SQLite's side of the seam. Statements run synchronously: a transaction's steps run inside
 * one better-sqlite3 transaction, so nothing else of this process runs between them, and its
 * write lock (BEGIN IMMEDIATE) is every lock the store asks for: claims, proposals and the
 * schema's are all the one writer at a time. The clock is this host's, which every process
 * sharing the file is on, so an owner's pid means something too: one that is gone loses its
 * trials at once.
 */
class SqliteDialect implements Dialect {
  readonly types = SQLITE_TYPES;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database, readonly location: string, private readonly clock: Clock | undefined) {
    // For `ownerGone`: SQL cannot ask whether a process is alive, JavaScript can.
    db.function('sweep_owner_gone', { deterministic: false, directOnly: true },
      (owner: unknown) => (typeof owner === 'string' && !ownerAlive(owner) ? 1 : 0));
  }

  async setUp(): Promise<void> {
    const { db } = this;
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Two processes opening a new database at once (two `sweep run`s on one sweep) race to
    // switch it to WAL, and SQLite answers the loser SQLITE_BUSY at once: retry, bounded.
    if (!db.readonly) withBusyRetry(() => db.pragma('journal_mode = WAL'));
    if (!db.readonly) db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
  }

  async transaction<T>(lock: Lock, work: (again: boolean) => Steps<T>): Promise<T> {
    const run = this.db.transaction(() => this.drive(work(false)));
    if (lock === 'read') return run.deferred();
    if (lock !== 'schema') return run.immediate();
    // A migration that rebuilds a table drops the old one: with foreign keys on, that would
    // cascade to every epoch. Off around the transaction (the pragma is a no-op inside one),
    // and checked before the commit.
    this.db.pragma('foreign_keys = OFF');
    try {
      return this.db.transaction(() => {
        const result = this.drive(work(false));
        const broken = this.db.pragma('foreign_key_check') as unknown[];
        if (broken.length > 0) throw new Error(`migration broke ${broken.length} foreign keys`);
        return result;
      }).immediate();
    } finally {
      this.db.pragma('foreign_keys = ON');
    }
  }

  async run(statement: Sql): Promise<Result> {
    return this.execute(statement);
  }

  now(): Sql {
    return sql`${new Date(this.nowMs()).toISOString()}`;
  }

  // The store writes every timestamp as toISOString() does, so text order is time order.
  before(column: string, ms: number): Sql {
    return sql`${raw(column)} < ${new Date(this.nowMs() - ms).toISOString()}`;
  }

  ownerGone(column: string): Sql {
    return sql`sweep_owner_gone(${raw(column)})`;
  }

  oneOf(column: string, values: readonly string[]): Sql {
    return sql`${raw(column)} IN (SELECT value FROM json_each(${JSON.stringify(values)}))`;
  }

  lockRows(): Sql {
    return raw('');
  }

  *schemaVersion(): Steps<number> {
    return ((yield sql`PRAGMA user_version`).rows[0] as { user_version: number }).user_version;
  }

  *setSchemaVersion(version: number): Steps<void> {
    yield { script: `PRAGMA user_version = ${version}` };
  }

  async changeToken(): Promise<string> {
    return String(this.db.pragma('data_version', { simple: true }));
  }

  /**
   * Three locks keep a query from changing anything: `sweep query` opens the database
   * read-only, the connection sets `PRAGMA query_only`, and a statement runs only when SQLite,
   * having prepared it, says it returns rows (`reader`) and does not write (`readonly`).
   * `reader` is needed too because SQLite counts ATTACH, DETACH, BEGIN and setting most
   * pragmas as read-only. Nothing is executed before that check.
   */
  async query(text: string): Promise<QueryResult> {
    this.db.pragma('query_only = ON');
    try {
      const stmt = prepareReader(this.db, text);
      try {
        return {
          columns: stmt.columns().map((c) => c.name),
          rows: (stmt.raw(true).safeIntegers(true).all() as unknown[][]).map((r) => r.map(toValue)),
        };
      } catch (err) {
        throw sqlError(err);
      }
    } finally {
      if (!this.db.readonly) this.db.pragma('query_only = OFF');
    }
  }

  describe(err: unknown): string {
    return describe(err);
  }

  async close(): Promise<void> {
    this.db.close();
  }

  private nowMs(): number {
    return Date.now() + (this.clock?.aheadMs() ?? 0);
  }

  private drive<T>(steps: Steps<T>): T {
    for (let next = steps.next(); ; next = steps.next(this.execute(next.value))) {
      if (next.done) return next.value;
    }
  }

  private execute(step: Step): Result {
    if ('script' in step) {
      this.db.exec(step.script);
      return { rows: [], count: 0 };
    }
    // Multi-row VALUES: as fast as a prepared statement run row by row, and one form with RETURNING.
    if ('insert' in step) {
      const results = valuesStatements(step, MAX_PARAMS).map((s) => this.execute(s));
      return { rows: results.flatMap((r) => r.rows), count: results.reduce((n, r) => n + r.count, 0) };
    }
    const { text, params } = render(step, () => '?');
    let stmt = this.statements.get(text);
    if (!stmt) {
      if (this.statements.size >= STATEMENT_CACHE) this.statements.clear();
      stmt = this.db.prepare(text);
      this.statements.set(text, stmt);
    }
    if (!stmt.reader) return { rows: [], count: stmt.run(...params).changes };
    const rows = stmt.all(...params) as Result['rows'];
    return { rows, count: rows.length };
  }
}

/** Runs `f`, retrying while SQLite reports SQLITE_BUSY, for up to the busy timeout. */
function withBusyRetry<T>(f: () => T): T {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      return f();
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw err;
      Atomics.wait(pause, 0, 0, 20);
    }
  }
}

/** Prepares `sql` (without running it) and returns it only when it is one read-only, row-returning statement. */
function prepareReader(db: Database.Database, sql: string): Database.Statement {
  let stmt: Database.Statement;
  try {
    stmt = db.prepare(sql);
  } catch (err) {
    const message = (err as Error).message;
    if (/more than one statement/.test(message)) {
      throw new UserError('the SQL holds more than one statement; give exactly one (a single SELECT, WITH … SELECT, VALUES or PRAGMA that reads)');
    }
    if (/contains no statements/.test(message)) throw new UserError('the SQL holds no statement');
    throw sqlError(err);
  }
  if (!stmt.reader || !stmt.readonly) throw new UserError(REFUSED);
  return stmt;
}

/** SQLite's own message, on one line. Anything that is not an SQLite error is a bug and keeps its stack. */
function sqlError(err: unknown): Error {
  const e = err as { code?: unknown; message?: string };
  if (typeof e.code === 'string' && e.code.startsWith('SQLITE_')) {
    return new UserError(`${(e.message ?? e.code).replace(/\s*\n\s*/g, ' ')}`);
  }
  return err as Error;
}

/** Integers exactly (past 2^53 as decimal text), blobs as SQL hex literals. */
function toValue(v: unknown): Value {
  if (v === null || typeof v === 'string' || typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (Buffer.isBuffer(v)) return `X'${v.toString('hex').toUpperCase()}'`;
  return String(v);
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e.code === 'SQLITE_NOTADB') return 'not an SQLite database';
  if (e.code === 'SQLITE_CANTOPEN') return 'cannot open the file: is its directory there and writable?';
  return e.message ?? String(err);
}
