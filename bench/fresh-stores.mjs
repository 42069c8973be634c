// A fresh, empty store on each backend, for the benches that time the store itself: a SQLite
// file in a temporary folder, or a database of its own on SWEEP_BENCH_PG (default: the local
// server as postgres). Each entry runs `measure(store)` on one and removes it after.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PostgresStore } from '../dist/store/postgres.js';
import { SqliteStore } from '../dist/store/sqlite.js';

const SERVER = process.env.SWEEP_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function admin(sql) {
  const c = new pg.Client({ connectionString: SERVER });
  await c.connect();
  try { await c.query(sql); } finally { await c.end(); }
}

export const freshStores = {
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
