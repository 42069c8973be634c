// npm run bench:profile [-- CONFIG_JSON [STEPS]]: where one training step's time goes, on the
// wasm backend as `sweep run` trains (relaxed SIMD on, sweep's kernels). Trains STEPS batches
// (default 300) of CONFIG (default: the notebook's ANN at batch 32) three times unprofiled for the
// step's wall time, then once under tf.profile for each kernel's time and count. The step's wall
// time less its kernels' time is what runs outside any kernel: the tape, tidy, tensor
// bookkeeping and JavaScript between kernels. A configuration that trains by direct kernel calls
// (src/train/direct-step.ts, the notebook's kind of ANN) runs no kernel through the engine, which is
// what tf.profile sees: its kernels are profiled on the tfjs path (the same kernels, same inputs),
// and both paths' steps are timed. BENCH_PROFILE_SHAPES=1 lists each kernel per input shapes
// (a layer's calls apart from another's). Writes runs/profile-step.json.
import '../dist/cli/startup.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { loadFashionMnist } from '../dist/data/fashion-mnist.js';
import { initBackend } from '../dist/train/backend.js';
import { makeSplits, disposeSplits } from '../dist/train/tensors.js';
import { trainTrial } from '../dist/train/train.js';
import { DirectStep } from '../dist/train/direct-step.js';
import { buildModel, makeOptimizer } from '../dist/train/model.js';
import { withDefaults } from '../dist/spec/hyperparameters.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const config = {
  epochs: 1, model: 'ann', units: [128], activation: 'relu', dropout: 0.2, optimizer: 'adam', learningRate: 0.001, batchSize: 32,
  ...JSON.parse(process.argv[2] ?? '{}'),
};
const steps = Number(process.argv[3] ?? 300);

await initBackend('wasm');
const dataset = await loadFashionMnist();
const splits = makeSplits(dataset, { validationSplit: 1e-9, trainLimit: steps * config.batchSize + 1, testLimit: 1 });
const epochSeconds = async () => {
  const { model, epochs } = await trainTrial({ config, seed: 1, splits, backend: 'wasm' });
  model.dispose();
  return epochs[0].seconds;
};
const medianStepMs = async () => {
  await epochSeconds(); // warm-up
  const walls = [await epochSeconds(), await epochSeconds(), await epochSeconds()].sort((a, b) => a - b);
  return (walls[1] * 1000) / steps;
};
const probe = (() => {
  const c = withDefaults(config);
  const [model, optimizer] = [buildModel(c, 1, splits.shape, splits.classes), makeOptimizer(c.optimizer, c.learningRate, c.weightDecay)];
  const direct = c.augment === 'none' && DirectStep.for(model, optimizer, c) !== null;
  model.dispose();
  optimizer.dispose();
  return direct;
})();
const directStepMs = probe ? await medianStepMs() : null;
// The tfjs path from here on (for a direct configuration; otherwise it is the only path).
const forDirect = DirectStep.for;
DirectStep.for = () => null;
const stepMs = await medianStepMs();
const profile = await tf.profile(epochSeconds);
DirectStep.for = forDirect;
disposeSplits(splits);

// Kernels the profiler saw, per step. Each epoch also evaluates and reads its sums once; spread
// over STEPS steps they are noise.
const byShapes = process.env.BENCH_PROFILE_SHAPES === '1';
const byName = new Map();
for (const k of profile.kernels) {
  const ms = await k.kernelTimeMs;
  const key = byShapes ? `${k.name} ${JSON.stringify(k.inputShapes)}` : k.name;
  const e = byName.get(key) ?? { kernel: k.name, calls: 0, ms: 0 };
  e.calls += 1;
  e.ms += typeof ms === 'number' ? ms : 0;
  byName.set(key, e);
}
const rows = [...byName].map(([name, e]) => ({ name, kernel: e.kernel, callsPerStep: e.calls / steps, usPerStep: (e.ms * 1000) / steps }))
  .sort((a, b) => b.usPerStep - a.usPerStep);
// A custom-gradient op (tf.fused.matMul's, named NAME__op) is recorded around the kernels it
// runs, which are recorded too: its time is not added again.
const wrapper = (r) => r.kernel.endsWith('__op');
const kernelUs = rows.filter((r) => !wrapper(r)).reduce((s, r) => s + r.usPerStep, 0);
const calls = rows.filter((r) => !wrapper(r)).reduce((s, r) => s + r.callsPerStep, 0);
const stepUs = stepMs * 1000;

const fmt = (v, d = 0) => v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
console.log(`${JSON.stringify(config)}, ${steps} steps of ${config.batchSize}: a step through tfjs's engine takes ${fmt(stepUs)} µs unprofiled (median of 3), ${fmt((config.batchSize * 1e6) / stepUs)} samples/s`);
if (directStepMs !== null) {
  const directUs = directStepMs * 1000;
  console.log(`by direct kernel calls (direct-step.ts), as sweep trains it: ${fmt(directUs)} µs, ${fmt((config.batchSize * 1e6) / directUs)} samples/s; the table below is the tfjs path's, whose kernels the direct step calls too, less the tape's own (Identity, Reshape, Cast, GatherV2, the loss sums' Add and Multiply)`);
}
console.log(`kernels: ${fmt(calls, 1)} calls per step, ${fmt(kernelUs)} µs (${fmt((100 * kernelUs) / stepUs, 1)}% of the step); outside kernels: ${fmt(stepUs - kernelUs)} µs (${fmt((100 * (stepUs - kernelUs)) / stepUs, 1)}%), ${fmt((stepUs - kernelUs) / calls, 1)} µs per kernel call`);
console.log(['kernel', 'calls/step', 'µs/step', '% of step'].join(' | '));
for (const r of rows) console.log([wrapper(r) ? `(${r.name}, around the kernels it runs)` : r.name, fmt(r.callsPerStep, 1), fmt(r.usPerStep, 1), fmt((100 * r.usPerStep) / stepUs, 1)].join(' | '));
mkdirSync(`${ROOT}runs`, { recursive: true });
writeFileSync(`${ROOT}runs/profile-step.json`, `${JSON.stringify({ date: new Date().toISOString(), config, steps, stepUs, directStepUs: directStepMs === null ? null : directStepMs * 1000, kernelUs, callsPerStep: calls, kernels: rows }, null, 2)}\n`);
console.log('written: runs/profile-step.json');
