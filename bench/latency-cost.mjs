// npm run bench:latency: what measuring latency_ms costs a trial, and what it measures. For each
// model below (the notebook's ANN, the widest ANN, CNNs from small to the notebook's), on the wasm
// backend as `sweep run` trains (relaxed SIMD on, sweep's kernels, native where built): trains one
// short epoch, then times measureLatency (src/train/latency.ts) as the worker calls it, three
// times (the first with the longer warm-up of a model of a new kind, where it is one): its wall
// time (warm-up and timed calls together: what it adds to the trial), the
// process's CPU time over it (which other processes on a busy machine do not inflate, as they
// do the wall time), and the latency it returns. Prints medians; writes runs/latency-cost.json.
import '../dist/cli/startup.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadFashionMnist } from '../dist/data/fashion-mnist.js';
import { initBackend } from '../dist/train/backend.js';
import { nativeAddon, nativeStatus } from '../dist/train/kernels/native.js';
import { fusedMultiplyAdd } from '../dist/train/kernels/simd.js';
import { LATENCY_CALLS, LATENCY_FIRST_WARMUP, LATENCY_WARMUP, measureLatency } from '../dist/train/latency.js';
import { makeSplits, disposeSplits } from '../dist/train/tensors.js';
import { trainTrial } from '../dist/train/train.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const base = { epochs: 1, activation: 'relu', dropout: 0.2, optimizer: 'adam', learningRate: 0.001, batchSize: 64 };
const CASES = [
  ['ANN 784-128-10 (the notebook)', { ...base, model: 'ann', units: [128] }],
  ['ANN 512-256-128', { ...base, model: 'ann', units: [512, 256, 128] }],
  ['CNN conv8-conv16, dense 32', { ...base, model: 'cnn', filters: [8, 16], kernelSize: 3, pooling: 'max', units: [32] }],
  ['CNN conv32-conv64, dense 128 (the notebook)', { ...base, model: 'cnn', filters: [32, 64], kernelSize: 3, pooling: 'max', units: [128] }],
  ['CNN conv32-conv64, dense 256, batch norm', { ...base, model: 'cnn', filters: [32, 64], kernelSize: 3, pooling: 'max', units: [256], batchNorm: true }],
];
const REPS = 3;

const backend = await initBackend('wasm');
const dataset = await loadFashionMnist();
const splits = makeSplits(dataset, { validationSplit: 0.1, trainLimit: 2000, testLimit: 100 });
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const rows = [];
for (const [name, config] of CASES) {
  const { model, seconds } = await trainTrial({ config, seed: 1, splits, backend });
  const walls = [];
  const cpus = [];
  const latencies = [];
  for (let r = 0; r < REPS; r++) {
    const [t0, c0] = [performance.now(), process.cpuUsage()];
    latencies.push(measureLatency(model, dataset.test, dataset.shape));
    const c = process.cpuUsage(c0);
    walls.push(performance.now() - t0);
    cpus.push((c.user + c.system) / 1000);
  }
  model.dispose();
  const row = { name, config, trainSeconds: seconds, costMs: median(walls), cpuMs: median(cpus), latencyMs: median(latencies), walls, cpus, latencies };
  rows.push(row);
  console.log(`${name.padEnd(44)} adds ${row.costMs.toFixed(0).padStart(4)} ms a trial (CPU ${row.cpuMs.toFixed(0).padStart(4)} ms; its first run ${walls[0].toFixed(0)} ms); latency ${row.latencyMs.toFixed(3)} ms (runs: ${latencies.map((l) => l.toFixed(3)).join('/')})`);
}
disposeSplits(splits);
const kernels = !fusedMultiplyAdd() ? 'wasm GEMM' : nativeAddon() ? `native kernels (${nativeStatus()})` : 'wasm GEMM, fused multiply-adds';
console.log(`${LATENCY_FIRST_WARMUP} warm-up calls for the first model of its kind, ${LATENCY_WARMUP} after, then ${LATENCY_CALLS} timed calls per trial, backend ${backend}, products on the ${kernels}; medians of ${REPS}`);
mkdirSync(`${ROOT}runs`, { recursive: true });
writeFileSync(`${ROOT}runs/latency-cost.json`, JSON.stringify({ date: new Date().toISOString(), backend, kernels, rows }, null, 2));
