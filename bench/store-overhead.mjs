// npm run bench:store: orchestration per trial on SQLite and on PostgreSQL (the local server,
// a fresh database each time), interleaved, medians of 3; as a fraction of a one-epoch
// full-data ANN trial. PostgreSQL is `SWEEP_BENCH_PG` (default: the local server as postgres).
import { loadFashionMnist } from '../dist/data/fashion-mnist.js';
import { freshStores } from './fresh-stores.mjs';
import { orchestration } from './orchestration.mjs';

const REPS = Number(process.env.BENCH_REPS ?? 3);

const dataset = await loadFashionMnist();
const results = { sqlite: [], postgres: [] };
for (let rep = 0; rep < REPS; rep++) {
  for (const [name, run] of Object.entries(freshStores)) {
    const r = await run((store) => orchestration(store, dataset));
    results[name].push(r);
    console.log(`${name} rep ${rep + 1}: ${(r.perTrialOverheadSeconds * 1000).toFixed(1)} ms per trial, ${(r.overheadFraction * 100).toFixed(2)}% of a ${r.meanTrialSeconds.toFixed(2)} s trial`);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [name, rs] of Object.entries(results)) {
  console.log(`${name}: median ${(median(rs.map((r) => r.perTrialOverheadSeconds)) * 1000).toFixed(1)} ms per trial besides training = ${(median(rs.map((r) => r.overheadFraction)) * 100).toFixed(2)}% of a ${median(rs.map((r) => r.meanTrialSeconds)).toFixed(2)} s one-epoch trial`);
}
