// npm run bench:search: early stopping against the full grid and against Optuna, and what a
// deterministic sweep costs. BENCH_SEARCH_PARTS picks the parts ("asha,determinism", the default).
//
// Part "asha":
//   1. sweeps/asha-grid.yaml as a plain grid: every configuration to its last epoch;
//   2. the same spec with its ASHA early stopping;
//   3. Optuna 3.1 + PyTorch (bench/optuna_search.py) with its SuccessiveHalvingPruner, the same
//      grid in the same order, the same data split, the same number of threads.
// Prints epochs trained, wall time, and the best trial (picked by validation accuracy) with its
// test accuracy, and checks the headline: ASHA within 0.3 points of the grid's best validation
// accuracy on at most 40% of its epochs. Writes runs/bench-search.json.
// BENCH_WORKERS (default 1, a per-core comparison): sweep's workers and PyTorch's threads. BENCH_SPEC: another spec.
//
// Part "determinism" (docs/search.md, "Deterministic sweeps: what they cost, measured"):
// BENCH_DET_SPEC (default sweeps/search.yaml, random search + ASHA) run for each method of
// BENCH_DET_METHODS (default "random,tpe": the spec as it is, then with method: tpe), each run a
// fresh sweep in a fresh database, in this order, A/B interleaved where they are compared:
//   free-running (search.deterministic: false) on 2 workers, deterministic on 2 workers,
//   free-running again (BENCH_DET_FREE runs in all, default 2, the rest after), then
//   deterministic on each other layout of BENCH_DET_WORKERS (default "1,2,4"): 1 and 2 are one
//   `sweep run --workers N` on SQLite; 4 is `sweep run --workers 1` and three `sweep worker
//   --workers 1` processes on one PostgreSQL database (as four machines would run it), made
//   and dropped on SWEEP_BENCH_PG (default postgres://postgres@127.0.0.1:5432/postgres).
// Each run starts once the CPUs are idle (bench/quiet.mjs; BENCH_QUIET_WAIT, and
// BENCH_QUIET_TRIES for redoing a run something else disturbed) and records how busy they were.
// For each: wall seconds, the seconds workers waited for earlier trials (each process's last log
// line, summed) as a share of wall × workers, epochs trained, trials put back in the queue.
// Checks: waiting under 10% of wall × workers on 2 workers; the deterministic epochs within
// 10% of the free-running mean; every deterministic run's trials (number, config, status,
// epochs, weights hash) and decisions identical. Writes runs/bench-search-determinism.json (BENCH_DET_OUT)
// after each run, with every run's trials and decisions, so that runs of separate invocations compare too.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { optunaAvailable, optunaSearch, sweepCli, sweepProcesses, sweepQuery } from './peers.mjs';
import { quietly } from './quiet.mjs';

const PARTS = (process.env.BENCH_SEARCH_PARTS ?? 'asha,determinism').split(',');
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

async function ashaPart() {
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
}

const PG_SERVER = process.env.SWEEP_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function pgAdmin(sql) {
  const c = new pg.Client({ connectionString: PG_SERVER });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** What a run recorded, for comparing runs: every trial and every decision, in trial order. */
function recorded(db) {
  return {
    trials: sweepQuery(db, 'SELECT number, config_id, status, epochs_done, weights_sha256, val_accuracy, test_accuracy FROM trials ORDER BY number'),
    decisions: sweepQuery(db, 'SELECT t.number, d.epoch, d.rung, d.verdict, d.value, d.threshold FROM decisions d JOIN trials t ON t.id = d.trial_id ORDER BY t.number, d.epoch'),
  };
}

/** The trial numbers where two records differ (trials or decisions); empty where identical. */
function differences(a, b) {
  const out = new Set();
  for (const what of ['trials', 'decisions']) {
    const by = (rows) => {
      const m = new Map();
      for (const r of rows) m.set(r.number, [...(m.get(r.number) ?? []), r]);
      return m;
    };
    const [x, y] = [by(a[what]), by(b[what])];
    for (const n of new Set([...x.keys(), ...y.keys()])) {
      if (JSON.stringify(x.get(n)) !== JSON.stringify(y.get(n))) out.add(n);
    }
  }
  return [...out].sort((p, q) => p - q);
}

/**
 * One sweep of `spec` (deterministic or not) on a layout: 'w1' or 'w2' (one `sweep run` on
 * SQLite), 'pg4' (a run and three `sweep worker`s of one worker each on PostgreSQL).
 */
async function detRun(spec, { deterministic, layout, label }) {
  const s = { ...spec, search: { ...spec.search, deterministic } };
  const workers = { w1: 1, w2: 2, pg4: 4 }[layout];
  let db;
  let drop = async () => {};
  if (layout === 'pg4') {
    const name = `sweep_bench_det_${randomBytes(4).toString('hex')}`;
    await pgAdmin(`CREATE DATABASE ${name}`);
    const u = new URL(PG_SERVER);
    u.pathname = `/${name}`;
    db = u.toString();
    drop = () => pgAdmin(`DROP DATABASE ${name} WITH (FORCE)`);
  } else {
    db = join(dir, `${label}.db`);
  }
  try {
    console.log(`${label}: ${deterministic ? 'deterministic' : 'free-running'}, ${layout === 'pg4' ? 'a run and 3 sweep workers of 1 worker each on PostgreSQL' : `sweep run --workers ${workers} on SQLite`}`);
    const m = await quietly(label, () => sweepProcesses(dir, spec.name, s, layout === 'pg4' ? { db, workers: 1, joiners: 3 } : { db, workers }));
    const rec = recorded(db);
    const r = m.value;
    const row = {
      label, method: spec.search.method, deterministic, layout, workers, wall: r.wall, waited: r.waited, waitShare: r.waited / (r.wall * workers),
      // The same against the seconds the processes themselves ran (a joining `sweep worker` starts later than the run).
      ownShare: r.waited / r.processes.reduce((a, p) => a + p.seconds * p.workers, 0),
      epochs: rec.trials.reduce((a, t) => a + t.epochs_done, 0),
      completed: rec.trials.filter((t) => t.status === 'completed').length, pruned: rec.trials.filter((t) => t.status === 'pruned').length,
      gaveWay: r.gaveWay, best: Math.max(...rec.trials.filter((t) => t.status === 'completed').map((t) => t.val_accuracy)),
      busy: m.busy, others: m.others, tries: m.tries, processes: r.processes,
    };
    console.log(`  wall ${row.wall.toFixed(1)} s, waited ${row.waited.toFixed(1)} s (${(100 * row.waitShare).toFixed(1)}% of wall × ${workers}, ${(100 * row.ownShare).toFixed(1)}% of the processes' own worker-seconds), ${row.epochs} epochs, ` +
      `${row.completed} completed, ${row.pruned} pruned, ${row.gaveWay} gave way; CPUs ${(100 * (row.busy ?? NaN)).toFixed(0)}% busy, ${(100 * (row.others ?? NaN)).toFixed(0)}% by others`);
    return { row, rec };
  } finally {
    await drop();
  }
}

async function determinismPart() {
  const base = parse(readFileSync(process.env.BENCH_DET_SPEC ?? 'sweeps/search.yaml', 'utf8'));
  const methods = (process.env.BENCH_DET_METHODS ?? 'random,tpe').split(',');
  const layouts = (process.env.BENCH_DET_WORKERS ?? '1,2,4').split(',').map((w) => ({ 1: 'w1', 2: 'w2', 4: 'pg4' })[w]);
  const frees = Number(process.env.BENCH_DET_FREE ?? 2);
  const out = process.env.BENCH_DET_OUT ?? 'runs/bench-search-determinism.json';
  const result = { spec: process.env.BENCH_DET_SPEC ?? 'sweeps/search.yaml', cpu: cpuModel(), node: process.version, methods: {} };
  const save = () => {
    mkdirSync('runs', { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  };
  for (const method of methods) {
    const spec = { ...base, name: `${base.name}-${method}`, search: { ...base.search, method } };
    const B = spec.search.parallelism ?? 4;
    const rows = [];
    const records = {};
    // Every run's trials and decisions, kept so that runs of separate invocations can be compared too.
    result.methods[method] = { parallelism: B, rows, recorded: records };
    const go = async (deterministic, layout, label) => {
      const { row, rec } = await detRun(spec, { deterministic, layout, label });
      rows.push(row);
      records[label] = rec;
      save();
    };
    // A/B interleaved on 2 workers: free, deterministic, free (then any further free runs).
    if (frees > 0) await go(false, 'w2', `${method}-free-w2-1`);
    if (layouts.includes('w2')) await go(true, 'w2', `${method}-det-w2`);
    for (let i = 2; i <= frees; i++) await go(false, 'w2', `${method}-free-w2-${i}`);
    for (const layout of layouts.filter((l) => l !== 'w2')) await go(true, layout, `${method}-det-${layout}`);

    const det = rows.filter((r) => r.deterministic);
    const free = rows.filter((r) => !r.deterministic);
    const labels = det.map((r) => r.label);
    const identical = labels.slice(1).map((l) => ({ a: labels[0], b: l, differ: differences(records[labels[0]], records[l]) }));
    // Free-running runs against each other and against the deterministic one: which trials came out otherwise.
    const freeLabels = free.map((r) => r.label);
    const freeDiffer = [...freeLabels.slice(1).map((l) => [freeLabels[0], l]), ...(labels.length ? freeLabels.map((l) => [labels[0], l]) : [])]
      .map(([a, b]) => ({ a, b, differ: differences(records[a], records[b]) }));
    const freeEpochs = free.map((r) => r.epochs);
    const freeMean = freeEpochs.reduce((a, b) => a + b, 0) / (freeEpochs.length || 1);
    const w2 = det.find((r) => r.layout === 'w2');
    const headline = {
      waitShareW2: w2?.waitShare, waitMet: w2 ? w2.waitShare < 0.1 : undefined,
      detEpochs: det[0]?.epochs, freeEpochs, freeMean,
      epochGap: det[0] && free.length ? (det[0].epochs - freeMean) / freeMean : undefined,
      identical, freeDiffer,
    };
    headline.epochsMet = headline.epochGap === undefined ? undefined : Math.abs(headline.epochGap) <= 0.1;
    result.methods[method].headline = headline;
    save();
    console.log(`\n${result.spec}, method ${method}, B = ${B} (${result.cpu}, ${cpus().length} CPUs)`);
    console.log(['run', 'workers', 'wall s', 'waited s', 'waited / (wall × workers)', 'epochs', 'completed', 'pruned', 'gave way', 'best val %', 'CPUs busy', 'by others'].join(' | '));
    for (const r of rows) {
      console.log([r.label, r.workers, r.wall.toFixed(0), r.waited.toFixed(1), `${(100 * r.waitShare).toFixed(1)}%`, r.epochs, r.completed, r.pruned, r.gaveWay,
        (100 * r.best).toFixed(2), `${(100 * (r.busy ?? NaN)).toFixed(0)}%`, `${(100 * (r.others ?? NaN)).toFixed(0)}%`].join(' | '));
    }
    if (w2) console.log(`headline: waiting on 2 workers ${(100 * w2.waitShare).toFixed(1)}% of wall × workers (target < 10%): ${headline.waitMet ? 'met' : 'NOT met'}`);
    if (headline.epochGap !== undefined) {
      console.log(`headline: deterministic ASHA trained ${headline.detEpochs} epochs, free-running ${freeEpochs.join(', ')} (mean ${freeMean.toFixed(1)}): ` +
        `${(100 * headline.epochGap).toFixed(1)}% (target within 10%): ${headline.epochsMet ? 'met' : 'NOT met'}`);
    }
    for (const c of identical) console.log(`identical: ${c.a} and ${c.b}: ${c.differ.length === 0 ? 'yes (trials and decisions)' : `NO, trials ${c.differ.join(', ')} differ`}`);
    for (const c of freeDiffer) console.log(`free-running: ${c.a} and ${c.b}: ${c.differ.length === 0 ? 'the same trials and decisions' : `trials ${c.differ.join(', ')} differ`}`);
  }
}

function cpuModel() {
  try {
    return /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

try {
  if (PARTS.includes('asha')) await ashaPart();
  if (PARTS.includes('determinism')) await determinismPart();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
