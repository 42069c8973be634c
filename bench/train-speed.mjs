// `npm run bench`: training speed of sweep's own path against stock `model.fit` on the same
// backend and against PyTorch (one thread, OpenBLAS), on the real Fashion-MNIST images,
// interleaved over several repetitions; medians and ratios to a table and runs/bench.json.
// Also: what the orchestration (pool dispatch, SQLite writes, events) costs a one-epoch trial.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { loadFashionMnist, VENDORED_DIR } from '../dist/data/fashion-mnist.js';
import { parseSpec } from '../dist/spec/load-spec.js';
import { Store } from '../dist/store/store.js';
import { runSweep } from '../dist/sweep/run-sweep.js';
import { initBackend } from '../dist/train/backend.js';
import { buildModel, makeOptimizer } from '../dist/train/model.js';
import { makeSplits, disposeSplits } from '../dist/train/tensors.js';
import { trainTrial } from '../dist/train/train.js';

const REPS = Number(process.env.BENCH_REPS ?? 3);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const base = { epochs: 1, activation: 'relu', dropout: 0.2, optimizer: 'adam', learningRate: 0.001 };
const CASES = [
  { name: 'ANN 784-128-10, batch 32', config: { ...base, model: 'ann', units: [128], batchSize: 32 }, steps: 500 },
  { name: 'ANN 784-128-10, batch 128', config: { ...base, model: 'ann', units: [128], batchSize: 128 }, steps: 150 },
  { name: 'widest ANN 512-256-128, batch 32', config: { ...base, model: 'ann', units: [512, 256, 128], batchSize: 32 }, steps: 150 },
  // Also the largest CNN of the shipped specs (ann-vs-cnn.yaml).
  { name: 'CNN conv32-conv64-128, batch 32', config: { ...base, model: 'cnn', units: [128], filters: [32, 64], kernelSize: 3, pooling: 'max', batchSize: 32 }, steps: 30 },
];

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

async function ours(dataset, c) {
  const splits = makeSplits(dataset, { validationSplit: 1e-9, trainLimit: c.steps * c.config.batchSize + 1, testLimit: 1 });
  const { model, epochs } = await trainTrial({ config: c.config, seed: 1, splits, backend: tf.getBackend() });
  model.dispose();
  disposeSplits(splits);
  return (c.steps * c.config.batchSize) / epochs[0].seconds;
}

async function stockFit(dataset, c) {
  const splits = makeSplits(dataset, { validationSplit: 1e-9, trainLimit: c.steps * c.config.batchSize + 1, testLimit: 1 });
  const model = buildModel(c.config, 1);
  model.compile({ optimizer: makeOptimizer('adam', 0.001), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const y = splits.train.y.cast('float32');
  const t = performance.now();
  await model.fit(splits.train.x, y, { batchSize: c.config.batchSize, epochs: 1, verbose: 0 });
  const seconds = (performance.now() - t) / 1000;
  tf.dispose([y, model]);
  disposeSplits(splits);
  return (c.steps * c.config.batchSize) / seconds;
}

function torch(cases) {
  const spec = cases.map((c) => ({
    name: c.name, model: c.config.model, units: c.config.units, filters: c.config.filters ?? [],
    dropout: c.config.dropout, batch: c.config.batchSize, steps: c.steps, reps: 1,
  }));
  const out = execFileSync('/usr/bin/python3', [`${ROOT}bench/torch_bench.py`, VENDORED_DIR, JSON.stringify(spec)], { encoding: 'utf8' });
  return JSON.parse(out);
}

/** A one-epoch ANN trial through the whole pipeline vs the epoch time its worker measured. */
async function orchestration(dataset) {
  const text = 'name: overhead\nseed: 1\ngrid:\n  epochs: [1]\n  dropout: [0.2]\n';
  const store = Store.open(':memory:');
  const t = performance.now();
  await runSweep({ spec: parseSpec(text, 'overhead.yaml'), specText: text, specPath: null, store, dataset, workers: 1, backend: 'wasm', artifactsDir: null });
  const wall = (performance.now() - t) / 1000;
  const { seconds } = store.db.prepare('SELECT seconds FROM trials').get();
  const { epoch } = store.db.prepare('SELECT seconds AS epoch FROM epochs').get();
  store.close();
  return { sweepWallSeconds: wall, trialSeconds: seconds, epochSeconds: epoch, overheadFraction: (wall - seconds) / seconds };
}

const dataset = await loadFashionMnist();
const backend = await initBackend('wasm');
const withTorch = torchAvailable();
if (!withTorch) console.log('PyTorch is not available here (python3-torch / libopenblas0-pthread): its column is skipped.');
await ours(dataset, { ...CASES[0], steps: 20 }); // warm-up: first kernels, first allocations

const results = Object.fromEntries(CASES.map((c) => [c.name, { ours: [], fit: [], torch: [] }]));
let torchInfo = null;
for (let rep = 1; rep <= REPS; rep++) {
  for (const c of CASES) {
    results[c.name].ours.push(await ours(dataset, c));
    results[c.name].fit.push(await stockFit(dataset, c));
  }
  if (withTorch) {
    torchInfo = torch(CASES);
    for (const c of CASES) results[c.name].torch.push(torchInfo.cases[c.name].median);
  }
  console.log(`repetition ${rep}/${REPS} done`);
}

const rows = CASES.map((c) => {
  const r = results[c.name];
  const [o, f, p] = [median(r.ours), median(r.fit), withTorch ? median(r.torch) : null];
  return { case: c.name, steps: c.steps, ours: o, stockFit: f, torch: p, oursVsFit: o / f, oursVsTorch: p ? o / p : null, runs: r };
});
const overhead = await orchestration(dataset);

const fmt = (v, d = 0) => (v == null ? '-' : v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
console.log(`\nsamples/s, median of ${REPS} interleaved repetitions; backend ${backend}, 1 thread; PyTorch ${torchInfo?.torch ?? 'skipped'}`);
console.log(['case', 'sweep', 'model.fit', 'PyTorch', 'sweep/fit', 'sweep/PyTorch'].join(' | '));
for (const r of rows) console.log([r.case, fmt(r.ours), fmt(r.stockFit), fmt(r.torch), `${fmt(r.oursVsFit, 2)}×`, r.oursVsTorch == null ? '-' : `${fmt(r.oursVsTorch, 3)}×`].join(' | '));
console.log(`\norchestration: a one-epoch full-data ANN sweep took ${fmt(overhead.sweepWallSeconds, 2)} s; the trial inside the worker ${fmt(overhead.trialSeconds, 2)} s (epoch ${fmt(overhead.epochSeconds, 2)} s): ${fmt(overhead.overheadFraction * 100, 1)}% more, including the worker's start, its backend and the dataset tensors`);

mkdirSync(`${ROOT}runs`, { recursive: true });
writeFileSync(`${ROOT}runs/bench.json`, `${JSON.stringify({ date: new Date().toISOString(), backend, reps: REPS, torch: torchInfo && { version: torchInfo.torch, threads: torchInfo.threads }, cases: rows, orchestration: overhead }, null, 2)}\n`);
console.log('written: runs/bench.json');
