import Database from 'better-sqlite3';
import { builtInConfig } from '../../src/spec/code.js';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { LABEL, varyingKeys } from '../../src/spec/labels.js';
import { configId } from '../../src/spec/config-id.js';
import { bestSpec } from '../../src/spec/one-config.js';
import { specSchema } from '../../src/spec/schema.js';
import type { AnyConfig } from '../../src/spec/code.js';
import { expandGrid } from '../../src/search/grid.js';
import { HYPERPARAMETERS, REGISTRY, kindKeys } from '../../src/spec/hyperparameters.js';
import { parseSpec } from '../../src/spec/load-spec.js';
import { MIGRATIONS } from '../../src/store/schema.js';
import { PG_MIGRATIONS } from '../../src/store/schema-postgres.js';
import { createTestDb } from '../store/pg-test-db.js';

// The registry is the one declaration; everything below is derived from it, except the
// migrations, which are history. These tests hold that history to the registry.
const PG_TYPE = { INTEGER: 'bigint', REAL: 'double precision', TEXT: 'text' } as const;
// Every hyperparameter column but `model` is NULL-able: a trial of the user's code has none (v9).
const nullable = (key: keyof typeof REGISTRY) => key !== 'model';

describe('the hyperparameter registry', () => {
  it('SQLite: `trials` has a column per hyperparameter, of its type, NULL-able but model (the user\'s code has none); the views show them in registry order', () => {
    const db = new Database(':memory:');
    for (const m of MIGRATIONS) db.exec(m);
    const cols = new Map((db.pragma('table_info(trials)') as { name: string; type: string; notnull: number }[]).map((c) => [c.name, c]));
    for (const key of HYPERPARAMETERS) {
      const { column, sql } = REGISTRY[key];
      expect(cols.get(column), column).toMatchObject({ type: sql, notnull: nullable(key) ? 0 : 1 });
    }
    const columns = HYPERPARAMETERS.map((k) => REGISTRY[k].column);
    for (const view of ['leaderboard', 'learning_curves']) {
      const names = (db.pragma(`table_info(${view})`) as { name: string }[]).map((c) => c.name);
      const at = names.indexOf(columns[0]);
      expect(names.slice(at, at + columns.length), view).toEqual(columns);
    }
    db.close();
  });

  it('PostgreSQL: the same columns, of the matching types and nullability, in the same views', async () => {
    const made = await createTestDb();
    const c = new pg.Client({ connectionString: made.url });
    await c.connect();
    try {
      for (const m of PG_MIGRATIONS) await c.query(m);
      const r = await c.query<{ table_name: string; column_name: string; data_type: string; is_nullable: string }>(
        `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
         WHERE table_name IN ('trials', 'leaderboard', 'learning_curves') ORDER BY table_name, ordinal_position`);
      const trials = new Map(r.rows.filter((x) => x.table_name === 'trials').map((x) => [x.column_name, x]));
      for (const key of HYPERPARAMETERS) {
        const { column, sql } = REGISTRY[key];
        expect(trials.get(column), column).toMatchObject({ data_type: PG_TYPE[sql], is_nullable: nullable(key) ? 'YES' : 'NO' });
      }
      const columns = HYPERPARAMETERS.map((k) => REGISTRY[k].column);
      for (const view of ['leaderboard', 'learning_curves']) {
        const names = r.rows.filter((x) => x.table_name === view).map((x) => x.column_name);
        const at = names.indexOf(columns[0]);
        expect(names.slice(at, at + columns.length), view).toEqual(columns);
      }
    } finally {
      await c.end();
      await made.drop();
    }
  });

  it('an empty spec trains each kind on every key it has, at the registry defaults: the notebook ANN and a two-conv CNN', () => {
    const [ann, cnn] = expandGrid(parseSpec('name: d\ngrid:\n  model: [ann, cnn]\n', 'd.yaml')).map((t) => builtInConfig(t.config));
    for (const [config, kind] of [[ann, 'ann'], [cnn, 'cnn']] as const) {
      expect(Object.keys(config).sort()).toEqual(['model', ...kindKeys(kind)].sort());
      for (const key of kindKeys(kind)) expect(config[key], key).toEqual(REGISTRY[key].default);
    }
    expect(ann).toEqual({ model: 'ann', epochs: 7, activation: 'relu', units: [128], dropout: 0.2, optimizer: 'adam', learningRate: 0.001, batchSize: 32, labelSmoothing: 0, batchNorm: false, preciseBn: 0, augment: 'none', schedule: 'constant', weightDecay: 0 });
  });

  // Trials recorded before precise BN evaluated on the moving averages and must train again as they
  // did; a spec's batch-norm trials get it; plain trials are untouched by it, ids included.
  it('preciseBn: 200 batches for a spec\'s batch-norm configurations, 0 and the id they always had for the others; a trial recorded without it keeps its id, and its best spec trains it without', () => {
    const spec = parseSpec('name: p\ngrid:\n  model: [cnn]\n  batchNorm: [true, false]\n', 'p.yaml');
    const [bn, plain] = expandGrid(spec);
    expect([builtInConfig(bn.config).preciseBn, builtInConfig(plain.config).preciseBn]).toEqual([200, 0]);
    const without = (c: object) => Object.fromEntries(Object.entries(c).filter(([k]) => k !== 'preciseBn')) as AnyConfig;
    expect(plain.configId).toBe(configId(without(plain.config), spec.seed, spec.data));
    const recorded = without(bn.config);
    expect(bn.configId).not.toBe(configId(recorded, spec.seed, spec.data));
    const again = expandGrid(specSchema.parse(bestSpec({ name: 'p', metric: 'val_accuracy', goal: 'maximize' }, spec.seed, spec.data, recorded)));
    expect(again.map((t) => [t.configId, builtInConfig(t.config).preciseBn])).toEqual([[configId(recorded, spec.seed, spec.data), 0]]);
    const set = expandGrid(parseSpec('name: p\ntrain: {preciseBn: 50}\ngrid:\n  model: [cnn]\n  batchNorm: [true, false]\n', 'p.yaml'));
    expect(set.map((t) => builtInConfig(t.config).preciseBn)).toEqual([50, 0]);
    expect(set[1].configId).toBe(plain.configId);
    // It differs between those two only because batchNorm does: no column of its own in the live screen.
    expect(varyingKeys([bn.config, plain.config])).toEqual(['batchNorm']);
  });

  it.each(HYPERPARAMETERS.filter((k) => k !== 'model'))('%s: a spec may list it, it has a label, and its values are validated', (key) => {
    const value = JSON.stringify(REGISTRY[key].default);
    const kind = (REGISTRY[key].kinds as readonly string[]).includes('ann') ? 'ann' : 'cnn';
    const trials = expandGrid(parseSpec(`name: k\ngrid:\n  model: [${kind}]\n  ${key}: [${value}]\n`, 'k.yaml'));
    expect(builtInConfig(trials[0].config)[key]).toEqual(REGISTRY[key].default);
    expect(LABEL[key]).toMatch(/^[a-z_]+$/);
    expect(() => parseSpec(`name: k\ngrid:\n  model: [${kind}]\n  ${key}: [{}]\n`, 'k.yaml')).toThrow(new RegExp(`grid\\.${key}`));
  });

  it('augment: augmentations joined by + in any order are one configuration, in canonical order; anything else is refused', () => {
    const trials = expandGrid(parseSpec('name: a\ngrid:\n  augment: [flip+shift, shift+flip, erase+flip+shift, none]\n', 'a.yaml'));
    expect(trials.map((t) => builtInConfig(t.config).augment)).toEqual(['shift+flip', 'shift+flip+erase', 'none']);
    for (const bad of ['shift+shift', 'rotate', 'shift+', 'None']) {
      expect(() => parseSpec(`name: a\ngrid:\n  augment: [${bad}]\n`, 'a.yaml')).toThrow(/augment.*must be none, or shift, flip, erase joined by \+/);
    }
  });
});
