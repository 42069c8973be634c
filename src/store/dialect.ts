/**
 * The seam between the one Store (sql-store.ts) and a database engine. Everything the store
 * does (claims, fencing, leases, resume, epochs, completion, import, ranking, migrations) is
 * written once, as SQL both engines take and steps a dialect runs; what differs between engines
 * is a `Dialect`: how a statement runs and a transaction locks, how values are bound, the
 * clock, a few spellings, the DDL types, and `sweep query`'s guards. A new backend is one file
 * implementing it (sqlite.ts and postgres.ts are the two), a line in open.ts, and an entry in
 * test/store/contract.test.ts's BACKENDS.
 */
import type { SchemaTypes } from './schema.js';
import type { QueryResult } from './store.js';

/** A statement and the values it binds, as the `sql` tag writes it: a value is never spliced into the text. */
export class Sql {
  constructor(readonly strings: readonly string[], readonly values: readonly unknown[]) {}
}

/** A statement with `${}` values bound in place (a nested Sql is spliced in, with its own values). */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  return new Sql(strings, values);
}

/** SQL text the code chose (a name, a keyword, a dialect's expression), put in as it is: never a value. */
export function raw(text: string): Sql {
  return new Sql([text], []);
}

/** The fragments, `separator` between them. */
export function join(parts: readonly Sql[], separator = ', '): Sql {
  return list(parts, separator);
}

/** Values bound one after another (a nested Sql spliced in), `separator` between them: a row of VALUES. */
export function list(values: readonly unknown[], separator = ', '): Sql {
  if (values.length === 0) return raw('');
  return new Sql(['', ...values.slice(1).map(() => separator), ''], values);
}

/** The text and the values in order, each value's placeholder spelled by `placeholder(n)`, n from 1. */
export function render(statement: Sql, placeholder: (n: number) => string): { text: string; params: unknown[] } {
  const params: unknown[] = [];
  let text = '';
  const walk = (s: Sql) => {
    s.strings.forEach((part, i) => {
      text += part;
      if (i === s.values.length) return;
      const v = s.values[i];
      if (v instanceof Sql) walk(v);
      else text += placeholder(params.push(v));
    });
  };
  walk(statement);
  return { text, params };
}

/** Several statements without values, run as one script: a migration. */
export type Script = { readonly script: string };

/**
 * Rows for one table at once (`columns`' values, row by row), in one statement or a few,
 * each ending in `tail` (ON CONFLICT…, RETURNING…): how a dialect inserts many rows is its own.
 */
export type Insert = {
  readonly insert: string; readonly columns: readonly string[]; readonly rows: readonly (readonly unknown[])[]; readonly tail: Sql;
};

/** What a dialect runs: one statement, a script, or a bulk insert. */
export type Step = Sql | Script | Insert;

export type Row = Record<string, unknown>;
/** What a statement gave back: its rows (a write's, with RETURNING), and how many rows it changed or returned. */
export type Result = { readonly rows: readonly Row[]; readonly count: number };

/**
 * Work on the database as a generator: each `yield` hands the dialect one step and resumes with
 * its result. SQLite runs the steps synchronously inside its transaction, PostgreSQL awaits each
 * on a pooled connection; the work is written once for both.
 */
export type Steps<T> = Generator<Step, T, Result>;

/** The statement's rows. */
export function* all<T>(statement: Sql): Steps<T[]> {
  return (yield statement).rows as T[];
}

/** The statement's first row, if any. */
export function* first<T>(statement: Sql): Steps<T | undefined> {
  return (yield statement).rows[0] as T | undefined;
}

/** Runs the statement; how many rows it changed. */
export function* exec(statement: Sql): Steps<number> {
  return (yield statement).count;
}

/** Runs a script of several statements. */
export function* script(text: string): Steps<void> {
  yield { script: text };
}

/** Inserts `rows` into `table` (see `Insert`); the rows `tail` returns. */
export function* insert<R = never>(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[], tail = raw('')): Steps<R[]> {
  if (rows.length === 0) return [];
  return (yield { insert: table, columns, rows, tail }).rows as R[];
}

/**
 * An insert as multi-row VALUES statements of at most `maxParams` bound values each: the form
 * every engine takes (PostgreSQL gives the VALUES the table's column types).
 */
export function valuesStatements(step: Insert, maxParams: number): Sql[] {
  const per = Math.max(1, Math.floor(maxParams / step.columns.length));
  const statements: Sql[] = [];
  for (let i = 0; i < step.rows.length; i += per) {
    const values = join(step.rows.slice(i, i + per).map((r) => sql`(${list(r)})`));
    statements.push(sql`INSERT INTO ${raw(step.insert)} (${raw(step.columns.join(', '))}) VALUES ${values} ${step.tail}`);
  }
  return statements;
}

/**
 * What a transaction holds while it runs:
 * - 'read': a consistent snapshot for several reads; it writes nothing.
 * - 'write': writes that commit whole or not at all; rows it reads under `lockRows` stay its own.
 * - 'claim': a claim's one UPDATE, which must be atomic against every other claimer (a
 *   dialect may run it without a transaction where the statement alone is, and its row locks).
 * - `{ proposals }`: a write that also excludes every other proposal for that sweep (adding
 *   trials, numbering them), in every process, until it commits.
 * - 'schema': creating or migrating the schema, one process at a time.
 */
export type Lock = 'read' | 'write' | 'claim' | 'schema' | { readonly proposals: number };

/** A row lock a SELECT takes inside a transaction, where the engine has them (SQLite locks the whole database instead). */
export type RowLock = 'update' | 'no key update' | 'skip locked';

export interface Dialect {
  /** Where the data is, as errors name it (a path, a URL without its password). */
  readonly location: string;
  /** The schema's DDL in this dialect's words (schema.ts writes the migrations over them). */
  readonly types: SchemaTypes;

  /** Connection settings that must come first (SQLite's journal mode); may fail as opening does. */
  setUp?(): Promise<void>;
  /**
   * Runs `work` in one transaction holding `lock`; what it returns. A dialect that runs the work
   * again after losing its connection passes `again`: an earlier try may have committed.
   */
  transaction<T>(lock: Lock, work: (again: boolean) => Steps<T>): Promise<T>;
  /** Runs one statement on its own. */
  run(statement: Sql): Promise<Result>;

  /**
   * The store's clock now, as ISO-8601 UTC text with milliseconds: every timestamp the store
   * writes. The engine's own clock (never a caller's), run ahead by the open's test `Clock`, if any.
   */
  now(): Sql;
  /** Whether the timestamp in `column` lies more than `ms` before the store's now: a lease's end. */
  before(column: string, ms: number): Sql;
  /** Whether the owner token in `column` names a process known to be gone; undefined where none can be known. */
  ownerGone(column: string): Sql | undefined;
  /** Whether `column` is one of `values` (any number of them, in one bound value where the engine can). */
  oneOf(column: string, values: readonly string[]): Sql;
  /** The clause after a SELECT that takes this row lock; nothing where the transaction's lock covers it. */
  lockRows(how: RowLock): Sql;

  /** The schema version recorded in the database; 0 where there is no schema yet. */
  schemaVersion(): Steps<number>;
  /** Records the schema version, inside the migrating transaction. */
  setSchemaVersion(version: number): Steps<void>;

  /** `Store.changeToken`: a token that changes when another connection commits a change. */
  changeToken(): Promise<string>;
  /** `Store.query`: one read-only statement, refused (UserError) before it runs otherwise. */
  query(sql: string): Promise<QueryResult>;
  /** An error of this engine's, on one line, for a UserError. */
  describe(err: unknown): string;
  close(): Promise<void>;
}
