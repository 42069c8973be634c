// `npm run bench`: training speed of sweep's own path against stock `model.fit` (TensorFlow.js
// as it ships, in a child process: bench/stock-fit.mjs) on the same backend and against PyTorch
// (one thread, OpenBLAS), on the real Fashion-MNIST images, interleaved over several
// repetitions; medians and ratios to a table and runs/bench.json. Also: whether sweep's path
// reaches stock model.fit's test accuracy over the same seeds, what the orchestration
// (pool dispatch, SQLite writes, events) costs per trial, and the whole dropout sweep as a user
// waits for it (`sweep run sweeps/dropout.yaml`, 1 and 2 workers) against Optuna + PyTorch on the
// same grid (bench/peers.mjs), interleaved. BENCH_REPS (3; 0 skips the per-step
// table and the orchestration), BENCH_E2E_REPS (3; 0 skips the
// sweeps), BENCH_E2E_SPEC (sweeps/dropout.yaml), BENCH_PARITY=0 skips the accuracy check,
// BENCH_PEERS=0 the stock model.fit and PyTorch columns, BENCH_CASES=REGEX keeps the cases it matches.
// Each case is also set against the core's peak: its FLOPs per sample from the layer shapes
// (src/train/flops.ts) times samples/s, over the GFLOP/s of the addon's FMA loop (measurePeak).
// Sweep's own timings wait for idle CPUs first and are redone where something else interfered
// (bench/quiet.mjs).
// First, as the command line does: relaxed SIMD on before any WebAssembly compiles (fused multiply-adds in the convolutions).
import '../dist/cli/startup.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { loadFashionMnist, VENDORED_DIR } from '../dist/data/fashion-mnist.js';
import { parseSpec } from '../dist/spec/load-spec.js';
import { SqliteStore } from '../dist/store/sqlite.js';
import { orchestration } from './orchestration.mjs';
import { runSweep } from '../dist/sweep/run-sweep.js';
import { initBackend } from '../dist/train/backend.js';
import { measurePeak, nativeAddon, nativeStatus } from '../dist/train/kernels/native.js';
import { flopsOf } from './flops-of.mjs';
import { quietly } from './quiet.mjs';
import { fusedMultiplyAdd } from '../dist/train/kernels/simd.js';
import { makeSplits, disposeSplits } from '../dist/train/tensors.js';
import { buildModel } from '../dist/train/model.js';
import { trainTrial } from '../dist/train/train.js';
import { parse } from 'yaml';
import { fitInSweepOrder } from './fit-in-order.mjs';
import { optunaAvailable, optunaSearch, sweepCli } from './peers.mjs';

const REPS = Number(process.env.BENCH_REPS ?? 3);
const E2E_REPS = Number(process.env.BENCH_E2E_REPS ?? 3);
const E2E_SPEC = process.env.BENCH_E2E_SPEC ?? 'sweeps/dropout.yaml';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const base = { epochs: 1, activation: 'relu', dropout: 0.2, optimizer: 'adam', learningRate: 0.001 };
const CASES = [
  { name: 'ANN 784-128-10, batch 32', config: { ...base, model: 'ann', units: [128], batchSize: 32 }, steps: 500 },
  { name: 'ANN 784-128-10, batch 128', config: { ...base, model: 'ann', units: [128], batchSize: 128 }, steps: 150 },
  { name: 'widest ANN 512-256-128, batch 32', config: { ...base, model: 'ann', units: [512, 256, 128], batchSize: 32 }, steps: 150 },
  // Also the largest CNN of the shipped specs (ann-vs-cnn.yaml).
  { name: 'CNN conv32-conv64-128, batch 32', config: { ...base, model: 'cnn', units: [128], filters: [32, 64], kernelSize: 3, pooling: 'max', batchSize: 32 }, steps: 30 },
  { name: 'CNN conv32-conv64-128, batch 128', config: { ...base, model: 'cnn', units: [128], filters: [32, 64], kernelSize: 3, pooling: 'max', batchSize: 128 }, steps: 10 },
].filter((c) => !process.env.BENCH_CASES || new RegExp(process.env.BENCH_CASES).test(c.name));
const PEERS = process.env.BENCH_PEERS !== '0';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function torchAvailable() {
  const ok = () => spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0
    && spawnSync('dpkg', ['-s', 'libopenblas0-pthread'], { stdio: 'ignore' }).status === 0;
  if (ok()) return true;
  if (process.getuid?.() === 0) {
    console.log('installing python3-torch and libopenblas0-pthread with apt (the PyTorch column needs them)…');
    spawnSync('bash', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch libopenblas0-pthread'], { stdio: 'ignore' });
  }
  return ok();
}


/** The core's peak at each vector width the addon has here (none without it), each measured once the CPUs are idle. */
async function peaks() {
  const native = nativeAddon();
  if (native === null) return [];
  const out = [];
  for (const isa of native.isa() === 'avx512' ? ['avx512', 'avx2'] : ['avx2']) {
    const r = await quietly(`the ${isa} peak`, () => measurePeak(native, isa));
    out.push({ ...r.value, others: r.others });
  }
  return out;
}

async function ours(dataset, c) {
  const splits = makeSplits(dataset, { validationSplit: 1e-9, trainLimit: c.steps * c.config.batchSize + 1, testLimit: 1 });
  const { model, epochs } = await trainTrial({ config: c.config, seed: 1, splits, backend: tf.getBackend() });
  model.dispose();
  disposeSplits(splits);
  return (c.steps * c.config.batchSize) / epochs[0].seconds;
}

/** Runs bench/stock-fit.mjs with one job; its JSON answer. */
function stock(job) {
  return JSON.parse(execFileSync(process.execPath, [`${ROOT}bench/stock-fit.mjs`, JSON.stringify(job)], { encoding: 'utf8' }));
}

function stockFit(c) {
  return stock({ mode: 'speed', config: c.config, steps: c.steps }).samplesPerSecond;
}

function torch(cases) {
  const spec = cases.map((c) => ({
    name: c.name, model: c.config.model, units: c.config.units, filters: c.config.filters ?? [],
    dropout: c.config.dropout, batch: c.config.batchSize, steps: c.steps, reps: 1,
  }));
  const out = execFileSync('/usr/bin/python3', [`${ROOT}bench/torch_bench.py`, VENDORED_DIR, JSON.stringify(spec)], { encoding: 'utf8' });
  return JSON.parse(out);
}

/**
 * The largest weight difference between sweep's loop and model.fit (this process, sweep's
 * kernels) after 20 steps on the same batches from the same initial weights: the same training
 * step, up to float rounding.
 */
async function sameSteps(dataset, config) {
  const steps = 20;
  const splits = makeSplits(dataset, { validationSplit: 1e-9, trainLimit: steps * config.batchSize + 1, testLimit: 1 });
  const r = await trainTrial({ config: { ...config, epochs: 1 }, seed: 1, splits, backend: tf.getBackend() });
  const model = buildModel(config, 1, splits.shape, splits.classes);
  model.compile({ optimizer: tf.train.adam(config.learningRate), loss: 'sparseCategoricalCrossentropy' });
  const y = splits.train.y.cast('float32');
  await fitInSweepOrder(model, splits.train.x, y, { seed: 1, epochs: 1, batchSize: config.batchSize });
  const diff = Math.max(...r.model.weights.map((w, i) => tf.tidy(() => tf.max(tf.abs(tf.sub(w.read(), model.weights[i].read()))).dataSync()[0])));
  tf.dispose(y);
  r.model.dispose();
  model.dispose();
  disposeSplits(splits);
  return diff;
}

/**
 * Test accuracy of sweep's path and of stock model.fit for the same configurations and seeds,
 * fit fed the same batches in the same order: the notebook's ANN on the full data, and the CNN
 * on a tenth of it (stock trains it slowly).
 */
async function accuracyParity(dataset) {
  const epochs = Number(process.env.BENCH_PARITY_EPOCHS ?? 3);
  const jobs = [
    { name: `notebook ANN, ${epochs} epochs, full data`, seeds: [1, 2, 3, 4, 5], config: { ...base, epochs, model: 'ann', units: [128], batchSize: 32 }, data: { validationSplit: 0.1, trainLimit: 60000, testLimit: 10000 } },
    { name: 'CNN conv32-conv64-128, 1 epoch, 6,000 images', seeds: [1, 2, 3], config: { ...base, model: 'cnn', units: [128], filters: [32, 64], kernelSize: 3, pooling: 'max', batchSize: 32, epochs: 1 }, data: { validationSplit: 0.1, trainLimit: 6000, testLimit: 2000 } },
  ];
  const out = [];
  for (const job of jobs) {
    const { seeds } = job;
    const ours = [];
    const fit = [];
    for (const seed of seeds) {
      const splits = makeSplits(dataset, job.data);
      const r = await trainTrial({ config: job.config, seed, splits, backend: tf.getBackend() });
      r.model.dispose();
      disposeSplits(splits);
      ours.push(r.testAccuracy);
      fit.push(stock({ mode: 'accuracy', config: job.config, seed, data: job.data }).testAccuracy);
    }
    const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const gapPoints = (mean(ours) - mean(fit)) * 100;
    out.push({ case: job.name, seeds, ours, stockFit: fit, gapPoints, withinHalfPoint: Math.abs(gapPoints) <= 0.5, stepWeightsMaxDiff: await sameSteps(dataset, job.config) });
    console.log(`accuracy: ${job.name} done`);
  }
  return out;
}

/**
 * The whole sweep of E2E_SPEC, end to end: `sweep run` with 1 and with 2 workers, and Optuna's
 * GridSampler + PyTorch on one thread over the same grid, the same data split and the same
 * training settings, interleaved; wall seconds per repetition and each one's best trial.
 */
async function endToEnd() {
  const spec = parse(readFileSync(resolve(ROOT, E2E_SPEC), 'utf8'));
  if (spec.search || spec.grid?.model?.cnn || spec.grid?.model?.ann) throw new Error(`${E2E_SPEC}: the end-to-end bench takes a plain grid`);
  const data = { validationSplit: 0.1, trainLimit: 60000, testLimit: 10000, ...spec.data };
  const peerConfig = {
    grid: spec.grid, ...spec.train, ...data, seed: spec.seed ?? 42, sampler: 'grid', order: 'grid', pruner: null, threads: 1,
  };
  const withPeer = optunaAvailable();
  if (!withPeer) console.log('Optuna + PyTorch are not available here (python3-optuna, python3-torch, libopenblas0-pthread): the end-to-end peer is skipped.');
  const dir = mkdtempSync(join(tmpdir(), 'sweep-bench-e2e-'));
  const runs = { sweep1: [], sweep2: [], peer: [] };
  try {
    for (let rep = 1; rep <= E2E_REPS; rep++) {
      runs.sweep1.push(await sweepCli(dir, `e2e-1-${rep}`, spec, 1));
      if (withPeer) runs.peer.push(optunaSearch('optuna+pytorch, GridSampler, 1 thread', peerConfig));
      runs.sweep2.push(await sweepCli(dir, `e2e-2-${rep}`, spec, 2));
      console.log(`end to end: repetition ${rep}/${E2E_REPS} done`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const summary = (xs) => xs.length === 0 ? null : {
    medianWall: median(xs.map((r) => r.wall)), walls: xs.map((r) => r.wall), trials: xs[0].trials, epochs: xs[0].epochs,
    medianTrialSeconds: median(xs.map((r) => r.trialSeconds)),
    medianEpochSeconds: xs[0].epochSeconds == null ? null : median(xs.map((r) => r.epochSeconds)),
    best: xs.map((r) => ({ valAccuracy: r.best.valAccuracy, testAccuracy: r.best.testAccuracy, config: r.best.config })),
  };
  return { spec: E2E_SPEC, reps: E2E_REPS, sweep1: summary(runs.sweep1), sweep2: summary(runs.sweep2), peer: summary(runs.peer) };
}

const dataset = await loadFashionMnist();
const backend = await initBackend('wasm');
// Which kernels the products and Adam ran on: the native addon (SWEEP_NATIVE=0 turns it off), or wasm.
const products = !fusedMultiplyAdd() ? 'wasm GEMM' : nativeAddon() ? `native kernels (${nativeStatus()})` : `wasm GEMM, fused multiply-adds (native kernels: ${nativeStatus()})`;
const withTorch = PEERS && torchAvailable();
if (!withTorch) console.log('PyTorch is not available here (python3-torch / libopenblas0-pthread): its column is skipped.');
// Every column is timed warm: here each case trains once untimed (first kernels, JIT, allocations);
// stock-fit.mjs and torch_bench.py warm each case in their own processes the same way.
for (const c of CASES) await ours(dataset, c);

const results = Object.fromEntries(CASES.map((c) => [c.name, { ours: [], fit: [], torch: [] }]));
let torchInfo = null;
const peakRuns = REPS > 0 ? [await peaks()] : [];
for (let rep = 1; rep <= REPS; rep++) {
  for (const c of CASES) {
    const r = await quietly(c.name, () => ours(dataset, c));
    results[c.name].ours.push(r.value);
    (results[c.name].others ??= []).push(r.others);
    if (PEERS) results[c.name].fit.push(stockFit(c));
  }
  if (withTorch) {
    torchInfo = torch(CASES);
    for (const c of CASES) results[c.name].torch.push(torchInfo.cases[c.name].median);
  }
  console.log(`repetition ${rep}/${REPS} done`);
}
// The peak again after the cases: the best of both runs is the core's, whatever the load did to one.
if (REPS > 0) peakRuns.push(await peaks());
const peak = Object.fromEntries((peakRuns[0] ?? []).map((p) => {
  const runs = peakRuns.map((r) => r.find((q) => q.isa === p.isa));
  return [p.isa, { gflops: Math.max(...runs.map((q) => q.gflops)), runs }];
}));
// The vector width the products ran on: the peak they are measured against.
const productIsa = fusedMultiplyAdd() && nativeAddon() ? nativeAddon().isa() : null;

const rows = REPS === 0 ? [] : CASES.map((c) => {
  const r = results[c.name];
  const [o, f, p] = [median(r.ours), PEERS ? median(r.fit) : null, withTorch ? median(r.torch) : null];
  const flops = flopsOf(dataset, c.config);
  const gflops = (o * flops.total) / 1e9;
  const ofPeak = Object.fromEntries(Object.entries(peak).map(([isa, q]) => [isa, gflops / q.gflops]));
  return {
    case: c.name, steps: c.steps, ours: o, stockFit: f, torch: p, oursVsFit: f ? o / f : null, oursVsTorch: p ? o / p : null, runs: r,
    flopsPerSample: { forward: flops.forward, backward: flops.backward, total: flops.total }, gflops, ofPeak,
  };
});
const overheadDir = mkdtempSync(join(tmpdir(), 'sweep-bench-'));
const overhead = REPS === 0 ? null : await orchestration(await SqliteStore.open(join(overheadDir, 'sweeps.db')), dataset);
rmSync(overheadDir, { recursive: true, force: true });
const parity = process.env.BENCH_PARITY === '0' ? [] : await accuracyParity(dataset);
const e2e = E2E_REPS > 0 ? await endToEnd() : null;

const fmt = (v, d = 0) => (v == null ? '-' : v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
if (REPS > 0) console.log(`\nsamples/s, median of ${REPS} interleaved repetitions; backend ${backend}, products on the ${products}, 1 thread; PyTorch ${torchInfo?.torch ?? 'skipped'}`);
if (REPS > 0) console.log('stock model.fit: tfjs as it ships, in its own process (for the CNN, plus sweep\'s Conv2DBackpropFilter, which the wasm backend lacks)');
if (REPS > 0) console.log(['case', 'sweep', 'stock model.fit', 'PyTorch', 'sweep/fit', 'sweep/PyTorch'].join(' | '));
for (const r of rows) console.log([r.case, fmt(r.ours), fmt(r.stockFit), fmt(r.torch), r.oursVsFit == null ? '-' : `${fmt(r.oursVsFit, 2)}×`, r.oursVsTorch == null ? '-' : `${fmt(r.oursVsTorch, 3)}×`].join(' | '));
if (rows.length > 0 && Object.keys(peak).length > 0) {
  const widths = Object.keys(peak);
  console.log(`\nthe core's peak, single precision, one thread (the addon's FMA loop, best round of two measurements): ${widths.map((isa) => `${isa} ${fmt(peak[isa].gflops, 1)} GFLOP/s (runs ${peak[isa].runs.map((q) => `${fmt(q.gflops, 1)}, median round ${fmt(q.medianGflops, 1)}`).join('; ')})`).join(', ')}; the products ran on ${productIsa ?? 'wasm'}`);
  console.log('FLOPs per sample: products only, 2·m·k·n each, convolutions as their im2col GEMMs; no input gradient for the first layer; bias, activations, pooling, dropout, loss and Adam left out (src/train/flops.ts)');
  console.log(['case', 'forward MFLOP', 'backward MFLOP', 'total MFLOP', 'sweep samples/s', 'achieved GFLOP/s', ...widths.map((isa) => `of the ${isa} peak`)].join(' | '));
  for (const r of rows) {
    const f = r.flopsPerSample;
    console.log([r.case, fmt(f.forward / 1e6, 3), fmt(f.backward / 1e6, 3), fmt(f.total / 1e6, 3), fmt(r.ours), fmt(r.gflops, 1), ...widths.map((isa) => `${fmt(r.ofPeak[isa] * 100, 1)}%`)].join(' | '));
  }
}
if (overhead) console.log(`\norchestration, ${overhead.trials} one-epoch full-data ANN trials through the pipeline: ${fmt(overhead.perTrialOverheadSeconds * 1000, 0)} ms per trial besides training = ${fmt(overhead.overheadFraction * 100, 2)}% of a ${fmt(overhead.meanTrialSeconds, 2)} s trial; the worker's one-time start (backend, dataset tensors) ${fmt(overhead.workerStartSeconds, 2)} s`);
if (parity.length > 0) {
  console.log('\ntest accuracy (%), same seeds and batches: sweep | stock model.fit | mean gap (points) | max |Δweight| after 20 identical steps');
  for (const p of parity) {
    const pct = (xs) => xs.map((x) => fmt(x * 100, 2)).join('/');
    console.log(`${p.case}, seeds ${p.seeds.join('/')} | ${pct(p.ours)} | ${pct(p.stockFit)} | ${p.gapPoints >= 0 ? '+' : ''}${fmt(p.gapPoints, 2)}${p.withinHalfPoint ? '' : '  (outside ±0.5)'} | ${p.stepWeightsMaxDiff.toExponential(1)}`);
  }
}
if (e2e) {
  const { sweep1, sweep2, peer } = e2e;
  const grid = parse(readFileSync(resolve(ROOT, e2e.spec), 'utf8')).grid;
  const varied = Object.keys(grid).filter((k) => grid[k].length > 1);
  const best = (s) => {
    const b = s.best[0];
    return `${varied.map((k) => `${k} ${JSON.stringify(b.config[k])}`).join(', ')}: val ${fmt(b.valAccuracy * 100, 2)}%, test ${fmt(b.testAccuracy * 100, 2)}%`;
  };
  console.log(`\nthe whole sweep, ${e2e.spec} (${sweep1.trials} trials, ${sweep1.epochs} epochs), wall seconds from start to exit, median of ${e2e.reps} interleaved; ratio = peer's wall / sweep's`);
  console.log(['run', 'wall s', 'runs', 'in trials s', 'in epochs s', 'vs Optuna + PyTorch, 1 thread', 'best trial (by validation)'].join(' | '));
  for (const [label, s] of [['sweep run --workers 1', sweep1], ['sweep run --workers 2', sweep2], ['Optuna 3.1 GridSampler + PyTorch 1.13, 1 thread', peer]]) {
    if (!s) continue;
    console.log([label, fmt(s.medianWall, 1), s.walls.map((w) => fmt(w, 1)).join('/'), fmt(s.medianTrialSeconds, 1), fmt(s.medianEpochSeconds, 1), peer ? `${fmt(peer.medianWall / s.medianWall, 2)}×` : '-', best(s)].join(' | '));
  }
}
mkdirSync(`${ROOT}runs`, { recursive: true });
writeFileSync(`${ROOT}runs/bench.json`, `${JSON.stringify({ date: new Date().toISOString(), backend, products, reps: REPS, peak, torch: torchInfo && { version: torchInfo.torch, threads: torchInfo.threads }, cases: rows, orchestration: overhead, accuracy: parity, endToEnd: e2e }, null, 2)}\n`);
console.log('written: runs/bench.json');
