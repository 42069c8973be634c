import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../temp-dir.js';
import { BIN, stoppedRun, sweep } from './run-cli.js';

const SPEC = `name: shared
seed: 5
data: {validationSplit: 0.2, trainLimit: 600, testLimit: 100}
grid:
  epochs: [2]
  units: [[8]]
  dropout: [0.0, 0.1, 0.2, 0.3]
`;

describe('sweep worker', () => {
  it('finishes a sweep that a stopped run left, by the spec recorded with it', async () => {
    const dir = tempDir('sweep-worker-');
    const db = join(dir, 'sweeps.db');
    writeFileSync(join(dir, 'shared.yaml'), SPEC);
    // A run stopped right after its first trial: three are left, one of them interrupted.
    const code = await stoppedRun(['run', join(dir, 'shared.yaml'), '--db', db, '--workers', '1'], /trial 1 .*completed/);
    expect(code).toBe(143);
    const updated = () => { const x = new Database(db, { readonly: true }); try { return x.prepare('SELECT updated_at FROM sweeps').pluck().get(); } finally { x.close(); } };
    const runUpdated = updated();

    const r = await sweep('worker', '--db', db, '--workers', '2');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^worker: no trials left$/m);
    const d = new Database(db, { readonly: true });
    // Every configuration completed once: the first by the run, the rest by the worker.
    expect(d.prepare('SELECT status, COUNT(*) AS n FROM trials GROUP BY status').all()).toEqual([{ status: 'completed', n: 4 }]);
    expect(d.prepare('SELECT COUNT(*) FROM epochs').pluck().get()).toBe(8);
    expect(d.prepare(`SELECT COUNT(*) FROM trials WHERE attempts = 1`).pluck().get()).toBeGreaterThanOrEqual(3);
    d.close();

    // Joining wrote neither the spec nor the trials again: the sweep's updated_at is still the run's.
    expect(updated()).toBe(runUpdated);
    // Nothing left: a second worker leaves at once.
    const again = await sweep('worker', '--db', db);
    expect(again.out).toMatch(/^worker: no trials left$/m);
    expect(again.out).not.toMatch(/started/);
  });

  it('refuses a sweep that is not there, in one line', async () => {
    const dir = tempDir('sweep-worker-');
    const db = join(dir, 'sweeps.db');
    writeFileSync(join(dir, 'shared.yaml'), SPEC.replace('[0.0, 0.1, 0.2, 0.3]', '[0.0]'));
    expect((await sweep('run', join(dir, 'shared.yaml'), '--db', db)).code).toBe(0);
    const r = await sweep('worker', '--db', db, '--sweep', 'nope');
    expect(r).toMatchObject({ code: 1, err: `sweep: no sweep named "nope" in ${db}\n` });
  });

  it('keeps its trials under a lease shorter than a trial: the heartbeat beats within it', async () => {
    const dir = tempDir('sweep-worker-');
    const db = join(dir, 'sweeps.db');
    // Trials of several seconds (the notebook's width on 16,000 images, 6 epochs) under a one-second
    // lease: only a heartbeat well inside it keeps them.
    writeFileSync(join(dir, 'shared.yaml'), SPEC.replace('trainLimit: 600', 'trainLimit: 20000').replace('units: [[8]]', 'units: [[128]]').replace('epochs: [2]', 'epochs: [6]').replace('[0.0, 0.1, 0.2, 0.3]', '[0.0, 0.1]'));
    const { SqliteStore } = await import('../../src/store/sqlite.js');
    const { parseSpec } = await import('../../src/spec/load-spec.js');
    const { expandGrid } = await import('../../src/search/grid.js');
    const spec = parseSpec(readFileSync(join(dir, 'shared.yaml'), 'utf8'), 'shared.yaml');
    const store = await SqliteStore.open(db);
    const id = await store.upsertSweep({ name: spec.name, metric: spec.metric.name, goal: spec.metric.goal, seed: spec.seed, specPath: null, specYaml: readFileSync(join(dir, 'shared.yaml'), 'utf8') });
    await store.addTrials(id, spec.seed, spec.data, expandGrid(spec));
    await store.close();
    const env = { ...process.env, CI: '1', SWEEP_LEASE_SECONDS: '1' };
    const runs = ['a', 'b'].map(() => new Promise<{ code: number | null; err: string }>((done) => {
      const child = spawn(process.execPath, [BIN, 'worker', '--db', db, '--workers', '1'], { env });
      let err = '';
      child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      child.on('exit', (code) => done({ code, err }));
    }));
    expect(await Promise.all(runs)).toEqual([{ code: 0, err: '' }, { code: 0, err: '' }]);
    const d = new Database(db, { readonly: true });
    const trials = d.prepare('SELECT status, attempts, seconds FROM trials').all() as { status: string; attempts: number; seconds: number }[];
    d.close();
    // Each trial outlasted the lease, and none was taken over from its healthy worker.
    expect(trials.map((t) => [t.status, t.attempts])).toEqual([['completed', 1], ['completed', 1]]);
    expect(Math.min(...trials.map((t) => t.seconds))).toBeGreaterThan(1);
  });

  it('joins a TPE sweep with trials left to propose, and proposes them', async () => {
    const dir = tempDir('sweep-worker-');
    const db = join(dir, 'sweeps.db');
    const text = SPEC.replace('[0.0, 0.1, 0.2, 0.3]', '{min: 0.0, max: 0.5}').replace('grid:', 'search: {method: tpe, trials: 3}\ngrid:');
    // Recorded as a run records it before training, with no trial proposed yet.
    const { SqliteStore } = await import('../../src/store/sqlite.js');
    const store = await SqliteStore.open(db);
    await store.upsertSweep({ name: 'shared', metric: 'val_accuracy', goal: 'maximize', seed: 5, specPath: null, specYaml: text });
    await store.close();
    const r = await sweep('worker', '--db', db, '--workers', '2');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^worker: no trials left$/m);
    const d = new Database(db, { readonly: true });
    const rows = d.prepare('SELECT number, status, search_json FROM trials ORDER BY number').all() as { number: number; status: string; search_json: string }[];
    d.close();
    expect(rows.map((t) => [t.number, t.status, JSON.parse(t.search_json).method])).toEqual([[0, 'completed', 'tpe'], [1, 'completed', 'tpe'], [2, 'completed', 'tpe']]);
  });
});
