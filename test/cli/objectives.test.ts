/**
 * Sweeps of several objectives, end to end through the CLI on a program: the fronts recorded
 * as trials complete, `sweep show` and `sweep best` on them, the `pareto` view, constraints,
 * and NSGA-II's generations as its trials record them.
 */
import { writeFileSync } from 'node:fs';
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

describe('method: nsga2', () => {
  it('breeds generation after generation of the population it records, each from the parents its first trial recorded', async () => {
    const { spec, db } = specOf(`${OBJECTIVES}search: {method: nsga2, trials: 12, population: 4}\n`, '  x: {min: 0.0, max: 1.0}\n  y: {min: 0.0, max: 1.0}\n');
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
