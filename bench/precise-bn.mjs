// npm run bench:precise-bn: what precise BN (src/train/precise-bn.ts) changes and what it costs.
// 1. The issue's case: the notebook's CNN (conv32-conv64, dense 128, batch 32) with batch norm, on
//    5,400 training images (and 600 for validation), 3 epochs, on the moving averages (preciseBn 0)
//    and with precise BN (200 batches, the default): each epoch's training and validation accuracy.
// 2. Its cost: preciseBatchNorm alone, timed REPS times on the trained model over 200 batches of 32
//    (what it adds to every epoch of at least 6,400 images), beside the epoch it is added to, as
//    `sweep run` records it (seconds per epoch, on 5,400 images and, with --full, on 54,000).
// Wall times on a shared machine: medians, with the process's CPU time beside them.
// Writes runs/precise-bn.json.
import '../dist/cli/startup.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadFashionMnist } from '../dist/data/fashion-mnist.js';
import { initBackend } from '../dist/train/backend.js';
import { preciseBatchNorm } from '../dist/train/precise-bn.js';
import { disposeSplits, makeSplits } from '../dist/train/tensors.js';
import { trainTrial } from '../dist/train/train.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FULL = process.argv.includes('--full');
const REPS = 5;
const CNN = {
  model: 'cnn', epochs: 3, activation: 'relu', units: [128], dropout: 0.2, filters: [32, 64], kernelSize: 3, pooling: 'max',
  optimizer: 'adam', learningRate: 0.001, batchSize: 32, batchNorm: true,
};
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const pct = (x) => `${(100 * x).toFixed(1)}%`;

const backend = await initBackend('wasm');
const dataset = await loadFashionMnist();
const out = { date: new Date().toISOString(), backend, runs: [], cost: [] };

const small = makeSplits(dataset, { validationSplit: 0.1, trainLimit: 6000, testLimit: 1000 });
console.log(`BN CNN conv32-conv64 dense128, batch 32, ${small.train.count} training and ${small.val.count} validation images, seed 1, backend ${backend}`);
let trained;
for (const preciseBn of [0, 200]) {
  const { model, ...o } = await trainTrial({ config: { ...CNN, preciseBn }, seed: 1, splits: small, backend });
  out.runs.push({ preciseBn, epochs: o.epochs, testAccuracy: o.testAccuracy });
  console.log(`preciseBn ${String(preciseBn).padStart(3)}: ${o.epochs.map((e) => `epoch ${e.epoch} train ${pct(e.accuracy)} val ${pct(e.valAccuracy)} (${e.seconds.toFixed(1)} s)`).join(' · ')}`);
  if (preciseBn > 0) trained = model;
  else model.dispose();
}

const order = Int32Array.from({ length: small.train.count }, (_, i) => i);
const time = (batches) => {
  const walls = [];
  const cpus = [];
  for (let r = 0; r < REPS; r++) {
    const [t0, c0] = [performance.now(), process.cpuUsage()];
    preciseBatchNorm(trained, small.train, order, 32, batches);
    const c = process.cpuUsage(c0);
    walls.push((performance.now() - t0) / 1000);
    cpus.push((c.user + c.system) / 1e6);
  }
  return { batches, seconds: median(walls), cpuSeconds: median(cpus), walls };
};
for (const batches of [168, 200]) {
  // 168: every full batch of the 5,400 images; 200 batches need 6,400 (the full split's case below).
  const n = Math.min(batches, Math.floor(small.train.count / 32));
  const c = time(n);
  out.cost.push(c);
  console.log(`preciseBatchNorm over ${n} batches of 32: ${c.seconds.toFixed(2)} s (CPU ${c.cpuSeconds.toFixed(2)} s; runs ${c.walls.map((w) => w.toFixed(2)).join('/')})`);
}
trained.dispose();
disposeSplits(small);

if (FULL) {
  const full = makeSplits(dataset, { validationSplit: 0.1 });
  for (const preciseBn of [0, 200]) {
    const { model, ...o } = await trainTrial({ config: { ...CNN, epochs: 1, preciseBn }, seed: 1, splits: full, backend });
    model.dispose();
    out.runs.push({ full: true, preciseBn, epochs: o.epochs });
    const e = o.epochs[0];
    console.log(`full split (${full.train.count} images), preciseBn ${preciseBn}: epoch 1 ${e.seconds.toFixed(1)} s, train ${pct(e.accuracy)} val ${pct(e.valAccuracy)}`);
  }
  disposeSplits(full);
}
mkdirSync(`${ROOT}runs`, { recursive: true });
writeFileSync(`${ROOT}runs/precise-bn.json`, JSON.stringify(out, null, 2));
