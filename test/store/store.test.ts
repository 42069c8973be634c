import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { expandGrid } from '../../src/grid/expand.js';
import { parseSpec } from '../../src/spec/load-spec.js';
import { SCHEMA_VERSION } from '../../src/store/schema.js';
import { Store } from '../../src/store/store.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'sweep-store-'));
const SPEC = parseSpec('name: s\nseed: 3\ngrid:\n  dropout: [0.0, 0.2, 0.5]\n', 's.yaml');
const outcome = (valAccuracy: number) => ({
  backend: 'wasm', valAccuracy, valLoss: 1 - valAccuracy, testAccuracy: valAccuracy - 0.01, testLoss: 0.5,
  params: 101770, seconds: 3,
  epochs: [1, 2].map((epoch) => ({ epoch, loss: 0.5 / epoch, accuracy: 0.8, valLoss: 0.4, valAccuracy, seconds: 1.5 })),
});

function seeded(path = join(tmp(), 'db', 'sweeps.db')) {
  const store = Store.open(path);
  const sweepId = store.upsertSweep({ name: 's', metric: 'val_accuracy', seed: 3, specPath: 's.yaml', specYaml: 'name: s' });
  store.addTrials(sweepId, SPEC.seed, SPEC.data, expandGrid(SPEC));
  return { store, sweepId, path };
}

describe('Store', () => {
  it('creates the schema in WAL mode at the current version', () => {
    const { store } = seeded();
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const names = store.db.prepare(`SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') ORDER BY name`).pluck().all();
    expect(names).toEqual(['epochs', 'leaderboard', 'sweeps', 'trials']);
  });

  it('adds each configuration once, however often the spec is re-run', () => {
    const { store, sweepId } = seeded();
    expect(store.addTrials(sweepId, SPEC.seed, SPEC.data, expandGrid(SPEC))).toBe(0);
    expect(store.upsertSweep({ name: 's', metric: 'val_accuracy', seed: 3, specPath: 's.yaml', specYaml: 'changed' })).toBe(sweepId);
    expect(store.trials(sweepId).map((t) => t.status)).toEqual(['pending', 'pending', 'pending']);
    expect(store.sweep('s')?.spec_yaml).toBe('changed');
  });

  it('stores one column per hyperparameter, queryable without JSON functions', () => {
    const { store } = seeded();
    const rows = store.db.prepare('SELECT dropout, units, model, epochs, learning_rate FROM trials WHERE dropout > 0.1 ORDER BY dropout').all();
    expect(rows).toEqual([
      { dropout: 0.2, units: '[128]', model: 'ann', epochs: 7, learning_rate: 0.001 },
      { dropout: 0.5, units: '[128]', model: 'ann', epochs: 7, learning_rate: 0.001 },
    ]);
  });

  it('records epochs and outcomes, and ranks completed trials in the leaderboard', () => {
    const { store, sweepId } = seeded();
    const [a, b, c] = store.trials(sweepId);
    store.startTrial(a.id);
    store.recordEpoch(a.id, outcome(0.8).epochs[0], 'wasm');
    expect(store.trials(sweepId).find((t) => t.id === a.id)).toMatchObject({ status: 'running', epochs_done: 1, backend: 'wasm' });
    store.completeTrial(a.id, outcome(0.8));
    store.startTrial(b.id);
    store.completeTrial(b.id, outcome(0.9));
    store.startTrial(c.id);
    store.failTrial(c.id, 'loss became NaN in epoch 1');
    expect(store.epochs(a.id).map((e) => e.epoch)).toEqual([1, 2]);
    const board = store.db.prepare(`SELECT rank, trial_id, dropout, val_accuracy, test_accuracy FROM leaderboard WHERE sweep = 's'`).all();
    expect(board).toEqual([
      { rank: 1, trial_id: b.id, dropout: b.dropout, val_accuracy: 0.9, test_accuracy: 0.9 - 0.01 },
      { rank: 2, trial_id: a.id, dropout: a.dropout, val_accuracy: 0.8, test_accuracy: 0.8 - 0.01 },
    ]);
    expect(store.sweeps()).toEqual([expect.objectContaining({ name: 's', total: 3, completed: 2, failed: 1, pending: 0, best: 0.9 })]);
    expect(store.trials(sweepId).map((t) => t.status)).toEqual(['completed', 'completed', 'failed']);
  });

  it('ranks by lowest val_loss when that is the metric', () => {
    const { store, sweepId } = seeded();
    store.upsertSweep({ name: 's', metric: 'val_loss', seed: 3, specPath: null, specYaml: '' });
    const [a, b] = store.trials(sweepId);
    store.completeTrial(a.id, outcome(0.9)); // val_loss 0.1
    store.completeTrial(b.id, outcome(0.7)); // val_loss 0.3
    expect(store.db.prepare('SELECT trial_id FROM leaderboard ORDER BY rank').pluck().all()).toEqual([a.id, b.id]);
    expect(store.sweeps()[0].best).toBeCloseTo(0.1);
  });

  it('starts a trial again from scratch, dropping a half-finished attempt', () => {
    const { store, sweepId } = seeded();
    const [a] = store.trials(sweepId);
    store.startTrial(a.id);
    store.recordEpoch(a.id, outcome(0.8).epochs[0]);
    expect(store.interruptStale(sweepId)).toBe(1);
    store.startTrial(a.id);
    expect(store.epochs(a.id)).toEqual([]);
    expect(store.trials(sweepId)[0]).toMatchObject({ status: 'running', epochs_done: 0 });
  });

  it('keeps what was recorded across reopening, and readers see it read-only', () => {
    const { store, path, sweepId } = seeded();
    store.completeTrial(store.trials(sweepId)[0].id, outcome(0.85));
    store.close();
    const reader = Store.open(path, { readonly: true });
    expect(reader.sweeps()[0]).toMatchObject({ completed: 1 });
    expect(() => reader.db.prepare('DELETE FROM trials').run()).toThrow(/readonly/);
    reader.close();
  });

  it.each([
    ['a file that is not SQLite', (dir: string) => { writeFileSync(join(dir, 'x.db'), 'hello, this is not a database at all'.repeat(40)); return join(dir, 'x.db'); }, /x\.db: cannot use the database \(not an SQLite database\)|x\.db: cannot open the database \(not an SQLite database\)/],
    ['a database from a newer sweep', (dir: string) => { const d = new Database(join(dir, 'n.db')); d.pragma('user_version = 99'); d.close(); return join(dir, 'n.db'); }, /n\.db: written by a newer sweep \(schema version 99/],
    // (A read-only directory would do too, but tests run as root, which ignores permissions.)
    ['a directory that cannot be made', (dir: string) => { writeFileSync(join(dir, 'file'), ''); return join(dir, 'file', 'runs', 'x.db'); }, /file\/runs\/x\.db: cannot open the database \(ENOTDIR/],
  ])('refuses %s with a one-line error', (_what, make, message) => {
    expect(() => Store.open(make(tmp()))).toThrow(message);
  });
});
