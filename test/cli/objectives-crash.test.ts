/**
 * kill -9 of a sweep of several objectives, at every place a crash can land: the run after the
 * crashes ends with the same trials, the same objective values and the same Pareto fronts (the
 * `pareto` view) as an uninterrupted run of the same spec. With one worker, NSGA-II's and
 * multi-objective TPE's proposals are pure functions of the trials recorded before them, so the
 * trials themselves (configurations, generations, parents) must match too, not only the front.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../temp-dir.js';
import { PYTHON } from '../trial/program/proc.js';
import { BIN } from './run-cli.js';

// Three steps per trial, so that a kill can land mid-trial; acc peaks at x = 0.7 and falls with
// y, cost grows with both: a front of x from 0 to 0.7 at low y. size bounds x (a constraint).
const PROGRAM = `import os
x = float(os.environ["SWEEP_PARAM_X"]); y = float(os.environ["SWEEP_PARAM_Y"])
for step in (1, 2, 3):
    print(f"epoch={step} acc={(1 - (x - 0.7) ** 2 - 0.1 * y) * step / 3:.6f} cost={(x * 10 + y) * step:.6f} size={x * 1000:.0f}", flush=True)
`;


const spec = (search: string) => `name: mo-crash
program: prog.py
interpreter: ${PYTHON}
metrics:
  - {name: acc, goal: maximize}
  - {name: cost, goal: minimize}
constraints: ["size <= 800"]
search: ${search}
grid:
  x: {min: 0.0, max: 1.0}
  y: {min: 0.0, max: 1.0}
`;

type Kill = { at: 'failpoint'; name: string } | { at: 'output'; text: string };

function fresh(search: string): string {
  const dir = tempDir('sweep-mo-crash-');
  writeFileSync(join(dir, 'prog.py'), PROGRAM);
  writeFileSync(join(dir, 'spec.yaml'), spec(search));
  return dir;
}

/** Runs `sweep run` on dir's spec with one worker until it exits or the kill comes. */
function runOnce(dir: string, kill?: Kill): Promise<{ code: number | null; signal: string | null; out: string }> {
  const env = { ...process.env, CI: '1', ...(kill?.at === 'failpoint' ? { SWEEP_FAILPOINT: kill.name } : {}) };
  const child = spawn(process.execPath, [BIN, 'run', join(dir, 'spec.yaml'), '--db', join(dir, 'runs', 'sweeps.db'), '--workers', '1'], { env });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (kill?.at === 'output' && out.includes(kill.text) && child.exitCode === null) child.kill('SIGKILL');
  });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  return new Promise((done) => child.on('exit', (code, signal) => done({ code, signal, out })));
}

function query<T = Record<string, unknown>>(dir: string, sql: string): T[] {
  const db = new Database(join(dir, 'runs', 'sweeps.db'), { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

/** What must equal an uninterrupted run's, by trial number (ids and attempts may differ). */
function record(dir: string) {
  return {
    trials: query(dir, 'SELECT number, config_id, config_json, status, epochs_done, search_json FROM trials ORDER BY number'),
    objectives: query(dir, `SELECT t.number, o.position, o.value FROM trial_objectives o JOIN trials t ON t.id = o.trial_id
                            ORDER BY t.number, o.position`),
    // What the program reported at each step (the timings sweep adds are not the program's).
    steps: query(dir, `SELECT t.number, m.step, m.name, m.value FROM trial_metrics m JOIN trials t ON t.id = m.trial_id
                       WHERE m.name IN ('acc', 'cost', 'size') ORDER BY t.number, m.step, m.name`),
    fronts: query(dir, `SELECT t.number, p.front, p.feasible, p.violation, p.broken FROM pareto p JOIN trials t ON t.id = p.trial_id
                        ORDER BY t.number`),
  };
}

/** Completed trials the fronts do not rank yet: what a crash between a completion and the fronts' write leaves. */
const unranked = (dir: string) => query<{ n: number }>(dir, `SELECT COUNT(*) AS n FROM trials
  WHERE status = 'completed' AND id NOT IN (SELECT trial_id FROM trial_fronts)`)[0].n;

// Each run is killed at the next of these; a failpoint's count is per run.
// (A kill at startup, before-claim:1, is crash.test.ts's; it adds nothing here.)
const KILLS: Kill[] = [
  { at: 'failpoint', name: 'claim:2' },         // inside a claim: the trial was proposed (committed) but not claimed
  { at: 'failpoint', name: 'epoch-write:4' },   // during a step's write, mid-trial
  // The first fronts-write of a run is its startup ranking; the second, after its first
  // completion: that trial is committed completed, its fronts are not.
  { at: 'failpoint', name: 'fronts-write:2' },
  { at: 'failpoint', name: 'epoch-recorded:2' }, // a step committed, the program still running
  { at: 'failpoint', name: 'trial-write:2' },   // during a completion's write
  { at: 'output', text: 'completed:' },         // between a completion and the next claim, from outside
];

describe('kill -9 of a sweep of several objectives', () => {
  it.each([
    ['nsga2', '{method: nsga2, trials: 14, population: 4}'],
    ['multi-objective tpe', '{method: tpe, trials: 14}'],
  ])('%s: after restarts, the same trials and the same fronts as an uninterrupted run', async (_name, search) => {
    const clean = fresh(search);
    const uninterrupted = await runOnce(clean);
    expect(uninterrupted.code, uninterrupted.out).toBe(0);
    const expected = record(clean);
    expect(expected.trials).toHaveLength(14);
    expect(expected.fronts).toHaveLength(14);
    // Some trials break the constraint and some do not, and there is more than one front:
    // a fixture where every trial is on the first front could not tell wrong fronts from right.
    expect(new Set(expected.fronts.map((f) => f.feasible))).toEqual(new Set([0, 1]));
    expect(new Set(expected.fronts.map((f) => f.front)).size).toBeGreaterThan(2);

    const dir = fresh(search);
    for (const kill of KILLS) {
      const r = await runOnce(dir, kill);
      // Every failpoint is on this run's path, so it must have killed it; the kill from outside
      // may come only after the sweep finished, and then the run ended as normal.
      if (kill.at === 'failpoint') expect(r.signal, `${kill.name} was never reached:\n${r.out}`).toBe('SIGKILL');
      else expect(r.signal === 'SIGKILL' || r.code === 0, r.out).toBe(true);
      // The window the startup ranking is there for: a completed trial in no front.
      if (kill.at === 'failpoint' && kill.name.startsWith('fronts-write')) expect(unranked(dir)).toBe(1);
    }
    // Last, a run that completes every trial left and is killed writing the fronts after the
    // last completion (its startup ranking is fronts-write 1): only the next run's startup
    // ranking is left to rank that trial, as that run has nothing to train.
    const left = 14 - query<{ n: number }>(dir, "SELECT COUNT(*) AS n FROM trials WHERE status = 'completed'")[0].n;
    expect(left).toBeGreaterThan(0);
    const lastFronts = await runOnce(dir, { at: 'failpoint', name: `fronts-write:${left + 1}` });
    expect(lastFronts.signal, lastFronts.out).toBe('SIGKILL');
    expect(unranked(dir)).toBe(1);
    const last = await runOnce(dir);
    expect(last.out).toMatch(/14 already done/);
    expect(last.code, last.out).toBe(0);
    expect(last.out).toMatch(/\nfirst front: trials [\d, ]+; `sweep show mo-crash` lists them/);
    expect(unranked(dir)).toBe(0);
    expect(record(dir)).toEqual(expected);
    // Each trial trained to the end once, a killed attempt's steps replaced, not added to.
    expect(query(dir, 'SELECT COUNT(*) AS n FROM trial_metrics GROUP BY trial_id, step, name HAVING n > 1')).toEqual([]);
  });
});
