/**
 * W&B's metric.target and metric.impute, end to end through the CLI on a program: a sweep ends
 * once a trial reaches its target, and TPE counts failed trials as the impute rule says.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../temp-dir.js';
import { rows, sweep } from './run-cli.js';

function specOf(spec: string, source: string) {
  const dir = tempDir('sweep-target-');
  writeFileSync(join(dir, 'train.py'), source);
  writeFileSync(join(dir, 'spec.yaml'), spec);
  return { dir, spec: join(dir, 'spec.yaml'), db: join(dir, 'runs', 'sweeps.db') };
}

// A W&B sweep file: loss falls with x; the target is a loss of 0.3 or less.
const WANDB = `name: t
program: train.py
method: grid
metric: {name: loss, goal: minimize, target: 0.3}
parameters:
  x: {values: [1, 2, 3, 4, 5, 6]}
`;
const LOSS = 'import sys\nx = int(sys.argv[1].split("=")[1])\nprint(f"loss={1 / x}")\n';

describe('metric.target: the sweep ends once a trial reaches it', () => {
  it('stops starting trials after the first that reaches it; a later run and a worker start none', async () => {
    const { dir, spec, db } = specOf(WANDB, LOSS);
    let r = await sweep('run', spec, '--db', db, '--workers', '1');
    expect(r.code).toBe(0);
    // x = 4 gives 0.25 ≤ 0.3: trials 5 and 6 never run.
    expect(r.out).toMatch(/\nsweep t: trial 4 reached the target, loss 0\.2500 ≤ 0\.3000: the sweep has ended, no more trials start \(metric\.target\)\n/);
    expect(rows(db, 'SELECT status, COUNT(*) AS n FROM trials GROUP BY status ORDER BY status')).toEqual([
      { status: 'completed', n: 4 }, { status: 'pending', n: 2 },
    ]);
    r = await sweep('run', spec, '--db', db);
    expect(r.out).toMatch(/sweep t: trial 4 reached the target/);
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const w = await sweep('worker', '--db', db);
      expect(w.code).toBe(0);
      expect(w.out).toMatch(/sweep t: trial 4 reached the target[^\n]*\nworker: no trials left\n$/);
    } finally {
      process.chdir(cwd);
    }
    expect(rows(db, "SELECT COUNT(*) AS n FROM trials WHERE status = 'pending'")).toEqual([{ n: 2 }]);
  });

  it('a native spec takes it too, maximized: at least the target', async () => {
    const { spec, db } = specOf(
      'name: n\nprogram: train.py\nmetric: {name: acc, goal: maximize, target: 0.5}\ngrid:\n  x: [1, 2, 3]\n',
      'import os\nprint(f"acc={int(os.environ[\'SWEEP_PARAM_X\']) / 4}")\n');
    const r = await sweep('run', spec, '--db', db, '--workers', '1');
    expect(r.out).toMatch(/trial 2 reached the target, acc 0\.5 ≥ 0\.5/);
  });
});

describe('metric.impute: TPE counts failed trials', () => {
  it('W&B bayes counts a failed trial as the worst value recorded (its default); the proposal records it among the complete', async () => {
    const { spec, db } = specOf(`name: b
program: train.py
method: bayes
run_cap: 16
metric: {name: loss, goal: minimize}
parameters:
  x: {min: 0.0, max: 1.0}
`, 'import sys\nx = float(sys.argv[1].split("=")[1])\nprint(f"epoch=1 loss={x}")\nif x > 0.5: sys.exit(1)\n');
    const r = await sweep('run', spec, '--db', db, '--workers', '1');
    expect(r.out).toMatch(/14 completed|completed, \d+ failed/);
    const trials = rows<{ number: number; status: string; search_json: string }>(db, 'SELECT number, status, search_json FROM trials ORDER BY number');
    const failed = trials.filter((t) => t.status === 'failed').map((t) => t.number);
    expect(failed.length).toBeGreaterThan(0);
    // The last proposal (trial 15, deterministic with parallelism 4: it sees trials 0-11) saw every
    // failed trial among them as complete (imputed), none left out.
    const last = JSON.parse(trials[15].search_json) as { complete: number[] };
    const seen = failed.filter((n) => n <= 11);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((n) => last.complete.includes(n))).toBe(true);
  });

  it('without impute (a native TPE spec), failed trials are left out, as Optuna leaves them', async () => {
    const { spec, db } = specOf(
      'name: o\nprogram: train.py\nmetric: {name: loss, goal: minimize}\nsearch: {method: tpe, trials: 16}\ngrid:\n  x: {min: 0.0, max: 1.0}\n',
      'import sys\nx = float(sys.argv[1].split("=")[1])\nprint(f"epoch=1 loss={x}")\nif x > 0.5: sys.exit(1)\n');
    await sweep('run', spec, '--db', db, '--workers', '1');
    const trials = rows<{ number: number; status: string; search_json: string }>(db, 'SELECT number, status, search_json FROM trials ORDER BY number');
    // Trial 15 sees trials 0-11 (deterministic, parallelism 4): the completed ones, and none of the failed.
    const last = JSON.parse(trials[15].search_json) as { complete: number[] };
    const failed = trials.filter((t) => t.status === 'failed').map((t) => t.number);
    expect(failed.filter((n) => n <= 11).length).toBeGreaterThan(0);
    expect(last.complete.length).toBeGreaterThan(0);
    expect(failed.some((n) => last.complete.includes(n))).toBe(false);
  });
});
