// `npm run bench:pool`: sweep throughput with 1, 2, 4, … workers (up to this machine's cores, or
// BENCH_WORKERS="1,2,4"): each run trains 3 one-epoch ANN trials per worker on 30,000 images
// through the whole pipeline, and reports trials/s, samples/s, speed-up over one worker, and the
// process's peak resident memory, whose growth per worker shows the dataset is shared, not copied.
// First, as the command line does: relaxed SIMD on before any WebAssembly compiles (fused multiply-adds in the convolutions).
import '../dist/cli/startup.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadFashionMnist } from '../dist/data/fashion-mnist.js';
import { parseSpec } from '../dist/spec/load-spec.js';
import { SqliteStore } from '../dist/store/sqlite.js';
import { runSweep } from '../dist/sweep/run-sweep.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TRAIN = 30000;
const PER_WORKER = 3;
const cores = availableParallelism();
const counts = process.env.BENCH_WORKERS
  ? process.env.BENCH_WORKERS.split(',').map(Number)
  : [1, 2, 4, 8, 16, 32, 64].filter((w) => w <= cores);

const dataset = await loadFashionMnist();
const mb = (b) => b / 2 ** 20;

async function run(workers) {
  const dropouts = Array.from({ length: PER_WORKER * workers }, (_, i) => (i / (2 * PER_WORKER * workers)).toFixed(4));
  const text = `name: scaling\nseed: 1\ndata: {validationSplit: 0.1, trainLimit: ${TRAIN}, testLimit: 1000}\ngrid:\n  epochs: [1]\n  dropout: [${dropouts.join(', ')}]\n`;
  const dir = mkdtempSync(join(tmpdir(), 'sweep-pool-'));
  const store = await SqliteStore.open(join(dir, 'sweeps.db'));
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const poll = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 100);
  const t = performance.now();
  const result = await runSweep({ spec: parseSpec(text, 'scaling.yaml'), specText: text, specPath: null, store, dataset, workers, backend: 'wasm' });
  const seconds = (performance.now() - t) / 1000;
  clearInterval(poll);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  const trials = dropouts.length;
  if (result.completed !== trials) throw new Error(`${trials - result.completed} of ${trials} trials did not complete`);
  const trainImages = Math.round(TRAIN * 0.9);
  return { workers, trials, seconds, trialsPerSecond: trials / seconds, samplesPerSecond: (trials * trainImages) / seconds, peakRssMb: mb(peak), rssGrowthMb: mb(peak - baseline) };
}

const rows = [];
for (const w of counts) {
  rows.push(await run(w));
  console.log(`${w} worker(s) done`);
}
const fmt = (v, d = 0) => v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
console.log(`\n${cores} cores; ${rows[0]?.trials / rows[0]?.workers} one-epoch ANN trials per worker, ${TRAIN.toLocaleString('en-US')} images (90% trained), wasm backend`);
console.log('workers | trials | seconds | trials/s | samples/s | speed-up | peak RSS (MB) | RSS growth per worker (MB)');
for (const r of rows) {
  console.log([r.workers, r.trials, fmt(r.seconds, 1), fmt(r.trialsPerSecond, 2), fmt(r.samplesPerSecond), `${fmt(r.trialsPerSecond / rows[0].trialsPerSecond, 2)}×`, fmt(r.peakRssMb), fmt(r.rssGrowthMb / r.workers)].join(' | '));
}
mkdirSync(`${ROOT}runs`, { recursive: true });
writeFileSync(`${ROOT}runs/pool-scaling.json`, `${JSON.stringify({ date: new Date().toISOString(), cores, rows }, null, 2)}\n`);
console.log('written: runs/pool-scaling.json');
