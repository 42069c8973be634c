import { spawn } from 'node:child_process';
import { builtInConfig } from '../../src/spec/code.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { expandGrid } from '../../src/search/grid.js';
import { parseSpec } from '../../src/spec/load-spec.js';
import { ownerToken } from '../../src/store/owner.js';
import { SCHEMA_VERSION } from '../../src/store/schema.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { Claim } from '../../src/store/store.js';
import { tempDir } from '../temp-dir.js';

const tmp = () => tempDir('sweep-store-');
const SPEC = parseSpec('name: s\nseed: 3\ngrid:\n  dropout: [0.0, 0.2, 0.5]\n', 's.yaml');
const outcome = (valAccuracy: number, valLoss = 1 - valAccuracy) => ({
  backend: 'wasm', valAccuracy, valLoss, testAccuracy: valAccuracy - 0.01, testLoss: 0.5,
  params: 101770, seconds: 3, weightsSha256: 'w',
  // The last epoch's validation metrics are the trial's, as a trained trial's are.
  epochs: [1, 2].map((epoch) => ({ epoch, loss: 0.5 / epoch, accuracy: 0.8, valLoss: epoch === 2 ? valLoss : 0.4, valAccuracy, seconds: 1.5 })),
});

const ALL = expandGrid(SPEC).map((t) => t.configId);
const claim = async (store: SqliteStore, sweepId: number, owner = 'me'): Promise<Claim> => (await store.claimNext(sweepId, owner, ALL))!;
/** A second connection on the same file, for what only SQL shows. */
const sql = (path: string) => new Database(path);

/**
 * Whether process `pid` is in a timed sleep, as SQLite's busy handler is between its tries
 * for a lock: the kernel names the function it sleeps in (Linux, as the owner tokens are).
 */
function inTimedSleep(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/wchan`, 'utf8').includes('nanosleep');
  } catch {
    return false;
  }
}

async function seeded(path = join(tmp(), 'db', 'sweeps.db')) {
  const store = await SqliteStore.open(path);
  const sweepId = await store.upsertSweep({ name: 's', metric: 'val_accuracy', goal: 'maximize', seed: 3, specPath: 's.yaml', specYaml: 'name: s' });
  await store.addTrials(sweepId, SPEC.seed, SPEC.data, expandGrid(SPEC));
  return { store, sweepId, path, db: sql(path) };
}

describe('SqliteStore', () => {
  it('creates the schema in WAL mode at the current version', async () => {
    const { db } = await seeded();
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const names = db.prepare(`SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') ORDER BY name`).pluck().all();
    expect(names).toEqual(['best_per_sweep', 'checkpoints', 'decisions', 'epochs', 'leaderboard', 'learning_curves', 'models', 'notes', 'param_values',
      'pareto', 'reported_metrics', 'sweep_notes', 'sweep_objectives', 'sweeps', 'tags', 'trial_fronts', 'trial_logs', 'trial_metrics', 'trial_objectives',
      'trial_params', 'trial_tags', 'trials']);
  });

  it('adds each configuration once, however often the spec is re-run', async () => {
    const { store, sweepId } = await seeded();
    expect(await store.addTrials(sweepId, SPEC.seed, SPEC.data, expandGrid(SPEC))).toBe(0);
    expect(await store.upsertSweep({ name: 's', metric: 'val_accuracy', goal: 'maximize', seed: 3, specPath: 's.yaml', specYaml: 'changed' })).toBe(sweepId);
    expect((await store.trials(sweepId)).map((t) => t.status)).toEqual(['pending', 'pending', 'pending']);
    expect((await store.sweep('s'))?.specYaml).toBe('changed');
  });

  it('stores one column per hyperparameter, queryable without JSON functions', async () => {
    const { db } = await seeded();
    const rows = db.prepare('SELECT dropout, units, model, epochs, learning_rate FROM trials WHERE dropout > 0.1 ORDER BY dropout').all();
    expect(rows).toEqual([
      { dropout: 0.2, units: '[128]', model: 'ann', epochs: 7, learning_rate: 0.001 },
      { dropout: 0.5, units: '[128]', model: 'ann', epochs: 7, learning_rate: 0.001 },
    ]);
  });

  it('records epochs and outcomes, and ranks completed trials in the leaderboard', async () => {
    const { store, sweepId, db } = await seeded();
    const [a, b, c] = [await claim(store, sweepId), await claim(store, sweepId), await claim(store, sweepId)];
    await store.recordEpoch(a, outcome(0.8).epochs[0], 'wasm');
    expect((await store.trial(a.trial.id))).toMatchObject({ status: 'running', epochsDone: 1, backend: 'wasm' });
    await store.completeTrial(a, outcome(0.8), null);
    await store.completeTrial(b, outcome(0.9), null);
    await store.failTrial(c, 'loss became NaN in epoch 2', outcome(0.5).epochs.slice(0, 1));
    expect(await store.trial(c.trial.id)).toMatchObject({ status: 'failed', epochsDone: 1, owner: 'me' });
    expect((await store.epochs(a.trial.id)).map((e) => e.epoch)).toEqual([1, 2]);
    const board = db.prepare(`SELECT rank, trial_id, dropout, val_accuracy, test_accuracy FROM leaderboard WHERE sweep = 's'`).all();
    expect(board).toEqual([
      { rank: 1, trial_id: b.trial.id, dropout: builtInConfig(b.trial.config).dropout, val_accuracy: 0.9, test_accuracy: 0.9 - 0.01 },
      { rank: 2, trial_id: a.trial.id, dropout: builtInConfig(a.trial.config).dropout, val_accuracy: 0.8, test_accuracy: 0.8 - 0.01 },
    ]);
    expect(await store.sweeps()).toEqual([expect.objectContaining({ name: 's', total: 3, completed: 2, failed: 1, pending: 0, best: 0.9 })]);
    expect((await store.trials(sweepId)).map((t) => t.status)).toEqual(['completed', 'completed', 'failed']);
  });

  it('ranks by lowest val_loss when that is the metric', async () => {
    const { store, sweepId, db } = await seeded();
    await store.upsertSweep({ name: 's', metric: 'val_loss', goal: 'minimize', seed: 3, specPath: null, specYaml: '' });
    const [a, b] = [await claim(store, sweepId), await claim(store, sweepId)];
    // a has the higher accuracy and the higher loss, b the lower loss: ranking by accuracy or by
    // the highest loss puts a first; only the lowest val_loss puts b first, with 0.1 the best.
    await store.completeTrial(a, outcome(0.9, 0.3), null);
    await store.completeTrial(b, outcome(0.7, 0.1), null);
    expect(db.prepare('SELECT trial_id FROM leaderboard ORDER BY rank').pluck().all()).toEqual([b.trial.id, a.trial.id]);
    expect((await store.sweeps())[0].best).toBeCloseTo(0.1);
    expect((await store.trials(sweepId)).slice(0, 2).map((t) => t.id)).toEqual([b.trial.id, a.trial.id]);
  });

  it('claims each trial once, in order, and never one a live owner holds', async () => {
    const { store, sweepId, db } = await seeded();
    const ids = (await store.trials(sweepId)).map((t) => t.id);
    expect((await claim(store, sweepId, 'A')).trial.id).toBe(ids[0]);
    expect((await claim(store, sweepId, 'B')).trial.id).toBe(ids[1]);
    expect((await claim(store, sweepId, 'A')).trial.id).toBe(ids[2]);
    expect(await store.claimNext(sweepId, 'B', ALL)).toBeUndefined();
    expect(db.prepare('SELECT owner, attempts FROM trials ORDER BY id').all())
      .toEqual([{ owner: 'A', attempts: 1 }, { owner: 'B', attempts: 1 }, { owner: 'A', attempts: 1 }]);
  });

  it("re-queues a dead owner's trials: a process of this host that is gone, or an expired heartbeat", async () => {
    const { store, sweepId, db } = await seeded();
    // An owner token of this host whose pid cannot exist, and a live one (this process) gone silent.
    const gone = `${hostname()}:4194305:1`;
    // (The live owner claims first: a claim takes a gone owner's running trial itself.)
    const b = await claim(store, sweepId, ownerToken());
    const a = await claim(store, sweepId, gone);
    db.prepare(`UPDATE trials SET heartbeat_at = '2000-01-01T00:00:00.000Z' WHERE id = ?`).run(b.trial.id);
    expect(await store.releaseExpired(sweepId)).toBe(2);
    expect((await store.trials(sweepId)).filter((t) => t.status === 'interrupted').map((t) => t.id).sort()).toEqual([b.trial.id, a.trial.id].sort());
    // A claim may also take a dead owner's running trial directly.
    const c = await claim(store, sweepId, gone);
    expect((await claim(store, sweepId, ownerToken())).trial.id).toBe(c.trial.id);
  });

  it('resumes a trial after its checkpoint, dropping later epochs of the earlier attempt', async () => {
    const { store, sweepId } = await seeded();
    const a = await claim(store, sweepId);
    const epochs = outcome(0.8).epochs;
    await store.recordEpoch(a, epochs[0]);
    await store.recordEpoch(a, epochs[1]);
    await store.resumeAt(a, epochs.slice(0, 1), 'wasm');
    expect((await store.epochs(a.trial.id)).map((e) => e.epoch)).toEqual([1]);
    expect(await store.trial(a.trial.id)).toMatchObject({ epochsDone: 1, resumedFrom: 1 });
    await store.resumeAt(a, [], 'wasm');
    expect(await store.epochs(a.trial.id)).toEqual([]);
  });

  it('puts failed trials back in the queue on request', async () => {
    const { store, sweepId } = await seeded();
    const a = await claim(store, sweepId);
    await store.failTrial(a, 'boom', []);
    expect(await store.retryFailed(sweepId)).toBe(1);
    expect((await claim(store, sweepId)).trial.id).toBe(a.trial.id);
    expect(await store.trial(a.trial.id)).toMatchObject({ attempts: 2, error: null });
  });

  it('keeps what was recorded across reopening, and readers see it read-only', async () => {
    const { store, path, sweepId } = await seeded();
    await store.completeTrial(await claim(store, sweepId), outcome(0.85), null);
    await store.close();
    const reader = await SqliteStore.open(path, { readonly: true });
    expect((await reader.sweeps())[0]).toMatchObject({ completed: 1 });
    await expect(reader.query('DELETE FROM trials')).rejects.toThrow(/only read-only statements/);
    await expect(reader.retryFailed(sweepId)).rejects.toThrow(/readonly/);
    await reader.close();
  });

  it.each([
    ['a file that is not SQLite', (dir: string) => { writeFileSync(join(dir, 'x.db'), 'hello, this is not a database at all'.repeat(40)); return join(dir, 'x.db'); }, /x\.db: cannot use the database \(not an SQLite database\)|x\.db: cannot open the database \(not an SQLite database\)/],
    ['a database from a newer sweep', (dir: string) => { const d = new Database(join(dir, 'n.db')); d.pragma('user_version = 99'); d.close(); return join(dir, 'n.db'); }, /n\.db: written by a newer sweep \(schema version 99/],
    // (A read-only directory would do too, but tests run as root, which ignores permissions.)
    ['a directory that cannot be made', (dir: string) => { writeFileSync(join(dir, 'file'), ''); return join(dir, 'file', 'runs', 'x.db'); }, /file\/runs\/x\.db: cannot open the database \(ENOTDIR/],
  ])('refuses %s with a one-line error', async (_what, make, message) => {
    await expect(SqliteStore.open(make(tmp()))).rejects.toThrow(message);
  });
});

describe('SqliteStore under concurrency', () => {
  it('waits for another process\'s write lock instead of failing, and readers never block it', async () => {
    const { store, sweepId, path, db } = await seeded();
    const [first, second] = (await store.trials(sweepId)).map((t) => t.id);
    // A reader holding a snapshot open does not stop the writers (WAL).
    const reader = new Database(path, { readonly: true });
    reader.prepare('BEGIN').run();
    const pendingSeen = () => reader.prepare(`SELECT COUNT(*) FROM trials WHERE status = 'pending'`).pluck().get();
    expect(pendingSeen()).toBe(3);
    // This process takes the write lock, and claims the first trial under it as a claim would.
    db.prepare('BEGIN IMMEDIATE').run();
    db.prepare(`UPDATE trials SET status = 'running', owner = 'holder', heartbeat_at = ?, attempts = 1 WHERE id = ?`)
      .run(new Date().toISOString(), first);
    // Another process opens the built store, as `sweep run` does, and claims too.
    const claimer = `import(${JSON.stringify(join(process.cwd(), 'dist/store/sqlite.js'))}).then(async ({ SqliteStore }) => {
        const store = await SqliteStore.open(process.argv[1]);
        console.log('claiming');
        const c = await store.claimNext(Number(process.argv[2]), 'claimer', JSON.parse(process.argv[3]));
        console.log('claimed: ' + (c ? c.trial.id : 'nothing'));
      }).catch((err) => { console.log('error: ' + err.code + ' ' + err.message); process.exit(1); });`;
    const child = spawn(process.execPath, ['-e', claimer, path, String(sweepId), JSON.stringify(ALL)]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<number | null>((done) => child.on('exit', done));
    // The lock goes only once the other process is asleep in SQLite's busy handler, that is
    // waiting for it, or has ended: so its claim met the lock, however slow either process is.
    await vi.waitFor(() => {
      if (child.exitCode !== null) return;
      expect(out, 'the claimer to start its claim').toContain('claiming\n');
      expect(inTimedSleep(child.pid!), 'the claimer to wait in the busy handler').toBe(true);
    }, { timeout: 30_000, interval: 2 });
    db.prepare('COMMIT').run();
    expect(await exited).toBe(0);
    // It waited instead of failing, and claimed after this process: the second trial.
    expect(out).toBe(`claiming\nclaimed: ${second}\n`);
    // Both writes went through while the reader's snapshot, from before either, stayed open.
    expect(pendingSeen()).toBe(3);
    reader.prepare('COMMIT').run();
    reader.close();
    expect(db.prepare('SELECT owner FROM trials ORDER BY id').pluck().all()).toEqual(['holder', 'claimer', null]);
  });

  it('lets several processes create one new database at once (two `sweep run`s starting together)', async () => {
    // Each child opens the same new file through the built store, as `sweep run` does.
    const opener = `import(${JSON.stringify(join(process.cwd(), 'dist/store/sqlite.js'))})
      .then(async ({ SqliteStore }) => { await (await SqliteStore.open(process.argv[1])).close(); })
      .catch((err) => { console.error(err.message); process.exit(1); });`;
    const open = (path: string) => new Promise<{ code: number | null; err: string }>((done) => {
      let err = '';
      const child = spawn(process.execPath, ['-e', opener, path]);
      child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      child.on('exit', (code) => done({ code, err }));
    });
    for (let round = 0; round < 20; round++) {
      const path = join(tempDir('sweep-race-'), 'runs', 'sweeps.db');
      const results = await Promise.all([open(path), open(path), open(path), open(path)]);
      expect(results).toEqual(Array(4).fill({ code: 0, err: '' }));
      const db = new Database(path, { readonly: true });
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      db.close();
    }
  }, 30_000);
});

describe('migrating to schema v5 (early stopping), whose trials table is rebuilt', () => {
  it('keeps every trial, epoch, checkpoint and model of a v4 database, and numbers its trials in id order', async () => {
    const { MIGRATIONS } = await import('../../src/store/schema.js');
    const path = join(tmp(), 'old.db');
    const db = new Database(path);
    for (const m of MIGRATIONS.slice(0, 4)) db.exec(m);
    db.pragma('user_version = 4');
    db.exec(`INSERT INTO sweeps VALUES (1, 'old', 'val_accuracy', 1, NULL, 'name: old', 't', 't');
      INSERT INTO trials (id, sweep_id, config_id, config_json, data_json, status, seed, model, epochs, activation, units, dropout,
        optimizer, learning_rate, batch_size, val_accuracy) VALUES
        (7, 1, 'a', '{}', '{}', 'completed', 1, 'ann', 2, 'relu', '[128]', 0.1, 'adam', 0.001, 32, 0.9),
        (9, 1, 'b', '{}', '{}', 'running', 1, 'ann', 2, 'relu', '[128]', 0.2, 'adam', 0.001, 32, NULL);
      INSERT INTO epochs VALUES (7, 1, 0.5, 0.8, 0.4, 0.85, 1), (7, 2, 0.4, 0.9, 0.3, 0.9, 1), (9, 1, 0.6, 0.7, 0.5, 0.8, 1);
      INSERT INTO checkpoints VALUES (9, 1, x'0102');
      INSERT INTO models VALUES (7, '{}', x'03');`);
    db.close();
    const store = await SqliteStore.open(path);
    await store.close();
    const after = sql(path);
    expect(after.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(after.prepare('SELECT id, number, status FROM trials ORDER BY id').all()).toEqual([
      { id: 7, number: 0, status: 'completed' }, { id: 9, number: 1, status: 'running' },
    ]);
    // Dropping the old table must not have cascaded to its children.
    expect(after.prepare('SELECT COUNT(*) AS n FROM epochs').get()).toEqual({ n: 3 });
    expect(after.prepare('SELECT trial_id, epoch FROM checkpoints').all()).toEqual([{ trial_id: 9, epoch: 1 }]);
    expect(after.prepare('SELECT trial_id FROM models').all()).toEqual([{ trial_id: 7 }]);
    expect(after.prepare('SELECT trial_id, rank FROM leaderboard').all()).toEqual([{ trial_id: 7, rank: 1 }]);
    expect(after.pragma('foreign_key_check')).toEqual([]);
    // The rebuilt table still cascades: deleting a trial takes its epochs.
    after.pragma('foreign_keys = ON');
    after.prepare('DELETE FROM trials WHERE id = 9').run();
    expect(after.prepare('SELECT COUNT(*) AS n FROM epochs').get()).toEqual({ n: 2 });
    after.close();
  });
});

describe('migrating to schema v7 (the rest of the model space)', () => {
  it('gives earlier trials the values they trained with: no batch norm, augmentation, schedule or decay; a CNN one conv per block and a flatten head', async () => {
    const { MIGRATIONS } = await import('../../src/store/schema.js');
    const path = join(tmp(), 'v6.db');
    const db = new Database(path);
    for (const m of MIGRATIONS.slice(0, 6)) db.exec(m);
    db.pragma('user_version = 6');
    db.exec(`INSERT INTO sweeps VALUES (1, 'old', 'val_accuracy', 1, NULL, 'name: old', 't', 't');
      INSERT INTO trials (id, sweep_id, config_id, config_json, data_json, status, seed, model, epochs, activation, units, dropout,
        filters, kernel_size, pooling, optimizer, learning_rate, batch_size, number, val_accuracy) VALUES
        (1, 1, 'a', '{}', '{}', 'completed', 1, 'ann', 2, 'relu', '[128]', 0.1, NULL, NULL, NULL, 'adam', 0.001, 32, 0, 0.9),
        (2, 1, 'c', '{}', '{}', 'completed', 1, 'cnn', 2, 'relu', '[128]', 0.1, '[32,64]', 3, 'max', 'adam', 0.001, 32, 1, 0.91);`);
    db.close();
    await (await SqliteStore.open(path)).close();
    const after = sql(path);
    expect(after.prepare('SELECT model, batch_norm, augment, schedule, weight_decay, blocks, head FROM leaderboard ORDER BY trial_id').all()).toEqual([
      { model: 'ann', batch_norm: 0, augment: 'none', schedule: 'constant', weight_decay: 0, blocks: null, head: null },
      { model: 'cnn', batch_norm: 0, augment: 'none', schedule: 'constant', weight_decay: 0, blocks: 1, head: 'flatten' },
    ]);
    after.close();
  });
});

describe('migrating to schema v13 (precise BN), from v11', () => {
  it('gives earlier built-in trials precise_bn 0, what they evaluated on, in their column and their parameter rows; a program trial none', async () => {
    const { MIGRATIONS } = await import('../../src/store/schema.js');
    const path = join(tmp(), 'v11.db');
    const db = new Database(path);
    for (const m of MIGRATIONS.slice(0, 11)) db.exec(m);
    db.pragma('user_version = 11');
    db.exec(`INSERT INTO sweeps (id, name, metric, seed, spec_path, spec_yaml, created_at, updated_at) VALUES (1, 'old', 'val_accuracy', 1, NULL, 'name: old', 't', 't');
      INSERT INTO trials (id, sweep_id, config_id, config_json, data_json, status, seed, model, epochs, batch_norm, number) VALUES
        (1, 1, 'a', '{}', '{}', 'completed', 1, 'cnn', 2, 1, 0),
        (2, 1, 'p', '{}', '{}', 'completed', 1, 'program', NULL, NULL, 1);
      INSERT INTO param_values (trial_id, name, value, number) VALUES (1, 'batch_norm', '1', 1), (2, 'lr', '0.1', 0.1);`);
    db.close();
    await (await SqliteStore.open(path)).close();
    const after = sql(path);
    expect(after.prepare('SELECT id, precise_bn FROM trials ORDER BY id').all()).toEqual([{ id: 1, precise_bn: 0 }, { id: 2, precise_bn: null }]);
    expect(after.prepare(`SELECT trial_id, value, number FROM trial_params WHERE name = 'precise_bn'`).all()).toEqual([{ trial_id: 1, value: '0', number: 0 }]);
    after.close();
  });
});
