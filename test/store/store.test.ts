import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { expandGrid } from '../../src/grid/expand.js';
import { parseSpec } from '../../src/spec/load-spec.js';
import { SCHEMA_VERSION } from '../../src/store/schema.js';
import { Store } from '../../src/store/store.js';
import { tempDir } from '../temp-dir.js';

const tmp = () => tempDir('sweep-store-');
const SPEC = parseSpec('name: s\nseed: 3\ngrid:\n  dropout: [0.0, 0.2, 0.5]\n', 's.yaml');
const outcome = (valAccuracy: number, valLoss = 1 - valAccuracy) => ({
  backend: 'wasm', valAccuracy, valLoss, testAccuracy: valAccuracy - 0.01, testLoss: 0.5,
  params: 101770, seconds: 3, weightsSha256: 'w',
  epochs: [1, 2].map((epoch) => ({ epoch, loss: 0.5 / epoch, accuracy: 0.8, valLoss: 0.4, valAccuracy, seconds: 1.5 })),
});

const claim = (store: Store, sweepId: number, owner = 'me', alive = (_o: string) => true) =>
  store.claimNext(sweepId, owner, () => true, alive, 60_000)!;

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
    expect(names).toEqual(['best_per_sweep', 'epochs', 'leaderboard', 'learning_curves', 'sweeps', 'trials']);
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
    const [a, b, c] = [claim(store, sweepId), claim(store, sweepId), claim(store, sweepId)];
    store.recordEpoch(a.id, outcome(0.8).epochs[0], 'wasm');
    expect(store.trials(sweepId).find((t) => t.id === a.id)).toMatchObject({ status: 'running', epochs_done: 1, backend: 'wasm' });
    store.completeTrial(a.id, outcome(0.8));
    store.completeTrial(b.id, outcome(0.9));
    store.failTrial(c.id, 'loss became NaN in epoch 2', outcome(0.5).epochs.slice(0, 1));
    expect(store.trials(sweepId).find((t) => t.id === c.id)).toMatchObject({ status: 'failed', epochs_done: 1, owner: 'me' });
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
    const [a, b] = [claim(store, sweepId), claim(store, sweepId)];
    // a has the higher accuracy and the higher loss, b the lower loss: ranking by accuracy or by
    // the highest loss puts a first; only the lowest val_loss puts b first, with 0.1 the best.
    store.completeTrial(a.id, outcome(0.9, 0.3));
    store.completeTrial(b.id, outcome(0.7, 0.1));
    expect(store.db.prepare('SELECT trial_id FROM leaderboard ORDER BY rank').pluck().all()).toEqual([b.id, a.id]);
    expect(store.sweeps()[0].best).toBeCloseTo(0.1);
    expect(store.trials(sweepId).slice(0, 2).map((t) => t.id)).toEqual([b.id, a.id]);
  });

  it('claims each trial once, in order, and never one a live owner holds', () => {
    const { store, sweepId } = seeded();
    const ids = store.trials(sweepId).map((t) => t.id);
    expect(claim(store, sweepId, 'A').id).toBe(ids[0]);
    expect(claim(store, sweepId, 'B').id).toBe(ids[1]);
    expect(claim(store, sweepId, 'A').id).toBe(ids[2]);
    expect(store.claimNext(sweepId, 'B', () => true, () => true, 60_000)).toBeUndefined();
    expect(store.db.prepare('SELECT owner, attempts FROM trials ORDER BY id').all())
      .toEqual([{ owner: 'A', attempts: 1 }, { owner: 'B', attempts: 1 }, { owner: 'A', attempts: 1 }]);
  });

  it("re-queues a dead owner's trials, by liveness or by an expired heartbeat", () => {
    const { store, sweepId } = seeded();
    const [a, b] = [claim(store, sweepId, 'dead'), claim(store, sweepId, 'silent')];
    store.db.prepare(`UPDATE trials SET heartbeat_at = '2000-01-01T00:00:00.000Z' WHERE id = ?`).run(b.id);
    expect(store.releaseDead(sweepId, (owner) => owner !== 'dead', 60_000)).toBe(2);
    expect(store.trials(sweepId).filter((t) => t.id !== 3 && t.status === 'interrupted').map((t) => t.id).sort()).toEqual([a.id, b.id]);
    // A claim may also take a dead owner's running trial directly.
    const c = claim(store, sweepId, 'alive');
    expect(claim(store, sweepId, 'other', (o) => o !== 'alive').id).toBe(c.id);
  });

  it('resumes a trial after its checkpoint, dropping later epochs of the earlier attempt', () => {
    const { store, sweepId } = seeded();
    const a = claim(store, sweepId);
    const epochs = outcome(0.8).epochs;
    store.recordEpoch(a.id, epochs[0]);
    store.recordEpoch(a.id, epochs[1]);
    store.resumeAt(a.id, epochs.slice(0, 1), 'wasm');
    expect(store.epochs(a.id).map((e) => e.epoch)).toEqual([1]);
    expect(store.trials(sweepId).find((t) => t.id === a.id)).toMatchObject({ epochs_done: 1, resumed_from: 1 });
    store.resumeAt(a.id, [], 'wasm');
    expect(store.epochs(a.id)).toEqual([]);
  });

  it('puts failed trials back in the queue on request', () => {
    const { store, sweepId } = seeded();
    const a = claim(store, sweepId);
    store.failTrial(a.id, 'boom', []);
    expect(store.retryFailed(sweepId)).toBe(1);
    expect(claim(store, sweepId).id).toBe(a.id);
    expect(store.trials(sweepId).find((t) => t.id === a.id)).toMatchObject({ attempts: 2, error: null });
  });

  it('keeps what was recorded across reopening, and readers see it read-only', () => {
    const { store, path, sweepId } = seeded();
    store.completeTrial(claim(store, sweepId).id, outcome(0.85));
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

describe('Store under concurrency', () => {
  it('waits for another process\'s write lock instead of failing, and readers never block it', async () => {
    const { store, sweepId, path } = seeded();
    const [first, second] = store.trials(sweepId).map((t) => t.id);
    // A reader holding a snapshot open does not stop the writers (WAL).
    const reader = new Database(path, { readonly: true });
    reader.prepare('BEGIN').run();
    const pendingSeen = () => reader.prepare(`SELECT COUNT(*) FROM trials WHERE status = 'pending'`).pluck().get();
    expect(pendingSeen()).toBe(3);
    // This process takes the write lock, and claims the first trial under it.
    store.db.prepare('BEGIN IMMEDIATE').run();
    expect(claim(store, sweepId, 'holder').id).toBe(first);
    // Another process opens the built store, as `sweep run` does, and claims too.
    const claimer = `import(${JSON.stringify(join(process.cwd(), 'dist/store/store.js'))}).then(({ Store }) => {
        const store = Store.open(process.argv[1]);
        console.log('claiming');
        const t = store.claimNext(Number(process.argv[2]), 'claimer', () => true, () => true, 60000);
        console.log('claimed: ' + (t ? t.id : 'nothing'));
      }).catch((err) => { console.log('error: ' + err.code + ' ' + err.message); process.exit(1); });`;
    const child = spawn(process.execPath, ['-e', claimer, path, String(sweepId)]);
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
    store.db.prepare('COMMIT').run();
    expect(await exited).toBe(0);
    // It waited instead of failing, and claimed after this process: the second trial.
    expect(out).toBe(`claiming\nclaimed: ${second}\n`);
    // Both writes went through while the reader's snapshot, from before either, stayed open.
    expect(pendingSeen()).toBe(3);
    reader.prepare('COMMIT').run();
    reader.close();
    expect(store.db.prepare('SELECT owner FROM trials ORDER BY id').pluck().all()).toEqual(['holder', 'claimer', null]);
  });

  it('lets several processes create one new database at once (two `sweep run`s starting together)', async () => {
    // Each child opens the same new file through the built store, as `sweep run` does.
    const opener = `import(${JSON.stringify(join(process.cwd(), 'dist/store/store.js'))})
      .then(({ Store }) => { Store.open(process.argv[1]).close(); })
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
