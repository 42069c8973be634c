// `npm run build && node bench/claims.mjs`: how fast PostgreSQL hands out trials. A sweep of
// 2,000 trials that train nothing; N claimers, each a PostgresStore of its own (as N processes
// on N hosts would be), claim until none is left. Reports claims/s, then claim-and-complete/s
// (a claim, then a completion with no epochs: the two writes every trial costs), for each N
// in BENCH_CLAIMERS (default "1,16"), and checks that every trial was claimed exactly once.
// BENCH_TRIALS sets the sweep's size; SWEEP_BENCH_PG the server (a database is made and dropped
// there), by default postgres://postgres@127.0.0.1:5432/postgres.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { expandGrid } from '../dist/search/grid.js';
import { parseSpec } from '../dist/spec/load-spec.js';
import { PostgresStore } from '../dist/store/postgres.js';

const SERVER = process.env.SWEEP_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TRIALS = Number(process.env.BENCH_TRIALS ?? 2000);
const CLAIMERS = (process.env.BENCH_CLAIMERS ?? '1,16').split(',').map(Number);

const admin = async (sql) => {
  const c = new pg.Client({ connectionString: SERVER });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
};

const dropouts = Array.from({ length: TRIALS }, (_, i) => (i / (2 * TRIALS)).toFixed(6));
const spec = parseSpec(`name: bench\nseed: 1\ngrid:\n  epochs: [1]\n  dropout: [${dropouts.join(', ')}]\n`, 'bench.yaml');
const trials = expandGrid(spec);
const eligible = trials.map((t) => t.configId);
const outcome = { backend: 'none', valAccuracy: 0.5, valLoss: 0.5, testAccuracy: 0.5, testLoss: 0.5, params: 0, seconds: 0, epochs: [], weightsSha256: '' };

/** A fresh database holding the sweep; N stores open on it. */
async function setUp(claimers) {
  const name = `sweep_bench_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const u = new URL(SERVER);
  u.pathname = `/${name}`;
  const first = await PostgresStore.open(u.toString());
  const sweepId = await first.upsertSweep({ name: 'bench', metric: 'val_accuracy', seed: 1, specPath: null, specYaml: '' });
  await first.addTrials(sweepId, spec.seed, spec.data, trials);
  const stores = [first, ...(await Promise.all(Array.from({ length: claimers - 1 }, () => PostgresStore.open(u.toString()))))];
  return {
    stores, sweepId,
    async tearDown() {
      await Promise.all(stores.map((s) => s.close()));
      await admin(`DROP DATABASE ${name} WITH (FORCE)`);
    },
  };
}

/** Every claimer claims (and, if `complete`, completes) until nothing is left; the claims and the seconds it took. */
async function race(stores, sweepId, complete) {
  const claimed = [];
  const started = performance.now();
  await Promise.all(stores.map(async (store, i) => {
    for (;;) {
      const claim = await store.claimNext(sweepId, `bench-${i}`, eligible);
      if (!claim) return;
      claimed.push(claim.trial.id);
      if (complete && !(await store.completeTrial(claim, outcome, null))) throw new Error(`claim of trial ${claim.trial.id} lost`);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  if (claimed.length !== TRIALS || new Set(claimed).size !== TRIALS) {
    throw new Error(`${claimed.length} claims of ${new Set(claimed).size} distinct trials; expected each of ${TRIALS} once`);
  }
  return seconds;
}

console.log(`${TRIALS} trials on ${new URL(SERVER).host}, node ${process.version}`);
for (const n of CLAIMERS) {
  for (const complete of [false, true]) {
    const { stores, sweepId, tearDown } = await setUp(n);
    try {
      const seconds = await race(stores, sweepId, complete);
      const what = complete ? 'claim+complete' : 'claim';
      console.log(`${String(n).padStart(3)} claimers  ${what.padEnd(14)}  ${(TRIALS / seconds).toFixed(0).padStart(6)} trials/s  (${seconds.toFixed(2)} s)`);
    } finally {
      await tearDown();
    }
  }
}
