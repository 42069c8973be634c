import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { columnValue, HYPERPARAMETERS, REGISTRY, type TrialConfig } from '../../src/spec/hyperparameters.js';
import { renderSchemaDoc } from '../../src/store/schema-doc.js';
import { tempDir } from '../temp-dir.js';
import { sweep } from './run-cli.js';


// The sweep docs/database.md's example queries ask about.
const SPEC = `name: widths-dropout
seed: 7
data: {validationSplit: 0.2, trainLimit: 800, testLimit: 200}
grid:
  epochs: [3]
  activation: [relu, tanh]
  units: [[64], [256]]
  dropout: [0.0, 0.3]
`;
const SWEEP = 'widths-dropout';

const dir = tempDir('sweep-query-');
const db = join(dir, 'sweeps.db');
const query = (...args: string[]) => sweep('query', ...args, '--db', db);

type Epoch = { epoch: number; loss: number; accuracy: number; valLoss: number; valAccuracy: number; seconds: number };
type ShownTrial = {
  id: number; configId: string; status: string; backend: string | null; attempts: number; resumedFrom: number | null;
  epochsDone: number; error: string | null; valAccuracy: number | null; testAccuracy: number | null;
  config: { model: string; epochs: number; activation: string; units: number[]; dropout: number };
  epochs: Epoch[];
};
type Row = Record<string, unknown>;

/** `sweep show --json`: the trials as the store reads them, the independent side of every check below. */
let shown: ShownTrial[] = [];
const completed = () => shown.filter((t) => t.status === 'completed');

beforeAll(async () => {
  writeFileSync(join(dir, `${SWEEP}.yaml`), SPEC);
  const r = await sweep('run', join(dir, `${SWEEP}.yaml`), '--db', db, '--workers', '2');
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  const s = await sweep('show', SWEEP, '--db', db, '--json');
  expect(s.code).toBe(0);
  shown = JSON.parse(s.out);
  expect(completed()).toHaveLength(8);
});

/** Everything a refused statement could have changed: the data, the journal mode, the schema version, the files. */
function snapshot() {
  const conn = new Database(db, { readonly: true });
  try {
    const hash = (sql: string) => createHash('sha256').update(JSON.stringify(conn.prepare(sql).all())).digest('hex');
    return {
      counts: ['sweeps', 'trials', 'epochs'].map((t) => conn.prepare(`SELECT COUNT(*) FROM ${t}`).pluck().get()),
      trials: hash('SELECT * FROM trials ORDER BY id'),
      sweeps: hash('SELECT * FROM sweeps ORDER BY id'),
      epochs: hash('SELECT * FROM epochs ORDER BY trial_id, epoch'),
      schema: hash('SELECT * FROM sqlite_schema ORDER BY name'),
      journal: conn.pragma('journal_mode', { simple: true }),
      version: conn.pragma('user_version', { simple: true }),
      files: readdirSync(dir).filter((f) => !/^sweeps\.db-(wal|shm)$/.test(f)).sort(),
    };
  } finally {
    conn.close();
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** A value SQL rounded with ROUND(x, digits) against the exact one. */
const expectRounded = (actual: unknown, exact: number, digits: number) =>
  expect(Math.abs((actual as number) - exact)).toBeLessThanOrEqual(0.5 * 10 ** -digits + 1e-12);
const groupBy = <T>(xs: T[], key: (x: T) => string) => {
  const m = new Map<string, T[]>();
  for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
  return m;
};
const byKeys = (...keys: string[]) => (a: Row, b: Row) => {
  for (const k of keys) {
    const x = a[k] as number | string;
    const y = b[k] as number | string;
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return 0;
};
/** The rows are sorted by `key` descending, then by the tie-breakers ascending. */
const expectSortedDesc = (rows: Row[], key: string, ...then: string[]) => {
  for (let i = 1; i < rows.length; i++) {
    const [a, b] = [rows[i - 1], rows[i]];
    expect((a[key] as number) > (b[key] as number) || (a[key] === b[key] && byKeys(...then)(a, b) <= 0)).toBe(true);
  }
};

/**
 * For each example of docs/database.md (by its `-- question` line): its answer, computed independently from
 * `sweep show --json`. Adding an example there without a check here fails the test.
 */
const CHECKS: Record<string, (rows: Row[]) => void> = {
  'Does dropout help the 256-unit ANN?': (rows) => {
    const expected = completed().filter((t) => t.config.units.length === 1 && t.config.units[0] === 256)
      .map((t) => ({ activation: t.config.activation, dropout: t.config.dropout, val_accuracy: t.valAccuracy, test_accuracy: t.testAccuracy }))
      .sort(byKeys('activation', 'dropout'));
    expect(expected).toHaveLength(4);
    expect(rows).toEqual(expected);
  },

  'Which activation wins on average across widths?': (rows) => {
    const groups = groupBy(completed(), (t) => t.config.activation);
    expect(rows.map((r) => r.activation).sort()).toEqual([...groups.keys()].sort());
    for (const r of rows) {
      const g = groups.get(r.activation as string)!;
      expect(r.trials).toBe(g.length);
      expectRounded(r.mean_val_acc, mean(g.map((t) => t.valAccuracy!)), 4);
    }
    expectSortedDesc(rows, 'mean_val_acc', 'activation');
  },

  "How many epochs until validation accuracy stops improving? (the first epoch at each trial's best)": (rows) => {
    const expected = completed().map((t) => {
      const best = Math.max(...t.epochs.map((e) => e.valAccuracy));
      return {
        trial_id: t.id, activation: t.config.activation, units: JSON.stringify(t.config.units), dropout: t.config.dropout,
        best_epoch: t.epochs.find((e) => e.valAccuracy === best)!.epoch, epochs: t.config.epochs, val_accuracy: best,
      };
    }).sort(byKeys('trial_id'));
    expect(expected).toHaveLength(8);
    expect(rows).toEqual(expected);
  },

  'Which widths and dropout rates overfit? (training accuracy minus validation accuracy at the last epoch)': (rows) => {
    const groups = groupBy(completed(), (t) => JSON.stringify([JSON.stringify(t.config.units), t.config.dropout]));
    expect(rows.map((r) => JSON.stringify([r.units, r.dropout])).sort()).toEqual([...groups.keys()].sort());
    for (const r of rows) {
      const g = groups.get(JSON.stringify([r.units, r.dropout]))!;
      expectRounded(r.train_minus_val, mean(g.map((t) => {
        const last = t.epochs.find((e) => e.epoch === t.config.epochs)!;
        return last.accuracy - last.valAccuracy;
      })), 4);
    }
    expectSortedDesc(rows, 'train_minus_val', 'units', 'dropout');
  },

  'What is the best trial of every sweep?': (rows) => {
    const best = Math.max(...completed().map((t) => t.valAccuracy!));
    const expected = completed().filter((t) => t.valAccuracy === best).map((t) => ({
      sweep: SWEEP, trial_id: t.id, model: t.config.model, activation: t.config.activation,
      units: JSON.stringify(t.config.units), dropout: t.config.dropout, val_accuracy: t.valAccuracy, test_accuracy: t.testAccuracy,
    })).sort(byKeys('trial_id'));
    expect(expected.length).toBeGreaterThanOrEqual(1);
    expect(rows).toEqual(expected);
  },

  'How many seconds does an epoch take, by model kind and backend?': (rows) => {
    const groups = groupBy(shown.flatMap((t) => t.epochs.map((e) => ({ ...e, model: t.config.model, backend: t.backend }))),
      (e) => JSON.stringify([e.model, e.backend]));
    expect(rows.map((r) => JSON.stringify([r.model, r.backend]))).toEqual([...groups.keys()].sort());
    for (const r of rows) {
      const g = groups.get(JSON.stringify([r.model, r.backend]))!;
      expect(r.epochs).toBe(g.length);
      expectRounded(r.s_per_epoch, mean(g.map((e) => e.seconds)), 2);
    }
    expect(rows.reduce((n, r) => n + (r.epochs as number), 0)).toBe(24);
  },

  'What failed, and why?': (rows) => {
    expect(rows).toEqual(shown.filter((t) => t.status === 'failed').map((t) => ({
      sweep: SWEEP, id: t.id, config_json: JSON.stringify(t.config), epochs_done: t.epochsDone, error: t.error,
    })).sort(byKeys('id')));
  },

  'Which hyperparameters did the best trial run with? (trial_params holds every trial\'s, whatever trained it)': (rows) => {
    const best = Math.max(...completed().map((t) => t.valAccuracy!));
    const expected = completed().filter((t) => t.valAccuracy === best).flatMap((t) => {
      const config = t.config as unknown as TrialConfig;
      return HYPERPARAMETERS.filter((k) => config[k] !== undefined)
        .map((k) => ({ id: t.id, name: REGISTRY[k].column, value: String(columnValue(config, k)) }));
    })
      .sort(byKeys('id', 'name')).map(({ name, value }) => ({ name, value }));
    expect(expected.length).toBeGreaterThanOrEqual(13);
    expect(rows).toEqual(expected);
  },

  'How does validation loss fall, epoch by epoch, at each dropout rate? (trial_metrics by step, beside trial_params)': (rows) => {
    const points = completed().flatMap((t) => t.epochs.map((e) => ({ dropout: String(t.config.dropout), epoch: e.epoch, valLoss: e.valLoss })));
    const groups = groupBy(points, (p) => JSON.stringify([p.dropout, p.epoch]));
    expect(rows.map((r) => JSON.stringify([r.dropout, r.epoch]))).toEqual([...groups.keys()].sort());
    for (const r of rows) {
      const g = groups.get(JSON.stringify([r.dropout, r.epoch]))!;
      expect(r.trials).toBe(g.length);
      expectRounded(r.mean_val_loss, mean(g.map((p) => p.valLoss)), 4);
    }
  },

  'Which trials needed more than one attempt, and where did they resume?': (rows) => {
    expect(rows).toEqual(shown.filter((t) => t.attempts > 1).map((t) => ({
      id: t.id, config_id: t.configId, attempts: t.attempts, resumed_from: t.resumedFrom, status: t.status,
    })).sort(byKeys('id')));
  },
};

/** docs/database.md's example queries: each ```sql block of its "## Example queries" section. */
function docExamples(): { question: string; sql: string }[] {
  const doc = 'docs/database.md';
  const readme = readFileSync(doc, 'utf8');
  const from = readme.indexOf('\n## Example queries\n');
  if (from < 0) throw new Error(`${doc}: no "## Example queries" section`);
  const next = readme.indexOf('\n## ', from + 1);
  const section = readme.slice(from, next < 0 ? undefined : next);
  return [...section.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => {
    const sql = m[1].trim();
    const first = sql.split('\n')[0];
    if (!/^-- \S/.test(first)) throw new Error(`${doc}: an example query does not start with a "-- question" line: ${first}`);
    return { question: first.slice(3), sql };
  });
}

describe('sweep query', () => {
  describe("answers docs/database.md's example queries correctly", () => {
    const examples = docExamples();

    it('has at least five, each with its own check', async () => {
      expect(examples.length).toBeGreaterThanOrEqual(5);
      expect(examples.map((e) => e.question).sort()).toEqual(Object.keys(CHECKS).sort());
    });

    it.each(examples)('$question', async ({ question, sql }) => {
      // Pasted as it is in the docs, leading "-- question" comment included.
      const r = await query(sql, '--json');
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      CHECKS[question](JSON.parse(r.out));
    });
  });

  it('prints an aligned table with NULL as "-" and a row count', async () => {
    const r = await query('SELECT id, activation, dropout, error FROM trials ORDER BY id');
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^id +activation +dropout +error$/);
    expect(lines[1]).toMatch(/^-+ +-+ +-+ +-+$/);
    expect(lines.slice(2, -1)).toHaveLength(8);
    expect(lines[2]).toMatch(/^ 1 +relu +0 +-$/);
    expect(lines.at(-1)).toBe('(8 rows)');
    expect((await query('SELECT 1 AS one')).out).toBe('one\n---\n  1\n(1 row)\n');
    expect((await query('SELECT 1 AS one WHERE 0')).out).toBe('one\n---\n(0 rows)\n');
  });

  it('writes --json and --csv that parse back to the same rows', async () => {
    // Quotes and commas (config_json), newlines (spec_yaml), NULLs (error, filters), reals and integers.
    const sql = `SELECT t.*, s.name AS sweep, s.spec_yaml FROM trials t JOIN sweeps s ON s.id = t.sweep_id ORDER BY t.id`;
    const conn = new Database(db, { readonly: true });
    const expected = conn.prepare(sql).all() as Row[];
    conn.close();
    expect(expected).toHaveLength(8);

    const json = await query(sql, '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toEqual(expected);

    const csv = await query(sql, '--csv');
    expect(csv.code).toBe(0);
    expect(csv.out).toMatch(/""/);
    expect(csv.out).toMatch(/"name: widths-dropout\n/);
    expect(csv.out.endsWith('\r\n')).toBe(true);
    const [header, ...records] = parseCsv(csv.out);
    expect(header).toEqual(Object.keys(expected[0]));
    expect(records).toEqual(expected.map((row) => header.map((k) => (row[k] === null ? '' : String(row[k])))));
  });

  it('prints the schema reference with --schema, exactly as docs/database.md has it', async () => {
    const r = await sweep('query', '--schema');
    expect(r.code).toBe(0);
    expect(r.out).toBe(`${renderSchemaDoc()}\n`);
  });

  it.each([
    ['SELEC 1', 'near "SELEC": syntax error'],
    ['SELECT * FROM nope', 'no such table: nope'],
    ['SELECT nope FROM trials', 'no such column: nope'],
    ['', 'the SQL holds no statement'],
  ])('%j: SQLite\'s message on one line, exit 1', async (sql, message) => {
    const r = await query(sql);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe(`sweep: ${message}\n`);
  });

  it.each([
    [['SELECT 1', '--json', '--csv'], /^sweep query: option '--csv' cannot be used with option '--json'\n/],
    [[], /^sweep query: expected one SQL statement \(quote it\), got none\n/],
    [['SELECT 1', 'SELECT 2'], /^sweep query: too many arguments for 'query'\. Expected 1 argument but got 2\.\n/],
    [['--schema', 'SELECT 1'], /^sweep query: --schema takes no SQL/],
  ])('usage errors exit 2: %j', async (args, message) => {
    const r = await query(...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  const REFUSED = 'sweep: only read-only statements that return rows are allowed (this one would write or change the connection)\n';
  const MULTIPLE = /^sweep: the SQL holds more than one statement; give exactly one [^\n]*\n$/;
  it.each([
    ['DELETE FROM trials', REFUSED],
    ['UPDATE trials SET dropout = 1', REFUSED],
    ['DROP TABLE epochs', REFUSED],
    [`ATTACH DATABASE '${join(dir, 'x.db')}' AS x`, REFUSED],
    ['PRAGMA writable_schema = ON', REFUSED],
    ['SELECT 1; DELETE FROM trials', MULTIPLE],
    [`INSERT INTO sweeps (name, metric, seed, spec_yaml, created_at, updated_at) VALUES ('x', 'val_accuracy', 1, '', '', '')`, REFUSED],
    ['CREATE TABLE t(x)', REFUSED],
    ['WITH x AS (SELECT 1) DELETE FROM trials', REFUSED],
    ['VACUUM', REFUSED],
    ['PRAGMA journal_mode = DELETE', REFUSED],
    // Return rows, yet write: `reader` alone would let these through.
    ['DELETE FROM trials RETURNING id', REFUSED],
    ['UPDATE trials SET status = \'pending\' RETURNING id', REFUSED],
    // Change the connection rather than the file: `readonly` alone would let these through.
    ['PRAGMA query_only = OFF', REFUSED],
    ['DETACH DATABASE main', REFUSED],
    ['BEGIN IMMEDIATE', REFUSED],
    // SQLite creates the target file even when the write is then refused; we never run it.
    [`VACUUM INTO '${join(dir, 'copy.db')}'`, REFUSED],
    ['CREATE TEMP TABLE t(x)', REFUSED],
    ['PRAGMA user_version = 99', REFUSED],
    ['ANALYZE', REFUSED],
    ['SELECT 1;\nDROP TABLE epochs', MULTIPLE],
  ])('refuses %j: one line, exit 1, nothing changed', async (sql, message) => {
    const before = snapshot();
    const r = await query(sql);
    expect(r.out).toBe('');
    if (typeof message === 'string') expect(r.err).toBe(message);
    else expect(r.err).toMatch(message);
    expect(r.code).toBe(1);
    expect(snapshot()).toEqual(before);
  });

  it('still answers after all those refusals: the data is intact', async () => {
    expect(snapshot().counts).toEqual([1, 8, 24]);
    expect(snapshot().journal).toBe('wal');
    expect(JSON.parse((await query('SELECT COUNT(*) AS n FROM leaderboard', '--json')).out)).toEqual([{ n: 8 }]);
  });
});

/** RFC 4180: records end in CRLF; a quoted field may hold commas, CR, LF and doubled quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else {
      field += c;
    }
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}
