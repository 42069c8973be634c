// npm run bench:epochs: the epoch a user sees against the epoch the step bench implies.
//
// For each model below, `sweep run` trains one trial on the full training split (54,000 images,
// 6,000 validating) with one worker, as a user runs it, and its recorded `epochs.seconds` are read
// back from the database. The same trial runs with SWEEP_EPOCH_PHASES set, so each epoch also
// says where its seconds went (src/train/epoch-phases.ts: shuffle, training steps, the batches'
// gathers within them, the finite-weights check, precise BN, validation) and how much memory the
// process held after it. Beside it, in this process, the step bench's own timing of the same model
// (as `npm run bench` takes it: a warm trainTrial over STEPS batches of a small split), scaled to
// 54,000 images. The difference between the two is then split into its parts, and the recorded
// epoch's products (src/train/flops.ts: its training steps', and its validation's forward passes)
// are set against the core's peak (the addon's FMA loop, measured in the same run). And PyTorch's
// epoch of the same model, batch and split sizes as a user's loop runs it (bench/torch_bench.py's
// epoch mode: shuffle, every batch, then the validation images' accuracy, one thread), in a fresh
// process, where /usr/bin/python3 has torch (BENCH_PEERS=0 skips it): the ratio issue 30 asks for.
// Interleaved repetitions, each measurement once the CPUs are idle (bench/quiet.mjs); medians.
//
// BENCH_EPOCH_REPS (3), BENCH_EPOCH_CASES=REGEX (the cases it matches), BENCH_MEMORY_EPOCHS (3;
// the batch-128 CNN's memory run, 0 skips it; 20 for issue 30's full-size check). Writes runs/bench-epochs.json.
import '../dist/cli/startup.js';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { loadFashionMnist, VENDORED_DIR } from '../dist/data/fashion-mnist.js';
import { initBackend } from '../dist/train/backend.js';
import { measurePeak, nativeAddon, nativeStatus } from '../dist/train/kernels/native.js';
import { disposeSplits, makeSplits } from '../dist/train/tensors.js';
import { trainTrial } from '../dist/train/train.js';
import { flopsOf } from './flops-of.mjs';
import { quietly } from './quiet.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REPS = Number(process.env.BENCH_EPOCH_REPS ?? 3);
const MEMORY_EPOCHS = Number(process.env.BENCH_MEMORY_EPOCHS ?? 3);
const DATA = { validationSplit: 0.1, trainLimit: 60000, testLimit: 10000 };
const base = { activation: 'relu', dropout: 0.2, optimizer: 'adam', learningRate: 0.001 };
const cnn = { ...base, model: 'cnn', units: [128], filters: [32, 64], kernelSize: 3, pooling: 'max' };
const ann = { ...base, model: 'ann', units: [128] };
// Two epochs at least: the first pays the worker's first calls, the second is the steady state.
const CASES = [
  { name: 'CNN conv32-conv64-128, batch 32', config: { ...cnn, batchSize: 32 }, epochs: 2, steps: 30 },
  { name: 'CNN conv32-conv64-128, batch 128', config: { ...cnn, batchSize: 128 }, epochs: 2, steps: 10 },
  { name: 'ANN 784-128-10, batch 32', config: { ...ann, batchSize: 32 }, epochs: 3, steps: 500 },
  { name: 'ANN 784-128-10, batch 128', config: { ...ann, batchSize: 128 }, epochs: 3, steps: 150 },
].filter((c) => !process.env.BENCH_EPOCH_CASES || new RegExp(process.env.BENCH_EPOCH_CASES).test(c.name));

const TORCH = process.env.BENCH_PEERS !== '0' && (() => {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    console.log('PyTorch: /usr/bin/python3 has no torch (apt-get install python3-torch libopenblas0-pthread): its column is skipped');
    return false;
  }
})();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const readLines = (file) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);

/** A one-trial spec of `config` for `epochs` epochs on the full split (the grid's keys as a spec writes them). */
function specOf(name, config, epochs) {
  const { model, batchSize, optimizer, learningRate, ...rest } = config;
  const grid = Object.fromEntries(Object.entries({ ...rest, epochs }).map(([k, v]) => [k, [v]]));
  return { name, metric: 'val_accuracy', seed: 42, data: DATA, train: { optimizer, learningRate, batchSize }, grid: { model: [model], ...grid } };
}

/**
 * `sweep run SPEC --workers 1` in a fresh process and database, with SWEEP_EPOCH_PHASES: the
 * recorded epochs, the trial's seconds, the wall seconds, and each epoch's phases.
 */
let attempt = 0;
async function sweepRun(dir, label, config, epochs) {
  // A fresh name each time: a measurement redone must not find the trial done in the last one's database.
  const name = `${label}-${++attempt}`;
  const file = join(dir, `${name}.yaml`);
  const db = join(dir, `${name}.db`);
  const phases = join(dir, `${name}.phases.jsonl`);
  writeFileSync(file, stringify(specOf(name, config, epochs)));
  const started = performance.now();
  const code = await new Promise((done) => {
    const child = spawn(process.execPath, ['dist/cli/main.js', 'run', file, '--db', db, '--no-tui', '--workers', '1'], {
      cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, SWEEP_EPOCH_PHASES: phases },
    });
    child.on('exit', done);
  });
  const wall = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`sweep run ${name} exited ${code}`);
  const d = new Database(db, { readonly: true });
  const recorded = d.prepare('SELECT epoch, seconds FROM epochs ORDER BY epoch').all();
  const { seconds: trialSeconds } = d.prepare('SELECT seconds FROM trials').get();
  d.close();
  return { wall, trialSeconds, epochs: recorded.map((e) => e.seconds), phases: readLines(phases) };
}

/** The step bench's timing of `c` (bench/train-speed.mjs's `ours`), here with its phases: samples/s over the epoch and over its steps alone. */
async function stepBench(dataset, c, dir) {
  const file = join(dir, `step-${Math.random().toString(36).slice(2)}.jsonl`);
  process.env.SWEEP_EPOCH_PHASES = file;
  try {
    const splits = makeSplits(dataset, { validationSplit: 1e-9, trainLimit: c.steps * c.config.batchSize + 1, testLimit: 1 });
    const { model, epochs } = await trainTrial({ config: { ...c.config, epochs: 1 }, seed: 1, splits, backend: tf.getBackend() });
    model.dispose();
    disposeSplits(splits);
    const [p] = readLines(file);
    const samples = c.steps * c.config.batchSize;
    return { samplesPerSecond: samples / epochs[0].seconds, stepsSamplesPerSecond: samples / (p.ms.steps / 1000), gatherMsPerStep: (p.ms.gather ?? 0) / c.steps };
  } finally {
    delete process.env.SWEEP_EPOCH_PHASES;
  }
}

/** PyTorch's epochs of `c` in a fresh process (bench/torch_bench.py's epoch mode): seconds of each. */
async function torchEpochs(c, train, validation) {
  const job = [{
    name: c.name, model: c.config.model, units: c.config.units, filters: c.config.filters ?? [], dropout: c.config.dropout,
    batch: c.config.batchSize, epochs: c.epochs, train, validation,
  }];
  const out = JSON.parse(execFileSync('/usr/bin/python3', [`${ROOT}bench/torch_bench.py`, VENDORED_DIR, JSON.stringify(job)], { encoding: 'utf8' }));
  return out.cases[c.name].seconds;
}

const backend = await initBackend('wasm');
const dataset = await loadFashionMnist();
const TRAIN = Math.round(DATA.trainLimit * (1 - DATA.validationSplit));
const dir = mkdtempSync(join(tmpdir(), 'sweep-bench-epochs-'));
const runs = Object.fromEntries(CASES.map((c) => [c.name, { sweep: [], bench: [], torch: [] }]));
let memory = null;
let peak = null;
try {
  // Warm, as npm run bench times it.
  if (REPS > 0) for (const c of CASES) await stepBench(dataset, c, dir);
  for (let rep = 1; rep <= REPS; rep++) {
    for (const c of CASES) {
      const s = await quietly(`sweep run, ${c.name}`, () => sweepRun(dir, `e${rep}-${c.config.model}${c.config.batchSize}`, c.config, c.epochs));
      runs[c.name].sweep.push({ ...s.value, others: s.others });
      const b = await quietly(`step bench, ${c.name}`, () => stepBench(dataset, c, dir));
      runs[c.name].bench.push({ ...b.value, others: b.others });
      if (TORCH) {
        const t = await quietly(`PyTorch, ${c.name}`, () => torchEpochs(c, TRAIN, 60000 - TRAIN));
        runs[c.name].torch.push({ epochs: t.value, others: t.others });
      }
    }
    console.log(`repetition ${rep}/${REPS} done`);
  }
  if (REPS > 0 && nativeAddon() !== null) {
    const native = nativeAddon();
    const isa = native.isa();
    peak = { isa, ...(await quietly(`the ${isa} peak`, () => measurePeak(native, isa))).value };
  }
  if (MEMORY_EPOCHS > 0) {
    const r = await quietly('memory run', () => sweepRun(dir, 'memory-cnn128', { ...cnn, batchSize: 128 }, MEMORY_EPOCHS));
    memory = { ...r.value, epochCount: MEMORY_EPOCHS, others: r.others };
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const fmt = (v, d = 2) => (v == null ? '-' : v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
const mb = (bytes) => fmt(bytes / 2 ** 20, 0);
const rows = REPS === 0 ? [] : CASES.map((c) => {
  const { sweep, bench, torch } = runs[c.name];
  const steps = Math.ceil(TRAIN / c.config.batchSize);
  const first = median(sweep.map((s) => s.epochs[0]));
  const later = median(sweep.map((s) => median(s.epochs.slice(1))));
  // The phases of the epochs after the first, per repetition's median, then the median over repetitions.
  const phase = (name) => median(sweep.map((s) => median(s.phases.slice(1).map((p) => (p.ms[name] ?? 0) / 1000))));
  const firstPhase = (name) => median(sweep.map((s) => (s.phases[0]?.ms[name] ?? 0) / 1000));
  const benchEpoch = TRAIN / median(bench.map((b) => b.samplesPerSecond));
  const benchSteps = TRAIN / median(bench.map((b) => b.stepsSamplesPerSecond));
  const benchGather = (median(bench.map((b) => b.gatherMsPerStep)) * steps) / 1000;
  const flops = flopsOf(dataset, c.config);
  const p = { shuffle: phase('shuffle'), steps: phase('steps'), gather: phase('gather'), finite: phase('finite'), preciseBn: phase('preciseBn'), validation: phase('validation') };
  return {
    case: c.name, steps, flopsPerSample: { forward: flops.forward, total: flops.total }, recordedFirst: first, recordedLater: later, benchEpoch, benchSteps, benchGather, phases: p,
    torchFirst: torch.length ? median(torch.map((t) => t.epochs[0])) : null,
    torchLater: torch.length ? median(torch.map((t) => median(t.epochs.slice(1)))) : null,
    firstEpochSteps: firstPhase('steps'), firstEpochValidation: firstPhase('validation'),
    betweenEpochs: median(sweep.map((s) => s.trialSeconds - s.epochs.reduce((a, b) => a + b, 0))),
    outsideTrial: median(sweep.map((s) => s.wall - s.trialSeconds)),
    others: sweep.map((s) => s.others), runs: { sweep: sweep.map(({ phases: _, ...s }) => s), bench, torch },
  };
});

if (rows.length > 0) console.log(`\nthe recorded epoch (sweep run --workers 1, full split: ${TRAIN} training images, ${60000 - TRAIN} validating) against the step bench's timing of the same model scaled to ${TRAIN} images; seconds, medians of ${REPS} interleaved repetitions; backend ${backend}, native kernels ${nativeStatus()}`);
if (rows.length > 0) console.log(['case', 'recorded epoch 1', 'recorded epochs 2+', 'step bench', 'difference', 'validation', 'gather (bench)', 'other steps', 'shuffle + finite + precise BN', 'epoch 1 extra (steps, validation)'].join(' | '));
for (const r of rows) {
  const p = r.phases;
  // The difference, split: validation, the gathers' excess over the bench's, the rest of the steps' excess, the small phases.
  const gatherExcess = p.gather - r.benchGather;
  const otherSteps = (p.steps - p.gather) - (r.benchSteps - r.benchGather);
  console.log([
    r.case, fmt(r.recordedFirst), fmt(r.recordedLater), fmt(r.benchEpoch), `${r.recordedLater >= r.benchEpoch ? '+' : ''}${fmt(r.recordedLater - r.benchEpoch)}`,
    fmt(p.validation), `${fmt(p.gather)} (${fmt(r.benchGather)})`, `${otherSteps >= 0 ? '+' : ''}${fmt(otherSteps)}`, fmt(p.shuffle + p.finite + p.preciseBn, 3),
    `+${fmt(r.firstEpochSteps - p.steps)}, +${fmt(r.firstEpochValidation - p.validation)}`,
  ].join(' | '));
  console.log(`  step bench's epoch ${fmt(r.benchEpoch)} s = its steps ${fmt(r.benchSteps)} s + its tiny validation; gathers ${fmt(gatherExcess >= 0 ? gatherExcess : 0)} s over the bench's; between epochs (checkpoints, the verdict, the model's build, the test) ${fmt(r.betweenEpochs)} s a trial, outside the trial (start-up, worker, data) ${fmt(r.outsideTrial)} s; CPUs used by something else ${r.others.map((o) => `${fmt(o * 100, 0)}%`).join('/')}`);
}
if (rows.length > 0 && peak !== null) {
  // The epoch's products: each training image's forward and backward, each validation image's forward.
  const VALIDATION = 60000 - TRAIN;
  console.log(`\nthe recorded epoch's products against the core's peak (${peak.isa}, the addon's FMA loop: ${fmt(peak.gflops, 1)} GFLOP/s, median round ${fmt(peak.medianGflops, 1)}); epochs 2+, medians; FLOPs as npm run bench counts them (src/train/flops.ts)`);
  console.log(['case', 'MFLOP per training image', 'training steps (s)', 'their GFLOP/s', 'of the peak', 'whole epoch with validation (s)', 'its GFLOP/s', 'of the peak'].join(' | '));
  for (const r of rows) {
    const f = r.flopsPerSample;
    const steps = (TRAIN * f.total) / r.phases.steps / 1e9;
    const epoch = (TRAIN * f.total + VALIDATION * f.forward) / r.recordedLater / 1e9;
    r.achieved = { stepsGflops: steps, epochGflops: epoch, peak };
    console.log([r.case, fmt(f.total / 1e6, 3), fmt(r.phases.steps), fmt(steps, 1), `${fmt((steps / peak.gflops) * 100, 1)}%`, fmt(r.recordedLater), fmt(epoch, 1), `**${fmt((epoch / peak.gflops) * 100, 1)}%**`].join(' | '));
  }
}
if (rows.some((r) => r.torchLater !== null)) {
  console.log(`\nthe recorded epoch against PyTorch ${TORCH ? '' : '(skipped) '}training the same model on as many images with the same batch, validation included (bench/torch_bench.py's epoch mode, one thread, OpenBLAS); seconds, medians of ${REPS}`);
  console.log(['case', 'sweep epoch 1', 'PyTorch epoch 1', 'ratio', 'sweep epochs 2+', 'PyTorch epochs 2+', 'ratio (PyTorch / sweep)'].join(' | '));
  for (const r of rows) {
    if (r.torchLater === null) continue;
    console.log([r.case, fmt(r.recordedFirst), fmt(r.torchFirst), `${fmt(r.torchFirst / r.recordedFirst)}×`, fmt(r.recordedLater), fmt(r.torchLater), `**${fmt(r.torchLater / r.recordedLater)}×**`].join(' | '));
    console.log(`  single runs: sweep ${r.runs.sweep.map((s) => s.epochs.map((e) => fmt(e)).join('/')).join(', ')}; PyTorch ${r.runs.torch.map((t) => t.epochs.map((e) => fmt(e)).join('/')).join(', ')}`);
  }
}
if (memory) {
  console.log(`\nmemory, CNN conv32-conv64-128 at batch 128, ${memory.epochCount} epochs of the full split, sweep run --workers 1 (one process: the command line and its one worker thread), MB after each epoch:`);
  console.log(['epoch', 'seconds', 'RSS', 'peak RSS', 'wasm memory', 'V8 heap used', 'external', 'tensors'].join(' | '));
  for (const p of memory.phases) console.log([p.epoch, fmt(p.seconds), mb(p.memory.rss), mb(p.memory.maxRss), mb(p.memory.wasmBytes), mb(p.memory.heapUsed), mb(p.memory.external), p.memory.tensors].join(' | '));
}
mkdirSync(`${ROOT}runs`, { recursive: true });
writeFileSync(`${ROOT}runs/bench-epochs.json`, `${JSON.stringify({ date: new Date().toISOString(), backend, native: nativeStatus(), reps: REPS, cases: rows, memory }, null, 2)}\n`);
console.log('written: runs/bench-epochs.json');
