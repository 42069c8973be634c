/**
 * Sweeps that grow (src/sweep/sequence.ts): a deterministic TPE sweep with ASHA extended from 10
 * trials to 20, by editing its spec or by `--trials +10`, is the 20-trial sweep run at once, trial
 * for trial; a spec whose search changed is refused in one line, and `--fork` starts the new search
 * from the old one's results.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../temp-dir.js';
import { recorded } from './deterministic-sweep.js';
import { rows, sweep } from './run-cli.js';

// Three steps of a score that peaks at x = 0.6 and rises with the step: ASHA has something to prune.
const PROGRAM = `import os
x = float(os.environ["SWEEP_PARAM_X"]); y = float(os.environ["SWEEP_PARAM_Y"])
for e in range(1, 4):
    print(f"epoch={e} acc={(1 - (x - 0.6) ** 2 - 0.2 * abs(y - 0.3)) * (0.7 + 0.1 * e):.6f}", flush=True)
`;

const SPEC = (name: string, trials: number, xMax = 1.0) => `name: ${name}
program: prog.py
metric: {name: acc, goal: maximize}
trial: {steps: 3}
seed: 5
search:
  method: tpe
  trials: ${trials}
  earlyStopping: {type: asha, minEpochs: 1, reductionFactor: 2}
grid:
  x: {min: 0.0, max: ${xMax}}
  y: {min: 0.0, max: 1.0}
`;

function folder(prefix: string) {
  const dir = tempDir(prefix);
  writeFileSync(join(dir, 'prog.py'), PROGRAM);
  return { dir, spec: join(dir, 'spec.yaml'), db: join(dir, 'sweeps.db') };
}

/** What a sweep recorded, without its name's own trace (the sweep name is not in these rows). */
const run = async (...args: string[]) => {
  const r = await sweep('run', ...args, '--workers', '2');
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return r;
};

describe('a sweep that grows', () => {
  it('continues the same sequence: 10 trials extended to 20, by the spec or by --trials +10, are the 20 run at once', async () => {
    const once = folder('sweep-grow-once-');
    writeFileSync(once.spec, SPEC('g', 20));
    await run(once.spec, '--db', once.db);
    const expected = await recorded(once.db);
    expect(expected.trials).toHaveLength(20);
    expect(expected.decisions.length).toBeGreaterThan(0);

    const edited = folder('sweep-grow-edited-');
    writeFileSync(edited.spec, SPEC('g', 10));
    await run(edited.spec, '--db', edited.db);
    expect((await recorded(edited.db)).trials).toEqual(expected.trials.slice(0, 10));
    writeFileSync(edited.spec, SPEC('g', 20));
    await run(edited.spec, '--db', edited.db);
    expect(await recorded(edited.db)).toEqual(expected);

    const more = folder('sweep-grow-more-');
    writeFileSync(more.spec, SPEC('g', 10));
    await run(more.spec, '--db', more.db);
    await run(more.spec, '--db', more.db, '--trials', '+10');
    expect(await recorded(more.db)).toEqual(expected);
    // The sweep as recorded asks for 20, so that a `sweep worker` joining it reads what this run made; the file is unchanged.
    expect(rows<{ spec_yaml: string }>(more.db, 'SELECT spec_yaml FROM sweeps')[0].spec_yaml).toMatch(/^ {2}trials: 20$/m);
    expect(readFileSync(more.spec, 'utf8')).toMatch(/^ {2}trials: 10$/m);
  });

  it('refuses a spec whose search changed, in one line, and --fork starts the new one from the old one\'s results in its space', async () => {
    const f = folder('sweep-grow-fork-');
    writeFileSync(f.spec, SPEC('g', 10));
    await run(f.spec, '--db', f.db);
    writeFileSync(f.spec, SPEC('g', 10, 0.5));
    const refused = await sweep('run', f.spec, '--db', f.db);
    expect(refused.code).toBe(1);
    expect(refused.err).toBe(`sweep: ${f.spec}: sweep "g" was recorded with another search (grid.x {"min":0,"max":1} → {"min":0,"max":0.5}); `
      + `to run this one from its results, start a new sweep: sweep run ${f.spec} --fork NEW_NAME\n`);

    const forked = await run(f.spec, '--db', f.db, '--fork', 'g2');
    const old = rows<{ number: number; config_id: string; x: number; status: string }>(f.db, `SELECT t.number, t.config_id, p.number AS x, t.status
      FROM trials t JOIN sweeps s ON s.id = t.sweep_id JOIN trial_params p ON p.trial_id = t.id AND p.name = 'x' WHERE s.name = 'g' ORDER BY t.number`);
    const carried = old.filter((t) => t.x <= 0.5 && (t.status === 'completed' || t.status === 'pruned'));
    expect(carried.length).toBeGreaterThan(0);
    expect(forked.out).toContain(`sweep g2: forked from sweep g, whose ${carried.length} trial${carried.length === 1 ? '' : 's'} in its space it starts with`);
    const g2 = rows<{ number: number; config_id: string; search_json: string | null }>(f.db, `SELECT t.number, t.config_id, t.search_json
      FROM trials t JOIN sweeps s ON s.id = t.sweep_id WHERE s.name = 'g2' ORDER BY t.number`);
    // The old trials come first, in their order, then the fork's own 10.
    expect(g2.slice(0, carried.length).map((t) => t.config_id)).toEqual(carried.map((t) => t.config_id));
    expect(g2).toHaveLength(carried.length + 10);
    // Its own proposals learn from them: the first TPE proposal (once 10 are in and trial k−4 is) saw them complete or pruned.
    const modelled = g2.map((t) => JSON.parse(t.search_json ?? '{}') as { complete?: number[]; pruned?: number[] }).find((s) => (s.complete?.length ?? 0) + (s.pruned?.length ?? 0) > 0);
    expect(modelled).toBeDefined();
    // Every x of the fork lies in its space.
    expect(rows<{ x: number }>(f.db, `SELECT p.number AS x FROM trial_params p JOIN trials t ON t.id = p.trial_id JOIN sweeps s ON s.id = t.sweep_id
      WHERE s.name = 'g2' AND p.name = 'x'`).every((t) => t.x <= 0.5)).toBe(true);
    // Run again, the fork continues as it is: nothing left to do.
    expect((await run(f.spec, '--db', f.db, '--fork', 'g2')).out).toMatch(/0 completed.*already done/);
  });
});
