import { UsageError } from '../errors.js';
import { renderSchemaDoc } from '../store/schema-doc.js';
import type { Io } from './command.js';
import type { QueryOptions } from './commands.js';
import type { Value } from '../store/store.js';
import { withStore } from './inspect.js';
import { formatTable, type Cell } from './table.js';

/**
 * `sweep query "SQL"`: runs one read-only statement against the database and prints its
 * rows as a table, JSON or CSV; the store refuses anything that would write
 * (`Store.query`). `sweep query --schema`: what every table, view and column means.
 */
export async function query(sql: string | undefined, values: QueryOptions, { out }: Io): Promise<number> {
  if (values.schema) {
    if (sql !== undefined || values.json || values.csv) throw new UsageError('--schema takes no SQL, --json or --csv');
    out(renderSchemaDoc());
    return 0;
  }
  if (sql === undefined) throw new UsageError('expected one SQL statement (quote it), got none');
  const { columns, rows } = await withStore(values.db, (store) => store.query(sql));
  if (values.json) out(JSON.stringify(rows.map((r) => rowObject(columns, r)), null, 2));
  else if (values.csv) out(toCsv(columns, rows));
  else {
    out(formatTable(columns, rows.map((r) => r.map(tableCell))));
    out(`(${rows.length} ${rows.length === 1 ? 'row' : 'rows'})`);
  }
  return 0;
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
