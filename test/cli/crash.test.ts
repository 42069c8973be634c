import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../temp-dir.js';
import { runUntil, type Kill, type RunEnd } from './kill-storm.js';

const SPEC = `name: crash
seed: 4
data: {validationSplit: 0.2, trainLimit: 1000, testLimit: 200}
grid:
  epochs: [4]
  units: [[16], [32]]
  dropout: [0.0, 0.3]
`;

/** Runs `sweep run` on the folder's spec until it exits or the kill comes; resolves with how it ended. */
function runOnce(dir: string, kill?: Kill, extra: string[] = []): Promise<RunEnd> {
  return runUntil(['run', join(dir, 'spec.yaml'), '--db', join(dir, 'runs', 'sweeps.db'), ...extra], kill);
}

/** What must be the same after any number of crashes: completed configurations and their metrics. */
function record(dir: string) {
  const db = new Database(join(dir, 'runs', 'sweeps.db'), { readonly: true });
  const result = {
    integrity: db.pragma('integrity_check', { simple: true }),
    trials: db.prepare(`SELECT config_id, status, epochs_done, val_accuracy, test_accuracy, test_loss FROM trials ORDER BY config_id`).all(),
    epochs: db.prepare(`SELECT t.config_id, e.epoch, e.loss, e.accuracy, e.val_loss, e.val_accuracy
                        FROM epochs e JOIN trials t ON t.id = e.trial_id ORDER BY t.config_id, e.epoch`).all(),
    perConfig: db.prepare('SELECT COUNT(*) AS n FROM trials GROUP BY config_id HAVING n > 1').all(),
  };
  db.close();
  return result;
}

const fresh = () => {
  const dir = tempDir('sweep-crash-');
  writeFileSync(join(dir, 'spec.yaml'), SPEC);
  return dir;
};

describe('kill -9 at any moment', () => {
  it('loses at most the epochs in flight: after restarts the database equals an uninterrupted run', async () => {
    const clean = fresh();
    expect((await runOnce(clean, undefined, ['--workers', '1'])).code).toBe(0);
    const expected = record(clean);
    expect(expected.trials).toHaveLength(4);
    expect(expected.epochs).toHaveLength(16);

    const dir = fresh();
    // Each run is killed at the next of these moments; the failpoints' counts are per run.
    const kills: Kill[] = [
      { at: 'failpoint', name: 'before-claim:1' },              // at startup: sweep and trials recorded, none claimed
      { at: 'failpoint', name: 'claim:2' },                     // inside the claim transaction
      { at: 'failpoint', name: 'epoch-write:2' },               // during an epoch's write (its row and its checkpoint)
      // Mid-epoch: trial 2's last epoch, then trial 3's first two are recorded, and the worker
      // is training trial 3's third.
      { at: 'failpoint', name: 'epoch-recorded:3' },
      { at: 'failpoint', name: 'trial-write:1' },               // during a trial's completion write
      { at: 'output', text: 'completed:' },                     // between trials
    ];
    let killed = 0;
    for (const kill of kills) {
      const r = await runOnce(dir, kill, ['--workers', '1']);
      if (process.env.CRASH_DEBUG) console.log(JSON.stringify(kill), r.signal, r.code, r.out.trim().split('\n').slice(-2).join(' / '));
      // Every failpoint is on this run's path, so it must have killed it; the kill from outside
      // may come only after the sweep finished, and then the run ended as normal.
      if (kill.at === 'failpoint') expect(r.signal, `${kill.name} was never reached:\n${r.out}`).toBe('SIGKILL');
      if (r.signal === 'SIGKILL') killed++;
      else expect(r.code).toBe(0);
      expect(record(dir).integrity).toBe('ok');
    }
    expect(killed).toBeGreaterThanOrEqual(6);
    const last = await runOnce(dir, undefined, ['--workers', '1']);
    expect(last.code).toBe(0);
    const after = record(dir);
    expect(after.perConfig).toEqual([]);
    expect(after).toEqual(expected);
  });

  it('two processes share one sweep without training any configuration twice', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'spec.yaml'), SPEC.replace('dropout: [0.0, 0.3]', 'dropout: [0.0, 0.1, 0.2, 0.3]'));
    const [a, b] = await Promise.all([runOnce(dir, undefined, ['--workers', '1']), runOnce(dir, undefined, ['--workers', '1'])]);
    // On a failure, show what each process printed.
    if (a.code !== 0 || b.code !== 0) console.log(`first:\n${a.out.slice(-1500)}\nsecond:\n${b.out.slice(-1500)}`);
    expect([a.code, b.code]).toEqual([0, 0]);
    const db = new Database(join(dir, 'runs', 'sweeps.db'), { readonly: true });
    const rows = db.prepare('SELECT status, attempts, owner FROM trials').all() as { status: string; attempts: number; owner: string }[];
    expect(rows).toHaveLength(8);
    expect(rows.every((r) => r.status === 'completed' && r.attempts === 1)).toBe(true);
    // Both took part.
    expect(new Set(rows.map((r) => r.owner)).size).toBe(2);
    db.close();
  });
});

describe('kill -9 with early stopping', () => {
  const ASHA = `name: crash-asha
seed: 4
data: {validationSplit: 0.2, trainLimit: 1000, testLimit: 200}
search:
  earlyStopping: {type: asha, reductionFactor: 2}
grid:
  epochs: [4]
  units: [[16], [32]]
  # The good rate first: later, worse trials are pruned at the rungs.
  learningRate: [0.003, 0.00003]
`;
  const decisions = (dir: string) => {
    const db = new Database(join(dir, 'runs', 'sweeps.db'), { readonly: true });
    const rows = db.prepare(`SELECT t.config_id, d.epoch, d.rung, d.value, d.threshold, d.compared, d.verdict
                             FROM decisions d JOIN trials t ON t.id = d.trial_id ORDER BY t.config_id, d.epoch`).all();
    db.close();
    return rows;
  };

  it('a trial killed between a rung\'s metrics and its decision gets the same decision on resume', async () => {
    const clean = tempDir('sweep-crash-');
    writeFileSync(join(clean, 'spec.yaml'), ASHA);
    expect((await runOnce(clean, undefined, ['--workers', '1'])).code).toBe(0);
    const expected = { ...record(clean), decisions: decisions(clean) };
    expect(expected.trials.some((t) => (t as { status: string }).status === 'pruned')).toBe(true);

    const dir = tempDir('sweep-crash-');
    writeFileSync(join(dir, 'spec.yaml'), ASHA);
    // Each kill comes after a rung epoch's metrics reached the controller and before its decision
    // (and the epoch) were written: the 2nd, then the 3rd decision of the next run, and so on.
    for (const name of ['before-decision:2', 'before-decision:3', 'before-decision:2']) {
      const r = await runOnce(dir, { at: 'failpoint', name }, ['--workers', '1']);
      expect(r.signal, `${name} was never reached:\n${r.out}`).toBe('SIGKILL');
    }
    expect((await runOnce(dir, undefined, ['--workers', '1'])).code).toBe(0);
    expect({ ...record(dir), decisions: decisions(dir) }).toEqual(expected);
  });

  it('two processes share one ASHA sweep: each trial trained once, decided against the same rung\'s values, stopped where pruned', async () => {
    const dir = tempDir('sweep-crash-');
    writeFileSync(join(dir, 'spec.yaml'), ASHA.replace('units: [[16], [32]]', 'units: [[8], [16], [32]]'));
    const [a, b] = await Promise.all([runOnce(dir, undefined, ['--workers', '1']), runOnce(dir, undefined, ['--workers', '1'])]);
    if (a.code !== 0 || b.code !== 0) console.log(`first:\n${a.out.slice(-1500)}\nsecond:\n${b.out.slice(-1500)}`);
    expect([a.code, b.code]).toEqual([0, 0]);
    const db = new Database(join(dir, 'runs', 'sweeps.db'), { readonly: true });
    const trials = db.prepare('SELECT id, status, attempts, epochs_done, owner FROM trials').all() as
      { id: number; status: string; attempts: number; epochs_done: number; owner: string }[];
    const rows = db.prepare(`SELECT d.trial_id, d.epoch, d.rung, d.value, d.compared, d.verdict, e.val_accuracy
                             FROM decisions d JOIN epochs e ON e.trial_id = d.trial_id AND e.epoch = d.epoch`).all() as
      { trial_id: number; epoch: number; rung: number; value: number; compared: string; verdict: string; val_accuracy: number }[];
    db.close();
    expect(trials).toHaveLength(6);
    expect(trials.every((t) => ['completed', 'pruned'].includes(t.status) && t.attempts === 1)).toBe(true);
    expect(new Set(trials.map((t) => t.owner)).size).toBe(2);
    for (const d of rows) {
      // What it was compared with is its own value and values other trials recorded at this rung.
      const atRung = rows.filter((x) => x.rung === d.rung && x.trial_id !== d.trial_id).map((x) => x.value);
      const compared = JSON.parse(d.compared) as number[];
      expect(d.value).toBe(d.val_accuracy);
      expect(compared).toContain(d.value);
      compared.splice(compared.indexOf(d.value), 1);
      for (const v of compared) expect(atRung).toContain(v);
    }
    for (const t of trials.filter((x) => x.status === 'pruned')) {
      expect(t.epochs_done).toBe(rows.find((d) => d.trial_id === t.id && d.verdict === 'prune')?.epoch);
    }
  });
});
