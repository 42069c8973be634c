import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/store/schema.js';
import { PG_MIGRATIONS } from '../../src/store/schema-postgres.js';
import { createTestDb } from './pg-test-db.js';

/**
 * The migrations are history: people's databases were made by them, SQLite keeps the text of
 * each CREATE verbatim, and PostgreSQL databases exist at every version. So the migrations
 * as the store runs them must make exactly what their texts made before they were written once
 * for both backends. The fixture is those texts, as they were (v1 to v8); each step here runs
 * one migration on a database built by the old texts and on one built by today's, side by
 * side, and compares the two schemas after every version, then the data migrated through them.
 */
const BEFORE = JSON.parse(readFileSync(new URL('./fixtures/migrations-before-dialects.json', import.meta.url), 'utf8')) as
  { sqlite: string[]; postgres: string[] };

/** v1's rows, for the data migrations (v2's re-queue, v5's numbering and rebuild, v7's defaults, v8's metric values). */
const V1_DATA = `
  INSERT INTO sweeps (id, name, metric, seed, spec_path, spec_yaml, created_at, updated_at) VALUES
    (1, 'acc', 'val_accuracy', 1, NULL, 'y', 't', 't'), (2, 'loss', 'val_loss', 1, 'p', 'y', 't', 't');
  INSERT INTO trials (id, sweep_id, config_id, config_json, data_json, status, seed, model, epochs, activation, units, dropout,
    filters, kernel_size, pooling, optimizer, learning_rate, batch_size, epochs_done, val_accuracy, val_loss) VALUES
    (3, 1, 'a', '{}', '{}', 'completed', 1, 'ann', 2, 'relu', '[128]', 0.25, NULL, NULL, NULL, 'adam', 0.001, 32, 2, 0.875, 0.375),
    (5, 2, 'b', '{}', '{}', 'running', 1, 'cnn', 2, 'relu', '[128]', 0.5, '[8]', 3, 'max', 'sgd', 0.01, 64, 1, NULL, NULL),
    (6, 2, 'c', '{}', '{}', 'completed', 1, 'ann', 2, 'tanh', '[64]', 0, NULL, NULL, NULL, 'adam', 0.001, 32, 2, 0.625, 0.25),
    (8, 1, 'd', '{}', '{}', 'pending', 1, 'ann', 2, 'relu', '[128]', 0.5, NULL, NULL, NULL, 'adam', 0.001, 32, 0, NULL, NULL);
  INSERT INTO epochs (trial_id, epoch, loss, accuracy, val_loss, val_accuracy, seconds) VALUES
    (3, 1, 0.5, 0.75, 0.5, 0.75, 1), (3, 2, 0.25, 0.875, 0.375, 0.875, 1), (5, 1, 0.5, 0.5, 0.5, 0.5, 2),
    (6, 1, 0.5, 0.5, 0.5, 0.5, 2), (6, 2, 0.25, 0.625, 0.25, 0.625, 2);`;

/**
 * v10 lists each sweep's one metric as its objective, and keeps each completed trial's value of
 * it: trial 3's val_accuracy and trial 6's val_loss at their last epoch.
 */
const OBJECTIVES = `SELECT s.name, o.position, o.name AS objective, o.goal, v.trial_id, v.value
  FROM sweep_objectives o JOIN sweeps s ON s.id = o.sweep_id
  LEFT JOIN trial_objectives v ON v.position = o.position AND v.trial_id IN (SELECT id FROM trials WHERE sweep_id = s.id)
  ORDER BY s.name, v.trial_id`;
const MIGRATED_OBJECTIVES = [
  { name: 'acc', position: 0, objective: 'val_accuracy', goal: 'maximize', trial_id: 3, value: 0.875 },
  { name: 'loss', position: 0, objective: 'val_loss', goal: 'minimize', trial_id: 6, value: 0.25 },
];

const TABLES = ['sweeps', 'trials', 'epochs', 'checkpoints', 'models', 'decisions', 'param_values', 'reported_metrics'];

describe('the migrations, written once for both backends, make what their old texts made', () => {
  // Versions after v8 were written for both backends at once: they are checked on what they do (below, and in the contract tests).
  const WRITTEN_APART = 8;

  it('has the old texts of every version written before the dialects were one', () => {
    expect([BEFORE.sqlite.length, BEFORE.postgres.length]).toEqual([WRITTEN_APART, WRITTEN_APART]);
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(WRITTEN_APART);
  });

  it('SQLite: the same sqlite_schema, to the byte, after every version, and the same data after the last', () => {
    const [old, now] = [new Database(':memory:'), new Database(':memory:')];
    // As the store migrates (sqlite.ts): a rebuilt table's rows keep their epochs.
    for (const db of [old, now]) db.pragma('foreign_keys = OFF');
    // The text of every table, index and view as SQLite keeps it, verbatim: whitespace included.
    const schema = (db: Database.Database) => db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name').all();
    for (let v = 0; v < WRITTEN_APART; v++) {
      old.exec(BEFORE.sqlite[v]);
      now.exec(MIGRATIONS[v]);
      if (v === 0) for (const db of [old, now]) db.exec(V1_DATA);
      expect(schema(now), `v${v + 1}`).toEqual(schema(old));
    }
    expect(schema(now).length).toBeGreaterThan(10);
    // The later versions keep every row (v9 rebuilds `trials`).
    for (let v = WRITTEN_APART; v < SCHEMA_VERSION; v++) now.exec(MIGRATIONS[v]);
    for (const table of TABLES) {
      const rows = (db: Database.Database) => db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all();
      // (Later versions may add columns: the old ones hold the same values.)
      expect(rows(now), table).toMatchObject(rows(old));
      expect(rows(now), table).toHaveLength(rows(old).length);
    }
    expect(now.prepare('SELECT COUNT(*) AS n FROM param_values').get()).toEqual({ n: 0 });
    expect(now.prepare(OBJECTIVES).all()).toEqual(MIGRATED_OBJECTIVES);
    old.close();
    now.close();
  });

  it('PostgreSQL: the same catalog (columns, types, collations, defaults, constraints, indexes, views, functions) after every version, and the same data after the last', async () => {
    const made = await Promise.all([createTestDb(), createTestDb()]);
    const [old, now] = made.map((m) => new pg.Client({ connectionString: m.url }));
    await Promise.all([old.connect(), now.connect()]);
    try {
      for (let v = 0; v < WRITTEN_APART; v++) {
        await old.query(BEFORE.postgres[v]);
        await now.query(PG_MIGRATIONS[v]);
        if (v === 0) for (const c of [old, now]) await c.query(V1_DATA);
        // The server's own reading of what was made: views and functions as it prints them back
        // (pg_get_viewdef normalises a view's whitespace; a function's body is kept as written).
        const [a, b] = [await catalog(old), await catalog(now)];
        expect(b, `v${v + 1}`).toEqual(a);
      }
      expect(Object.keys(await catalog(now))).toHaveLength(7);
      for (let v = WRITTEN_APART; v < SCHEMA_VERSION; v++) await now.query(PG_MIGRATIONS[v]);
      for (const table of TABLES) {
        const rows = async (c: pg.Client) => (await c.query(`SELECT * FROM ${table} ORDER BY 1, 2`)).rows;
        expect(await rows(now), table).toMatchObject(await rows(old));
        expect(await rows(now), table).toHaveLength((await rows(old)).length);
      }
      // (pg returns PostgreSQL's BIGINT as text: compared as numbers.)
      expect((await now.query(OBJECTIVES)).rows.map((r) => ({ ...r, position: Number(r.position), trial_id: Number(r.trial_id) }))).toEqual(MIGRATED_OBJECTIVES);
    } finally {
      await Promise.all([old.end(), now.end()]);
      for (const m of made) await m.drop();
    }
  });
});

describe('v11: latency_ms', () => {
  const BEFORE_V11 = 10;
  const METRICS = 'SELECT trial_id, name, step, value FROM trial_metrics ORDER BY trial_id, name, step';
  // Trial 6 of V1_DATA completes again with a latency: its row is at its last epoch, beside params.
  const LATER = `UPDATE trials SET latency_ms = 0.375, params = 101770 WHERE id = 6`;
  const added = (rows: Record<string, unknown>[]) => rows.filter((r) => r.name === 'latency_ms' || r.name === 'params');

  it('SQLite: trial_metrics keeps every row it had, and lists the new column\'s', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = OFF');
    MIGRATIONS.slice(0, BEFORE_V11).forEach((m, v) => { db.exec(m); if (v === 0) db.exec(V1_DATA); });
    const before = db.prepare(METRICS).all();
    for (const m of MIGRATIONS.slice(BEFORE_V11, 11)) db.exec(m);
    expect(db.prepare(METRICS).all()).toEqual(before);
    db.exec(LATER);
    expect(added(db.prepare(METRICS).all() as Record<string, unknown>[])).toEqual([
      { trial_id: 6, name: 'latency_ms', step: 2, value: 0.375 }, { trial_id: 6, name: 'params', step: 2, value: 101770 },
    ]);
    db.close();
  });

  it('PostgreSQL: the same', async () => {
    const made = await createTestDb();
    const c = new pg.Client({ connectionString: made.url });
    await c.connect();
    try {
      for (const [v, m] of PG_MIGRATIONS.slice(0, BEFORE_V11).entries()) { await c.query(m); if (v === 0) await c.query(V1_DATA); }
      const rows = async () => (await c.query(METRICS)).rows.map((r) => ({ ...r, trial_id: Number(r.trial_id), step: Number(r.step) }));
      const before = await rows();
      for (const m of PG_MIGRATIONS.slice(BEFORE_V11, 11)) await c.query(m);
      expect(await rows()).toEqual(before);
      await c.query(LATER);
      expect(added(await rows())).toEqual([
        { trial_id: 6, name: 'latency_ms', step: 2, value: 0.375 }, { trial_id: 6, name: 'params', step: 2, value: 101770 },
      ]);
    } finally {
      await c.end();
      await made.drop();
    }
  });
});

/** Everything of the public schema that a migration makes, as PostgreSQL's catalog has it, in a stable order. */
async function catalog(c: pg.Client): Promise<Record<string, unknown>> {
  const q = async (sql: string) => (await c.query(sql)).rows;
  return {
    relations: await q(`SELECT c.relname, c.relkind, c.relpersistence FROM pg_class c
      WHERE c.relnamespace = 'public'::regnamespace ORDER BY c.relname`),
    columns: await q(`SELECT c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull,
        co.collname, pg_get_expr(d.adbin, d.adrelid) AS default, a.attidentity, a.attgenerated, a.attstorage, a.attisdropped
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_collation co ON co.oid = a.attcollation
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 ORDER BY c.relname, a.attnum`),
    constraints: await q(`SELECT conrelid::regclass::text AS rel, conname, contype, pg_get_constraintdef(oid) AS def
      FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2`),
    indexes: await q(`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2`),
    views: await q(`SELECT viewname, definition FROM pg_views WHERE schemaname = 'public' ORDER BY 1`),
    functions: await q(`SELECT p.proname, pg_get_function_identity_arguments(p.oid) AS args, pg_get_functiondef(p.oid) AS def
      FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace ORDER BY 1, 2`),
    sequences: await q(`SELECT sequencename, data_type::text, start_value, increment_by FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1`),
  };
}
