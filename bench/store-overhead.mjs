// npm run bench:store: orchestration per trial on SQLite and on PostgreSQL (the local server,
// a fresh database each time), interleaved, medians of 3; as a fraction of a one-epoch
// full-data ANN trial. PostgreSQL is `SWEEP_BENCH_PG` (default: the local server as postgres).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadFashionMnist } from '../dist/data/fashion-mnist.js';
import { PostgresStore } from '../dist/store/postgres.js';
import { SqliteStore } from '../dist/store/sqlite.js';
import { orchestration } from './orchestration.mjs';

const SERVER = process.env.SWEEP_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REPS = Number(process.env.BENCH_REPS ?? 3);

async function admin(sql) {
  const c = new pg.Client({ connectionString: SERVER });
  await c.connect();
  try { await c.query(sql); } finally { await c.end(); }
}

const backends = {
  sqlite: async (measure) => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-bench-'));
    try { return await measure(await SqliteStore.open(join(dir, 'sweeps.db'))); } finally { rmSync(dir, { recursive: true, force: true }); }
  },
  postgres: async (measure) => {
    const name = `sweep_bench_${process.pid}`;
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin(`CREATE DATABASE ${name}`);
    const url = new URL(SERVER);
    url.pathname = `/${name}`;
    try { return await measure(await PostgresStore.open(url.toString())); } finally { await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); }
  },
};

const dataset = await loadFashionMnist();
const results = { sqlite: [], postgres: [] };
for (let rep = 0; rep < REPS; rep++) {
  for (const [name, run] of Object.entries(backends)) {
    const r = await run((store) => orchestration(store, dataset));
    results[name].push(r);
    console.log(`${name} rep ${rep + 1}: ${(r.perTrialOverheadSeconds * 1000).toFixed(1)} ms per trial, ${(r.overheadFraction * 100).toFixed(2)}% of a ${r.meanTrialSeconds.toFixed(2)} s trial`);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [name, rs] of Object.entries(results)) {
  console.log(`${name}: median ${(median(rs.map((r) => r.perTrialOverheadSeconds)) * 1000).toFixed(1)} ms per trial besides training = ${(median(rs.map((r) => r.overheadFraction)) * 100).toFixed(2)}% of a ${median(rs.map((r) => r.meanTrialSeconds)).toFixed(2)} s one-epoch trial`);
}
