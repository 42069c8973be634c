import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pct } from '../../src/cli/table.js';
import { expandGrid } from '../../src/search/grid.js';
import { parseSpec } from '../../src/spec/load-spec.js';
import { PostgresStore } from '../../src/store/postgres.js';
import {
  BIN, cannotMakeHosts, cleanup, Cluster, leftovers, makeHosts, scratchDir, Worker, type Host, type Line, type Topology,
} from './hosts.js';

/**
 * Two workers as two hosts (hosts.ts draws the topology): each in a network namespace of its
 * own behind a veth pair, and in a pid namespace of its own, so both are pid 1; one
 * PostgreSQL cluster of the test's own serves both. Then the faults a shared sweep must
 * survive: (a) kill -9 mid-epoch, (b) a worker paused past its lease that comes back,
 * (c) the server restarted mid-sweep, (d) eight workers on one grid.
 *
 * Every wait is on a line a worker prints (each printed after its write committed), or a
 * process's exit, and bounded. An audit trigger records every change to `trials` and
 * `epochs` with the client address it came from, which says which host wrote it.
 */

const CANNOT = cannotMakeHosts();
if (CANNOT) console.warn(`two-hosts fault tests skipped: ${CANNOT}`);

/**
 * The lease where a worker dies or stalls: short, so that recovery takes seconds, but longer
 * than the 5 s between heartbeats (HEARTBEAT_MS in src/sweep/run-sweep.ts), or a live
 * worker whose trial outlasts the lease loses it between two beats.
 */
const LEASE_S = 6;
/** The lease where none does ((c), (d)): long enough that a busy machine never lets one run out. */
const CALM_LEASE_S = 10;

/** Six trials of four short epochs (~0.1–0.3 s each). */
const SPEC = `name: hosts
seed: 11
data: {validationSplit: 0.2, trainLimit: 600, testLimit: 100}
train: {batchSize: 8}
grid:
  epochs: [4]
  units: [[32], [64]]
  dropout: [0.0, 0.2, 0.4]
`;

/** Forty tiny trials for eight workers. */
const SPEC_40 = `name: many
seed: 13
data: {validationSplit: 0.2, trainLimit: 600, testLimit: 100}
grid:
  epochs: [2]
  units: [[8], [16], [32], [64]]
  dropout: [0.0, 0.1, 0.2, 0.3, 0.4]
  learningRate: [0.001, 0.003]
`;

/**
 * Every change to a trial and every epoch row written, deleted or replaced, with the client
 * address (the host) and, for epochs, the attempt the trial was at when it was written:
 * fenced writes hold the trial's row, so that is the writer's attempt. With `claimDelayMs`,
 * each claim holds its row that long before it commits, as a claim over a slow network
 * would: claimers that do not skip a row another one holds would then claim it again.
 */
const audit = (claimDelayMs = 0) => `
  CREATE TABLE audit (
    seq bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp(), client inet DEFAULT inet_client_addr(),
    tbl text NOT NULL, op text NOT NULL, trial_id bigint NOT NULL, attempts bigint, status text, owner text,
    heartbeat_at text, epoch bigint, loss double precision);
  CREATE FUNCTION audit_trials() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
    INSERT INTO audit (tbl, op, trial_id, attempts, status, owner, heartbeat_at)
      VALUES ('trials', TG_OP, NEW.id, NEW.attempts, NEW.status, NEW.owner, NEW.heartbeat_at);
    IF NEW.attempts > OLD.attempts THEN PERFORM pg_sleep(${claimDelayMs / 1000}); END IF;
    RETURN NULL;
  END $$;
  CREATE TRIGGER audit_trials AFTER UPDATE ON trials FOR EACH ROW EXECUTE FUNCTION audit_trials();
  CREATE FUNCTION audit_epochs() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE r record;
  BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    INSERT INTO audit (tbl, op, trial_id, attempts, owner, epoch, loss)
      SELECT 'epochs', TG_OP, r.trial_id, t.attempts, t.owner, r.epoch, r.loss FROM trials t WHERE t.id = r.trial_id;
    RETURN NULL;
  END $$;
  CREATE TRIGGER audit_epochs AFTER INSERT OR UPDATE OR DELETE ON epochs FOR EACH ROW EXECUTE FUNCTION audit_epochs();
`;

type AuditRow = {
  seq: number; at: number; client: string; tbl: 'trials' | 'epochs'; op: string; trial_id: number; attempts: number;
  status: string | null; owner: string | null; heartbeat_ms: number | null; epoch: number | null;
};

type EpochRow = { epoch: number; loss: number; accuracy: number; val_loss: number; val_accuracy: number };
/** What must equal an uninterrupted run's, per configuration. */
type Outcome = {
  status: string; epochs_done: number; val_accuracy: number; val_loss: number; test_accuracy: number; test_loss: number;
  params: number; weights_sha256: string; epochs: EpochRow[];
};
type TrialRow = { id: number; config_id: string; attempts: number; resumed_from: number | null; owner: string | null };
type Results = { outcomes: Record<string, Outcome>; trials: TrialRow[] };

const OUTCOME_COLUMNS = 'config_id, status, epochs_done, val_accuracy, val_loss, test_accuracy, test_loss, params, weights_sha256';
const EPOCH_COLUMNS = 'e.epoch, e.loss, e.accuracy, e.val_loss, e.val_accuracy';

function outcomes(trials: Record<string, unknown>[], epochs: Record<string, unknown>[]): Record<string, Outcome> {
  const out: Record<string, Outcome> = {};
  for (const t of trials) {
    out[t.config_id as string] = {
      status: t.status as string, epochs_done: Number(t.epochs_done), val_accuracy: t.val_accuracy as number,
      val_loss: t.val_loss as number, test_accuracy: t.test_accuracy as number, test_loss: t.test_loss as number,
      params: Number(t.params), weights_sha256: t.weights_sha256 as string, epochs: [],
    };
  }
  for (const e of epochs) {
    out[e.config_id as string].epochs.push({
      epoch: Number(e.epoch), loss: e.loss as number, accuracy: e.accuracy as number,
      val_loss: e.val_loss as number, val_accuracy: e.val_accuracy as number,
    });
  }
  return out;
}

describe.skipIf(CANNOT !== null)(`two workers as two hosts${CANNOT ? ` (skipped: ${CANNOT})` : ''}`, () => {
  let topo: Topology;
  let cluster: Cluster;
  /** The uninterrupted run of SPEC, on a local SQLite store: what every fault must end as. */
  let expected: Record<string, Outcome>;
  let env: NodeJS.ProcessEnv;
  const report: string[] = [];

  beforeAll(async () => {
    env = { ...process.env, CI: '1', XDG_CACHE_HOME: scratchDir('sweep-faults-cache-') };
    delete env.SWEEP_FAILPOINT;
    delete env.SWEEP_LEASE_SECONDS;
    const base = uninterrupted(SPEC);
    topo = makeHosts();
    cluster = await Cluster.create(topo.hosts.map((h) => h.serverAddress));
    expected = await base;
    expect(Object.keys(expected)).toHaveLength(6);
  });

  afterAll(() => {
    if (report.length) console.log(report.join('\n'));
    const failed = cleanup.run();
    expect(failed).toEqual([]);
    if (topo) expect(leftovers(topo)).toEqual([]);
  });

  /** `sweep run SPEC --workers 1` on SQLite, uninterrupted. */
  async function uninterrupted(specText: string): Promise<Record<string, Outcome>> {
    const dir = scratchDir('sweep-faults-base-');
    writeFileSync(join(dir, 'spec.yaml'), specText);
    const db = join(dir, 'sweeps.db');
    const child = spawn(process.execPath, [BIN, 'run', join(dir, 'spec.yaml'), '--db', db, '--workers', '1'], { env, stdio: 'ignore' });
    cleanup.add('baseline run', () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(code).toBe(0);
    const d = new Database(db, { readonly: true });
    try {
      return outcomes(
        d.prepare(`SELECT ${OUTCOME_COLUMNS} FROM trials`).all() as Record<string, unknown>[],
        d.prepare(`SELECT t.config_id, ${EPOCH_COLUMNS} FROM epochs e JOIN trials t ON t.id = e.trial_id ORDER BY t.config_id, e.epoch`)
          .all() as Record<string, unknown>[],
      );
    } finally {
      d.close();
    }
  }

  /** A fresh database with the sweep registered (all trials pending, as `sweep run` leaves them) and the audit trigger on. */
  async function register(db: string, specText: string, claimDelayMs = 0): Promise<void> {
    await cluster.createDatabase(db);
    const store = await PostgresStore.open(cluster.url(topo.hosts[0], db));
    try {
      const spec = parseSpec(specText, 'spec.yaml');
      const id = await store.upsertSweep({ name: spec.name, metric: spec.metric.name, goal: spec.metric.goal, seed: spec.seed, specPath: null, specYaml: specText });
      await store.addTrials(id, spec.seed, spec.data, expandGrid(spec));
    } finally {
      await store.close();
    }
    await cluster.with(db, (c) => c.query(audit(claimDelayMs)));
  }

  async function results(db: string): Promise<Results> {
    return cluster.with(db, async (c) => {
      const trials = await c.query(`SELECT ${OUTCOME_COLUMNS} FROM trials`);
      const epochs = await c.query(
        `SELECT t.config_id, ${EPOCH_COLUMNS} FROM epochs e JOIN trials t ON t.id = e.trial_id ORDER BY t.config_id, e.epoch`,
      );
      const rows = await c.query<TrialRow>(
        'SELECT id::int, config_id, attempts::int, resumed_from::int, owner FROM trials ORDER BY id',
      );
      return { outcomes: outcomes(trials.rows, epochs.rows), trials: rows.rows };
    });
  }

  async function auditRows(db: string): Promise<AuditRow[]> {
    return cluster.with(db, async (c) => (await c.query<AuditRow>(
      `SELECT seq::int, extract(epoch FROM at)::float8 * 1000 AS at, host(client) AS client, tbl, op, trial_id::int,
         attempts::int, status, owner, extract(epoch FROM heartbeat_at::timestamptz)::float8 * 1000 AS heartbeat_ms, epoch::int
       FROM audit ORDER BY seq`,
    )).rows);
  }

  /** Each claim: the first change of a trial at a new attempt (the claim statement's own update). */
  function claims(rows: AuditRow[]): AuditRow[] {
    const seen = new Map<number, number>();
    return rows.filter((r) => {
      if (r.tbl !== 'trials' || r.status !== 'running' || (seen.get(r.trial_id) ?? 0) >= r.attempts) return false;
      seen.set(r.trial_id, r.attempts);
      return true;
    });
  }

  /** `sweep worker` on `host`, in `dir` (the workers of one test share it, and so their checkpoints, as on one machine). */
  function worker(label: string, host: Host, db: string, dir: string, lease: number, threads = 1): Promise<Worker> {
    return new Worker(label, host, ['--db', cluster.url(host, db), '--workers', String(threads)], {
      cwd: dir, env: { ...env, SWEEP_LEASE_SECONDS: String(lease) },
    }).started();
  }

  /**
   * Each worker is pid 1 of its namespace, as its owner token (`host:pid:start`) says, and
   * yet the tokens differ: with one host name and one pid, the start time (in 10 ms ticks)
   * is all that tells them apart, which is why each test starts its second worker only once
   * the first is up (see the report: tokens collide for workers started in the same tick).
   */
  function expectCollidingPids(ws: Worker[], ownersByClient: Map<string, Set<string>>): void {
    for (const w of ws) expect(w.nsPid, `worker ${w.label}'s pid in its namespace`).toBe(1);
    for (const w of ws) {
      const owners = [...(ownersByClient.get(w.host.address) ?? [])];
      expect(owners.length, `owners seen from ${w.host.address}`).toBe(1);
      expect(owners[0].split(':')[1], `pid in ${owners[0]}`).toBe('1');
    }
    const all = ws.map((w) => [...ownersByClient.get(w.host.address)!][0]);
    expect(new Set(all).size, `owner tokens ${all.join(', ')}`).toBe(ws.length);
  }

  function ownersByClient(rows: AuditRow[]): Map<string, Set<string>> {
    const map = new Map<string, Set<string>>();
    for (const c of claims(rows)) {
      if (!map.has(c.client)) map.set(c.client, new Set());
      map.get(c.client)!.add(c.owner!);
    }
    return map;
  }

  /** Every trial completed, with epochs 1..`epochs` recorded once each. */
  function expectEveryTrialOnce(r: Results, epochs: number): void {
    for (const [config, o] of Object.entries(r.outcomes)) {
      expect(o.status, config).toBe('completed');
      expect(o.epochs.map((e) => e.epoch), config).toEqual(Array.from({ length: epochs }, (_, i) => i + 1));
    }
  }

  const started = (trial: number) => new RegExp(`^trial ${trial} (\\[.*\\] )?started$`);
  const trialOf = (line: Line) => Number(/^trial (\d+) /.exec(line.text)![1]);
  const texts = (lines: Line[]) => lines.map((l) => l.text);

  it('(a) kill -9 mid-epoch: the other host takes the trial over after the lease, resumes it from its checkpoint, and ends as an uninterrupted run', async () => {
    const db = 'kill9';
    await register(db, SPEC);
    const dir = scratchDir('sweep-faults-a-');
    const [ha, hb] = topo.hosts;
    // b starts once a is up: both are pid 1 on one host name, and only their start times tell their owner tokens apart.
    const a = await worker('a', ha, db, dir, LEASE_S);
    await a.waitFor(/^worker: database /);
    const b = await worker('b', hb, db, dir, LEASE_S);

    // a's line for an epoch comes after that epoch (and its checkpoint) committed: a is now training the third.
    const second = await a.waitFor(/^trial \d+ .*epoch 2\/4:/);
    a.signal('SIGKILL');
    const killedAt = performance.now();
    const victim = trialOf(second);
    // unshare ends when its child does (its own exit status after a SIGKILLed child is util-linux's business).
    await a.exit();
    expect(existsSync(`/proc/${a.hostPid}`)).toBe(false);

    const takeover = await b.waitFor(started(victim));
    const completed = await b.waitFor(new RegExp(`^trial ${victim} .*completed:`), { from: takeover.index });
    await b.waitFor(/^worker: no trials left$/);
    expect(await b.exit()).toEqual({ code: 0, signal: null });
    expect(texts(b.err)).toEqual([]);

    const r = await results(db);
    // Every configuration completed exactly once, every epoch recorded once, the same as without the kill.
    expectEveryTrialOnce(r, 4);
    expect(r.outcomes).toEqual(expected);
    expect(r.trials.map((t) => [t.id, t.attempts])).toEqual(r.trials.map((t) => [t.id, t.id === victim ? 2 : 1]));
    const killed = r.trials.find((t) => t.id === victim)!;
    // Resumed from the checkpoint of the last epoch a finished: its second (third, had a saved that checkpoint before the kill landed).
    expect(killed.resumed_from).toBeGreaterThanOrEqual(2);
    expect(killed.resumed_from).toBeLessThanOrEqual(3);

    const rows = await auditRows(db);
    const owners = ownersByClient(rows);
    expectCollidingPids([a, b], owners);
    expect(killed.owner).toBe([...owners.get(hb.address)!][0]);
    // The lease was honoured: b claimed the trial only once a's lease (from its last heartbeat) had run out, and soon after.
    const fromA = rows.filter((x) => x.trial_id === victim && x.client === ha.address);
    const lastA = fromA[fromA.length - 1];
    const leaseEnd = fromA.filter((x) => x.tbl === 'trials').at(-1)!.heartbeat_ms! + LEASE_S * 1000;
    const claimB = claims(rows).find((x) => x.trial_id === victim && x.attempts === 2)!;
    expect(claimB.client).toBe(hb.address);
    expect(claimB.at).toBeGreaterThanOrEqual(leaseEnd - 1);
    // b looks for expired trials every lease/2 (worker.ts), and a claim takes a few ms; 2 s more for a busy machine.
    expect(claimB.at - leaseEnd).toBeLessThan(LEASE_S * 500 + 2000);
    report.push(
      `(a) kill -9 → takeover: ${((takeover.at - killedAt) / 1000).toFixed(2)} s (test clock; `
      + `server: last write by a → claim by b ${((claimB.at - lastA.at) / 1000).toFixed(2)} s), `
      + `→ trial completed ${((completed.at - killedAt) / 1000).toFixed(2)} s; lease ${LEASE_S} s, of which `
      + `${((leaseEnd - lastA.at) / 1000).toFixed(2)} s were left at the kill; claim ${((claimB.at - leaseEnd) / 1000).toFixed(2)} s `
      + `after the lease ended (b polls every ${LEASE_S / 2} s); resumed from epoch ${killed.resumed_from}`,
    );
  });

  it('(b) a worker paused past its lease comes back: its late writes change nothing, and the results are the survivor\'s', async () => {
    const db = 'pause';
    await register(db, SPEC);
    const dir = scratchDir('sweep-faults-b-');
    const [ha, hb] = topo.hosts;
    const a = await worker('a', ha, db, dir, LEASE_S);
    await a.waitFor(/^worker: database /);
    const b = await worker('b', hb, db, dir, LEASE_S);

    // Paused as soon as it has claimed a trial (the line follows the claim's commit): its
    // whole lease runs out while it is stopped, and it has the trial's work in flight.
    const claimed = await a.waitFor(/^trial \d+ .*started$/);
    a.signal('SIGSTOP');
    const stoppedAt = performance.now();
    const victim = trialOf(claimed);
    // b takes the trial over once a's lease has run out; a is still stopped then.
    const takeover = await b.waitFor(started(victim));
    expect(a.isStopped()).toBe(true);
    a.signal('SIGCONT');
    const resumedAt = performance.now();
    // a goes on where it was, and its next write for the trial is refused: the trial is no longer its attempt's.
    await Promise.all([a.waitFor(/^worker: no trials left$/), b.waitFor(/^worker: no trials left$/)]);
    expect(await a.exit()).toEqual({ code: 0, signal: null });
    expect(await b.exit()).toEqual({ code: 0, signal: null });

    const rows = await auditRows(db);
    const claimB = claims(rows).find((x) => x.trial_id === victim && x.attempts === 2)!;
    expect(claimB?.client).toBe(hb.address);
    // b claimed it only once a's lease (from a's claim or last heartbeat) had run out.
    const leaseEnd = rows.filter((x) => x.tbl === 'trials' && x.trial_id === victim && x.attempts === 1).at(-1)!.heartbeat_ms! + LEASE_S * 1000;
    expect(claimB.at).toBeGreaterThanOrEqual(leaseEnd - 1);
    // 0 rows changed by a after b's claim: not the trial, not one of its epochs.
    const late = rows.filter((x) => x.trial_id === victim && x.seq > claimB.seq && x.client === ha.address);
    expect(late).toEqual([]);
    // a tried (a refused write is what makes it say so), and said so, once, on stderr.
    const lost = a.err.find((l) => l.text.startsWith(`sweep: trial ${victim} was taken over by another worker`));
    expect(texts(a.err)).toEqual([lost!.text]);
    expect(lost!.text).toBe(`sweep: trial ${victim} was taken over by another worker (this one's lease expired); nothing of this attempt was recorded`);
    expect(texts(b.err)).toEqual([]);

    const r = await results(db);
    expectEveryTrialOnce(r, 4);
    expect(r.outcomes).toEqual(expected);
    const owners = ownersByClient(rows);
    expectCollidingPids([a, b], owners);
    const t = r.trials.find((x) => x.id === victim)!;
    expect(t.attempts).toBe(2);
    expect(t.owner).toBe([...owners.get(hb.address)!][0]);
    // Every epoch row of the trial was last written by b, at attempt 2 ...
    const lastWrite = new Map<number, AuditRow>();
    for (const x of rows) if (x.tbl === 'epochs' && x.trial_id === victim && x.op !== 'DELETE') lastWrite.set(x.epoch!, x);
    expect([...lastWrite.values()].map((x) => [x.epoch, x.client, x.attempts]).sort())
      .toEqual([1, 2, 3, 4].map((e) => [e, hb.address, 2]));
    // ... with the values b printed for the epochs it trained, and b's outcome.
    const mine = r.outcomes[t.config_id];
    const printed = b.out.slice(takeover.index).filter((l) => new RegExp(`^trial ${victim} .*epoch \\d/4:`).test(l.text));
    expect(printed.length).toBeGreaterThanOrEqual(2);
    for (const line of printed) {
      const e = mine.epochs[Number(/epoch (\d)\/4/.exec(line.text)![1]) - 1];
      expect(line.text).toContain(`epoch ${e.epoch}/4: loss ${e.loss.toFixed(4)} acc ${pct(e.accuracy)}% `
        + `val_loss ${e.val_loss.toFixed(4)} val_acc ${pct(e.val_accuracy)}% (`);
    }
    await b.waitFor(new RegExp(`^trial ${victim} .*completed: val_acc ${pct(mine.val_accuracy)}% test_acc ${pct(mine.test_accuracy)}% `));
    report.push(
      `(b) a stopped ${((resumedAt - stoppedAt) / 1000).toFixed(2)} s (lease ${LEASE_S} s); b claimed the trial `
      + `${((claimB.at - leaseEnd) / 1000).toFixed(2)} s after a's lease ended; a said it lost the trial `
      + `${((lost!.at - resumedAt) / 1000).toFixed(2)} s after SIGCONT`,
    );
  });

  it('(c) PostgreSQL restarted mid-sweep (immediate stop, start): the workers reconnect and nothing committed is lost', async () => {
    const db = 'restart';
    await register(db, SPEC);
    const dir = scratchDir('sweep-faults-c-');
    const [ha, hb] = topo.hosts;
    const a = await worker('a', ha, db, dir, CALM_LEASE_S);
    await a.waitFor(/^worker: database /);
    const b = await worker('b', hb, db, dir, CALM_LEASE_S);

    // Mid-sweep: a trial done, and a in the middle of its next one.
    const done = await a.waitFor(/completed:/);
    await a.waitFor(/epoch 1\/4:/, { from: done.index });
    const before = await results(db);
    const statuses = await cluster.with(db, async (c) => (await c.query<{ status: string }>('SELECT status FROM trials')).rows.map((x) => x.status));
    expect(statuses).toContain('running');
    expect(statuses.filter((s) => s !== 'completed').length).toBeGreaterThanOrEqual(2);
    const logBefore = cluster.serverLog().length;
    const down = performance.now();
    await cluster.stop('immediate');
    const stopped = performance.now();
    // Both were mid-sweep when the server went: their connections broke under them.
    expect([a.running, b.running]).toEqual([true, true]);
    await cluster.start();
    const up = performance.now();

    await Promise.all([a.waitFor(/^worker: no trials left$/, { timeoutMs: 60_000 }), b.waitFor(/^worker: no trials left$/, { timeoutMs: 60_000 })]);
    expect(await a.exit()).toEqual({ code: 0, signal: null });
    expect(await b.exit()).toEqual({ code: 0, signal: null });
    expect(texts(a.err)).toEqual([]);
    expect(texts(b.err)).toEqual([]);

    const after = await results(db);
    // What was committed before the crash is there, unchanged ...
    for (const [config, o] of Object.entries(before.outcomes)) {
      if (o.status === 'completed') expect(after.outcomes[config], config).toEqual(o);
      else expect(after.outcomes[config].epochs.slice(0, o.epochs.length), config).toEqual(o.epochs);
    }
    // ... and so is every epoch and trial a worker said it recorded (each line comes after its commit), before or after.
    const byId = new Map(after.trials.map((t) => [t.id, after.outcomes[t.config_id]]));
    for (const w of [a, b]) {
      for (const line of w.out) {
        const m = /^trial (\d+) .*epoch (\d)\/4: loss (\S+) acc (\S+)% val_loss (\S+) val_acc (\S+)%/.exec(line.text);
        if (m) {
          const e = byId.get(Number(m[1]))!.epochs[Number(m[2]) - 1];
          expect([e.loss.toFixed(4), pct(e.accuracy), e.val_loss.toFixed(4), pct(e.val_accuracy)], line.text).toEqual(m.slice(3));
        }
        const c = /^trial (\d+) .*completed: val_acc (\S+)% test_acc (\S+)%/.exec(line.text);
        if (c) expect([pct(byId.get(Number(c[1]))!.val_accuracy), pct(byId.get(Number(c[1]))!.test_accuracy)], line.text).toEqual(c.slice(2));
      }
    }
    expectEveryTrialOnce(after, 4);
    expect(after.outcomes).toEqual(expected);
    // No trial was claimed twice: a claim whose reply the crash swallowed was taken back, not repeated.
    expect(after.trials.map((t) => t.attempts)).toEqual(after.trials.map(() => 1));
    // Both hosts connected again after the restart.
    const log = cluster.serverLog().slice(logBefore);
    const restarted = log.indexOf('database system is ready to accept connections');
    expect(restarted).toBeGreaterThan(-1);
    for (const h of [ha, hb]) {
      const reconnected = new RegExp(`${h.address.replace(/\./g, '\\.')}.*connection authorized: user=sweep database=${db}`);
      expect(log.slice(restarted), `reconnection from ${h.address}`).toMatch(reconnected);
    }
    expectCollidingPids([a, b], ownersByClient(await auditRows(db)));
    report.push(
      `(c) server down ${((up - down) / 1000).toFixed(2)} s (immediate stop ${((stopped - down) / 1000).toFixed(2)} s, `
      + `start with crash recovery ${((up - stopped) / 1000).toFixed(2)} s); both workers reconnected and finished`,
    );
  });

  it('(d) eight workers, four per host, on a 40-configuration grid: none trained twice, none left behind', async () => {
    const db = 'many';
    // Each claim holds its row 50 ms: the claimers overlap, and one that did not skip a held row would claim it twice.
    await register(db, SPEC_40, 50);
    const dir = scratchDir('sweep-faults-d-');
    // All at once, as a scheduler would start them: four processes of two training threads,
    // two per host, each pid 1 of its own namespace, so four claimers race for each trial.
    const t0 = performance.now();
    const ws = await Promise.all(Array.from({ length: 4 }, (_, i) =>
      worker(`d${i}`, topo.hosts[i % 2], db, dir, LEASE_S, 2)));
    await Promise.all(ws.map((w) => w.waitFor(/^worker: no trials left$/, { timeoutMs: 80_000 })));
    const seconds = (performance.now() - t0) / 1000;
    for (const w of ws) {
      expect(await w.exit(), w.label).toEqual({ code: 0, signal: null });
      expect(texts(w.err), w.label).toEqual([]);
      expect(w.nsPid, w.label).toBe(1);
    }

    const r = await results(db);
    expect(r.trials).toHaveLength(40);
    expectEveryTrialOnce(r, 2);
    expect(r.trials.map((t) => t.attempts)).toEqual(r.trials.map(() => 1));
    // Each trial was started once, in all eight logs together, and claimed once.
    const startedLines = ws.flatMap((w) => w.out.filter((l) => /^trial \d+ .*started$/.test(l.text)).map(trialOf));
    expect(startedLines.sort((x, y) => x - y)).toEqual(r.trials.map((t) => t.id));
    const cs = claims(await auditRows(db));
    expect(cs.map((c) => c.trial_id).sort((x, y) => x - y)).toEqual(r.trials.map((t) => t.id));
    // Both hosts took part.
    expect(new Set(cs.map((c) => c.client))).toEqual(new Set(topo.hosts.map((h) => h.address)));
    const owners = new Set(cs.map((c) => c.owner));
    const busy = ws.filter((w) => w.out.some((l) => /started$/.test(l.text))).length;
    report.push(
      `(d) 4 processes × 2 workers, 40 trials in ${seconds.toFixed(1)} s; ${busy} workers trained; `
      + `${owners.size} distinct owner tokens among them (${[...owners].join(', ')})`,
    );
  });
});
