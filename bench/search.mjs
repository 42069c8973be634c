// npm run bench:search: early stopping against the full grid, and against Optuna.
//   1. sweeps/asha-grid.yaml as a plain grid: every configuration to its last epoch;
//   2. the same spec with its ASHA early stopping;
//   3. Optuna 3.1 + PyTorch (bench/optuna_search.py) with its SuccessiveHalvingPruner, the same
//      grid in the same order, the same data split, the same number of threads.
// Prints epochs trained, wall time, and the best trial (picked by validation accuracy) with its
// test accuracy, and checks the headline: ASHA within 0.3 points of the grid's best validation
// accuracy on at most 40% of its epochs. Writes runs/bench-search.json.
// BENCH_WORKERS (default 1, a per-core comparison): sweep's workers and PyTorch's threads. BENCH_SPEC: another spec.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { optunaAvailable, optunaSearch, sweepCli } from './peers.mjs';

const SPEC = process.env.BENCH_SPEC ?? 'sweeps/asha-grid.yaml';
const WORKERS = Number(process.env.BENCH_WORKERS ?? 1);
const dir = mkdtempSync(join(tmpdir(), 'sweep-bench-search-'));
const sweepRun = (name, spec) => sweepCli(dir, name, spec, WORKERS);

/** Optuna + PyTorch on the same grid with SuccessiveHalvingPruner(r, η, s) from the spec's ASHA. */
function optuna(spec) {
  if (!optunaAvailable()) {
    console.log('optuna: skipped (apt-get install python3-optuna python3-torch libopenblas0-pthread)');
    return null;
  }
  const es = spec.search.earlyStopping;
  const { model: _model, ...grid } = spec.grid;
  return optunaSearch('optuna+pytorch, SuccessiveHalvingPruner', {
    grid, trainLimit: spec.data.trainLimit, validationSplit: spec.data.validationSplit, testLimit: spec.data.testLimit,
    seed: spec.seed, sampler: 'grid', order: 'grid', threads: WORKERS,
    pruner: { type: 'successive_halving', min_resource: es.minEpochs, reduction_factor: es.reductionFactor, min_early_stopping_rate: es.minEarlyStoppingRate },
  });
}

try {
  const spec = parse(readFileSync(SPEC, 'utf8'));
  if (!spec.search?.earlyStopping || spec.search.earlyStopping.type !== 'asha') throw new Error(`${SPEC}: needs search.earlyStopping of type asha`);
  const es = { minEpochs: 1, reductionFactor: 3, minEarlyStoppingRate: 0, ...spec.search.earlyStopping };
  spec.search.earlyStopping = es;
  spec.data = { validationSplit: 0.1, trainLimit: 60000, testLimit: 10000, ...spec.data };
  const { search: _search, ...plain } = spec;
  const grid = await sweepRun(`${spec.name}-full-grid`, plain);
  const asha = await sweepRun(`${spec.name}-asha`, spec);
  const peer = optuna(spec);
  const rows = [grid, asha, ...(peer ? [{ ...peer, out: undefined }] : [])];
  const pct = (x) => (x * 100).toFixed(2);
  console.log(`\n${SPEC}: ${grid.trials} configurations, ${grid.epochs} epochs as a full grid; ${WORKERS} workers/threads\n`);
  console.log(['run', 'trials', 'pruned', 'epochs', 'of grid', 'wall s', 'best val %', 'its test %', 'best configuration'].join(' | '));
  for (const r of rows) {
    const c = r.best.config;
    console.log([r.run, r.trials, r.pruned, r.epochs, `${Math.round((100 * r.epochs) / grid.epochs)}%`, r.wall.toFixed(0),
      pct(r.best.valAccuracy), pct(r.best.testAccuracy), JSON.stringify({ units: c.units, dropout: c.dropout, learningRate: c.learningRate })].join(' | '));
  }
  const gap = grid.best.valAccuracy - asha.best.valAccuracy;
  const share = asha.epochs / grid.epochs;
  const headline = { gapPoints: gap * 100, epochShare: share, within: gap <= 0.003, cheap: share <= 0.4 };
  console.log(`\nheadline: ASHA's best is ${(gap * 100).toFixed(2)} points below the grid's best (target ≤ 0.30): ${headline.within ? 'met' : 'NOT met'}; ` +
    `it trained ${(share * 100).toFixed(0)}% of the grid's epochs (target ≤ 40%): ${headline.cheap ? 'met' : 'NOT met'}`);
  mkdirSync('runs', { recursive: true });
  writeFileSync('runs/bench-search.json', `${JSON.stringify({ spec: SPEC, workers: WORKERS, rows, headline }, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
