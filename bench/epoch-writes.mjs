// `node bench/epoch-writes.mjs` (after `npm run build`): what a trial's 10 steps cost the store,
// written as they used to be, one transaction each (10 × recordEpoch), against one transaction
// for all of them (recordEpochs), as a program that prints its steps together now gets them. On
// SQLite (a fresh file) and PostgreSQL (a fresh database on SWEEP_BENCH_PG, default the local
// server as postgres), in process, the two ways taking turns, each on a trial claimed for it;
// BENCH_EPOCH_REPS (30) trials each way, medians. The store alone: no program, no command line.
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSpec } from '../dist/spec/load-spec.js';
import { makeStrategy } from '../dist/search/strategy.js';
import { freshStores } from './fresh-stores.mjs';
import { cpuMeter } from './quiet.mjs';

const REPS = Number(process.env.BENCH_EPOCH_REPS ?? 30);
const STEPS = 10;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const steps = Array.from({ length: STEPS }, (_, i) => ({
  epoch: i + 1, loss: NaN, accuracy: NaN, valLoss: NaN, valAccuracy: 0.5 + i / 100, seconds: 0.001, reported: { val_accuracy: 0.5 + i / 100 },
}));

console.log(`${STEPS} steps of a program trial written to the store: one transaction each, or one for all; ${REPS} trials each way, medians; `
  + `${cpus()[0]?.model ?? '?'} × ${cpus().length}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
for (const [backend, withStore] of Object.entries(freshStores)) {
  await withStore(async (store) => {
    const text = `name: epochs\nprogram: p.py\nmetric: {name: val_accuracy, goal: maximize}\ngrid:\n  x: [${Array.from({ length: 2 * REPS }, (_, i) => i).join(', ')}]\n`;
    const spec = parseSpec(text, join(tmpdir(), 'epochs.yaml'));
    const trials = makeStrategy(spec).initial();
    const sweepId = await store.upsertSweep({ name: 'epochs', metric: 'val_accuracy', goal: 'maximize', seed: spec.seed, specPath: null, specYaml: text });
    await store.addTrials(sweepId, spec.seed, spec.data, trials);
    const eligible = trials.map((t) => t.configId);
    const times = { each: [], together: [] };
    const meter = cpuMeter();
    for (let rep = 0; rep < REPS; rep++) {
      for (const way of rep % 2 === 0 ? ['each', 'together'] : ['together', 'each']) {
        const claim = await store.claimNext(sweepId, 'bench', eligible);
        const t0 = performance.now();
        if (way === 'each') for (const m of steps) await store.recordEpoch(claim, m, 'program');
        else await store.recordEpochs(claim, steps, 'program');
        times[way].push(performance.now() - t0);
        await store.failTrial(claim, 'bench', []);
      }
    }
    const each = median(times.each);
    const together = median(times.together);
    console.log(`${backend}: one transaction a step ${each.toFixed(1)} ms (${(each / STEPS).toFixed(2)} a step), one for all ${together.toFixed(1)} ms; `
      + `saved ${(each - together).toFixed(1)} ms a trial; CPUs ${((meter.busy() ?? NaN) * 100).toFixed(0)}% busy, ${((meter.others() ?? NaN) * 100).toFixed(0)}% by something else`);
    await store.close();
  });
}
