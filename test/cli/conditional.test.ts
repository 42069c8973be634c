/**
 * Conditional and nested parameters end to end, with a real program: what it is given (a
 * parameter it does not have is not passed; a nested one arrives as one mapping, as from W&B's
 * agent), what the store records, `sweep show`, the dashboard's data and `sweep repro`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite.js';
import { buildDashboard } from '../../src/web/build-data.js';
import { tempDir } from '../temp-dir.js';
import { rows, sweep } from './run-cli.js';

// Prints its arguments (stderr, kept in trial_logs) and a score from its parameters, seeded by nothing: the same arguments, the same score.
const PROGRAM = `import json, sys
args = sys.argv[1:]
print(json.dumps(args), file=sys.stderr)
opts = dict(a[2:].split("=", 1) for a in args)
score = 0.5 + 0.1 * (opts["optimizer"] == "adam") + float(opts.get("beta1", "0")) / 10 - float(opts.get("momentum", "0")) / 20
print(f"epoch=1 score={score}")
`;

function folder(spec: string): { dir: string; spec: string; db: string } {
  const dir = tempDir('sweep-conditional-');
  writeFileSync(join(dir, 'prog.py'), PROGRAM);
  writeFileSync(join(dir, 'spec.yaml'), spec);
  return { dir, spec: join(dir, 'spec.yaml'), db: join(dir, 'runs', 'sweeps.db') };
}

type Trial = { id: number; number: number; status: string; metric_value: number };

describe('a conditional parameter in a sweep of a program', () => {
  it('passes each trial only the parameters of its choices, records no row for the others, shows them as missing and reproduces them', async () => {
    const { spec, db } = folder(`name: cond
program: prog.py
metric: {name: score, goal: maximize}
search: {method: random, trials: 8}
seed: 3
grid:
  optimizer:
    adam: {beta1: [0.9, 0.95]}
    sgd: {momentum: {min: 0.0, max: 0.9}}
  batch_size: [32, 64]
`);
    const run = await sweep('run', spec, '--db', db, '--workers', '2');
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const trials = rows<Trial>(db, 'SELECT id, number, status, metric_value FROM trials ORDER BY number');
    // A configuration drawn twice trains once (adam's choices are few).
    expect(trials.length).toBeGreaterThan(4);
    expect(trials.every((t) => t.status === 'completed')).toBe(true);

    // The program got --name=value for each parameter of its choices, sorted, and nothing for the others.
    const argv = new Map(rows<{ trial_id: number; text: string }>(db, "SELECT trial_id, text FROM trial_logs WHERE stream = 'stderr'")
      .map((r) => [r.trial_id, JSON.parse(r.text) as string[]]));
    const params = rows<{ trial_id: number; name: string; value: string }>(db, 'SELECT trial_id, name, value FROM trial_params ORDER BY trial_id, name');
    const names = (id: number) => params.filter((p) => p.trial_id === id).map((p) => p.name);
    let adam = 0;
    for (const t of trials) {
      const given = argv.get(t.id)!.map((a) => a.slice(2).split('=')[0]);
      const optimizer = params.find((p) => p.trial_id === t.id && p.name === 'optimizer')!.value;
      const expected = optimizer === 'adam' ? ['batch_size', 'beta1', 'optimizer'] : ['batch_size', 'momentum', 'optimizer'];
      if (optimizer === 'adam') adam++;
      expect(given).toEqual(expected);
      expect(names(t.id)).toEqual(expected);
    }
    expect(adam).toBeGreaterThan(0);
    expect(adam).toBeLessThan(trials.length);

    // `sweep show`: every parameter a column, '-' where a trial has none.
    const show = await sweep('show', 'cond', '--db', db);
    expect(show.out.split('\n')[0]).toMatch(/rank +trial +status +batch_size +beta1 +momentum +optimizer +score/);
    const sgdRow = show.out.split('\n').find((l) => / sgd /.test(l))!;
    expect(sgdRow).toMatch(/ (32|64) +- +0\.\d+ +sgd /);

    // The dashboard: momentum a number axis; a trial without it has no value there (null), not a made-up one.
    const store = await SqliteStore.open(db, { readonly: true });
    try {
      const d = await buildDashboard(store, (await store.sweep('cond'))!, { live: null, href: (s) => s });
      const axes = Object.fromEntries(d.sweep.axes.map((a) => [a.key, a.type]));
      expect(axes).toMatchObject({ optimizer: 'category', beta1: 'value', momentum: 'value' });
      for (const t of d.sweep.trials) {
        expect(t.values.momentum === null).toBe(t.values.optimizer === 'adam');
        expect(t.values.beta1 === null).toBe(t.values.optimizer === 'sgd');
      }
      expect(d.sweep.importance.kind).toBe('estimate');
    } finally {
      await store.close();
    }

    // `sweep repro` of an sgd trial: the same parameters, the same configuration, the same values.
    const sgdTrial = trials.find((t) => params.some((p) => p.trial_id === t.id && p.name === 'momentum'))!;
    const repro = await sweep('repro', String(sgdTrial.id), '--db', db);
    expect(repro.out).toMatch(/reproduced exactly/);
    expect(repro.code).toBe(0);
  });

  it('refuses a choice YAML reads as a number, before anything is recorded', async () => {
    const { spec, db } = folder('name: bad\nprogram: prog.py\nmetric: {name: score, goal: maximize}\ngrid:\n  layers:\n    1: {width: [8]}\n    2: null\n');
    const r = await sweep('run', spec, '--db', db);
    expect(r.err).toMatch(/spec\.yaml:6:5 grid\.layers\.1: a choice is a name, and YAML reads 1 as a number: write it in quotes \("1"\)/);
    expect(r.code).toBe(1);
  });
});

describe('a W&B file\'s nested parameter', () => {
  it('reaches the program as one mapping, as W&B\'s agent passes it: --optimizer={\'lr\': …, \'momentum\': …}, and one JSON row', async () => {
    const { dir, db } = folder('');
    writeFileSync(join(dir, 'prog.py'), `import json, sys
print(json.dumps(sys.argv[1:]), file=sys.stderr)
print("epoch=1 score=1")
`);
    writeFileSync(join(dir, 'wandb.yaml'), `name: nested
program: prog.py
method: grid
metric: {name: score, goal: maximize}
parameters:
  optimizer:
    parameters:
      momentum: {values: [0.0, 0.9]}
      lr: {value: 0.01}
  epochs: {value: 1}
`);
    const run = await sweep('run', join(dir, 'wandb.yaml'), '--db', db);
    expect(run.err).toBe('');
    const argv = rows<{ text: string }>(db, "SELECT text FROM trial_logs WHERE stream = 'stderr' ORDER BY trial_id").map((r) => JSON.parse(r.text) as string[]);
    expect(argv).toEqual([
      ['--epochs=1', "--optimizer={'lr': 0.01, 'momentum': 0}"],
      ['--epochs=1', "--optimizer={'lr': 0.01, 'momentum': 0.9}"],
    ]);
    const params = rows<{ name: string; value: string }>(db, "SELECT name, value FROM trial_params WHERE name = 'optimizer' ORDER BY trial_id");
    expect(params.map((p) => JSON.parse(p.value) as unknown)).toEqual([{ lr: 0.01, momentum: 0 }, { lr: 0.01, momentum: 0.9 }]);
  });
});
