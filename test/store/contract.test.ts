import { spawnSync } from 'node:child_process';
import { builtInConfig } from '../../src/spec/code.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import net from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { UserError } from '../../src/errors.js';
import { expandGrid } from '../../src/search/grid.js';
import { parseSpec } from '../../src/spec/load-spec.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { SCHEMA_DOC } from '../../src/store/schema-doc.js';
import { SCHEMA_VERSION } from '../../src/store/schema.js';
import { HYPERPARAMETER_COLUMNS } from '../../src/store/rows.js';
import { BUILT_IN_METRICS } from '../../src/metrics/registry.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { Claim, Clock, Store } from '../../src/store/store.js';
import type { EpochMetrics, Trial, TrialOutcome, TrialRecord } from '../../src/trial/types.js';
import { createTestDb, dbUrl, PG_SERVER, withPg } from './pg-test-db.js';

/**
 * The Store contract (src/store/store.ts), held against both backends: every promise there
 * has a test here. PostgreSQL-only promises (the server's clock, connection loss, the URL)
 * follow, and last the two backends' answers to docs/database.md's queries, compared.
 */

type Row = Record<string, unknown>;
type OpenOptions = { leaseMs?: number; readonly?: boolean; clock?: Clock };

/** A fresh, empty database: stores opened on it (as separate processes would), and SQL run behind their backs. */
type Db = {
  open(options?: OpenOptions): Promise<Store>;
  /** Runs SQL on a connection of its own (with write access); the rows, if any. */
  raw(sql: string): Promise<Row[]>;
  /** Runs several statements at once, on a connection of its own. */
  exec(sql: string): Promise<void>;
  setSchemaVersion(version: number): Promise<void>;
};

/** What a beforeAll made, undone when the file's tests are done (vitest takes no hooks inside a beforeAll). */
const atFileEnd: (() => unknown)[] = [];
afterAll(async () => {
  for (const undo of atFileEnd.reverse()) await undo();
});

/** Runs `undo` when the current test finishes; outside a test, when the file's tests do. */
function atEnd(undo: () => unknown): void {
  try {
    onTestFinished(async () => void (await undo()));
  } catch {
    atFileEnd.push(undo);
  }
}

/** Every store a test opens is closed when it finishes. */
async function tracked<S extends Store>(opening: Promise<S>): Promise<S> {
  const store = await opening;
  atEnd(() => store.close().catch(() => {}));
  return store;
}

async function freshSqlite(): Promise<Db> {
  const dir = mkdtempSync(join(tmpdir(), 'sweep-contract-'));
  atEnd(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'sweeps.db');
  const raw = async (sql: string) => {
    const db = new Database(path);
    try {
      const stmt = db.prepare(sql);
      if (stmt.reader) return stmt.all() as Row[];
      stmt.run();
      return [];
    } finally {
      db.close();
    }
  };
  return {
    open: (o) => tracked(SqliteStore.open(path, o)),
    raw,
    exec: async (sql) => {
      const db = new Database(path);
      try {
        db.exec(sql);
      } finally {
        db.close();
      }
    },
    setSchemaVersion: async (v) => void (await raw(`PRAGMA user_version = ${v}`)),
  };
}

/** Bigints and numerics as numbers, as SQLite gives its integers. */
const NUMBERS = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === 20 || oid === 1700 ? Number : pg.types.getTypeParser(oid, format)),
} as pg.CustomTypesConfig;

async function freshPostgres(): Promise<Db> {
  return (await freshPostgresWithUrl()).db;
}

/** A fresh PostgreSQL database, its URL and name; `raw` runs on one connection of its own. */
async function freshPostgresWithUrl(): Promise<{ db: Db; url: string; name: string }> {
  const made = await createTestDb();
  atEnd(made.drop);
  const conn = new pg.Client({ connectionString: made.url, types: NUMBERS });
  conn.on('error', () => {});
  await conn.connect();
  atEnd(() => conn.end().catch(() => {}));
  const raw = async (sql: string) => (await conn.query<Row>(sql)).rows;
  return {
    url: made.url, name: made.name,
    db: {
      open: (o) => tracked(PostgresStore.open(made.url, o)),
      raw,
      exec: async (sql) => void (await conn.query(sql)),
      setSchemaVersion: async (v) => void (await raw(`UPDATE sweep_schema SET version = ${v}`)),
    },
  };
}

const BACKENDS = [['sqlite', freshSqlite], ['postgres', freshPostgres]] as const;

// --- Fixtures ---

/** A grid of `n` trials (ids 1..n in a fresh database), differing in dropout only. */
function grid(n: number, name = 's') {
  const dropouts = Array.from({ length: n }, (_, i) => (i / (2 * n)).toFixed(4));
  const spec = parseSpec(`name: ${name}\nseed: 3\ngrid:\n  dropout: [${dropouts.join(', ')}]\n`, `${name}.yaml`);
  return { spec, trials: expandGrid(spec) };
}

async function seeded(db: Db, n = 3, options: OpenOptions & { metric?: 'val_accuracy' | 'val_loss'; name?: string } = {}) {
  const store = await db.open(options);
  const { spec, trials } = grid(n, options.name);
  const sweepId = await store.upsertSweep({
    name: spec.name, metric: options.metric ?? 'val_accuracy', goal: options.metric === 'val_loss' ? 'minimize' : 'maximize', seed: spec.seed, specPath: `${spec.name}.yaml`, specYaml: `name: ${spec.name}`,
  });
  expect(await store.addTrials(sweepId, spec.seed, spec.data, trials)).toBe(n);
  return { store, sweepId, trials, eligible: trials.map((t) => t.configId), spec };
}

const epoch = (n: number, valAccuracy = 0.5 + n / 64): EpochMetrics =>
  ({ epoch: n, loss: 1 / n, accuracy: 0.5 + n / 32, valLoss: 1 / (n + 1), valAccuracy, seconds: 1.5 });

/** A completed trial's outcome: its validation metrics are its last epoch's, as a trained trial's are. */
const outcome = (valAccuracy: number, valLoss: number, epochs = 2): TrialOutcome => ({
  backend: 'wasm', valAccuracy, valLoss, testAccuracy: valAccuracy - 1 / 128, testLoss: 0.5, params: 101770, seconds: 3,
  latencyMs: 0.375, weightsSha256: 'w', epochs: Array.from({ length: epochs }, (_, i) => ({ ...epoch(i + 1, valAccuracy), ...(i === epochs - 1 ? { valLoss } : {}) })),
});

/** Claims the next eligible trial for `owner`, which must exist. */
async function claim(store: Store, sweepId: number, owner = 'me', eligible?: readonly string[]): Promise<Claim> {
  const ids = eligible ?? (await store.trials(sweepId)).map((t) => t.configId);
  const c = await store.claimNext(sweepId, owner, ids);
  expect(c, `a claim for ${owner}`).toBeDefined();
  return c!;
}

/** A clock a test moves on by hand: the store's own clock (the host's, the server's), run ahead by what the test advanced. */
class TestClock implements Clock {
  private ahead = 0;
  aheadMs(): number {
    return this.ahead;
  }
  advance(ms: number): void {
    this.ahead += ms;
  }
}

/** Polls `probe` until it gives something other than undefined/false, for at most `ms`. */
async function until<T>(probe: () => Promise<T | undefined | false>, ms = 5_000, every = 20): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/** Everything a refused or fenced-out write could have touched. */
async function state(db: Db): Promise<Row[][]> {
  const tables = [];
  for (const sql of ['SELECT * FROM sweeps ORDER BY id', 'SELECT * FROM trials ORDER BY id', 'SELECT * FROM epochs ORDER BY trial_id, epoch',
    'SELECT * FROM checkpoints ORDER BY trial_id', 'SELECT * FROM models ORDER BY trial_id',
    'SELECT * FROM param_values ORDER BY trial_id, name', 'SELECT * FROM reported_metrics ORDER BY trial_id, name, step']) {
    tables.push(await db.raw(sql));
  }
  return tables;
}

const rowsOf = (r: { columns: string[]; rows: unknown[][] }): Row[] =>
  r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i]])));

const REFUSED = 'only read-only statements that return rows are allowed (this one would write or change the connection)';
const MULTIPLE = /^the SQL holds more than one statement; give exactly one/;

describe.each(BACKENDS)('Store contract on %s', (backend, fresh) => {
  const isPg = backend === 'postgres';

  describe('opening', () => {
    it('creates the schema: the tables, views and columns schema-doc.ts documents, in order', async () => {
      const store = await (await fresh()).open();
      for (const r of SCHEMA_DOC) {
        const { columns } = await store.query(`SELECT * FROM ${r.name} WHERE 1 = 0`);
        expect(columns, r.name).toEqual(r.columns.map((c) => c.name));
      }
    });

    it('refuses a database written by a newer sweep, and leaves it alone', async () => {
      const db = await fresh();
      const { store } = await seeded(db);
      await store.close();
      await db.setSchemaVersion(SCHEMA_VERSION + 1);
      const before = await state(db);
      for (const readonly of [false, true]) {
        const opening = db.open({ readonly });
        await expect(opening).rejects.toThrow(UserError);
        await expect(opening).rejects.toThrow(
          new RegExp(`: written by a newer sweep \\(schema version ${SCHEMA_VERSION + 1}, this one knows up to ${SCHEMA_VERSION}\\)$`),
        );
      }
      expect(await state(db)).toEqual(before);
    });

    it('keeps what was recorded across reopening; a read-only store reads it and cannot write', async () => {
      const db = await fresh();
      const { store, sweepId } = await seeded(db);
      expect(await store.completeTrial(await claim(store, sweepId), outcome(0.75, 0.25), { node: '20' })).toBe(true);
      await store.close();
      const reader = await db.open({ readonly: true });
      expect(await reader.sweeps()).toEqual([expect.objectContaining({ name: 's', total: 3, completed: 1, pending: 2 })]);
      const before = await state(db);
      await expect(reader.upsertSweep({ name: 'x', metric: 'val_accuracy', goal: 'maximize', seed: 1, specPath: null, specYaml: '' })).rejects.toThrow();
      await expect(reader.claimNext(sweepId, 'me', (await reader.trials(sweepId)).map((t) => t.configId))).rejects.toThrow();
      expect(await state(db)).toEqual(before);
    });
  });

  describe('sweeps and trials', () => {
    it('upsertSweep creates a sweep once and updates its spec; addTrials adds each configuration once, pending', async () => {
      const db = await fresh();
      const { store, sweepId, trials, spec } = await seeded(db, 3);
      expect(await store.upsertSweep({ name: 's', metric: 'val_loss', goal: 'minimize', seed: 4, specPath: null, specYaml: 'changed' })).toBe(sweepId);
      expect(await store.sweep('s')).toMatchObject({ id: sweepId, metric: 'val_loss', seed: 4, specPath: null, specYaml: 'changed' });
      expect(await store.addTrials(sweepId, spec.seed, spec.data, trials)).toBe(0);
      const more = grid(5).trials;
      expect(await store.addTrials(sweepId, spec.seed, spec.data, more)).toBe(more.filter((t) => !trials.some((x) => x.configId === t.configId)).length);
      const all = await store.trials(sweepId);
      expect(all.filter((t) => t.status === 'pending')).toHaveLength(all.length);
      expect(all.map((t) => t.configId).slice(0, 3)).toEqual(trials.map((t) => t.configId));
      expect(new Set(all.map((t) => t.configId)).size).toBe(all.length);
    });

    it('stores one column per hyperparameter, queryable without JSON functions', async () => {
      const { store } = await seeded(await fresh(), 4);
      // label_smoothing: a configuration leaves it out at its default, and its column still says 0.
      expect(rowsOf(await store.query('SELECT dropout, units, model, epochs, learning_rate, label_smoothing FROM trials WHERE dropout > 0.2 ORDER BY dropout')))
        .toEqual([
          { dropout: 0.25, units: '[128]', model: 'ann', epochs: 7, learning_rate: 0.001, label_smoothing: 0 },
          { dropout: 0.375, units: '[128]', model: 'ann', epochs: 7, learning_rate: 0.001, label_smoothing: 0 },
        ]);
    });

    it('reads parse rows into domain objects: sweep, sweepById, trial, epochs', async () => {
      const { store, sweepId, trials, spec } = await seeded(await fresh(), 2);
      const c = await claim(store, sweepId, 'host:1:2');
      expect(await store.completeTrial(c, outcome(0.75, 0.25, 3), { node: '20.1', data: { sha: 'x' } })).toBe(true);
      const sweep = await store.sweep('s');
      expect(sweep).toEqual({
        id: sweepId, name: 's', metric: 'val_accuracy', goal: 'maximize', seed: 3, specPath: 's.yaml', specYaml: 'name: s', programSha256: null,
        environment: null, createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), updatedAt: sweep!.createdAt,
      });
      expect(await store.sweepById(sweepId)).toEqual(sweep);
      expect(await store.sweep('nope')).toBeUndefined();
      expect(await store.sweepById(999)).toBeUndefined();
      expect(await store.trial(c.trial.id)).toEqual({
        id: c.trial.id, sweepId, configId: trials[0].configId, config: trials[0].config, data: spec.data, seed: 3,
        status: 'completed', backend: 'wasm', startedAt: expect.stringMatching(/Z$/), finishedAt: expect.stringMatching(/Z$/),
        epochsDone: 3, attempts: 1, owner: 'host:1:2', resumedFrom: null, valAccuracy: 0.75, valLoss: 0.25,
        testAccuracy: 0.75 - 1 / 128, testLoss: 0.5, params: 101770, seconds: 3, latencyMs: 0.375, error: null, weightsSha256: 'w',
        environment: { node: '20.1', data: { sha: 'x' } }, reproOf: null, number: 0, search: null,
        // The sweep ranks on val_accuracy: its value at the last epoch, its one objective.
        metricValue: 0.75, objectiveValues: [0.75],
      });
      expect(await store.trial(999)).toBeUndefined();
      expect(await store.epochs(c.trial.id)).toEqual(outcome(0.75, 0.25, 3).epochs);
    });

    it('retryFailed puts only failed trials back in the queue, their errors cleared', async () => {
      const { store, sweepId } = await seeded(await fresh(), 3);
      const [a, b] = [await claim(store, sweepId), await claim(store, sweepId)];
      expect(await store.failTrial(a, 'boom', [])).toBe(true);
      expect(await store.completeTrial(b, outcome(0.75, 0.25), null)).toBe(true);
      expect(await store.retryFailed(sweepId)).toBe(1);
      expect(await store.trial(a.trial.id)).toMatchObject({ status: 'pending', error: null });
      expect(await store.trial(b.trial.id)).toMatchObject({ status: 'completed' });
      expect(await store.retryFailed(sweepId)).toBe(0);
      const again = await claim(store, sweepId);
      expect([again.trial.id, again.attempt]).toEqual([a.trial.id, 2]);
    });

    it('requeue drops the epochs and puts the trial back, pending; markReproduction links it', async () => {
      const { store, sweepId } = await seeded(await fresh(), 2);
      const a = await claim(store, sweepId);
      expect(await store.completeTrial(a, outcome(0.75, 0.25), null)).toBe(true);
      const b = await claim(store, sweepId);
      await store.markReproduction(b.trial.id, a.trial.id);
      await store.requeue(a.trial.id);
      expect(await store.trial(a.trial.id)).toMatchObject({ status: 'pending', epochsDone: 0, error: null });
      expect(await store.epochs(a.trial.id)).toEqual([]);
      expect(await store.trial(b.trial.id)).toMatchObject({ reproOf: a.trial.id });
    });
  });

  describe('claims', () => {
    it('claim the first eligible trial by id that is pending or interrupted, never one held, each claim a new attempt', async () => {
      const { store, sweepId, eligible } = await seeded(await fresh(), 4);
      const ids = (await store.trials(sweepId)).map((t) => t.id);
      // Only the eligible: the second and fourth.
      const some = [eligible[3], eligible[1]];
      expect((await store.claimNext(sweepId, 'A', some))?.trial.id).toBe(ids[1]);
      expect((await store.claimNext(sweepId, 'B', some))?.trial.id).toBe(ids[3]);
      expect(await store.claimNext(sweepId, 'A', some)).toBeUndefined();
      const first = await claim(store, sweepId, 'C', eligible);
      expect(first).toMatchObject({ attempt: 1, trial: { id: ids[0], status: 'running', owner: 'C', attempts: 1 } });
      expect(await store.interruptTrial(first)).toBe(true);
      expect(await store.trial(ids[0])).toMatchObject({ status: 'interrupted', owner: null });
      // Interrupted before pending (by id), as a new attempt.
      const again = await claim(store, sweepId, 'D', eligible);
      expect(again).toMatchObject({ attempt: 2, trial: { id: ids[0], owner: 'D', attempts: 2 } });
      expect((await claim(store, sweepId, 'D', eligible)).trial.id).toBe(ids[2]);
      expect(await store.claimNext(sweepId, 'E', eligible)).toBeUndefined();
      expect(await store.claimNext(sweepId, 'E', [])).toBeUndefined();
    });

    it('sixteen concurrent claimers (sixteen stores) never get the same attempt of a trial; each claim increments attempts', async () => {
      const db = await fresh();
      const { sweepId, eligible } = await seeded(db, 96);
      const stores = await Promise.all(Array.from({ length: 16 }, () => db.open()));
      for (const round of [1, 2]) {
        const claims: { owner: string; c: Claim }[] = [];
        await Promise.all(stores.map(async (s, i) => {
          for (let n = 0; n < 200; n++) {
            const c = await s.claimNext(sweepId, `w${i}`, eligible);
            if (!c) return;
            claims.push({ owner: `w${i}`, c });
          }
        }));
        const ids = claims.map(({ c }) => c.trial.id).sort((a, b) => a - b);
        expect(ids).toEqual(Array.from({ length: 96 }, (_, i) => i + 1));
        expect(new Set(claims.map(({ c }) => c.attempt))).toEqual(new Set([round]));
        // More than one claimer won some: they did compete.
        expect(new Set(claims.map(({ owner }) => owner)).size).toBeGreaterThan(1);
        const rows = await db.raw('SELECT id, status, owner, attempts FROM trials ORDER BY id');
        expect(rows).toEqual(claims.map(({ owner, c }) => ({ id: c.trial.id, status: 'running', owner, attempts: round }))
          .sort((a, b) => a.id - b.id));
        for (let i = 0; i < 16; i++) await stores[i].releaseOwned(`w${i}`);
      }
    });

    it("a write under an earlier attempt's claim changes nothing and returns false, for every write", async () => {
      const db = await fresh();
      const { store, sweepId } = await seeded(db, 1);
      const old = await claim(store, sweepId, 'A');
      expect(await store.recordEpoch(old, epoch(1), 'wasm')).toBe(true);
      expect(await store.recordEpoch(old, epoch(2), 'wasm')).toBe(true);
      // A is cut off; its trial goes back to the queue and B takes it over.
      await store.releaseOwned('A');
      const current = await claim(store, sweepId, 'B');
      expect(current.attempt).toBe(old.attempt + 1);
      expect(await store.resumeAt(current, [epoch(1)], 'cpu')).toBe(true);

      const late = {
        resumeAt: () => store.resumeAt(old, [], 'wasm'),
        recordEpoch: () => store.recordEpoch(old, epoch(3), 'wasm'),
        recordEpochs: () => store.recordEpochs(old, [epoch(3), epoch(4)], 'wasm'),
        completeTrial: () => store.completeTrial(old, outcome(0.75, 0.25, 3), null),
        failTrial: () => store.failTrial(old, 'late', [epoch(1), epoch(2), epoch(3)], 'wasm'),
        interruptTrial: () => store.interruptTrial(old),
      };
      const before = await state(db);
      for (const [name, write] of Object.entries(late)) {
        expect(await write(), name).toBe(false);
        expect(await state(db), name).toEqual(before);
      }
      expect(await store.trial(current.trial.id)).toMatchObject({ status: 'running', owner: 'B', attempts: 2, epochsDone: 1, backend: 'cpu' });

      // Once its trial completed, the current claim writes nothing either.
      expect(await store.completeTrial(current, outcome(0.5, 0.5, 2), null)).toBe(true);
      const done = await state(db);
      expect(await store.recordEpoch(current, epoch(3))).toBe(false);
      expect(await store.failTrial(current, 'late', [])).toBe(false);
      expect(await store.interruptTrial(current)).toBe(false);
      expect(await store.resumeAt(current, [], 'wasm')).toBe(false);
      expect(await store.completeTrial(current, outcome(0.9, 0.1, 2), null)).toBe(false);
      expect(await state(db)).toEqual(done);
    });
  });

  describe('leases', () => {
    // A minute, as in production: each test moves the store's clock on instead of waiting.
    const LEASE = 60_000;
    // What the tests leave between a lease's end and the time they look: the real time a test
    // takes (the store's own clock still ticks under a test clock) stays far below it.
    const MARGIN = 10_000;

    it("a claim holds its trial for the lease, then anyone may take it over; the late owner's writes are refused", async () => {
      const db = await fresh();
      const clock = new TestClock();
      const { store: a, sweepId, eligible } = await seeded(db, 1, { leaseMs: LEASE, clock });
      const b = await db.open({ leaseMs: LEASE, clock });
      const first = await claim(a, sweepId, 'A', eligible);
      expect(await b.claimNext(sweepId, 'B', eligible)).toBeUndefined();
      clock.advance(LEASE - MARGIN);
      expect(await b.claimNext(sweepId, 'B', eligible)).toBeUndefined();
      clock.advance(2 * MARGIN);
      const second = await b.claimNext(sweepId, 'B', eligible);
      expect(second).toMatchObject({ attempt: 2, trial: { id: first.trial.id, owner: 'B', status: 'running' } });
      expect(await a.recordEpoch(first, epoch(1))).toBe(false);
      expect(await b.recordEpoch(second!, epoch(1))).toBe(true);
    });

    it("a heartbeat extends all of its owner's leases", async () => {
      const db = await fresh();
      const clock = new TestClock();
      const { store: a, sweepId, eligible } = await seeded(db, 2, { leaseMs: LEASE, clock });
      const b = await db.open({ leaseMs: LEASE, clock });
      const held = [await claim(a, sweepId, 'A', eligible), await claim(a, sweepId, 'A', eligible)];
      // Four leases' worth of time, a heartbeat every half of one: nothing to take.
      for (let beat = 0; beat < 8; beat++) {
        clock.advance(LEASE / 2);
        await a.heartbeat('A');
        expect(await b.claimNext(sweepId, 'B', eligible)).toBeUndefined();
        expect(await b.releaseExpired(sweepId)).toBe(0);
      }
      // Another owner's heartbeat does not count: a lease after A's last, its trials are taken.
      clock.advance(LEASE - MARGIN);
      await b.heartbeat('B');
      expect(await b.claimNext(sweepId, 'B', eligible)).toBeUndefined();
      clock.advance(2 * MARGIN);
      await b.heartbeat('B');
      const taken = await b.claimNext(sweepId, 'B', eligible);
      expect(held.map((c) => c.trial.id)).toContain(taken?.trial.id);
    });

    it('releaseExpired re-queues, as interrupted, the running trials whose lease is over, and only those', async () => {
      const db = await fresh();
      const clock = new TestClock();
      const { store, sweepId, eligible } = await seeded(db, 3, { leaseMs: LEASE, clock });
      const [silent, alive] = [await claim(store, sweepId, 'silent', eligible), await claim(store, sweepId, 'alive', eligible)];
      expect(await store.releaseExpired(sweepId)).toBe(0);
      clock.advance(LEASE / 2 + MARGIN);
      await store.heartbeat('alive');
      expect(await store.releaseExpired(sweepId)).toBe(0);
      clock.advance(LEASE / 2 + MARGIN);
      expect(await store.releaseExpired(sweepId)).toBe(1);
      expect(await store.trial(silent.trial.id)).toMatchObject({ status: 'interrupted', owner: null });
      expect(await store.trial(alive.trial.id)).toMatchObject({ status: 'running', owner: 'alive' });
      expect((await store.trials(sweepId)).map((t) => t.status).sort()).toEqual(['interrupted', 'pending', 'running']);
      expect(await store.recordEpoch(silent, epoch(1))).toBe(false);
    });

    it(`without a test clock a lease runs out on ${isPg ? "the server's" : "the host's"} own clock`, async () => {
      // The one test that waits for a lease, a short one.
      const SHORT = 100;
      const db = await fresh();
      const { store: a, sweepId, eligible } = await seeded(db, 1, { leaseMs: SHORT });
      const b = await db.open({ leaseMs: SHORT });
      const started = Date.now();
      const first = await claim(a, sweepId, 'A', eligible);
      const second = await until(() => b.claimNext(sweepId, 'B', eligible), 5_000, 10);
      expect(Date.now() - started).toBeGreaterThanOrEqual(SHORT - 5);
      expect(second).toMatchObject({ attempt: 2, trial: { id: first.trial.id, owner: 'B' } });
    });

    it(`an owner on this host whose process is gone: ${isPg ? 'its lease still holds (a pid means nothing across hosts)' : 'its trials are taken at once'}`, async () => {
      const db = await fresh();
      const { store, sweepId, eligible } = await seeded(db, 1, { leaseMs: 60_000 });
      const gone = spawnSync(process.execPath, ['-e', '']).pid;
      const owner = `${hostname()}:${gone}:unknown`;
      const held = await claim(store, sweepId, owner, eligible);
      const other = await db.open({ leaseMs: 60_000 });
      if (isPg) {
        expect(await other.claimNext(sweepId, 'B', eligible)).toBeUndefined();
        expect(await other.releaseExpired(sweepId)).toBe(0);
      } else {
        expect(await other.releaseExpired(sweepId)).toBe(1);
        expect(await other.claimNext(sweepId, 'B', eligible)).toMatchObject({ attempt: 2, trial: { id: held.trial.id, owner: 'B' } });
      }
    });

    it('releaseOwned re-queues every trial its owner runs, and no one else\'s', async () => {
      const { store, sweepId } = await seeded(await fresh(), 3);
      const mine = [await claim(store, sweepId, 'me'), await claim(store, sweepId, 'me')];
      const theirs = await claim(store, sweepId, 'them');
      await store.releaseOwned('me');
      for (const c of mine) expect(await store.trial(c.trial.id)).toMatchObject({ status: 'interrupted', owner: null });
      expect(await store.trial(theirs.trial.id)).toMatchObject({ status: 'running', owner: 'them' });
    });
  });

  describe('writes', () => {
    it('resumeAt records the restored epochs and drops later ones of an earlier attempt', async () => {
      const { store, sweepId } = await seeded(await fresh(), 1);
      const first = await claim(store, sweepId, 'A');
      for (const n of [1, 2, 3]) expect(await store.recordEpoch(first, epoch(n), 'wasm')).toBe(true);
      await store.releaseOwned('A');
      const second = await claim(store, sweepId, 'B');
      // The checkpoint held epoch 1 and 2; epoch 2's row is recorded again, as the checkpoint has it.
      expect(await store.resumeAt(second, [epoch(1), epoch(2, 0.125)], 'cpu')).toBe(true);
      expect(await store.epochs(second.trial.id)).toEqual([epoch(1), epoch(2, 0.125)]);
      expect(await store.trial(second.trial.id)).toMatchObject({ epochsDone: 2, resumedFrom: 2, backend: 'cpu' });
      expect(await store.resumeAt(second, [], 'wasm')).toBe(true);
      expect(await store.epochs(second.trial.id)).toEqual([]);
      expect(await store.trial(second.trial.id)).toMatchObject({ epochsDone: 0, resumedFrom: null, backend: 'wasm' });
    });

    it('recordEpoch replaces the same epoch and keeps epochs_done at the highest; a backend sticks', async () => {
      const { store, sweepId } = await seeded(await fresh(), 1);
      const c = await claim(store, sweepId);
      expect(await store.recordEpoch(c, epoch(1), 'wasm')).toBe(true);
      expect(await store.recordEpoch(c, epoch(2))).toBe(true);
      expect(await store.recordEpoch(c, epoch(1, 0.25))).toBe(true);
      expect(await store.epochs(c.trial.id)).toEqual([epoch(1, 0.25), epoch(2)]);
      expect(await store.trial(c.trial.id)).toMatchObject({ epochsDone: 2, backend: 'wasm', status: 'running' });
    });

    it('recordEpochs records several epochs in order in one write, with the checkpoint and the decision of the last', async () => {
      const { store, sweepId } = await seeded(await fresh(), 1);
      const c = await claim(store, sweepId);
      const d = { scheduler: 'asha', rung: 0, bracket: null, value: 0.75, threshold: 0.5, compared: [0.5], verdict: 'continue' } as const;
      expect(await store.recordEpochs(c, [epoch(1), epoch(2), epoch(3, 0.75)], 'wasm', new Uint8Array([3]), d)).toBe(true);
      expect(await store.epochs(c.trial.id)).toEqual([epoch(1), epoch(2), epoch(3, 0.75)]);
      expect(await store.trial(c.trial.id)).toMatchObject({ epochsDone: 3, backend: 'wasm', status: 'running' });
      expect((await store.decisions(sweepId)).map((x) => [x.epoch, x.metricAtEpoch])).toEqual([[3, 0.75]]);
      expect(await store.checkpoint(c.trial.id)).toEqual(new Uint8Array([3]));
    });

    it('completeTrial records the outcome, every epoch and the environment at once, or nothing', async () => {
      const db = await fresh();
      const { store, sweepId } = await seeded(db, 1);
      const c = await claim(store, sweepId);
      expect(await store.recordEpoch(c, epoch(1), 'cpu')).toBe(true);
      // The last epoch breaks a constraint (epoch >= 1): the whole completion is rolled back.
      const broken = outcome(0.75, 0.25, 3);
      broken.epochs.push({ ...epoch(1), epoch: -1 });
      const before = await state(db);
      await expect(store.completeTrial(c, broken, { node: '20' })).rejects.toThrow();
      expect(await state(db)).toEqual(before);
      const good = outcome(0.75, 0.25, 3);
      expect(await store.completeTrial(c, good, { node: '20' })).toBe(true);
      expect(await store.trial(c.trial.id)).toMatchObject({
        status: 'completed', epochsDone: 3, valAccuracy: 0.75, valLoss: 0.25, backend: 'wasm', environment: { node: '20' },
        finishedAt: expect.stringMatching(/Z$/),
      });
      expect(await store.epochs(c.trial.id)).toEqual(good.epochs);
    });

    it('keeps the checkpoint of the last recorded epoch with it, then the model of a completed trial instead', async () => {
      const db = await fresh();
      const { store, sweepId } = await seeded(db, 2);
      const c = await claim(store, sweepId);
      // Every byte value, so that no text encoding on the way goes unnoticed.
      const blob = (n: number) => Uint8Array.from({ length: 4096 }, (_, i) => (i * n + n) % 256);
      expect(await store.checkpoint(c.trial.id)).toBeNull();
      expect(await store.recordEpoch(c, epoch(1), 'wasm', blob(1))).toBe(true);
      expect(await store.recordEpoch(c, epoch(2), 'wasm', blob(2))).toBe(true);
      expect(await store.checkpoint(c.trial.id)).toEqual(blob(2));
      // Another attempt's resume reads it; the earlier attempt, fenced out, changes neither epoch nor checkpoint.
      await store.releaseOwned('me');
      const again = await claim(store, sweepId, 'other');
      expect(again.trial.id).toBe(c.trial.id);
      expect(await store.checkpoint(again.trial.id)).toEqual(blob(2));
      const before = await state(db);
      expect(await store.recordEpoch(c, epoch(3), 'wasm', blob(3))).toBe(false);
      expect(await state(db)).toEqual(before);
      // Completion stores the model, whole, and the checkpoint goes.
      const model = { modelJson: '{"format":"layers-model"}', weights: blob(7) };
      expect(await store.model(again.trial.id)).toBeUndefined();
      expect(await store.completeTrial(again, outcome(0.8, 0.2), null, model)).toBe(true);
      expect(await store.model(again.trial.id)).toEqual(model);
      expect(await store.checkpoint(again.trial.id)).toBeNull();
      // Trained again from scratch: neither is left.
      await store.requeue(again.trial.id);
      expect(await store.model(again.trial.id)).toBeUndefined();
    });

    it('failTrial records the error and the epochs it finished at once, or nothing', async () => {
      const db = await fresh();
      const { store, sweepId } = await seeded(db, 1);
      const c = await claim(store, sweepId);
      const before = await state(db);
      await expect(store.failTrial(c, 'NaN', [epoch(1), { ...epoch(2), epoch: -1 }], 'cpu')).rejects.toThrow();
      expect(await state(db)).toEqual(before);
      expect(await store.failTrial(c, 'loss became NaN in epoch 3', [epoch(1), epoch(2)], 'cpu')).toBe(true);
      expect(await store.trial(c.trial.id)).toMatchObject({
        status: 'failed', error: 'loss became NaN in epoch 3', epochsDone: 2, backend: 'cpu', owner: 'me',
      });
      expect(await store.epochs(c.trial.id)).toEqual([epoch(1), epoch(2)]);
    });

    it('recordEpoch(s) and resumeAt write whole or not at all', async () => {
      const db = await fresh();
      const { store, sweepId } = await seeded(db, 1);
      const c = await claim(store, sweepId);
      expect(await store.recordEpoch(c, epoch(1), 'wasm')).toBe(true);
      const before = await state(db);
      await expect(store.recordEpoch(c, { ...epoch(2), epoch: -1 }, 'cpu')).rejects.toThrow();
      await expect(store.resumeAt(c, [epoch(1), { ...epoch(2), epoch: -1 }], 'cpu')).rejects.toThrow();
      // The first epoch of a batch would be fine alone: it is not kept either.
      await expect(store.recordEpochs(c, [epoch(2), { ...epoch(3), epoch: -1 }], 'cpu')).rejects.toThrow();
      expect(await state(db)).toEqual(before);
    });
  });

  describe('reads', () => {
    it('readers never see a half-recorded trial: a completed one always has all its epochs', async () => {
      const db = await fresh();
      const { store: writer, sweepId, eligible } = await seeded(db, 40);
      const reader = await db.open();
      let writing = true;
      const writes = (async () => {
        try {
          for (let i = 0; i < 40; i++) {
            const c = await claim(writer, sweepId, 'w', eligible);
            expect(await writer.resumeAt(c, [], 'wasm')).toBe(true);
            expect(await writer.completeTrial(c, outcome(0.5 + i / 128, 0.25, 4), null)).toBe(true);
          }
        } finally {
          writing = false;
        }
      })();
      let seen = 0;
      while (writing) {
        for (const t of await reader.snapshot(sweepId)) {
          if (t.status === 'completed') {
            expect(t.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
            seen++;
          } else {
            expect(t.epochs).toEqual([]);
          }
        }
      }
      await writes;
      // The reader looked while trials were being completed, not only before or after.
      expect(seen).toBeGreaterThan(0);
    });

    /** Three completed trials whose losses rank them apart from their accuracies, one failed, one running, one pending. */
    async function ranked(metric: 'val_accuracy' | 'val_loss') {
      const { store, sweepId } = await seeded(await fresh(), 6, { metric });
      const c = [];
      for (let i = 0; i < 5; i++) c.push(await claim(store, sweepId));
      // Accuracy ranks 1, 3, 2; loss (lowest first) ranks 2, 3, 1; the highest loss (1) would rank 1, 3, 2.
      expect(await store.completeTrial(c[0], outcome(0.875, 0.5), null)).toBe(true);
      expect(await store.completeTrial(c[1], outcome(0.625, 0.125), null)).toBe(true);
      expect(await store.completeTrial(c[2], outcome(0.75, 0.25), null)).toBe(true);
      expect(await store.failTrial(c[3], 'boom', [epoch(1)])).toBe(true);
      return { store, sweepId, ids: c.map((x) => x.trial.id), pending: 6 };
    }

    it('trials(): completed ones by val_accuracy, best first, then the rest by id', async () => {
      const { store, sweepId, ids, pending } = await ranked('val_accuracy');
      expect((await store.trials(sweepId)).map((t) => t.id)).toEqual([ids[0], ids[2], ids[1], ids[3], ids[4], pending]);
      expect(rowsOf(await store.query('SELECT rank, trial_id FROM leaderboard ORDER BY rank'))).toEqual(
        [{ rank: 1, trial_id: ids[0] }, { rank: 2, trial_id: ids[2] }, { rank: 3, trial_id: ids[1] }],
      );
    });

    it('trials(): completed ones by lowest val_loss when that is the metric', async () => {
      const { store, sweepId, ids, pending } = await ranked('val_loss');
      expect((await store.trials(sweepId)).map((t) => t.id)).toEqual([ids[1], ids[2], ids[0], ids[3], ids[4], pending]);
      expect(rowsOf(await store.query('SELECT trial_id FROM best_per_sweep'))).toEqual([{ trial_id: ids[1] }]);
    });

    it('sweeps(): every sweep, oldest first, with its counts and best value', async () => {
      const { store } = await ranked('val_loss');
      const other = grid(2, 'acc');
      const accId = await store.upsertSweep({ name: 'acc', metric: 'val_accuracy', goal: 'maximize', seed: 3, specPath: null, specYaml: '' });
      await store.addTrials(accId, 3, other.spec.data, other.trials);
      expect(await store.completeTrial(await claim(store, accId), outcome(0.625, 0.125), null)).toBe(true);
      await store.upsertSweep({ name: 'empty', metric: 'val_accuracy', goal: 'maximize', seed: 1, specPath: null, specYaml: '' });
      const stamp = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(await store.sweeps()).toEqual([
        { name: 's', metric: 'val_loss', goal: 'minimize', createdAt: stamp, updatedAt: stamp, total: 6, completed: 3, failed: 1, pruned: 0, running: 1, pending: 1, best: 0.125 },
        { name: 'acc', metric: 'val_accuracy', goal: 'maximize', createdAt: stamp, updatedAt: stamp, total: 2, completed: 1, failed: 0, pruned: 0, running: 0, pending: 1, best: 0.625 },
        { name: 'empty', metric: 'val_accuracy', goal: 'maximize', createdAt: stamp, updatedAt: stamp, total: 0, completed: 0, failed: 0, pruned: 0, running: 0, pending: 0, best: null },
      ]);
    });

    it('snapshot(): the trials ranked as trials(), each with its epochs in order', async () => {
      const { store, sweepId, ids } = await ranked('val_accuracy');
      const snap = await store.snapshot(sweepId);
      const trials = await store.trials(sweepId);
      expect(snap.map((t) => t.id)).toEqual(trials.map((t) => t.id));
      for (const [i, t] of trials.entries()) {
        expect(snap[i]).toEqual({
          id: t.id, configId: t.configId, config: t.config, status: t.status, backend: t.backend, epochs: await store.epochs(t.id),
          valAccuracy: t.valAccuracy, valLoss: t.valLoss, testAccuracy: t.testAccuracy, seconds: t.seconds, startedAt: t.startedAt, error: t.error,
          metricValue: t.metricValue,
        });
      }
      expect(snap.find((t) => t.id === ids[0])?.epochs).toEqual(outcome(0.875, 0.5).epochs);
      expect(snap.find((t) => t.id === ids[3])?.epochs).toEqual([epoch(1)]);
    });
  });

  describe('search and early stopping', () => {
    const prune = { scheduler: 'asha', rung: 0, bracket: null, value: 0.5, threshold: 0.75, compared: [0.75, 0.5, NaN], verdict: 'prune' } as const;

    it('numbers trials 0, 1, … in the order added; trials added later go on from the last number', async () => {
      const { store, sweepId, trials, spec } = await seeded(await fresh(), 3);
      const have = new Set(trials.map((t) => t.configId));
      const fresh2 = grid(7).trials.filter((t) => !have.has(t.configId)).slice(0, 2);
      // Old and new interleaved: only the two new ones are added, numbered 3 and 4 in the order given.
      expect(await store.addTrials(sweepId, spec.seed, spec.data, [trials[0], fresh2[0], trials[1], fresh2[1]])).toBe(2);
      const byNumber = (await store.trials(sweepId)).sort((a, b) => a.number - b.number);
      expect(byNumber.map((t) => t.number)).toEqual([0, 1, 2, 3, 4]);
      expect(byNumber.map((t) => t.configId)).toEqual([...trials, ...fresh2].map((t) => t.configId));
    });

    it('proposeTrial shows the proposer every trial and the new number, and records what it returns', async () => {
      const { store, sweepId, spec } = await seeded(await fresh(), 2);
      const extra = grid(3).trials[2];
      let seen: number[] = [];
      const added = await store.proposeTrial(sweepId, spec.seed, spec.data, (trials, number) => {
        seen = trials.map((t) => t.number);
        expect(number).toBe(2);
        return { ...extra, search: { method: 'tpe', complete: [0, 1] } };
      });
      expect(seen).toEqual([0, 1]);
      expect(added).toMatchObject({ number: 2, configId: extra.configId, status: 'pending', search: { method: 'tpe', complete: [0, 1] } });
      // A proposal whose configuration is there already adds nothing; so does declining.
      expect(await store.proposeTrial(sweepId, spec.seed, spec.data, () => extra)).toBeUndefined();
      expect(await store.proposeTrial(sweepId, spec.seed, spec.data, () => undefined)).toBeUndefined();
      expect(await store.trials(sweepId)).toHaveLength(3);
    });

    it('two proposers at once (two stores) never see the same trials: the second sees the first one\'s proposal', async () => {
      const db = await fresh();
      const { store: a, sweepId, spec } = await seeded(db, 1);
      const b = await db.open();
      const candidates = grid(12).trials.slice(1);
      const seenBy: number[][] = [];
      const propose = (store: Store) => store.proposeTrial(sweepId, spec.seed, spec.data, (trials, number) => {
        seenBy.push(trials.map((t) => t.number));
        // Each proposes the first configuration nobody has: a proposer that saw a stale list would collide.
        const have = new Set(trials.map((t) => t.configId));
        expect(number).toBe(trials.length);
        return candidates.find((t) => !have.has(t.configId));
      });
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => propose(i % 2 ? a : b)));
      expect(results.every((r) => r !== undefined)).toBe(true);
      expect(results.map((r) => (r as TrialRecord).number).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(seenBy.map((s) => s.length).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });

    it('recordEpoch keeps a continue decision with its epoch; decisions() reads it back, NaN included', async () => {
      const { store, sweepId } = await seeded(await fresh(), 2);
      const c = await claim(store, sweepId);
      const d = { scheduler: 'asha', rung: 0, bracket: null, value: 0.75, threshold: 0.5, compared: [0.5, 0.75, NaN], verdict: 'continue' } as const;
      expect(await store.recordEpoch(c, epoch(1, 0.75), 'wasm', new Uint8Array([1]), d)).toBe(true);
      expect(await store.decisions(sweepId)).toEqual([{ ...d, trialId: c.trial.id, number: 0, epoch: 1, metricAtEpoch: 0.75 }]);
      expect((await store.trial(c.trial.id))!.status).toBe('running');
      expect(await store.checkpoint(c.trial.id)).toEqual(new Uint8Array([1]));
    });

    it('a prune decision ends the trial with its epoch, in one write: pruned, this epoch\'s metrics, no checkpoint, done', async () => {
      const { store, sweepId, eligible } = await seeded(await fresh(), 2);
      const c = await claim(store, sweepId, 'me', eligible.slice(0, 1));
      expect(await store.recordEpoch(c, epoch(1), 'wasm', new Uint8Array([1]))).toBe(true);
      expect(await store.recordEpoch(c, epoch(2, 0.5), 'wasm', new Uint8Array([2]), prune)).toBe(true);
      const t = (await store.trial(c.trial.id))!;
      expect(t).toMatchObject({ status: 'pruned', epochsDone: 2, valAccuracy: 0.5, valLoss: epoch(2).valLoss, owner: 'me', testAccuracy: null, seconds: 3 });
      expect(await store.checkpoint(c.trial.id)).toBeNull();
      expect((await store.decisions(sweepId)).map((x) => [x.epoch, x.verdict])).toEqual([[2, 'prune']]);
      // The claim is over: later writes are refused, and nobody claims a pruned trial again.
      expect(await store.recordEpoch(c, epoch(3), 'wasm')).toBe(false);
      expect(await store.claimNext(sweepId, 'other', eligible.slice(0, 1))).toBeUndefined();
      expect((await store.sweeps())[0]).toMatchObject({ total: 2, pruned: 1, completed: 0, pending: 1 });
      // Ranked after the completed ones, and never in the leaderboard.
      expect(rowsOf(await store.query("SELECT COUNT(*) AS n FROM leaderboard"))).toEqual([{ n: 0 }]);
    });

    it('a prune decision on the last of several epochs ends the trial with all of them, in one write', async () => {
      const { store, sweepId, eligible } = await seeded(await fresh(), 2);
      const c = await claim(store, sweepId, 'me', eligible.slice(0, 1));
      expect(await store.recordEpochs(c, [epoch(1), epoch(2, 0.5)], 'wasm', null, prune)).toBe(true);
      expect(await store.trial(c.trial.id)).toMatchObject({ status: 'pruned', epochsDone: 2, valAccuracy: 0.5, seconds: 3 });
      expect(await store.epochs(c.trial.id)).toEqual([epoch(1), epoch(2, 0.5)]);
      expect((await store.decisions(sweepId)).map((x) => [x.epoch, x.verdict])).toEqual([[2, 'prune']]);
      expect(await store.recordEpochs(c, [epoch(3)], 'wasm')).toBe(false);
    });

    it('resumeAt drops the decisions of epochs after the checkpoint; requeue drops them all', async () => {
      const { store, sweepId } = await seeded(await fresh(), 1);
      const c = await claim(store, sweepId);
      const keep = { ...prune, verdict: 'continue' } as const;
      await store.recordEpoch(c, epoch(1), 'wasm', new Uint8Array([1]), keep);
      await store.recordEpoch(c, epoch(3), 'wasm', new Uint8Array([3]), keep);
      await store.interruptTrial(c);
      const again = await claim(store, sweepId);
      expect(await store.resumeAt(again, [epoch(1)], 'wasm')).toBe(true);
      expect((await store.decisions(sweepId)).map((x) => x.epoch)).toEqual([1]);
      await store.interruptTrial(again);
      await store.requeue(c.trial.id);
      expect(await store.decisions(sweepId)).toEqual([]);
    });
  });

  describe('parameters and metrics as data', () => {
    const metricsOf = async (store: Store, trialId: number) =>
      rowsOf(await store.query(`SELECT name, step, value FROM trial_metrics WHERE trial_id = ${trialId} ORDER BY name, step`));

    it('a trial of the user\'s code: NULL in every hyperparameter column but model, its parameters by their names, its steps from 0, NaN as NULL', async () => {
      const store = await (await fresh()).open();
      const sweepId = await store.upsertSweep({
        name: 'p', metric: 'validation_loss', goal: 'minimize', seed: 1, specPath: 'p.yaml', specYaml: 'name: p', programSha256: 'ab'.repeat(32),
      });
      const config = { model: 'program' as const, params: { lr: 0.01, layers: [64, 32], name: 'a b', flag: true } };
      expect(await store.addTrials(sweepId, 1, { validationSplit: 0.1 }, [{ configId: 'code1', config }])).toBe(1);
      expect((await store.sweep('p'))!.programSha256).toBe('ab'.repeat(32));
      const c = await claim(store, sweepId);
      expect(c.trial.config).toEqual(config);
      const [columns] = rowsOf(await store.query(`SELECT * FROM trials WHERE id = ${c.trial.id}`));
      expect(HYPERPARAMETER_COLUMNS.filter((k) => columns[k] !== null)).toEqual(['model']);
      expect(columns.model).toBe('program');
      expect(rowsOf(await store.query(`SELECT name, value, number FROM trial_params WHERE trial_id = ${c.trial.id} ORDER BY name`))).toEqual([
        { name: 'flag', value: 'true', number: 1 }, { name: 'layers', value: '[64,32]', number: null },
        { name: 'lr', value: '0.01', number: 0.01 }, { name: 'name', value: 'a b', number: null },
      ]);
      // Steps as the code counts them, from 0; a metric it did not report (NaN) is no row.
      const step = (n: number, v: number): EpochMetrics => ({ epoch: n, loss: NaN, accuracy: NaN, valLoss: NaN, valAccuracy: NaN, seconds: 0.5, reported: { validation_loss: v } });
      expect(await store.recordEpoch(c, step(0, 0.9), 'program')).toBe(true);
      expect(await store.recordEpoch(c, step(1, NaN), 'program')).toBe(true);
      const done: TrialOutcome = {
        backend: 'program', valAccuracy: NaN, valLoss: NaN, testAccuracy: NaN, testLoss: NaN, params: NaN, seconds: 1,
        weightsSha256: null, epochs: [step(0, 0.9), step(1, NaN), step(2, 0.5)],
      };
      expect(await store.completeTrial(c, done, null)).toBe(true);
      expect(await metricsOf(store, c.trial.id)).toEqual([
        { name: 'epoch_seconds', step: 0, value: 0.5 }, { name: 'epoch_seconds', step: 1, value: 0.5 }, { name: 'epoch_seconds', step: 2, value: 0.5 },
        { name: 'train_seconds', step: 2, value: 1 },
        { name: 'validation_loss', step: 0, value: 0.9 }, { name: 'validation_loss', step: 2, value: 0.5 },
      ]);
      const t = (await store.trial(c.trial.id))!;
      expect(t).toMatchObject({ status: 'completed', epochsDone: 2, metricValue: 0.5, valAccuracy: null, weightsSha256: null });
      expect((await store.epochs(t.id)).map((e) => [e.epoch, e.loss, e.reported?.validation_loss])).toEqual([[0, NaN, 0.9], [1, NaN, NaN], [2, NaN, 0.5]]);
    });

    it('recordLogs keeps each attempt\'s output apart, replaces an attempt\'s own, and writes nothing once a later attempt began', async () => {
      const { store, sweepId } = await seeded(await fresh(), 1);
      const first = await claim(store, sweepId);
      const logs = (out: string, err: string) => ({ stdout: { text: out, bytes: out.length + 100 }, stderr: { text: err, bytes: err.length } });
      expect(await store.recordLogs(first, logs('a', 'x'))).toBe(true);
      expect(await store.recordLogs(first, logs('ab', 'xy'))).toBe(true);
      // Logs are kept after the attempt ended (a pruned program is still stopping when they come).
      expect(await store.failTrial(first, 'boom', [])).toBe(true);
      expect(await store.recordLogs(first, logs('abc', 'xyz'))).toBe(true);
      await store.retryFailed(sweepId);
      const second = await claim(store, sweepId);
      expect(await store.recordLogs(first, logs('late', ''))).toBe(false);
      expect(await store.recordLogs(second, logs('2', ''))).toBe(true);
      expect(await store.logs(second.trial.id)).toEqual([
        { attempt: 1, stdout: { text: 'abc', bytes: 103 }, stderr: { text: 'xyz', bytes: 3 } },
        { attempt: 2, stdout: { text: '2', bytes: 101 }, stderr: { text: '', bytes: 0 } },
      ]);
      await store.requeue(second.trial.id);
      expect(await store.logs(second.trial.id)).toEqual([]);
    });

    it('trial_params holds every hyperparameter of every trial, as its column holds it; number where it is one', async () => {
      const { store, sweepId } = await seeded(await fresh(), 2);
      const t = (await store.trials(sweepId)).find((x) => builtInConfig(x.config).dropout !== 0)!;
      const params = rowsOf(await store.query(`SELECT name, value, number FROM trial_params WHERE trial_id = ${t.id} ORDER BY name`));
      const [columns] = rowsOf(await store.query(`SELECT * FROM trials WHERE id = ${t.id}`));
      // Every hyperparameter the ANN has, and none it lacks (filters, kernel_size, pooling, blocks, head are NULL).
      const expected = HYPERPARAMETER_COLUMNS.filter((c) => columns[c] !== null)
        .map((c) => ({ name: c, value: String(columns[c]), number: typeof columns[c] === 'number' ? columns[c] : null }))
        .sort((a, b) => (a.name < b.name ? -1 : 1));
      expect(params).toEqual(expected);
      expect(params).toContainEqual({ name: 'dropout', value: String(builtInConfig(t.config).dropout), number: builtInConfig(t.config).dropout });
      expect(params).toContainEqual({ name: 'units', value: '[128]', number: null });
      expect(params).toContainEqual({ name: 'batch_norm', value: '0', number: 0 });
      expect(params.map((p) => p.name)).not.toContain('filters');
      // A numeric comparison needs no JSON functions and no casts, on either backend.
      expect(rowsOf(await store.query(`SELECT COUNT(*) AS n FROM trial_params WHERE name = 'dropout' AND number > 0`))).toEqual([{ n: 1 }]);
    });

    it('trial_metrics holds every value a trial recorded by name and step: built-in ones per epoch and at its end, and its own', async () => {
      const { store, sweepId } = await seeded(await fresh(), 1);
      const c = await claim(store, sweepId);
      const o = outcome(0.75, 0.25, 2);
      const reported: TrialOutcome = {
        ...o, reported: { calibration: 0.125 },
        epochs: o.epochs.map((e, i) => ({ ...e, reported: { f1: [0.5, 0.625][i], nan: NaN } })),
      };
      expect(await store.completeTrial(c, reported, null)).toBe(true);
      const at = (name: string, step: number, value: number) => ({ name, step, value });
      const rows = await metricsOf(store, c.trial.id);
      expect(rows).toEqual([
        at('accuracy', 1, o.epochs[0].accuracy), at('accuracy', 2, o.epochs[1].accuracy),
        at('calibration', 2, 0.125),
        at('epoch_seconds', 1, 1.5), at('epoch_seconds', 2, 1.5),
        at('f1', 1, 0.5), at('f1', 2, 0.625),
        at('latency_ms', 2, 0.375),
        at('loss', 1, o.epochs[0].loss), at('loss', 2, o.epochs[1].loss),
        at('params', 2, 101770),
        at('test_accuracy', 2, o.testAccuracy), at('test_loss', 2, 0.5),
        at('train_seconds', 2, 3),
        at('val_accuracy', 1, 0.75), at('val_accuracy', 2, 0.75),
        at('val_loss', 1, o.epochs[0].valLoss), at('val_loss', 2, 0.25),
      ]);
      // Every built-in metric of the registry is there: a new one needs a column and a migration.
      expect(BUILT_IN_METRICS.map((m) => m.name).filter((n) => !rows.some((r) => r.name === n))).toEqual([]);
      // Read back on the epochs they were reported with (NaN kept as NaN), the trial's end values on its last.
      expect((await store.epochs(c.trial.id)).map((e) => e.reported)).toEqual([{ f1: 0.5, nan: NaN }, { f1: 0.625, nan: NaN, calibration: 0.125 }]);
    });

    it('ranks a sweep by a metric its trials report, the way the spec\'s goal says: trials(), leaderboard, sweeps()', async () => {
      const db = await fresh();
      const store = await db.open();
      const { spec, trials } = grid(4, 'own');
      // Lower is better: ranking by accuracy, or by the highest value, would order them otherwise.
      const sweepId = await store.upsertSweep({ name: 'own', metric: 'error_rate', goal: 'minimize', seed: 3, specPath: null, specYaml: '' });
      await store.addTrials(sweepId, spec.seed, spec.data, trials);
      const ids: number[] = [];
      for (const [accuracy, errorRate] of [[0.9, 0.3], [0.7, 0.1], [0.8, 0.2]]) {
        const c = await claim(store, sweepId);
        ids.push(c.trial.id);
        const o = outcome(accuracy, 0.5, 2);
        await store.completeTrial(c, { ...o, epochs: o.epochs.map((e) => ({ ...e, reported: { error_rate: errorRate + (2 - e.epoch) } })) }, null);
      }
      expect((await store.trials(sweepId)).map((t) => [t.id, t.metricValue])).toEqual([[ids[1], 0.1], [ids[2], 0.2], [ids[0], 0.3], [4, null]]);
      expect(rowsOf(await store.query('SELECT trial_id, rank, metric_value FROM leaderboard ORDER BY rank'))).toEqual([
        { trial_id: ids[1], rank: 1, metric_value: 0.1 }, { trial_id: ids[2], rank: 2, metric_value: 0.2 }, { trial_id: ids[0], rank: 3, metric_value: 0.3 },
      ]);
      expect(await store.sweeps()).toMatchObject([{ name: 'own', metric: 'error_rate', goal: 'minimize', best: 0.1 }]);
    });

    it('a pruned trial is ranked by its metric where it stopped; a new metric re-ranks the finished trials', async () => {
      const { store, sweepId, ids } = await (async () => {
        const { store, sweepId } = await seeded(await fresh(), 4);
        const c = [];
        for (let i = 0; i < 3; i++) c.push(await claim(store, sweepId));
        await store.completeTrial(c[0], outcome(0.875, 0.5), null);
        await store.completeTrial(c[1], outcome(0.625, 0.125), null);
        await store.recordEpoch(c[2], { ...epoch(1, 0.75), valLoss: 0.25 }, 'wasm', null,
          { scheduler: 'asha', rung: 0, bracket: null, value: 0.75, threshold: 0.8, compared: [], verdict: 'prune' });
        return { store, sweepId, ids: c.map((x) => x.trial.id) };
      })();
      expect((await store.trials(sweepId)).map((t) => [t.id, t.status, t.metricValue])).toEqual([
        [ids[0], 'completed', 0.875], [ids[1], 'completed', 0.625], [ids[2], 'pruned', 0.75], [4, 'pending', null],
      ]);
      await store.upsertSweep({ name: 's', metric: 'val_loss', goal: 'minimize', seed: 3, specPath: null, specYaml: '' });
      expect((await store.trials(sweepId)).map((t) => [t.id, t.metricValue])).toEqual([[ids[1], 0.125], [ids[0], 0.5], [ids[2], 0.25], [4, null]]);
      expect((await store.decisions(sweepId))[0].metricAtEpoch).toBe(0.25);
    });

    it('migrates a database of schema v7 in place: goals, metric values, and its parameters and metrics as rows', async () => {
      const db = await fresh();
      const { MIGRATIONS } = await import('../../src/store/schema.js');
      const { PG_MIGRATIONS } = await import('../../src/store/schema-postgres.js');
      for (const m of (isPg ? PG_MIGRATIONS : MIGRATIONS).slice(0, 7)) await db.exec(m);
      await db.exec(isPg ? 'CREATE TABLE sweep_schema (version integer NOT NULL); INSERT INTO sweep_schema VALUES (7)' : 'PRAGMA user_version = 7');
      // Two sweeps as v7 recorded them, one ranked on val_accuracy, one on val_loss.
      const trial = (id: number, sweep: number, status: string, done: number, acc: number | null, loss: number | null) =>
        `(${id}, ${sweep}, 'c${id}', '{}', '{}', '${status}', 1, 'ann', 2, 'relu', '[128]', 0.${id}, 'adam', 0.001, 32, ${id}, ${done}, ${acc ?? 'NULL'}, ${loss ?? 'NULL'})`;
      const epochRow = (id: number, e: number, acc: number, loss: number) => `(${id}, ${e}, 0.5, 0.75, ${loss}, ${acc}, 2)`;
      await db.exec(`
        INSERT INTO sweeps (id, name, metric, seed, spec_yaml, created_at, updated_at) VALUES (1, 'acc', 'val_accuracy', 1, '', 't', 't'), (2, 'loss', 'val_loss', 1, '', 't', 't');
        INSERT INTO trials (id, sweep_id, config_id, config_json, data_json, status, seed, model, epochs, activation, units, dropout,
          optimizer, learning_rate, batch_size, number, epochs_done, val_accuracy, val_loss) VALUES
          ${[trial(1, 1, 'completed', 2, 0.875, 0.375), trial(2, 1, 'pruned', 1, 0.75, 0.5), trial(3, 2, 'completed', 2, 0.625, 0.25),
            trial(4, 2, 'completed', 2, 0.875, 0.5), trial(5, 2, 'pending', 0, null, null)].join(', ')};
        INSERT INTO epochs (trial_id, epoch, loss, accuracy, val_loss, val_accuracy, seconds) VALUES
          ${[epochRow(1, 1, 0.75, 0.5), epochRow(1, 2, 0.875, 0.375), epochRow(2, 1, 0.75, 0.5), epochRow(3, 1, 0.5, 0.5),
            epochRow(3, 2, 0.625, 0.25), epochRow(4, 1, 0.75, 0.625), epochRow(4, 2, 0.875, 0.5)].join(', ')};`);
      const store = await db.open();
      expect((await store.sweeps()).map((s) => [s.name, s.goal, s.best])).toEqual([['acc', 'maximize', 0.875], ['loss', 'minimize', 0.25]]);
      expect((await store.trials(1)).map((t) => [t.id, t.metricValue])).toEqual([[1, 0.875], [2, 0.75]]);
      // The val_loss sweep ranks its lowest loss first, though trial 4 has the higher accuracy.
      expect((await store.trials(2)).map((t) => [t.id, t.metricValue])).toEqual([[3, 0.25], [4, 0.5], [5, null]]);
      expect(rowsOf(await store.query(`SELECT trial_id, rank FROM leaderboard WHERE sweep = 'loss' ORDER BY rank`))).toEqual([{ trial_id: 3, rank: 1 }, { trial_id: 4, rank: 2 }]);
      const params = rowsOf(await store.query('SELECT name, value, number FROM trial_params WHERE trial_id = 2 ORDER BY name'));
      expect(params.map((p) => p.name)).toEqual(['activation', 'augment', 'batch_norm', 'batch_size', 'dropout', 'epochs', 'label_smoothing',
        'learning_rate', 'model', 'optimizer', 'precise_bn', 'schedule', 'units', 'weight_decay']);
      expect(params).toContainEqual({ name: 'dropout', value: '0.2', number: 0.2 });
      expect(await metricsOf(store, 3)).toContainEqual({ name: 'val_loss', step: 2, value: 0.25 });
      // Users' queries over today's columns answer as before.
      expect(rowsOf(await store.query(`SELECT trial_id, val_accuracy FROM best_per_sweep WHERE sweep = 'acc'`))).toEqual([{ trial_id: 1, val_accuracy: 0.875 }]);
    });
  });

  describe('several objectives and their fronts', () => {
    /** A sweep of val_accuracy against train_seconds, three trials completed with these values. */
    async function traded(db: Db) {
      const store = await db.open();
      const { spec, trials } = grid(4, 'trade');
      const sweepId = await store.upsertSweep({
        name: 'trade', metric: 'val_accuracy', goal: 'maximize', seed: spec.seed, specPath: 'trade.yaml', specYaml: 'name: trade',
        objectives: [{ name: 'val_accuracy', goal: 'maximize' }, { name: 'train_seconds', goal: 'minimize' }],
      });
      await store.addTrials(sweepId, spec.seed, spec.data, trials);
      const ids: number[] = [];
      for (const [acc, seconds] of [[0.9, 30], [0.8, 10], [0.7, 20]]) {
        const c = await claim(store, sweepId);
        expect(await store.completeTrial(c, { ...outcome(acc, 0.3), seconds }, null)).toBe(true);
        ids.push(c.trial.id);
      }
      return { store, sweepId, ids };
    }

    it('records the objectives in order, and each completed trial\'s value of each at its last step', async () => {
      const db = await fresh();
      const { store, sweepId, ids } = await traded(db);
      expect(rowsOf(await store.query(`SELECT position, name, goal FROM sweep_objectives WHERE sweep_id = ${sweepId} ORDER BY position`))).toEqual([
        { position: 0, name: 'val_accuracy', goal: 'maximize' }, { position: 1, name: 'train_seconds', goal: 'minimize' },
      ]);
      const trials = await store.trials(sweepId);
      expect(ids.map((id) => trials.find((t) => t.id === id)!.objectiveValues)).toEqual([[0.9, 30], [0.8, 10], [0.7, 20]]);
      // Pending trials have none; a sweep of one metric lists that one.
      expect(trials.filter((t) => t.status === 'pending').map((t) => t.objectiveValues)).toEqual([undefined]);
      const { store: other, sweepId: one } = await seeded(db, 1, { name: 'one', metric: 'val_loss' });
      expect(rowsOf(await other.query(`SELECT position, name, goal FROM sweep_objectives WHERE sweep_id = ${one}`))).toEqual([{ position: 0, name: 'val_loss', goal: 'minimize' }]);
    });

    it('rankFronts gives the trials and the values asked for, and keeps its answer whole in trial_fronts and the pareto view', async () => {
      const { store, sweepId, ids } = await traded(await fresh());
      let seen: unknown;
      await store.rankFronts(sweepId, ['params', 'dropout', 'nothing'], (trials) => {
        seen = trials;
        return trials.map((t, i) => ({ trialId: t.trialId, front: i + 1, violation: i === 2 ? 5 : 0, broken: i === 2 ? [{ text: 'params <= 1', by: 5 }] : [] }));
      });
      const dropouts = (await store.trials(sweepId)).filter((t) => ids.includes(t.id)).sort((a, b) => a.number - b.number).map((t) => builtInConfig(t.config).dropout);
      expect(seen).toEqual(ids.map((id, i) => ({
        trialId: id, number: i, values: [[0.9, 30], [0.8, 10], [0.7, 20]][i], named: { params: 101770, dropout: dropouts[i] },
      })));
      expect(rowsOf(await store.query(`SELECT trial_id, sweep_id, front, feasible, violation, broken FROM pareto ORDER BY trial_id`))).toEqual([
        { trial_id: ids[0], sweep_id: sweepId, front: 1, feasible: 1, violation: 0, broken: null },
        { trial_id: ids[1], sweep_id: sweepId, front: 2, feasible: 1, violation: 0, broken: null },
        { trial_id: ids[2], sweep_id: sweepId, front: 3, feasible: 0, violation: 5, broken: '[{"text":"params <= 1","by":5}]' },
      ]);
      expect((await store.trial(ids[2]))).toMatchObject({ front: 3, violation: 5, broken: [{ text: 'params <= 1', by: 5 }] });
      // The views' snapshot (sweep watch) carries each ranked trial's front; an unranked one has none.
      const snapshot = await store.snapshot(sweepId);
      expect(snapshot.find((t) => t.id === ids[2])).toMatchObject({ front: 3, feasible: false });
      expect(snapshot.find((t) => t.id === ids[0])).toMatchObject({ front: 1, feasible: true });
      expect(snapshot.filter((t) => t.status === 'pending').map((t) => 'front' in t)).toEqual([false]);
      // A second ranking replaces the first whole; a requeued trial leaves it.
      await store.rankFronts(sweepId, [], (trials) => trials.slice(1).map((t) => ({ trialId: t.trialId, front: 1, violation: 0, broken: [] })));
      await store.requeue(ids[2]);
      expect(rowsOf(await store.query('SELECT trial_id, front FROM pareto ORDER BY trial_id'))).toEqual([{ trial_id: ids[1], front: 1 }]);
      expect((await store.trial(ids[2]))!.objectiveValues).toBeUndefined();
    });

    it('other objectives for a sweep run again: its trials\' values are read again and its fronts dropped', async () => {
      const { store, sweepId, ids } = await traded(await fresh());
      await store.rankFronts(sweepId, [], (trials) => trials.map((t) => ({ trialId: t.trialId, front: 1, violation: 0, broken: [] })));
      await store.upsertSweep({
        name: 'trade', metric: 'val_accuracy', goal: 'maximize', seed: 1, specPath: 'trade.yaml', specYaml: 'name: trade',
        objectives: [{ name: 'val_accuracy', goal: 'maximize' }, { name: 'params', goal: 'minimize' }, { name: 'val_loss', goal: 'minimize' }],
      });
      expect((await store.trial(ids[1]))!.objectiveValues).toEqual([0.8, 101770, 0.3]);
      expect(rowsOf(await store.query('SELECT COUNT(*) AS n FROM pareto'))).toEqual([{ n: 0 }]);
    });
  });

  describe('tags, notes and where a sweep ran', () => {
    it('upsertSweep records the environment of the run; a run that records none keeps the last one', async () => {
      const { store } = await seeded(await fresh(), 1);
      const environment = { node: 'v20', cpu: 'x', specGit: { commit: 'c', dirty: false, diffSha256: null, untracked: 0 } };
      const sweep = { name: 's', metric: 'val_accuracy', goal: 'maximize', seed: 3, specPath: null, specYaml: '' } as const;
      await store.upsertSweep({ ...sweep, environment });
      expect((await store.sweep('s'))!.environment).toEqual(environment);
      await store.upsertSweep(sweep);
      expect((await store.sweep('s'))!.environment).toEqual(environment);
    });

    it('addTags adds each name a trial lacks, once, and says which were new; removeTags which it had', async () => {
      const { store, sweepId } = await seeded(await fresh(), 2);
      const [a, b] = (await store.trials(sweepId)).map((t) => t.id);
      expect(await store.addTags(a, ['baseline', 'wide', 'baseline'])).toEqual(['baseline', 'wide']);
      expect(await store.addTags(a, ['wide', 'keep'])).toEqual(['keep']);
      // Trials share tags.
      expect(await store.addTags(b, ['baseline'])).toEqual(['baseline']);
      expect(await store.removeTags(a, ['wide', 'never'])).toEqual(['wide']);
      expect(await store.removeTags(a, ['wide'])).toEqual([]);
      const { tags } = await store.annotations(sweepId);
      expect(tags.map((t) => [t.trialId, t.name]).sort()).toEqual([[a, 'baseline'], [a, 'keep'], [b, 'baseline']].sort());
      expect(tags.every((t) => /^\d{4}-\d\d-\d\dT.*Z$/.test(t.createdAt))).toBe(true);
      // Every view has them: snapshot's trials, and the trial_tags view by sweep name.
      const snapshot = await store.snapshot(sweepId);
      expect(snapshot.find((t) => t.id === a)!.tags).toEqual(['baseline', 'keep']);
      expect(snapshot.find((t) => t.id === b)!.tags).toEqual(['baseline']);
      expect(rowsOf(await store.query("SELECT trial_id FROM trial_tags WHERE sweep = 's' AND tag = 'baseline' ORDER BY trial_id")))
        .toEqual([{ trial_id: a }, { trial_id: b }]);
      expect(await store.addTags(b, [])).toEqual([]);
      expect(await store.removeTags(b, [])).toEqual([]);
    });

    it("notes on a sweep and on its trials keep their order; clearNotes removes one target's only", async () => {
      const db = await fresh();
      const { store, sweepId } = await seeded(db, 2);
      const [a, b] = (await store.trials(sweepId)).map((t) => t.id);
      await store.addNote(sweepId, null, 'tried wider layers');
      await store.addNote(sweepId, a, 'the baseline');
      await store.addNote(sweepId, null, "wider didn't help");
      await store.addNote(sweepId, b, 'diverged');
      expect((await store.annotations(sweepId)).notes.map((n) => [n.trialId, n.text])).toEqual([
        [null, 'tried wider layers'], [a, 'the baseline'], [null, "wider didn't help"], [b, 'diverged'],
      ]);
      expect(rowsOf(await store.query("SELECT trial_id, text FROM sweep_notes WHERE sweep = 's' AND trial_id IS NULL ORDER BY created_at, text")))
        .toEqual([{ trial_id: null, text: 'tried wider layers' }, { trial_id: null, text: "wider didn't help" }]);
      expect(await store.clearNotes(sweepId, null)).toBe(2);
      expect(await store.clearNotes(sweepId, a)).toBe(1);
      expect((await store.annotations(sweepId)).notes.map((n) => n.text)).toEqual(['diverged']);
      // Another sweep's notes are its own.
      const other = await store.upsertSweep({ name: 'o', metric: 'val_accuracy', goal: 'maximize', seed: 1, specPath: null, specYaml: '' });
      await store.addNote(other, null, 'elsewhere');
      expect((await store.annotations(sweepId)).notes.map((n) => n.text)).toEqual(['diverged']);
      expect(await store.clearNotes(sweepId, null)).toBe(0);
    });

    it('importAnnotations keeps copied tags and notes with their times, and adds nothing twice', async () => {
      const { store, sweepId } = await seeded(await fresh(), 2);
      const [a] = (await store.trials(sweepId)).map((t) => t.id);
      await store.addTags(a, ['mine']);
      const copied = {
        tags: [{ trialId: a, name: 'baseline', createdAt: '2024-05-01T12:00:00.000Z' }, { trialId: a, name: 'mine', createdAt: '2024-05-01T12:00:00.000Z' }],
        notes: [{ trialId: null, text: 'from afar', createdAt: '2024-05-01T12:00:01.000Z' }, { trialId: a, text: 'x', createdAt: '2024-05-01T12:00:02.000Z' }],
      };
      await store.importAnnotations(sweepId, copied);
      await store.importAnnotations(sweepId, copied);
      const { tags, notes } = await store.annotations(sweepId);
      expect(tags.map((t) => [t.name, t.createdAt === '2024-05-01T12:00:00.000Z'])).toEqual([['baseline', true], ['mine', false]]);
      expect(notes).toEqual(copied.notes);
    });

    it('a read-only store cannot tag or note', async () => {
      const db = await fresh();
      const { store, sweepId } = await seeded(db, 1);
      const [a] = (await store.trials(sweepId)).map((t) => t.id);
      const reader = await db.open({ readonly: true });
      await expect(reader.addTags(a, ['x'])).rejects.toThrow();
      await expect(reader.addNote(sweepId, null, 'x')).rejects.toThrow();
      expect(await store.annotations(sweepId)).toEqual({ tags: [], notes: [] });
    });
  });

  describe('change token', () => {
    it('changes when another connection tags a trial, removes the tag, or notes the sweep', async () => {
      const db = await fresh();
      const { store, sweepId } = await seeded(db, 1);
      const [a] = (await store.trials(sweepId)).map((t) => t.id);
      const reader = await db.open({ readonly: true });
      const tokens = [await reader.changeToken()];
      await store.addTags(a, ['baseline']);
      tokens.push(await reader.changeToken());
      await store.removeTags(a, ['baseline']);
      tokens.push(await reader.changeToken());
      await store.addNote(sweepId, null, 'n');
      tokens.push(await reader.changeToken());
      expect(new Set(tokens).size).toBe(4);
    });

    it('changes when another connection records an epoch, a claim or a completion, and stays put otherwise', async () => {
      const db = await fresh();
      const { store, sweepId } = await seeded(db, 2);
      const reader = await db.open({ readonly: true });
      const before = await reader.changeToken();
      expect(await reader.changeToken()).toBe(before);
      const c = await claim(store, sweepId);
      const claimed = await reader.changeToken();
      expect(claimed).not.toBe(before);
      await store.recordEpoch(c, epoch(1));
      const epoched = await reader.changeToken();
      expect(epoched).not.toBe(claimed);
      await store.completeTrial(c, outcome(0.75, 0.25), null);
      expect(await reader.changeToken()).not.toBe(epoched);
    });
  });

  describe('query', () => {
    it('answers one read-only statement: columns, and rows of numbers, text and NULL', async () => {
      const { store } = await seeded(await fresh(), 4);
      expect(await store.query(`SELECT 1 AS i, 2.5 AS r, 'x' AS t, NULL AS n, 1 = 1 AS yes, 1 = 2 AS no, 9007199254740993 AS big`))
        .toEqual({ columns: ['i', 'r', 't', 'n', 'yes', 'no', 'big'], rows: [[1, 2.5, 'x', null, 1, 0, '9007199254740993']] });
      expect(await store.query('-- how many?\nSELECT COUNT(*) AS n, SUM(epochs) AS e, AVG(dropout) AS d FROM trials'))
        .toEqual({ columns: ['n', 'e', 'd'], rows: [[4, 28, 0.1875]] });
      expect(await store.query('SELECT id, id FROM trials WHERE id > 5')).toEqual({ columns: ['id', 'id'], rows: [] });
    });

    it("reports the database's error, on one line, as a UserError", async () => {
      const { store } = await seeded(await fresh(), 1);
      await expect(store.query('SELECT * FROM nope')).rejects.toThrow(UserError);
      await expect(store.query('SELECT * FROM nope')).rejects.toThrow(/nope/);
      await expect(store.query('SELEC 1')).rejects.toThrow(/^[^\n]*syntax error[^\n]*$/);
      await expect(store.query('')).rejects.toThrow(/^the SQL holds no statement$/);
      await expect(store.query('  -- nothing\n ; ')).rejects.toThrow(/^the SQL holds no statement$/);
    });

    const refused: [string, string | RegExp][] = [
      ['DELETE FROM trials', REFUSED],
      ['UPDATE trials SET dropout = 1', REFUSED],
      [`INSERT INTO sweeps (name, metric, seed, spec_yaml, created_at, updated_at) VALUES ('x', 'val_accuracy', 1, '', '', '')`, REFUSED],
      ['DROP TABLE epochs', REFUSED],
      ['CREATE TABLE t(x int)', REFUSED],
      ['CREATE TEMP TABLE t(x int)', REFUSED],
      ['WITH x AS (SELECT 1) DELETE FROM trials', REFUSED],
      // Return rows, yet write.
      ['DELETE FROM trials RETURNING id', REFUSED],
      [`UPDATE trials SET status = 'pending' RETURNING id`, REFUSED],
      ['BEGIN', REFUSED],
      ['VACUUM', REFUSED],
      ['ANALYZE', REFUSED],
      ['SELECT 1; DELETE FROM trials', MULTIPLE],
      ['SELECT 1;\nDROP TABLE epochs', MULTIPLE],
      ...(isPg ? [
        ['WITH d AS (DELETE FROM trials RETURNING id) SELECT * FROM d', REFUSED],
        ['EXPLAIN ANALYZE DELETE FROM trials', REFUSED],
        ['SELECT * FROM trials FOR UPDATE', REFUSED],
        [`SELECT nextval('trials_id_seq')`, REFUSED],
        ['SET default_transaction_read_only = off', REFUSED],
        ['COPY trials TO STDOUT', REFUSED],
        ['LOCK TABLE trials', REFUSED],
        ['TRUNCATE epochs', REFUSED],
        ['SELECT * INTO trials_copy FROM trials', REFUSED],
        ['DO $$ BEGIN DELETE FROM epochs; END $$', REFUSED],
        ['PREPARE p AS DELETE FROM trials', REFUSED],
        ['COMMIT', REFUSED],
      ] as [string, string][] : [
        ['ATTACH DATABASE \':memory:\' AS x', REFUSED],
        ['PRAGMA writable_schema = ON', REFUSED],
        ['PRAGMA query_only = OFF', REFUSED],
        ['PRAGMA user_version = 99', REFUSED],
        ['BEGIN IMMEDIATE', REFUSED],
      ] as [string, string][]),
    ];

    /** One database for all the refusals: each checks that it changed nothing, and that the store still works after. */
    let shared: Awaited<ReturnType<typeof seeded>> & { db: Db };
    beforeAll(async () => {
      const db = await fresh();
      shared = { db, ...(await seeded(db, refused.length + 1)) };
      expect(await shared.store.completeTrial(await claim(shared.store, shared.sweepId), outcome(0.75, 0.25), null)).toBe(true);
    });

    it.each(refused)('refuses %j before it changes anything (UserError)', async (sql, message) => {
      const { db, store, sweepId, eligible } = shared;
      const schema = isPg
        ? `SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`
        : 'SELECT type, name, sql FROM sqlite_schema ORDER BY name';
      const before = [await state(db), await db.raw(schema)];
      const error = await store.query(sql).then(() => undefined, (err: unknown) => err);
      expect(error).toBeInstanceOf(UserError);
      if (typeof message === 'string') expect((error as Error).message).toBe(message);
      else expect((error as Error).message).toMatch(message);
      expect([await state(db), await db.raw(schema)]).toEqual(before);
      // The store still writes and reads.
      const c = await claim(store, sweepId, 'me', eligible);
      expect(await store.recordEpoch(c, epoch(1))).toBe(true);
      expect((await store.query(`SELECT epoch FROM epochs WHERE trial_id = ${c.trial.id}`)).rows).toEqual([[1]]);
    });
  });
});

describe('PostgresStore only', () => {
  it('names its location by the URL without the password, and needs no password to be told', async () => {
    const { name } = await createTestDb();
    const u = new URL(dbUrl(name));
    u.password = 's3cret';
    const store = await tracked(PostgresStore.open(u.toString()));
    expect(store.location).not.toContain('s3cret');
    expect(store.location).toBe(dbUrl(name));
  });

  it.each([
    ['a port nothing listens on', () => { const u = new URL(PG_SERVER); u.port = '1'; u.pathname = '/x'; return u.toString(); }, /ECONNREFUSED/],
    ['a database that does not exist', () => dbUrl('sweep_test_no_such_database'), /database "sweep_test_no_such_database" does not exist/],
    ['a role that does not exist', () => { const u = new URL(PG_SERVER); u.username = 'no_such_role'; return u.toString(); }, /no_such_role/],
    ['a port out of range', () => 'postgres://127.0.0.1:99999/x', /99999/],
  ])('%s: one line, a UserError naming the location and the reason', async (_what, url, reason) => {
    const opening = PostgresStore.open(url());
    const err = await opening.then(() => undefined, (e: unknown) => e as Error);
    expect(err).toBeInstanceOf(UserError);
    expect(err!.message.startsWith(`${url()}: cannot connect to PostgreSQL (`)).toBe(true);
    expect(err!.message).toMatch(reason);
    expect(err!.message).not.toContain('\n');
  });

  it('a read-only open of a database without a schema is a UserError and creates nothing', async () => {
    const { url } = await createTestDb();
    await expect(PostgresStore.open(url, { readonly: true })).rejects.toThrow(/no sweep database here yet/);
    expect(await withPg(url, async (c) => (await c.query(`SELECT COUNT(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`)).rows))
      .toEqual([{ n: 0 }]);
  });

  it('migrates a v4 database to v5: numbers its trials in id order per sweep, keeps their epochs, allows pruned', async () => {
    const { url } = await createTestDb();
    const { PG_MIGRATIONS } = await import('../../src/store/schema-postgres.js');
    await withPg(url, async (c) => {
      for (const m of PG_MIGRATIONS.slice(0, 4)) await c.query(m);
      await c.query('CREATE TABLE sweep_schema (version integer NOT NULL); INSERT INTO sweep_schema VALUES (4)');
      await c.query(`INSERT INTO sweeps (id, name, metric, seed, spec_yaml, created_at, updated_at) VALUES (1, 'a', 'val_accuracy', 1, '', 't', 't'), (2, 'b', 'val_accuracy', 1, '', 't', 't');
        INSERT INTO trials (id, sweep_id, config_id, config_json, data_json, status, seed, model, epochs, activation, units, dropout, optimizer, learning_rate, batch_size)
        SELECT i, 1 + i % 2, 'c' || i, '{}', '{}', 'completed', 1, 'ann', 2, 'relu', '[8]', 0.1, 'adam', 0.001, 32 FROM generate_series(1, 5) i;
        INSERT INTO epochs (trial_id, epoch) VALUES (1, 1), (2, 1), (3, 1);`);
    });
    const store = await tracked(PostgresStore.open(url));
    expect(await store.query('SELECT sweep_id, id, number FROM trials ORDER BY sweep_id, id')).toEqual({
      columns: ['sweep_id', 'id', 'number'], rows: [[1, 2, 0], [1, 4, 1], [2, 1, 0], [2, 3, 1], [2, 5, 2]],
    });
    expect((await store.query('SELECT COUNT(*) FROM epochs')).rows).toEqual([[3]]);
    // v7: trials recorded before the new hyperparameters trained without them (ANNs: no blocks or head).
    expect((await store.query('SELECT DISTINCT batch_norm, augment, schedule, weight_decay, blocks, head FROM trials')).rows)
      .toEqual([[0, 'none', 'constant', 0, null, null]]);
    await withPg(url, (c) => c.query(`UPDATE trials SET status = 'pruned' WHERE id = 1`));
    expect((await store.sweeps()).find((x) => x.name === 'b')).toMatchObject({ pruned: 1, completed: 2 });
  });

  it('sixteen processes opening one fresh database at once create its schema once (the advisory lock)', async () => {
    const { url } = await createTestDb();
    const stores = await Promise.all(Array.from({ length: 16 }, () => tracked(PostgresStore.open(url))));
    expect(stores).toHaveLength(16);
    const rows = await withPg(url, async (c) => (await c.query(
      `SELECT (SELECT array_agg(version) FROM sweep_schema) AS versions,
              (SELECT array_agg(table_name::text ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'public') AS relations`,
    )).rows);
    expect(rows).toEqual([{
      versions: [SCHEMA_VERSION],
      relations: [...SCHEMA_DOC.map((r) => r.name), 'sweep_schema'].sort(),
    }]);
  });

  describe('leases are on the server\'s clock', () => {
    const serverNow = (url: string) =>
      withPg(url, async (c) => (await c.query<{ now: Date }>('SELECT now() AS now')).rows[0].now.getTime());

    it('a claim and a heartbeat stamp the server\'s now(), whatever the worker\'s clock says', async () => {
      const db = await freshPostgresWithUrl();
      const { store, sweepId, eligible } = await seeded(db.db, 1, { leaseMs: 60_000 });
      const realNow = Date.now();
      vi.useFakeTimers({ toFake: ['Date'] });
      onTestFinished(() => void vi.useRealTimers());
      for (const skew of [+3_600_000, -3_600_000]) {
        // The worker's clock is an hour off (and stands still).
        vi.setSystemTime(realNow + skew);
        const before = await serverNow(db.url);
        await store.releaseOwned('A');
        await store.releaseOwned('B');
        const c = await claim(store, sweepId, 'A', eligible);
        const claimed = Date.parse((await store.trial(c.trial.id))!.startedAt!);
        await store.heartbeat('A');
        const [beat] = await db.db.raw(`SELECT heartbeat_at FROM trials WHERE id = ${c.trial.id}`);
        const after = await serverNow(db.url);
        for (const t of [claimed, Date.parse(beat.heartbeat_at as string)]) {
          expect(t).toBeGreaterThanOrEqual(before - 1);
          expect(t).toBeLessThanOrEqual(after);
        }
        // A worker whose clock runs an hour ahead expires nothing; one an hour behind holds nothing longer.
        expect(await store.releaseExpired(sweepId)).toBe(0);
        expect(await store.claimNext(sweepId, 'B', eligible)).toBeUndefined();
        await db.db.raw(`UPDATE trials SET heartbeat_at = to_char((now() - interval '61 seconds') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);
        expect(await store.claimNext(sweepId, 'B', eligible)).toMatchObject({ trial: { id: c.trial.id, owner: 'B' } });
      }
    });

    it('a test clock runs the server\'s clock ahead: the server still stamps and judges, ahead by what the test advanced', async () => {
      const db = await freshPostgresWithUrl();
      const clock = new TestClock();
      const { store, sweepId, eligible } = await seeded(db.db, 2, { leaseMs: 60_000, clock });
      vi.useFakeTimers({ toFake: ['Date'] });
      onTestFinished(() => void vi.useRealTimers());
      // The worker's clock stands a day behind; only the server's, an hour ahead, counts.
      vi.setSystemTime(Date.now() - 86_400_000);
      clock.advance(3_600_000);
      const before = await serverNow(db.url);
      const c = await claim(store, sweepId, 'A', eligible);
      const after = await serverNow(db.url);
      const claimed = Date.parse((await store.trial(c.trial.id))!.startedAt!);
      expect(claimed).toBeGreaterThanOrEqual(before + 3_600_000 - 1);
      expect(claimed).toBeLessThanOrEqual(after + 3_600_000);
      // A claim made at the server's real now() (here, behind the clock) has a lease long over.
      await db.db.raw(`UPDATE trials SET heartbeat_at = to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);
      expect(await store.releaseExpired(sweepId)).toBe(1);
    });
  });

  describe('connection loss', () => {
    it('connections the server ended while idle are replaced, and the process survives it', async () => {
      const { db, url } = await freshPostgresWithUrl();
      const { store, sweepId, eligible } = await seeded(db, 3);
      const c = await claim(store, sweepId, 'A', eligible);
      const killed = await withPg(url, async (admin) => (await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      )).rowCount);
      expect(killed).toBeGreaterThan(0);
      expect(await store.recordEpoch(c, epoch(1))).toBe(true);
      expect((await claim(store, sweepId, 'A', eligible)).trial.id).toBe(c.trial.id + 1);
    });

    it('a statement cut off mid-flight (its backend ended while it waited on a lock) is run again', async () => {
      const { db, url } = await freshPostgresWithUrl();
      const { store, sweepId, eligible } = await seeded(db, 3);
      const c = await claim(store, sweepId, 'A', eligible);
      await withPg(url, async (admin) => {
        await admin.query('BEGIN');
        await admin.query('LOCK TABLE epochs IN ACCESS EXCLUSIVE MODE');
        const writing = store.recordEpoch(c, epoch(1));
        // The store's connection, waiting for the lock.
        const victim = await until(async () => (await admin.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        )).rows.at(0));
        await admin.query('SELECT pg_terminate_backend($1)', [victim.pid]);
        await admin.query('COMMIT');
        expect(await writing).toBe(true);
      });
      expect(await store.epochs(c.trial.id)).toEqual([epoch(1)]);
    });

    it('a claim whose reply was lost takes back the trial it claimed, not a second one', async () => {
      const { db, name } = await freshPostgresWithUrl();
      const proxy = await replyCutter();
      const store = await tracked(PostgresStore.open(proxy.url(name)));
      const { spec, trials } = grid(3);
      const sweepId = await store.upsertSweep({ name: 's', metric: 'val_accuracy', goal: 'maximize', seed: 3, specPath: null, specYaml: '' });
      await store.addTrials(sweepId, spec.seed, spec.data, trials);
      const eligible = trials.map((t) => t.configId);
      proxy.arm('SKIP LOCKED');
      const c = await store.claimNext(sweepId, 'A', eligible);
      expect(proxy.cuts()).toBe(1);
      expect(c).toMatchObject({ attempt: 1, trial: { id: 1, owner: 'A' } });
      expect(await db.raw('SELECT id, status, attempts FROM trials ORDER BY id')).toEqual([
        { id: 1, status: 'running', attempts: 1 }, { id: 2, status: 'pending', attempts: 0 }, { id: 3, status: 'pending', attempts: 0 },
      ]);
      expect(await store.recordEpoch(c!, epoch(1))).toBe(true);
      expect((await store.claimNext(sweepId, 'A', eligible))?.trial.id).toBe(2);
    });

    it('a completion whose reply was lost is reported done when retried, and written once', async () => {
      const { db, name } = await freshPostgresWithUrl();
      const proxy = await replyCutter();
      const store = await tracked(PostgresStore.open(proxy.url(name)));
      const { spec, trials } = grid(1);
      const sweepId = await store.upsertSweep({ name: 's', metric: 'val_accuracy', goal: 'maximize', seed: 3, specPath: null, specYaml: '' });
      await store.addTrials(sweepId, spec.seed, spec.data, trials);
      const c = await claim(store, sweepId, 'A');
      proxy.arm('COMMIT');
      expect(await store.completeTrial(c, outcome(0.75, 0.25), null)).toBe(true);
      expect(proxy.cuts()).toBe(1);
      expect(await db.raw('SELECT status, attempts FROM trials')).toEqual([{ status: 'completed', attempts: 1 }]);
      expect(await store.epochs(c.trial.id)).toEqual(outcome(0.75, 0.25).epochs);
    });
  });

  it('query: nothing a statement sets on its session outlives it', async () => {
    const { db, url } = await freshPostgresWithUrl();
    const { store } = await seeded(db, 1);
    expect((await store.query('SELECT pg_try_advisory_lock(42) AS locked')).rows).toEqual([[1]]);
    expect((await store.query(`SELECT set_config('default_transaction_read_only', 'off', false) AS v`)).rows).toEqual([['off']]);
    await expect(store.query('DELETE FROM trials RETURNING id')).rejects.toThrow(REFUSED);
    const held = await withPg(url, async (c) => (await c.query(`SELECT COUNT(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'`)).rows);
    expect(held).toEqual([{ n: 0 }]);
  });

  it('query: bytea as a hex literal, numerics and big integers exactly, other types as PostgreSQL writes them', async () => {
    const { store } = await seeded((await freshPostgresWithUrl()).db, 1);
    expect((await store.query(`SELECT '\\x01ff'::bytea AS b, 12345678901234567890::numeric AS big, 0.1::numeric + 0.2 AS sum,
      'NaN'::float8 AS nan, DATE '2024-05-01' AS d, ARRAY[1, 2] AS a, '{"k": 1}'::jsonb AS j`)).rows)
      .toEqual([[`X'01FF'`, '12345678901234567890', 0.3, 'NaN', '2024-05-01', '{1,2}', '{"k": 1}']]);
  });
});

/**
 * A TCP proxy to PG_SERVER that, once armed with a marker, passes the client's message that
 * holds it to the server and then cuts that connection at the first byte of the reply: the
 * server has run (and, for an autocommit statement or a COMMIT, committed) it; the client
 * never hears so.
 */
async function replyCutter() {
  const target = new URL(PG_SERVER);
  let armed: string | undefined;
  let cuts = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    let cutting = false;
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => { sockets.delete(s); client.destroy(); upstream.destroy(); });
    }
    client.on('data', (d) => {
      if (armed !== undefined && d.includes(armed)) {
        armed = undefined;
        cutting = true;
      }
      upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (!cutting) return void client.write(d);
      cuts++;
      client.destroy();
      upstream.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    url(db: string) {
      const u = new URL(PG_SERVER);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      u.pathname = `/${db}`;
      return u.toString();
    },
    arm(marker: string) { armed = marker; },
    cuts: () => cuts,
  };
}

// --- Both backends, the same data: docs/database.md's example queries answer alike ---

/** docs/database.md's example queries: each ```sql block of its "## Example queries" section (as test/cli/query.test.ts reads them). */
function docExamples(): { question: string; sql: string }[] {
  const doc = readFileSync('docs/database.md', 'utf8');
  const from = doc.indexOf('\n## Example queries\n');
  expect(from).toBeGreaterThan(-1);
  const next = doc.indexOf('\n## ', from + 1);
  const section = doc.slice(from, next < 0 ? undefined : next);
  return [...section.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => ({ question: m[1].trim().split('\n')[0].slice(3), sql: m[1].trim() }));
}

/**
 * The sweep the docs ask about (widths-dropout: 8 trials of 3 epochs), with one trial failed
 * and one resumed on a second attempt, and a second sweep ranked by val_loss. Metrics are
 * multiples of 1/1024, exact in binary, so that sums and averages cannot differ by rounding.
 */
async function docsData(store: Store): Promise<void> {
  const text = 'name: widths-dropout\nseed: 7\ndata: {validationSplit: 0.2, trainLimit: 800, testLimit: 200}\ngrid:\n  epochs: [3]\n  activation: [relu, tanh]\n  units: [[64], [256]]\n  dropout: [0.0, 0.3]\n';
  const spec = parseSpec(text, 'widths-dropout.yaml');
  const id = await store.upsertSweep({ name: spec.name, metric: 'val_accuracy', goal: 'maximize', seed: spec.seed, specPath: 'widths-dropout.yaml', specYaml: text });
  const trials: Trial[] = expandGrid(spec);
  await store.addTrials(id, spec.seed, spec.data, trials);
  const eligible = trials.map((t) => t.configId);
  const m = (i: number, e: number, k: number) => ((i * 37 + e * 11 + k * 5) % 97) / 1024 + 0.75;
  const epochsOf = (i: number, n: number) => Array.from({ length: n }, (_, j): EpochMetrics => ({
    epoch: j + 1, loss: m(i, j, 1) - 0.5, accuracy: m(i, j, 2), valLoss: m(i, j, 3) - 0.5, valAccuracy: m(i, j, 4), seconds: m(i, j, 5),
  }));
  for (let i = 0; i < trials.length; i++) {
    let c = (await store.claimNext(id, 'docs', eligible))!;
    if (i === 5) {
      await store.recordEpoch(c, epochsOf(i, 1)[0], 'wasm');
      await store.releaseOwned('docs');
      c = (await store.claimNext(id, 'docs', eligible))!;
      await store.resumeAt(c, epochsOf(i, 1), 'wasm');
    }
    if (i === 6) {
      await store.failTrial(c, 'loss became NaN in epoch 2', epochsOf(i, 1), 'cpu');
      continue;
    }
    const epochs = epochsOf(i, 3);
    await store.completeTrial(c, {
      backend: i % 3 === 0 ? 'cpu' : 'wasm', valAccuracy: epochs[2].valAccuracy, valLoss: epochs[2].valLoss,
      testAccuracy: m(i, 9, 6), testLoss: m(i, 9, 7), params: 1000 + i, seconds: m(i, 9, 8) * 10, epochs, weightsSha256: `w${i}`,
    }, null);
  }
  const other = grid(3, 'losses');
  const lossId = await store.upsertSweep({ name: 'losses', metric: 'val_loss', goal: 'minimize', seed: 3, specPath: null, specYaml: '' });
  await store.addTrials(lossId, 3, other.spec.data, other.trials);
  for (const [i, loss] of [0.25, 0.125, 0.5].entries()) {
    await store.completeTrial((await store.claimNext(lossId, 'docs', other.trials.map((t) => t.configId)))!, outcome(0.5 + i / 16, loss), null);
  }
}

describe('both backends, the same data', () => {
  const examples = docExamples();

  it('docs/database.md has example queries to run', () => {
    expect(examples.length).toBeGreaterThanOrEqual(5);
  });

  /** Both backends, holding the same data. */
  let stores: Store[];
  beforeAll(async () => {
    stores = await Promise.all(BACKENDS.map(async ([, fresh]) => {
      const store = await (await fresh()).open();
      await docsData(store);
      return store;
    }));
  });

  it.each(examples)("docs/database.md's query runs unchanged on both and answers alike: $question", async ({ sql }) => {
    const [sqlite, postgres] = await Promise.all(stores.map((s) => s.query(sql)));
    expect(sqlite.rows.length).toBeGreaterThan(0);
    expect(postgres).toEqual(sqlite);
  });

  it('ROUND(double, digits) rounds alike on both (half away from zero, as SQLite does)', async () => {
    // Ties, doubles just under a tie (0.285 is 0.28499999…), negatives rounding to -0, digits out of 0..30, no fraction.
    const cases: [number, number][] = [
      [2.5, 0], [-2.5, 0], [0.49999999999999994, 0], [-0.4, 0], [0.125, 2], [-0.125, 2], [0.375, 1], [1.005, 2], [2.675, 2],
      [0.285, 2], [-0.285, 2], [1 / 3, 4], [1 / 3, 30], [1 / 3, 40], [2 / 3, -1], [-0.001, 2], [-1e-300, 3], [1e-7, 6],
      [123456789.125, 2], [4503599627370497, 1], [1e300, 2], [0.78125, 4], [1e-40, 30], [5e-31, 30],
    ];
    const sql = `SELECT ${cases.map(([v, n], i) => `ROUND(CAST(${v} AS DOUBLE PRECISION), ${n}) AS r${i}`).join(', ')}`;
    const [sqlite, postgres] = await Promise.all(stores.map((s) => s.query(sql)));
    expect(sqlite.rows[0].slice(0, 4)).toEqual([3, -3, 1, 0]);
    // toEqual tells -0 from 0; the JSON and text output would not.
    expect(postgres).toEqual(sqlite);
  });
});
