/**
 * Sweeps of several objectives, end to end through the CLI on a program: the fronts recorded
 * as trials complete, `sweep show` and `sweep best` on them, the `pareto` view, constraints,
 * and NSGA-II's generations as its trials record them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../temp-dir.js';
import { rows, sweep } from './run-cli.js';

// acc peaks at x = 0.7 and falls with y; cost grows with both; size with x alone.
const PROGRAM = `import os
x = float(os.environ["SWEEP_PARAM_X"]); y = float(os.environ["SWEEP_PARAM_Y"])
print(f"epoch=1 acc={1 - (x - 0.7) ** 2 - 0.1 * y:.4f} cost={x * 10 + y:.3f} size={x * 1000:.0f}")
`;

function specOf(head: string, grid = '  x: [0.1, 0.3, 0.5, 0.7, 0.9]\n  y: [0, 1]\n', source = PROGRAM) {
  const dir = tempDir('sweep-objectives-');
  writeFileSync(join(dir, 'prog.py'), source);
  writeFileSync(join(dir, 'spec.yaml'), `name: mo\nprogram: prog.py\n${head}grid:\n${grid}`);
  return { spec: join(dir, 'spec.yaml'), db: join(dir, 'runs', 'sweeps.db') };
}

const OBJECTIVES = 'metrics:\n  - {name: acc, goal: maximize}\n  - {name: cost, goal: minimize}\n';

describe('a sweep of accuracy against cost, with a constraint', () => {
  it('ranks its trials into fronts as they complete; show lists them, best asks which, the pareto view has them', async () => {
    const { spec, db } = specOf(`${OBJECTIVES}constraints: ["size <= 800"]\n`);
    const r = await sweep('run', spec, '--db', db, '--workers', '2');
    expect(r.err).toBe('');
    expect(r.out).toMatch(/10 completed, 0 failed/);
    expect(r.out).toMatch(/\nfirst front: trials \d+, \d+, \d+, \d+; `sweep show mo` lists them, `sweep best mo --trial N` prints one's configuration\n$/);
    // y = 1 costs more and scores less: only y = 0 is on the first front, and x = 0.9 breaks size <= 800.
    const fronts = rows<{ x: string; y: string; front: number; feasible: number; violation: number }>(db, `
      SELECT MAX(CASE WHEN p.name = 'x' THEN p.value END) AS x, MAX(CASE WHEN p.name = 'y' THEN p.value END) AS y, f.front, f.feasible, f.violation
      FROM pareto f JOIN trial_params p ON p.trial_id = f.trial_id GROUP BY f.trial_id ORDER BY f.front, x, y`);
    expect(fronts).toEqual([
      ...['0.1', '0.3', '0.5', '0.7'].map((x) => ({ x, y: '0', front: 1, feasible: 1, violation: 0 })),
      ...['0.1', '0.3', '0.5', '0.7'].map((x) => ({ x, y: '1', front: 2, feasible: 1, violation: 0 })),
      { x: '0.9', y: '0', front: 3, feasible: 0, violation: 100 }, { x: '0.9', y: '1', front: 3, feasible: 0, violation: 100 },
    ]);
    const show = (await sweep('show', 'mo', '--db', db)).out.split('\n');
    expect(show[0]).toMatch(/^front +trial +status +x +y +acc ↑ +cost ↓ +steps +seconds$/);
    expect(show.slice(2, 6).every((line) => /^1 \* /.test(line))).toBe(true);
    const first = rows<{ trial_id: number }>(db, 'SELECT trial_id FROM pareto WHERE front = 1 ORDER BY trial_id').map((t) => t.trial_id);
    expect(show.find((l) => l.startsWith('first front:'))).toMatch(/^first front: 4 trials \(\d+, \d+, \d+, \d+\), none better in every objective among those that meet the constraints$/);
    expect(show.filter((l) => /^trial \d+ infeasible: size <= 800 \(by 100\)$/.test(l))).toHaveLength(2);
    const best = await sweep('best', 'mo', '--db', db);
    expect(best.code).toBe(1);
    expect(best.err).toMatch(/^sweep: sweep "mo" ranks on acc and cost under constraints: its best is a front, trials \d+, \d+, \d+, \d+ \(`sweep show mo`\); name one with --trial N\n$/);
    // Nor does repro (or export) by the sweep's name: a trial's id is needed.
    const repro = await sweep('repro', 'mo', '--db', db);
    expect(repro.code).toBe(1);
    expect(repro.err).toMatch(/^sweep: sweep "mo" ranks on acc and cost under constraints, so it has no one best trial: name one by its id, such as one of its first front \(\d+, \d+, \d+, \d+; `sweep show mo`\)\n$/);
    const chosen = await sweep('best', 'mo', '--db', db, '--trial', String(first[0]));
    expect(chosen.code).toBe(0);
    expect(chosen.out).toMatch(new RegExp(`^# Trial \\(${first[0]}, config \\w+\\) of sweep "mo"`));
  });

  it('a program that does not report every objective fails, naming what it missed', async () => {
    const { spec, db } = specOf(OBJECTIVES, '  x: [0.5]\n  y: [0]\n', 'print("epoch=1 acc=0.5")\n');
    const r = await sweep('run', spec, '--db', db);
    expect(r.out).toMatch(/FAILED: the program exited 0 without reporting cost, of the sweep's objectives \(it reported acc\)/);
    expect(rows(db, 'SELECT COUNT(*) AS n FROM pareto')).toEqual([{ n: 0 }]);
  });
});

describe('a constraint on parameters alone', () => {
  // The program notes each x it trains on, in a file beside the spec: what ran, whatever the store says.
  const NOTING = (dir: string) => `import os
x = float(os.environ["SWEEP_PARAM_X"]); y = float(os.environ["SWEEP_PARAM_Y"])
open(${JSON.stringify(join(dir, 'ran.txt'))}, "a").write(f"{x}\\n")
print(f"epoch=1 acc={1 - (x - 0.7) ** 2 - 0.1 * y:.4f} cost={x * 10 + y:.3f} size={x * 1000:.0f}")
`;
  const ran = (dir: string) => { try { return readFileSync(join(dir, 'ran.txt'), 'utf8').trim().split('\n').map(Number).sort(); } catch { return []; } };

  it('is checked before training: a trial that breaks it is recorded infeasible, never trained, and trains once the bound allows it', async () => {
    const dir = tempDir('sweep-bounds-');
    writeFileSync(join(dir, 'prog.py'), NOTING(dir));
    const write = (bound: string) => writeFileSync(join(dir, 'spec.yaml'),
      `name: mo\nprogram: prog.py\n${OBJECTIVES}constraints: ["${bound}", "size <= 600"]\ngrid:\n  x: [0.1, 0.5, 0.9]\n  y: [0]\n`);
    const [spec, db] = [join(dir, 'spec.yaml'), join(dir, 'runs', 'sweeps.db')];
    write('x <= 0.6');
    const r = await sweep('run', spec, '--db', db);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/2 completed, 1 infeasible \(not trained\), 0 failed, 0 interrupted, 0 already done/);
    expect(ran(dir)).toEqual([0.1, 0.5]);
    expect(rows(db, `SELECT t.number, t.status, t.error, t.attempts, t.started_at IS NULL AS never_started, t.finished_at IS NOT NULL AS finished,
      (SELECT COUNT(*) FROM epochs e WHERE e.trial_id = t.id) AS epochs, (SELECT COUNT(*) FROM trial_logs l WHERE l.trial_id = t.id) AS logs
      FROM trials t ORDER BY t.number`)).toEqual([
      { number: 0, status: 'completed', error: null, attempts: 1, never_started: 0, finished: 1, epochs: 1, logs: 2 },
      { number: 1, status: 'completed', error: null, attempts: 1, never_started: 0, finished: 1, epochs: 1, logs: 2 },
      { number: 2, status: 'infeasible', error: 'not trained: its parameters break x <= 0.6 (by 0.3)', attempts: 0, never_started: 1, finished: 1, epochs: 0, logs: 0 },
    ]);
    const show = (await sweep('show', 'mo', '--db', db)).out;
    expect(show).toMatch(/\ntrial \d+ infeasible, not trained: its parameters break x <= 0\.6 \(by 0\.3\)\n/);
    // The metric's bound is judged on what trained: x = 0.5 reports size 500, within it.
    expect(rows(db, 'SELECT COUNT(*) AS n FROM pareto WHERE feasible = 1')).toEqual([{ n: 2 }]);

    // Running again trains nothing: the infeasible trial is done, as a completed one is.
    expect((await sweep('run', spec, '--db', db)).out).toMatch(/0 completed, 1 infeasible \(not trained\), 0 failed, 0 interrupted, 2 already done/);
    expect(ran(dir)).toEqual([0.1, 0.5]);
    // With the bound widened, the trial that broke it is pending again, and trains.
    write('x <= 1');
    const again = await sweep('run', spec, '--db', db);
    expect(again.out).toMatch(/1 completed, 0 failed/);
    expect(ran(dir)).toEqual([0.1, 0.5, 0.9]);
    expect(rows(db, 'SELECT status, error FROM trials WHERE number = 2')).toEqual([{ status: 'completed', error: null }]);
  });

  it('TPE records the proposals that break it without training them, learns from them, and ends with its trials', async () => {
    const dir = tempDir('sweep-bounds-tpe-');
    writeFileSync(join(dir, 'prog.py'), NOTING(dir));
    writeFileSync(join(dir, 'spec.yaml'), `name: tpe\nprogram: prog.py\nmetric: {name: acc, goal: maximize}\nconstraints: ["x <= 0.3"]
search: {method: tpe, trials: 16}\ngrid:\n  x: {min: 0.0, max: 1.0}\n  y: [0]\n`);
    const db = join(dir, 'runs', 'sweeps.db');
    const r = await sweep('run', join(dir, 'spec.yaml'), '--db', db, '--workers', '2');
    expect(r.code).toBe(0);
    const trials = rows<{ status: string; x: number }>(db, `SELECT t.status, p.number AS x FROM trials t JOIN trial_params p ON p.trial_id = t.id AND p.name = 'x' ORDER BY t.number`);
    expect(trials).toHaveLength(16);
    // Every x above the bound is infeasible, every one within it completed, and only those ran.
    expect(trials.every((t) => (t.x > 0.3 ? t.status === 'infeasible' : t.status === 'completed'))).toBe(true);
    const feasible = trials.filter((t) => t.status === 'completed').map((t) => t.x).sort();
    expect(ran(dir)).toEqual(feasible);
    expect(r.out).toMatch(new RegExp(`${feasible.length} completed, ${16 - feasible.length} infeasible \\(not trained\\), 0 failed`));
    // Random draws (its first 10) fall past the bound 70% of the time; TPE's after them mostly within it.
    expect(trials.slice(10).filter((t) => t.status === 'completed').length).toBeGreaterThanOrEqual(4);
  });
});

describe('method: nsga2', () => {
  it('breeds generation after generation of the population it records, each from the parents its first trial recorded', async () => {
    // Parallelism 1: each proposal sees every trial before it (as one worker free-running would), so a generation fills with its 4th trial.
    const { spec, db } = specOf(`${OBJECTIVES}search: {method: nsga2, trials: 12, population: 4, parallelism: 1}\n`, '  x: {min: 0.0, max: 1.0}\n  y: {min: 0.0, max: 1.0}\n');
    const r = await sweep('run', spec, '--db', db, '--workers', '1');
    expect(r.err).toBe('');
    expect(r.out).toMatch(/12 completed, 0 failed/);
    const trials = rows<{ number: number; search_json: string }>(db, 'SELECT number, search_json FROM trials ORDER BY number')
      .map((t) => ({ number: t.number, ...JSON.parse(t.search_json) as { method: string; generation: number; parents: number[]; bredFrom: number[] } }));
    expect(trials.map((t) => t.generation)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    expect(trials.every((t) => t.method === 'nsga2')).toBe(true);
    // Generation 1 breeds from generation 0 (all four its parents, the population being 4);
    // generation 2 from the best 4 of generation 1 and its parents.
    expect(trials.slice(4, 8).map((t) => t.parents)).toEqual(Array(4).fill([0, 1, 2, 3]));
    const parents2 = trials[8].parents;
    expect(parents2).toHaveLength(4);
    expect(trials.slice(8).every((t) => JSON.stringify(t.parents) === JSON.stringify(parents2))).toBe(true);
    expect(parents2.every((n) => n < 8)).toBe(true);
    for (const t of trials.slice(4)) expect(t.bredFrom.every((n) => t.parents.includes(n))).toBe(true);
  });
});

describe('latency_ms, measured by sweep', () => {
  it('is an objective of the built-in models like any other: their values are the trials\' latencies, show lists it as one', async () => {
    const dir = tempDir('sweep-objectives-');
    const spec = join(dir, 'lat.yaml');
    const db = join(dir, 'runs', 'sweeps.db');
    writeFileSync(spec, `name: lat
metrics: [val_accuracy, latency_ms]
data: {validationSplit: 0.2, trainLimit: 600, testLimit: 100}
grid:
  epochs: [1]
  units: [[8], [16]]
`);
    const r = await sweep('run', spec, '--db', db, '--workers', '1');
    expect(r.err).toBe('');
    expect(r.out).toMatch(/2 completed, 0 failed/);
    const values = rows<{ latency: number; objective: number }>(db, `SELECT t.latency_ms AS latency, o.value AS objective
      FROM trials t JOIN trial_objectives o ON o.trial_id = t.id AND o.position = 1`);
    expect(values).toHaveLength(2);
    for (const v of values) expect(v.objective === v.latency && v.latency > 0).toBe(true);
    const show = (await sweep('show', 'lat', '--db', db)).out.split('\n');
    // Its own column, not a second one beside the objectives.
    expect(show[0]).toMatch(/^front +trial +status +units +val_accuracy ↑ +latency_ms ↓ +steps +seconds$/);
    expect(show[2]).toMatch(/ \d+(\.\d+)?ms +1\/1 /);
  });
});
