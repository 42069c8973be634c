// npm run bench:precise-bn: what precise BN (src/train/precise-bn.ts) changes and what it costs.
// 1. The issue's case: the notebook's CNN (conv32-conv64, dense 128, batch 32) with batch norm, on
//    5,400 training images (and 600 for validation), 3 epochs, on the moving averages (preciseBn 0)
//    and with precise BN (200 batches, the default): each epoch's training and validation accuracy.
// 2. Its cost: preciseBatchNorm alone, timed REPS times on the trained model, over the 168 full
//    batches of 32 of the 5,400 images and (with --full) 200 of the 54,000, beside the epoch it is
//    added to as `sweep run` records it (with --full: one epoch of the full split without and with).
// 3. A small ASHA sweep over batchNorm through `sweep run`, without and with it (see below).
// Wall times on a shared machine: medians, with the process's CPU time beside them.
// Writes runs/precise-bn.json.
import '../dist/cli/startup.js';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
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
const report = (c, images) => {
  out.cost.push({ ...c, images });
  console.log(`preciseBatchNorm over ${c.batches} batches of 32 (${images} images): ${c.seconds.toFixed(2)} s (CPU ${c.cpuSeconds.toFixed(2)} s; runs ${c.walls.map((w) => w.toFixed(2)).join('/')})`);
};
// Every full batch of the 5,400 images: 168 of the default 200.
report(time(Math.floor(small.train.count / 32)), small.train.count);
disposeSplits(small);

if (FULL) {
  const full = makeSplits(dataset, { validationSplit: 0.1 });
  const fullOrder = Int32Array.from({ length: full.train.count }, (_, i) => i);
  const walls = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    preciseBatchNorm(trained, full.train, fullOrder, 32, 200);
    walls.push((performance.now() - t0) / 1000);
  }
  out.cost.push({ batches: 200, images: full.train.count, seconds: median(walls), walls });
  console.log(`preciseBatchNorm over 200 batches of 32 (${full.train.count} images): ${median(walls).toFixed(2)} s (runs ${walls.map((w) => w.toFixed(2)).join('/')})`);
  for (const preciseBn of [0, 200]) {
    const { model, ...o } = await trainTrial({ config: { ...CNN, epochs: 1, preciseBn }, seed: 1, splits: full, backend });
    model.dispose();
    out.runs.push({ full: true, preciseBn, epochs: o.epochs });
    const e = o.epochs[0];
    console.log(`full split (${full.train.count} images), preciseBn ${preciseBn}: epoch 1 ${e.seconds.toFixed(1)} s, train ${pct(e.accuracy)} val ${pct(e.valAccuracy)}`);
  }
  disposeSplits(full);
}
trained.dispose();

// 3. ASHA over batchNorm [false, true] (plain trials first, so the rung at epoch 1 compares BN
// trials with them), 4 trials of a small CNN on 2,700 images, through `sweep run`, on the moving
// averages (preciseBn 0) and with precise BN (the default).
const dir = mkdtempSync(join(tmpdir(), 'precise-bn-'));
const db = join(dir, 'sweeps.db');
for (const [name, preciseBn] of [['stale', 0], ['precise', 200]]) {
  writeFileSync(join(dir, `${name}.yaml`), `name: ${name}
seed: 1
data: {validationSplit: 0.1, trainLimit: 3000, testLimit: 500}
train: {preciseBn: ${preciseBn}}
search: {method: grid, earlyStopping: {type: asha, minEpochs: 1, reductionFactor: 2}}
grid:
  model:
    cnn: {filters: [[8, 16]], units: [[32]], epochs: [4], batchNorm: [false, true], learningRate: [0.001, 0.003]}
`);
  execFileSync(process.execPath, [`${ROOT}dist/cli/main.js`, 'run', join(dir, `${name}.yaml`), '--db', db, '--workers', '1', '--no-tui'], { stdio: 'ignore' });
}
const d = new Database(db, { readonly: true });
const trials = d.prepare(`SELECT s.name AS sweep, t.batch_norm AS bn, t.learning_rate AS lr, t.status, t.epochs_done AS done, t.val_accuracy AS final,
    (SELECT e.val_accuracy FROM epochs e WHERE e.trial_id = t.id AND e.epoch = 1) AS val1,
    (SELECT e.accuracy FROM epochs e WHERE e.trial_id = t.id AND e.epoch = 1) AS train1
  FROM trials t JOIN sweeps s ON s.id = t.sweep_id ORDER BY t.id`).all();
d.close();
rmSync(dir, { recursive: true, force: true });
out.asha = trials;
console.log('ASHA (η 2, rung at epoch 1), 4 trials of conv8-conv16 on 2,700 images, 1 worker:');
for (const t of trials) {
  console.log(`  ${t.sweep.padEnd(7)} bn ${t.bn} lr ${t.lr}: epoch 1 train ${pct(t.train1)} val ${pct(t.val1)} → ${t.status} after ${t.done} epochs (last val ${pct(t.final)})`);
}
mkdirSync(`${ROOT}runs`, { recursive: true });
writeFileSync(`${ROOT}runs/precise-bn.json`, JSON.stringify(out, null, 2));
