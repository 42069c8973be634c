// npm run bench:pareto: how much of the best trade-off between accuracy and training time each
// search method finds in 20 and in 40 trials, against Optuna 3.1 on the same space.
//
// The space is bench/pareto-grid.json: 144 ANN and CNN configurations (model, size, depth,
// dropout, epochs), each with the validation accuracy and training seconds that sweep measured
// for it (bench/pareto-grid.mjs says how). Training 40 trials × 3 methods × several seeds for
// real would take hours on two cores and mix the search's luck with the timer's noise; looking
// the measured results up keeps every method on the same numbers, and the search is the only
// thing that differs. Our methods run as they run for a user: `sweep run` of a spec whose
// program (written here, the table inside it) prints the configuration's two results.
//
// For each seed and method: one sweep of 40 trials with one worker. With one worker a sweep's
// first 20 trials are the sweep of 20 (each proposal depends only on the trials before it; a
// random draw only on the seed and its number), so the budget of 20 is read from its first 20
// trials: by number for TPE and NSGA-II, draws k < 20 for random search (a draw that repeats a
// configuration trains once and is not a second trial). Optuna's samplers run sequentially too,
// and a configuration Optuna proposes twice is evaluated, and counted, twice.
//
// The measure: the hypervolume of the trials' front (objectives: −accuracy, seconds), as a
// fraction of the hypervolume of the whole grid's front, with one reference point for all: the
// grid's worst accuracy and most seconds, pushed out by a tenth of each objective's range (so
// that the front's ends count); and the same with seconds on a log scale (see MEASURES).
// Medians (and the range) over BENCH_SEEDS seeds (10).
// NSGA-II at its default population (50, Optuna's) is all generation 0 at 40 trials, that is
// random search; so it is also run with a population of 10, a budget's worth of generations.
// Writes runs/bench-pareto.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { hypervolume } from '../dist/pareto/hypervolume.js';
import { nonDominatedRanks } from '../dist/pareto/sort.js';

const PYTHON = '/usr/bin/python3';
const SEEDS = Number(process.env.BENCH_SEEDS ?? 10);
const BUDGETS = [20, 40];
const TRIALS = Math.max(...BUDGETS);
const ORDER = ['model', 'size', 'depth', 'dropout', 'epochs'];

// The table: each configuration's size is its width's rank within its model (1 small … 3 large).
const grid = JSON.parse(readFileSync('bench/pareto-grid.json', 'utf8'));
const widths = (model) => [...new Set(grid.rows.filter((r) => r.model === model).map((r) => r.width))].sort((a, b) => a - b);
const rows = grid.rows.map((r) => ({ ...r, size: widths(r.model).indexOf(r.width) + 1 }));
const SPACE = Object.fromEntries(ORDER.map((k) => [k, [...new Set(rows.map((r) => r[k]))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))]));
const keyOf = (c) => ORDER.map((k) => String(c[k])).join('/');
const TABLE = Object.fromEntries(rows.map((r) => [keyOf(r), [r.val_accuracy, r.train_seconds]]));
if (Object.keys(TABLE).length !== ORDER.reduce((n, k) => n * SPACE[k].length, 1)) throw new Error('bench/pareto-grid.json is not a full grid');

// Two measures, each with one reference point for every method, beyond the grid's worst in
// both objectives by a tenth of the range: seconds as measured, and seconds on a log scale. The
// grid's seconds span three orders of magnitude, so in seconds as measured the fastest ANNs'
// rectangle is most of the grid's hypervolume and almost any 20 trials reach most of it; on a
// log scale a second saved on a one-second model counts as ten saved on a ten-second one.
const MEASURES = {
  seconds: (acc, s) => [-acc, s],
  'log seconds': (acc, s) => [-acc, Math.log10(s)],
};
const gridPoints = (measure) => rows.map((r) => MEASURES[measure](r.val_accuracy, r.train_seconds));
const REFERENCE = Object.fromEntries(Object.keys(MEASURES).map((m) => [m, [0, 1].map((i) => {
  const v = gridPoints(m).map((p) => p[i]);
  return Math.max(...v) + 0.1 * (Math.max(...v) - Math.min(...v));
})]));
const GRID_HV = Object.fromEntries(Object.keys(MEASURES).map((m) => [m, hypervolume(gridPoints(m), REFERENCE[m])]));
const ranks = nonDominatedRanks(gridPoints('seconds').map((values) => ({ values, violation: 0 })));
const gridFront = rows.filter((_, i) => ranks[i] === 1);
/** The fraction of the grid's hypervolume that `results` ([accuracy, seconds, …] each) reach, by each measure. */
const fractions = (results) => Object.fromEntries(Object.keys(MEASURES).map((m) =>
  [m, hypervolume(results.map(([acc, s]) => MEASURES[m](acc, s)), REFERENCE[m]) / GRID_HV[m]]));

// The program every sweep runs: the table lookup, its result printed as one step.
const PROGRAM = `import json, os
TABLE = json.loads(${JSON.stringify(JSON.stringify(TABLE))})
def text(name):
    v = os.environ["SWEEP_PARAM_" + name.upper()]
    try:
        f = float(v)
    except ValueError:
        return v
    return str(int(f)) if f.is_integer() else repr(f)
acc, seconds = TABLE["/".join(text(k) for k in ${JSON.stringify(ORDER)})]
print(f"epoch=1 val_acc={acc!r} train_s={seconds!r}", flush=True)
`;

const dir = mkdtempSync(join(tmpdir(), 'sweep-bench-pareto-'));

/** Our method's trials in order, each [accuracy, seconds, key, k]: `sweep run` with one worker. */
function sweepRun(name, search, seed) {
  const spec = join(dir, `${name}.yaml`);
  const db = join(dir, `${name}.db`);
  writeFileSync(spec, [
    `name: ${name}`, `seed: ${seed}`, 'program: prog.py', `interpreter: ${PYTHON}`,
    'metrics:', '  - {name: val_acc, goal: maximize}', '  - {name: train_s, goal: minimize}',
    `search: ${search}`, 'grid:', ...ORDER.map((k) => `  ${k}: ${JSON.stringify(SPACE[k])}`), '',
  ].join('\n'));
  const r = spawnSync(process.execPath, ['dist/cli/main.js', 'run', spec, '--db', db, '--no-tui', '--workers', '1'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sweep run ${name} exited ${r.status}:\n${r.stderr}${r.stdout.slice(-2000)}`);
  const d = new Database(db, { readonly: true });
  const trials = d.prepare(`SELECT t.number, t.status, t.config_json, t.search_json,
      (SELECT value FROM trial_objectives o WHERE o.trial_id = t.id AND o.position = 0) AS acc,
      (SELECT value FROM trial_objectives o WHERE o.trial_id = t.id AND o.position = 1) AS seconds
    FROM trials t ORDER BY t.number`).all();
  d.close();
  if (trials.some((t) => t.status !== 'completed')) throw new Error(`sweep run ${name}: not every trial completed`);
  return trials.map((t) => [t.acc, t.seconds, t.config_json, JSON.parse(t.search_json).k]);
}

const METHODS = [
  { name: 'random', search: `{method: random, trials: ${TRIALS}}`, within: (t, i, b) => t[3] < b },
  { name: 'tpe', search: `{method: tpe, trials: ${TRIALS}}`, within: (t, i, b) => i < b },
  { name: 'nsga2 (population 50)', search: `{method: nsga2, trials: ${TRIALS}}`, within: (t, i, b) => i < b },
  { name: 'nsga2 (population 10)', search: `{method: nsga2, trials: ${TRIALS}, population: 10}`, within: (t, i, b) => i < b },
];
const OPTUNA = [
  { name: 'optuna RandomSampler', sampler: 'random' },
  { name: 'optuna TPESampler', sampler: 'tpe' },
  { name: 'optuna NSGAIISampler (population 50)', sampler: 'nsga2', population: 50 },
  { name: 'optuna NSGAIISampler (population 10)', sampler: 'nsga2', population: 10 },
];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

try {
  writeFileSync(join(dir, 'prog.py'), PROGRAM);
  const results = {}; // method -> budget -> [{ fractions, distinct, trials }], one a seed
  const note = (method, budget, trials) => {
    ((results[method] ??= {})[budget] ??= []).push({ fractions: fractions(trials), distinct: new Set(trials.map((t) => t[2])).size, trials: trials.length });
  };
  const started = performance.now();
  for (let seed = 0; seed < SEEDS; seed++) {
    for (const m of METHODS) {
      const trials = sweepRun(`s${seed}-${m.name.replace(/\W+/g, '-')}`, m.search, seed);
      for (const b of BUDGETS) note(m.name, b, trials.filter((t, i) => m.within(t, i, b)));
    }
    process.stderr.write(`seed ${seed}: ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  }
  let optunaVersion = null;
  if (spawnSync(PYTHON, ['-c', 'import optuna'], { stdio: 'ignore' }).status === 0) {
    const runs = OPTUNA.flatMap((o) => Array.from({ length: SEEDS }, (_, seed) => ({ sampler: o.sampler, population: o.population ?? null, seed, trials: TRIALS, name: o.name })));
    const r = spawnSync(PYTHON, ['bench/optuna_pareto.py', JSON.stringify({ table: TABLE, space: SPACE, runs })], {
      encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' },
    });
    if (r.status !== 0) throw new Error(`optuna_pareto.py exited ${r.status}:\n${r.stderr}`);
    const out = JSON.parse(r.stdout);
    optunaVersion = out.optuna;
    for (const run of out.runs) for (const b of BUDGETS) note(run.name, b, run.trials.slice(0, b));
  } else {
    console.log('optuna: skipped (apt-get install python3-optuna)');
  }

  const cpu = `${cpus()[0].model}, ${cpus().length} cores`;
  const pct = (x) => `${(100 * x).toFixed(1)}%`;
  console.log(`\nbench/pareto-grid.json: ${rows.length} configurations, ${gridFront.length} on the grid's front; ${SEEDS} seeds; `
    + `optuna ${optunaVersion ?? 'not run'}; node ${process.version}; ${cpu}`);
  // summary[measure][method][budget]: the median, lowest and highest fraction over the seeds, and the median distinct trials.
  const summary = {};
  for (const measure of Object.keys(MEASURES)) {
    console.log(`\nhypervolume with train_seconds ${measure === 'seconds' ? 'as measured' : 'on a log10 scale'}, as a fraction of the grid's; `
      + `reference point (−val_accuracy, ${measure === 'seconds' ? 'train_seconds' : 'log10 train_seconds'}) = (${REFERENCE[measure].map((x) => x.toFixed(3)).join(', ')})\n`);
    console.log('| method | 20 trials: median (range) | distinct | 40 trials: median (range) | distinct |');
    console.log('|---|---|---|---|---|');
    for (const [method, byBudget] of Object.entries(results)) {
      const cells = BUDGETS.map((b) => {
        const f = byBudget[b].map((x) => x.fractions[measure]);
        const s = { median: median(f), min: Math.min(...f), max: Math.max(...f), distinct: median(byBudget[b].map((x) => x.distinct)) };
        ((summary[measure] ??= {})[method] ??= {})[b] = s;
        return `${pct(s.median)} (${pct(s.min)}–${pct(s.max)}) | ${s.distinct}`;
      });
      console.log(`| ${method} | ${cells.join(' | ')} |`);
    }
  }
  // The targets: ours at least Optuna's NSGA-II at equal trials and population; 90% of the grid's at 40.
  const headline = [];
  for (const measure of Object.keys(MEASURES)) {
    const at = summary[measure];
    for (const p of [50, 10]) {
      for (const b of BUDGETS) {
        const ours = at[`nsga2 (population ${p})`][b].median;
        const theirs = at[`optuna NSGAIISampler (population ${p})`]?.[b]?.median;
        if (theirs !== undefined) headline.push(`${measure}: nsga2, population ${p}, ${b} trials: ${pct(ours)} against Optuna's ${pct(theirs)}: ${ours >= theirs ? 'met' : 'NOT met'}`);
      }
    }
    for (const m of METHODS) {
      const f = at[m.name][40].median;
      headline.push(`${measure}: ${m.name} at 40 trials: ${pct(f)} of the grid's hypervolume (target ≥ 90%): ${f >= 0.9 ? 'met' : 'NOT met'}`);
    }
  }
  console.log(`\n${headline.join('\n')}`);
  mkdirSync('runs', { recursive: true });
  writeFileSync('runs/bench-pareto.json', `${JSON.stringify({ cpu, seeds: SEEDS, reference: REFERENCE, gridHypervolume: GRID_HV, gridFront, optuna: optunaVersion, summary, results, headline }, null, 1)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
