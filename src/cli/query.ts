import type Database from 'better-sqlite3';
import { Option } from 'commander';
import { UsageError, UserError } from '../errors.js';
import { renderSchemaDoc } from '../store/schema-doc.js';
import { dbOption, defineCommand, jsonOption, type Io } from './command.js';
import { openReadonly } from './inspect.js';
import { formatTable, type Cell } from './table.js';

type QueryOptions = { db: string; json?: boolean; csv?: boolean; schema?: boolean };

export const queryCommand = defineCommand<QueryOptions>({
  name: 'query',
  summary: 'run one read-only SQL statement against the database (--schema: what every column means)',
  args: ['[sql]'],
  options: [
    dbOption(),
    jsonOption(),
    new Option('--csv', 'print RFC 4180 CSV with a header row').conflicts('json'),
    new Option('--schema', 'print every table, view and column with its meaning'),
  ],
  example: `sweep query "SELECT dropout, val_accuracy FROM leaderboard WHERE sweep = 'dropout'"`,
  prepareArgv: sqlAfterTerminator,
  action: ([sql], opts, io) => query(sql, opts, io),
});

const REFUSED = 'only read-only statements that return rows are allowed (this one would write or change the connection)';

type Value = string | number | null;

/**
 * `sweep query "SQL"`: runs one read-only statement against the database and prints its
 * rows as a table, JSON or CSV. `sweep query --schema`: what every table, view and column
 * means.
 *
 * Three locks keep it from changing anything: the connection is opened read-only, it sets
 * `PRAGMA query_only`, and a statement runs only when SQLite, having prepared it, says it
 * returns rows (`reader`) and does not write the database (`readonly`). `reader` is needed
 * too because SQLite counts ATTACH, DETACH, BEGIN and setting most pragmas as read-only.
 * Nothing is executed before that check.
 */
export function query(sql: string | undefined, values: QueryOptions, { out }: Io): number {
  if (values.schema) {
    if (sql !== undefined || values.json || values.csv) throw new UsageError('--schema takes no SQL, --json or --csv');
    out(renderSchemaDoc());
    return 0;
  }
  if (sql === undefined) throw new UsageError('expected one SQL statement (quote it), got none');

  const store = openReadonly(values.db);
  try {
    store.db.pragma('query_only = ON');
    const stmt = prepareReader(store.db, sql);
    let columns: string[];
    let rows: Value[][];
    try {
      columns = stmt.columns().map((c) => c.name);
      rows = (stmt.raw(true).safeIntegers(true).all() as unknown[][]).map((r) => r.map(toValue));
    } catch (err) {
      throw sqlError(err);
    }
    if (values.json) out(JSON.stringify(rows.map((r) => rowObject(columns, r)), null, 2));
    else if (values.csv) out(toCsv(columns, rows));
    else {
      out(formatTable(columns, rows.map((r) => r.map(tableCell))));
      out(`(${rows.length} ${rows.length === 1 ? 'row' : 'rows'})`);
    }
    return 0;
  } finally {
    store.close();
  }
}

/**
 * SQL usually starts with a `-- comment` or contains spaces; parseArgs would read an
 * argument like "-- does dropout help?\nSELECT …" as an unknown option. Arguments that
 * start with "-" and contain whitespace (other than `--db=a path`) cannot be options, so they move after a "--"
 * terminator (unless the user wrote one, in which case the line is left as it is).
 */
function sqlAfterTerminator(argv: readonly string[]): string[] {
  if (argv.includes('--')) return [...argv];
  const isSql = (a: string) => a.startsWith('-') && /\s/.test(a) && !/^--[a-z-]+=/.test(a);
  const sql = argv.filter(isSql);
  return sql.length === 0 ? [...argv] : [...argv.filter((a) => !isSql(a)), '--', ...sql];
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

/** A JSON row object; a repeated column name gets `:2`, `:3`… so that no value is lost. */
function rowObject(columns: readonly string[], row: readonly Value[]): Record<string, Value> {
  const obj: Record<string, Value> = {};
  columns.forEach((name, i) => {
    let key = name;
    for (let n = 2; Object.hasOwn(obj, key); n++) key = `${name}:${n}`;
    obj[key] = row[i];
  });
  return obj;
}

/** Table cells stay on one line: newlines and tabs are shown escaped. */
function tableCell(v: Value): Cell {
  return typeof v === 'string' ? v.replace(/\r?\n/g, '\\n').replace(/\t/g, '\\t') : v;
}

/** RFC 4180: CRLF between records, a header row, and fields quoted when they hold a comma, quote, CR or LF. NULL is an empty field. */
function toCsv(columns: readonly string[], rows: readonly (readonly Value[])[]): string {
  const field = (v: Value) => {
    const s = v === null ? '' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  // `out` ends the last record with "\n"; the "\r" before it completes its CRLF.
  return `${[columns, ...rows].map((r) => r.map(field).join(',')).join('\r\n')}\r`;
}
