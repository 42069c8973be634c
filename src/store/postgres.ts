import pg from 'pg';
import { UserError } from '../errors.js';
import {
  join, raw, render, sql, valuesStatements, type Dialect, type Insert, type Lock, type Result, type RowLock, type Sql, type Step, type Steps,
} from './dialect.js';
import { REFUSED } from './rows.js';
import { POSTGRES_TYPES } from './schema-postgres.js';
import { SqlStore } from './sql-store.js';
import type { Clock, OpenOptions, QueryResult, Value } from './store.js';

/** Connections per store: the controller's claims, writes and heartbeats, a few at once. */
const POOL_SIZE = 4;
/** How long a statement is retried while the server cannot be reached (a restart, a failover, a network cut). */
const RETRY_FOR_MS = 30_000;
const CONNECT_TIMEOUT_MS = 10_000;
/** `sweep query`'s limit, so that a runaway join does not hold a connection (and its snapshot) for ever. */
const QUERY_TIMEOUT_MS = 60_000;
/** The advisory lock two processes opening one fresh database take to create its schema one after the other ('swee'). */
const SCHEMA_LOCK = 0x73776565;
/** Serialises the proposals of one sweep (addTrials, proposeTrial, importTrial) across every process, until the transaction ends. */
const PROPOSAL_LOCK = `SELECT pg_advisory_xact_lock(${0x53575050}, $1::integer)`;

const MULTIPLE = 'the SQL holds more than one statement; give exactly one (a single SELECT, WITH … SELECT, VALUES or TABLE)';

/**
 * The Store on PostgreSQL (`pg`): any number of processes on any number of hosts share a
 * sweep. Claims are one UPDATE over `FOR UPDATE SKIP LOCKED`; a lease is the server's
 * now() in `heartbeat_at` plus the lease length; every write for a trial is fenced by the
 * attempt that claimed it. A statement that loses its connection is run again on a new one
 * for up to 30 s, so a server restart does not stop a sweep.
 */
export class PostgresStore extends SqlStore {
  /**
   * Connects to the database at `url` (postgres://USER[:PASSWORD]@HOST[:PORT]/DB) and, unless
   * read-only, creates or migrates its schema. A URL that cannot be connected to, a schema
   * from a newer `sweep`, or (read-only) a database without one is a UserError.
   */
  static async open(url: string, options: OpenOptions = {}): Promise<PostgresStore> {
    const location = withoutPassword(url);
    const readonly = options.readonly ?? false;
    const lease = SqlStore.lease(options);
    // Nothing connects yet: a URL pg cannot parse fails in connect() below, as a UserError.
    const pool = new pg.Pool({
      connectionString: url, max: POOL_SIZE, types: STORE_TYPES, connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      application_name: 'sweep', allowExitOnIdle: true,
      // Read-only opens (`ls`, `show`, `query`) cannot write even by mistake.
      options: readonly ? '-c default_transaction_read_only=on' : undefined,
    });
    // An idle connection the server dropped: the pool discards it and the next use opens another.
    pool.on('error', () => {});
    try {
      (await pool.connect()).release();
    } catch (err) {
      await pool.end().catch(() => {});
      throw new UserError(`${location}: cannot connect to PostgreSQL (${oneLine(err)})`);
    }
    const d = new PostgresDialect(pool, location, options.clock);
    await SqlStore.ready(d, readonly);
    return new PostgresStore(d, lease);
  }
}

type Work<T> = (client: pg.PoolClient, again: boolean) => Promise<T>;

/** How each kind of transaction begins (a sweep's proposals: as a write, then its advisory lock). */
const BEGIN = { read: 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', write: 'BEGIN', schema: 'BEGIN' } as const;

const ROW_LOCKS: Record<RowLock, string> = { update: 'FOR UPDATE', 'no key update': 'FOR NO KEY UPDATE', 'skip locked': 'FOR UPDATE SKIP LOCKED' };

/**
 * PostgreSQL's side of the seam: statements run on pooled connections, each transaction on one,
 * run again on a new one when the connection is lost (`again`). Row locks where the store asks
 * for them, advisory locks for a sweep's proposals and for the schema; a claim is its one
 * UPDATE, without a transaction around it, so a lost reply is the only thing a retry cannot know.
 * The clock is the server's now(), in the statement, never a worker's.
 */
class PostgresDialect implements Dialect {
  readonly types = POSTGRES_TYPES;
  /** Each table's column types, for bulk inserts' arrays: read from the catalog once. */
  private readonly columnTypes = new Map<string, ReadonlyMap<string, string>>();

  constructor(private readonly pool: pg.Pool, readonly location: string, private readonly clock: Clock | undefined) {}

  transaction<T>(lock: Lock, work: (again: boolean) => Steps<T>): Promise<T> {
    if (lock === 'claim') return this.retrying((c, again) => this.drive(c, work(again)));
    return this.retrying(async (c, again) => {
      await c.query(typeof lock === 'object' ? 'BEGIN' : BEGIN[lock]);
      try {
        // Held to the transaction's end: a second process waits here, then finds what the first did.
        if (typeof lock === 'object') await c.query(PROPOSAL_LOCK, [lock.proposals]);
        if (lock === 'schema') await c.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
        const result = await this.drive(c, work(again));
        await c.query('COMMIT');
        return result;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => {});
        throw err;
      }
    });
  }

  run(statement: Sql): Promise<Result> {
    return this.retrying((c) => this.execute(c, statement));
  }

  /**
   * The server's now() as the ISO-8601 UTC text SQLite's timestamps are (schema-postgres.ts says
   * why text): every timestamp, and so every lease, is on the server's clock.
   */
  now(): Sql {
    return raw(`to_char(${this.serverNow()} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);
  }

  before(column: string, ms: number): Sql {
    return sql`${raw(column)}::timestamptz < ${raw(this.serverNow())} - ${ms} * interval '1 millisecond'`;
  }

  /** None: a pid means nothing on another host, so the lease alone decides. */
  ownerGone(): undefined {
    return undefined;
  }

  oneOf(column: string, values: readonly string[]): Sql {
    return sql`${raw(column)} = ANY(${values}::text[])`;
  }

  lockRows(how: RowLock): Sql {
    return raw(ROW_LOCKS[how]);
  }

  *schemaVersion(): Steps<number> {
    // Asked of pg_class by a query, which reads the statement's snapshot: to_regclass reads the
    // backend's catalog cache, which taking the advisory lock does not refresh, so a process that
    // waited there for another's migration could still find no table and migrate again.
    const exists = (yield sql`SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = 'sweep_schema' AND n.nspname = current_schema()) AS t`).rows[0] as { t: boolean };
    if (!exists.t) return 0;
    return ((yield sql`SELECT version FROM sweep_schema`).rows[0] as { version: number } | undefined)?.version ?? 0;
  }

  *setSchemaVersion(version: number): Steps<void> {
    yield { script: `CREATE TABLE IF NOT EXISTS sweep_schema (version integer NOT NULL);
      DELETE FROM sweep_schema; INSERT INTO sweep_schema (version) VALUES (${version})` };
  }

  /** Every epoch, claim, completion, new sweep, tag and note moves one of these; a heartbeat moves none. */
  async changeToken(): Promise<string> {
    const r = await this.run(sql`
      SELECT concat_ws(':', (SELECT COUNT(*) FROM sweeps), (SELECT MAX(updated_at) FROM sweeps), (SELECT SUM(annotation_changes) FROM sweeps),
        COUNT(*), SUM(epochs_done), SUM(attempts), MAX(finished_at),
        COUNT(*) FILTER (WHERE status = 'running'), COUNT(*) FILTER (WHERE status IN ('completed', 'pruned', 'failed'))) AS token
      FROM trials`);
    return (r.rows[0] as { token: string }).token;
  }

  /**
   * Four locks keep a query from changing anything. The extended protocol takes one
   * statement only. The server describes it before anything runs, and one that returns no
   * rows (SET, COPY, DDL, LOCK, …) is refused unrun. It runs inside `BEGIN READ ONLY`, where
   * PostgreSQL refuses every write (DML, also in a CTE or with RETURNING; nextval; SELECT …
   * FOR UPDATE), and is rolled back. Its connection is then closed, so that nothing it set
   * on the session (set_config, a session advisory lock) outlives it. It may run for
   * QUERY_TIMEOUT_MS at most.
   */
  async query(text: string): Promise<QueryResult> {
    if (isBlank(text)) throw new UserError('the SQL holds no statement');
    try {
      return await this.retrying(async (c) => {
        await c.query('BEGIN READ ONLY');
        await c.query(`SET LOCAL statement_timeout = ${QUERY_TIMEOUT_MS}`);
        try {
          if (!(await returnsRows(c, text))) throw new UserError(REFUSED);
          // queryMode 'extended' even without parameters: the extended protocol takes one statement only.
          const config = { text, rowMode: 'array' as const, queryMode: 'extended', types: QUERY_TYPES };
          const r = await c.query<Value[]>(config);
          return { columns: r.fields.map((f) => f.name), rows: r.rows };
        } finally {
          await c.query('ROLLBACK').catch(() => {});
        }
      }, { discard: true });
    } catch (err) {
      throw queryError(err);
    }
  }

  describe(err: unknown): string {
    return oneLine(err);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** now(), run ahead by a test's clock: still the server's, so that no worker's clock ever decides. */
  private serverNow(): string {
    const ahead = this.clock?.aheadMs() ?? 0;
    if (!Number.isFinite(ahead)) throw new Error(`a clock ahead by ${ahead} ms`);
    return ahead === 0 ? 'now()' : `(now() + interval '${ahead} milliseconds')`;
  }

  private async drive<T>(c: pg.PoolClient, steps: Steps<T>): Promise<T> {
    for (let next = steps.next(); ; next = steps.next(await this.execute(c, next.value))) {
      if (next.done) return next.value;
    }
  }

  private async execute(c: pg.PoolClient, step: Step): Promise<Result> {
    if ('script' in step) {
      await c.query(step.script);
      return { rows: [], count: 0 };
    }
    if ('insert' in step) return this.execute(c, step.rows.length === 1 ? valuesStatements(step, Infinity)[0] : await this.unnest(c, step));
    const { text, params } = render(step, (n) => `$${n}`);
    const r = await c.query(text, params.map(toParam));
    return { rows: r.rows, count: r.rowCount ?? 0 };
  }

  /**
   * Many rows in one statement, a bound array per column: twice as fast as VALUES for a grid
   * of thousands (whose every value PostgreSQL would type on its own), and in the order given.
   * One row keeps VALUES, where a blob travels as bytes rather than as hex in an array.
   */
  private async unnest(c: pg.PoolClient, step: Insert): Promise<Sql> {
    let types = this.columnTypes.get(step.insert);
    if (!types) {
      const r = await c.query<{ attname: string; type: string }>(
        `SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute
         WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`, [step.insert]);
      types = new Map(r.rows.map((x) => [x.attname, x.type]));
      this.columnTypes.set(step.insert, types);
    }
    const columns = raw(step.columns.join(', '));
    const arrays = join(step.columns.map((col, i) => sql`${step.rows.map((row) => row[i])}::${raw(types.get(col)!)}[]`));
    return sql`INSERT INTO ${raw(step.insert)} (${columns})
      SELECT ${columns} FROM unnest(${arrays}) WITH ORDINALITY AS x(${columns}, sweep_row) ORDER BY sweep_row ${step.tail}`;
  }

  /**
   * Runs `work` on a pooled connection. When the connection fails (a server restart, a
   * network cut) or the server aborted the transaction to break a deadlock, runs it again on
   * a new one, backing off, for up to RETRY_FOR_MS; `again` tells `work` that an earlier try
   * may have committed. A connection that saw an error is closed, never reused.
   */
  private async retrying<T>(work: Work<T>, options: { discard?: boolean } = {}): Promise<T> {
    const deadline = Date.now() + RETRY_FOR_MS;
    let pause = 50;
    for (let again = false; ; again = true) {
      let client: pg.PoolClient | undefined;
      try {
        client = await this.pool.connect();
        // A socket error on a checked-out client is also emitted on it: unheard, it would crash the process.
        client.on('error', ignore);
        const result = await work(client, again);
        client.off('error', ignore);
        client.release(options.discard === true);
        return result;
      } catch (err) {
        if (client) {
          client.off('error', ignore);
          client.release(true);
        }
        if (!retryable(err)) throw err;
        if (Date.now() + pause > deadline) {
          if (!isConnectionError(err)) throw err;
          throw new UserError(`${this.location}: lost the connection to PostgreSQL for ${RETRY_FOR_MS / 1000} s (${oneLine(err)})`);
        }
        await new Promise((resolve) => setTimeout(resolve, pause));
        pause = Math.min(pause * 2, 2_000);
      }
    }
  }
}

/** A bound value as the server should have it: NaN as NULL (as SQLite stores it, so both read back alike), bytes as a Buffer. */
function toParam(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toParam);
  if (typeof v === 'number' && Number.isNaN(v)) return null;
  if (v instanceof Uint8Array && !Buffer.isBuffer(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return v;
}

const ignore = () => {};

/**
 * Whether the server says `sql` returns rows, asked without running it: Parse and Describe
 * (extended protocol), as pg-cursor submits its own messages. An error (syntax, an unknown
 * table, several statements) rejects.
 */
function returnsRows(client: pg.PoolClient, sql: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    let rows = false;
    let failed: unknown;
    const describe = {
      submit(connection: { parse(q: object): void; describe(q: object): void; sync(): void }) {
        connection.parse({ text: sql, types: [] });
        connection.describe({ type: 'S', name: '' });
        connection.sync();
      },
      handleRowDescription() { rows = true; },
      // After an error the server skips to Sync; pg hands the error here and nothing more.
      handleError(err: unknown) { failed = err; reject(err); },
      handleReadyForQuery() { if (failed === undefined) resolve(rows); },
      handleDataRow: ignore, handleCommandComplete: ignore, handleEmptyQuery: ignore, handlePortalSuspended: ignore,
      handleCopyInResponse: ignore, handleCopyData: ignore,
    };
    (client as unknown as { query(s: object): void }).query(describe);
  });
}

/** Comments, whitespace and semicolons only. */
function isBlank(sql: string): boolean {
  return sql.replace(/\/\*[\s\S]*?\*\//g, '').replace(/--[^\n]*/g, '').replace(/[\s;]/g, '') === '';
}

/** A refusal or PostgreSQL's own message as a one-line UserError; anything else (a bug) as it is. */
function queryError(err: unknown): Error {
  if (err instanceof UserError) return err;
  const e = err as { code?: unknown; message?: string; severity?: unknown };
  if (e.code === '42601' && /multiple commands/.test(e.message ?? '')) return new UserError(MULTIPLE);
  // Refused by the READ ONLY transaction: a write that also returns rows (DELETE … RETURNING, nextval).
  if (e.code === '25006') return new UserError(REFUSED);
  if (typeof e.severity === 'string' && typeof e.code === 'string') return new UserError(oneLine(err));
  return err as Error;
}

/** Errors after which running the same work again on a new connection is right. */
function retryable(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  // serialization_failure, deadlock_detected: the server rolled the transaction back whole.
  return isConnectionError(err) || code === '40001' || code === '40P01';
}

const SOCKET_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN',
]);

/**
 * A connection that failed or could not be made: a socket error, a connection_exception
 * (08xxx), the server shutting down (57P01 admin_shutdown, 57P02 crash_shutdown) or starting
 * up (57P03), too many connections (53300), or pg's own errors for a socket that closed.
 */
function isConnectionError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e.code === 'string') {
    if (SOCKET_CODES.has(e.code) || e.code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(e.code)) return true;
  }
  return typeof e.message === 'string'
    && /Connection terminated|not queryable|timeout exceeded when trying to connect|Connection closed/i.test(e.message);
}

/** An error's message on one line; Node's AggregateError (every address refused) has its reasons inside. */
function oneLine(err: unknown): string {
  const e = err as { message?: string; code?: string; errors?: { message?: string }[] };
  const text = e.message || e.errors?.map((x) => x.message).join('; ') || e.code || String(err);
  return text.replace(/\s*\n\s*/g, ' ');
}

/** The URL as it can be shown: any password removed. */
function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    u.searchParams.delete('password');
    return u.toString();
  } catch {
    return url.replace(/(\/\/[^/:@]*):[^@/]*@/, '$1@');
  }
}

/** Row types for the store's own reads: bigint (int8) and numeric as numbers, which ids, counts and sums always fit. */
const STORE_TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === OID.int8 || oid === OID.numeric) return Number;
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

const OID = { bool: 16, bytea: 17, int8: 20, int2: 21, int4: 23, oid: 26, float4: 700, float8: 701, numeric: 1700 } as const;

/**
 * What `sweep query` prints, as SQLite's side gives it: integers as numbers (past 2^53 as
 * decimal text), numerics and floats as numbers (NaN and ±Infinity as text), booleans as 1
 * and 0, bytea as an SQL hex literal `X'…'`, and every other type (timestamps, json, arrays)
 * in PostgreSQL's text form.
 */
const QUERY_TYPES = {
  getTypeParser(oid: number) {
    switch (oid) {
      case OID.bool: return (v: string) => (v === 't' ? 1 : 0);
      case OID.int2: case OID.int4: case OID.oid: return Number;
      case OID.int8: return (v: string) => (Number.isSafeInteger(Number(v)) ? Number(v) : v);
      case OID.numeric: return numeric;
      case OID.float4: case OID.float8: return (v: string) => (Number.isFinite(Number(v)) ? Number(v) : v);
      case OID.bytea: return (v: string) => {
        const bytes = pg.types.getTypeParser(OID.bytea, 'text')(v) as Buffer;
        return `X'${bytes.toString('hex').toUpperCase()}'`;
      };
      default: return (v: string) => v;
    }
  },
} as pg.CustomTypesConfig;

/** A numeric as a number, except an integer past 2^53 (kept exact, as text) and NaN/Infinity (text). */
function numeric(v: string): Value {
  const n = Number(v);
  if (!Number.isFinite(n)) return v;
  if (/^-?\d+$/.test(v) && !Number.isSafeInteger(n)) return v;
  return n;
}
