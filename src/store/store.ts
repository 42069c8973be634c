import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { UserError } from '../errors.js';
import type { Trial, TrialConfig } from '../grid/expand.js';
import type { EpochMetrics, TrialOutcome } from '../pool/protocol.js';
import type { DataSettings, Metric } from '../spec/schema.js';
import { failpoint } from '../failpoint.js';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.js';

const BUSY_TIMEOUT_MS = 10_000;

/** Runs `f`, retrying while SQLite reports SQLITE_BUSY, for up to the busy timeout. */
function withBusyRetry<T>(f: () => T): T {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      return f();
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw err;
      Atomics.wait(pause, 0, 0, 20);
    }
  }
}

export type TrialStatus = 'pending' | 'running' | 'completed' | 'failed' | 'interrupted';

export type SweepRow = {
  id: number; name: string; metric: Metric; seed: number;
  spec_path: string | null; spec_yaml: string; created_at: string; updated_at: string;
};

export type TrialRow = {
  id: number; sweep_id: number; config_id: string; config_json: string; data_json: string;
  status: TrialStatus; seed: number; backend: string | null; started_at: string | null; finished_at: string | null;
  epochs_done: number; attempts: number; owner: string | null; heartbeat_at: string | null;
  resumed_from: number | null; weights_sha256: string | null; env_json: string | null; repro_of: number | null;
  val_accuracy: number | null; val_loss: number | null; test_accuracy: number | null;
  test_loss: number | null; params: number | null; seconds: number | null; error: string | null;
  model: string; epochs: number; activation: string; units: string; dropout: number; filters: string | null;
  kernel_size: number | null; pooling: string | null; optimizer: string; learning_rate: number; batch_size: number;
};

/** A trial as views show it: its configuration, state, outcome and every recorded epoch. */
export type TrialSnapshot = {
  id: number; configId: string; config: TrialConfig; status: TrialStatus; backend: string | null;
  epochs: EpochMetrics[]; valAccuracy: number | null; valLoss: number | null; testAccuracy: number | null;
  seconds: number | null; startedAt: string | null; error: string | null;
};

export type SweepSummary = {
  name: string; metric: Metric; created_at: string; updated_at: string; total: number;
  completed: number; failed: number; running: number; pending: number; best: number | null;
};

const now = () => new Date().toISOString();

/**
 * The results database. The only code that writes SQL; one writer (the main thread),
 * any number of readers (WAL).
 */
export class Store {
  readonly db: Database.Database;
  readonly path: string;

  private constructor(db: Database.Database, path: string) {
    this.db = db;
    this.path = path;
  }

  /**
   * Opens (creating when writable) the database at `path` and brings its schema up to
   * date. A path that cannot be used, a file that is not a database, or one from a newer
   * `sweep` is a UserError.
   */
  static open(path: string, options: { readonly?: boolean } = {}): Store {
    const readonly = options.readonly ?? false;
    let db: Database.Database;
    try {
      if (!readonly && path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      db = new Database(path, { readonly, fileMustExist: readonly });
    } catch (err) {
      throw new UserError(`${path}: cannot open the database (${describe(err)})`);
    }
    try {
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      // Two processes opening a new database at once (two `sweep run`s on one sweep) race to
      // switch it to WAL, and SQLite answers the loser SQLITE_BUSY at once: retry, bounded.
      if (!readonly) withBusyRetry(() => db.pragma('journal_mode = WAL'));
      if (!readonly) db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      const checkVersion = (version: number) => {
        if (version > SCHEMA_VERSION) {
          throw new UserError(`${path}: written by a newer sweep (schema version ${version}, this one knows up to ${SCHEMA_VERSION})`);
        }
      };
      const version = db.pragma('user_version', { simple: true }) as number;
      checkVersion(version);
      if (version < SCHEMA_VERSION) {
        if (readonly) throw new UserError(`${path}: schema version ${version} is older than ${SCHEMA_VERSION}; run \`sweep run\` on it once to upgrade`);
        db.transaction(() => {
          // Read again under the write lock: another process may have migrated meanwhile.
          const current = db.pragma('user_version', { simple: true }) as number;
          checkVersion(current);
          for (let v = current; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]);
          db.pragma(`user_version = ${SCHEMA_VERSION}`);
        }).immediate();
      }
    } catch (err) {
      db.close();
      if (err instanceof UserError) throw err;
      throw new UserError(`${path}: cannot use the database (${describe(err)})`);
    }
    return new Store(db, path);
  }

  close(): void {
    this.db.close();
  }

  /** Creates the sweep, or updates the spec text of the sweep with this name; returns its id. */
  upsertSweep(s: { name: string; metric: Metric; seed: number; specPath: string | null; specYaml: string }): number {
    const t = now();
    const row = this.db.prepare(
      `INSERT INTO sweeps (name, metric, seed, spec_path, spec_yaml, created_at, updated_at)
       VALUES (@name, @metric, @seed, @specPath, @specYaml, @t, @t)
       ON CONFLICT (name) DO UPDATE SET metric = excluded.metric, seed = excluded.seed,
         spec_path = excluded.spec_path, spec_yaml = excluded.spec_yaml, updated_at = excluded.updated_at
       RETURNING id`,
    ).get({ ...s, t }) as { id: number };
    return row.id;
  }

  /** Adds the trials this sweep does not have yet as 'pending'; returns how many were new. */
  addTrials(sweepId: number, seed: number, data: DataSettings, trials: readonly Trial[]): number {
    const insert = this.db.prepare(
      `INSERT INTO trials (sweep_id, config_id, config_json, data_json, seed, model, epochs, activation, units,
         dropout, filters, kernel_size, pooling, optimizer, learning_rate, batch_size)
       VALUES (@sweepId, @configId, @configJson, @dataJson, @seed, @model, @epochs, @activation, @units,
         @dropout, @filters, @kernelSize, @pooling, @optimizer, @learningRate, @batchSize)
       ON CONFLICT (sweep_id, config_id) DO NOTHING`,
    );
    const dataJson = JSON.stringify(data);
    return this.db.transaction(() => {
      let added = 0;
      for (const { configId, config } of trials) {
        added += insert.run({
          sweepId, configId, configJson: JSON.stringify(config), dataJson, seed, ...hyperparameterColumns(config),
        }).changes;
      }
      return added;
    }).immediate();
  }

  /**
   * Re-queues this sweep's trials left 'running' by a process that is gone (`alive` says
   * no, or no heartbeat within `leaseMs`) as 'interrupted'; returns how many.
   */
  releaseDead(sweepId: number, alive: (owner: string) => boolean, leaseMs: number): number {
    return this.db.transaction(() => {
      const stale = this.runningOf(sweepId).filter((t) => isDead(t, alive, leaseMs));
      const release = this.db.prepare(`UPDATE trials SET status = 'interrupted', owner = NULL WHERE id = ? AND status = 'running'`);
      for (const t of stale) release.run(t.id);
      return stale.length;
    }).immediate();
  }

  /**
   * Atomically claims the next trial of this sweep to train for `owner`: the first (by id)
   * eligible one that is pending, interrupted, or running under a dead owner. Two processes
   * never get the same trial: the claim is one write transaction.
   */
  claimNext(
    sweepId: number, owner: string, eligible: (configId: string) => boolean,
    alive: (owner: string) => boolean, leaseMs: number,
  ): TrialRow | undefined {
    return this.db.transaction(() => {
      const candidates = this.db.prepare(
        `SELECT * FROM trials WHERE sweep_id = ? AND status IN ('pending', 'interrupted', 'running') ORDER BY id`,
      ).all(sweepId) as (TrialRow & { owner: string | null; heartbeat_at: string | null })[];
      const next = candidates.find((t) => eligible(t.config_id) && (t.status !== 'running' || isDead(t, alive, leaseMs)));
      if (!next) return undefined;
      const t = now();
      this.db.prepare(
        `UPDATE trials SET status = 'running', owner = ?, heartbeat_at = ?, started_at = ?, attempts = attempts + 1,
           finished_at = NULL, val_accuracy = NULL, val_loss = NULL, test_accuracy = NULL, test_loss = NULL,
           params = NULL, seconds = NULL, error = NULL, resumed_from = NULL
         WHERE id = ?`,
      ).run(owner, t, t, next.id);
      failpoint('claim');
      return this.db.prepare('SELECT * FROM trials WHERE id = ?').get(next.id) as TrialRow;
    }).immediate();
  }

  /** Tells other processes that `owner` is alive and still training its trials. */
  heartbeat(owner: string): void {
    this.db.prepare(`UPDATE trials SET heartbeat_at = ? WHERE owner = ? AND status = 'running'`).run(now(), owner);
  }

  /**
   * A claimed trial starts: from scratch (no epochs) or after the epochs its checkpoint
   * restored, which are recorded (a kill may have come between the checkpoint and the
   * epoch's row); later epochs of an earlier attempt are dropped.
   */
  resumeAt(trialId: number, resumed: readonly EpochMetrics[], backend: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM epochs WHERE trial_id = ? AND epoch > ?').run(trialId, resumed.length);
      for (const e of resumed) this.insertEpoch(trialId, e);
      this.db.prepare('UPDATE trials SET epochs_done = ?, resumed_from = ?, backend = ? WHERE id = ?')
        .run(resumed.length, resumed.length > 0 ? resumed.length : null, backend, trialId);
    }).immediate();
  }

  /** Re-queues the trials `owner` holds (after a failed write, before giving up). */
  releaseOwned(owner: string): void {
    this.db.prepare(`UPDATE trials SET status = 'interrupted', owner = NULL WHERE owner = ? AND status = 'running'`).run(owner);
  }

  /** Links a trial to the one it reproduces (`sweep repro`). */
  markReproduction(trialId: number, originalId: number): void {
    this.db.prepare('UPDATE trials SET repro_of = ? WHERE id = ?').run(originalId, trialId);
  }

  /** Puts a completed or failed trial back in the queue to train again from scratch. */
  requeue(trialId: number): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM epochs WHERE trial_id = ?').run(trialId);
      this.db.prepare(`UPDATE trials SET status = 'pending', epochs_done = 0, error = NULL WHERE id = ?`).run(trialId);
    }).immediate();
  }

  trial(id: number): TrialRow | undefined {
    return this.db.prepare('SELECT * FROM trials WHERE id = ?').get(id) as TrialRow | undefined;
  }

  sweepById(id: number): SweepRow | undefined {
    return this.db.prepare('SELECT * FROM sweeps WHERE id = ?').get(id) as SweepRow | undefined;
  }

  /** Puts this sweep's failed trials back in the queue (`sweep run --retry-failed`); returns how many. */
  retryFailed(sweepId: number): number {
    return this.db.prepare(`UPDATE trials SET status = 'pending', error = NULL WHERE sweep_id = ? AND status = 'failed'`)
      .run(sweepId).changes;
  }

  private runningOf(sweepId: number) {
    return this.db.prepare(`SELECT id, owner, heartbeat_at FROM trials WHERE sweep_id = ? AND status = 'running'`)
      .all(sweepId) as { id: number; owner: string | null; heartbeat_at: string | null }[];
  }

  /** Records one finished epoch (idempotent: the same epoch again replaces it). */
  recordEpoch(trialId: number, m: EpochMetrics, backend?: string): void {
    this.db.transaction(() => {
      this.insertEpoch(trialId, m);
      this.db.prepare('UPDATE trials SET epochs_done = MAX(epochs_done, ?), backend = COALESCE(?, backend) WHERE id = ?')
        .run(m.epoch, backend ?? null, trialId);
      failpoint('epoch-write');
    }).immediate();
  }

  private insertEpoch(trialId: number, m: EpochMetrics): void {
    this.db.prepare(
      `INSERT OR REPLACE INTO epochs (trial_id, epoch, loss, accuracy, val_loss, val_accuracy, seconds)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(trialId, m.epoch, m.loss, m.accuracy, m.valLoss, m.valAccuracy, m.seconds);
  }

  /** Records a completed trial and all its epochs in one transaction. */
  completeTrial(trialId: number, r: TrialOutcome, environment: object | null = null): void {
    this.db.transaction(() => {
      for (const e of r.epochs) this.insertEpoch(trialId, e);
      this.db.prepare('UPDATE trials SET epochs_done = ? WHERE id = ?').run(r.epochs.length, trialId);
      this.db.prepare(
        `UPDATE trials SET status = 'completed', finished_at = ?, backend = ?, val_accuracy = ?, val_loss = ?,
           test_accuracy = ?, test_loss = ?, params = ?, seconds = ?, error = NULL, weights_sha256 = ?, env_json = ?
         WHERE id = ?`,
      ).run(now(), r.backend, r.valAccuracy, r.valLoss, r.testAccuracy, r.testLoss, r.params, r.seconds,
        r.weightsSha256, environment ? JSON.stringify(environment) : null, trialId);
      failpoint('trial-write');
    }).immediate();
  }

  /** Records a failed trial with its error and the epochs it finished. */
  failTrial(trialId: number, error: string, epochs: readonly EpochMetrics[], backend?: string): void {
    this.db.transaction(() => {
      for (const e of epochs) this.insertEpoch(trialId, e);
      this.db.prepare(
        `UPDATE trials SET status = 'failed', finished_at = ?, error = ?, backend = COALESCE(?, backend),
           epochs_done = MAX(epochs_done, ?) WHERE id = ?`,
      ).run(now(), error, backend ?? null, epochs.length, trialId);
    }).immediate();
  }

  /** Marks a running trial as interrupted (stopped by the user); it runs again next time. */
  interruptTrial(trialId: number): void {
    this.db.prepare(`UPDATE trials SET status = 'interrupted', finished_at = ?, owner = NULL WHERE id = ? AND status = 'running'`)
      .run(now(), trialId);
  }

  sweep(name: string): SweepRow | undefined {
    return this.db.prepare('SELECT * FROM sweeps WHERE name = ?').get(name) as SweepRow | undefined;
  }

  /** The sweep's trials: completed ones ranked by its metric, then the rest by id. */
  trials(sweepId: number): TrialRow[] {
    return this.db.prepare(
      `SELECT t.* FROM trials t JOIN sweeps s ON s.id = t.sweep_id WHERE t.sweep_id = ?
       ORDER BY t.status <> 'completed',
         CASE s.metric WHEN 'val_loss' THEN -t.val_loss ELSE t.val_accuracy END DESC, t.id`,
    ).all(sweepId) as TrialRow[];
  }

  /** The sweep's trials (ranked as `trials`) with their epochs: what a view needs, in two queries. */
  snapshot(sweepId: number): TrialSnapshot[] {
    const epochs = new Map<number, EpochMetrics[]>();
    const rows = this.db.prepare(
      `SELECT e.trial_id AS trialId, e.epoch, e.loss, e.accuracy, e.val_loss AS valLoss,
         e.val_accuracy AS valAccuracy, e.seconds
       FROM epochs e JOIN trials t ON t.id = e.trial_id WHERE t.sweep_id = ? ORDER BY e.trial_id, e.epoch`,
    ).all(sweepId) as (EpochMetrics & { trialId: number })[];
    for (const { trialId, ...m } of rows) {
      if (!epochs.has(trialId)) epochs.set(trialId, []);
      epochs.get(trialId)!.push(m);
    }
    return this.trials(sweepId).map((t) => ({
      id: t.id, configId: t.config_id, config: JSON.parse(t.config_json) as TrialConfig, status: t.status,
      backend: t.backend, epochs: epochs.get(t.id) ?? [], valAccuracy: t.val_accuracy, valLoss: t.val_loss,
      testAccuracy: t.test_accuracy, seconds: t.seconds, startedAt: t.started_at, error: t.error,
    }));
  }

  epochs(trialId: number): EpochMetrics[] {
    return this.db.prepare(
      `SELECT epoch, loss, accuracy, val_loss AS valLoss, val_accuracy AS valAccuracy, seconds
       FROM epochs WHERE trial_id = ? ORDER BY epoch`,
    ).all(trialId) as EpochMetrics[];
  }

  /** Every sweep with its trial counts and best score. */
  sweeps(): SweepSummary[] {
    return this.db.prepare(
      `SELECT s.name, s.metric, s.created_at, s.updated_at, COUNT(t.id) AS total,
         SUM(t.status = 'completed') AS completed, SUM(t.status = 'failed') AS failed,
         SUM(t.status = 'running') AS running, SUM(t.status IN ('pending', 'interrupted')) AS pending,
         CASE s.metric WHEN 'val_loss' THEN MIN(CASE WHEN t.status = 'completed' THEN t.val_loss END)
                       ELSE MAX(CASE WHEN t.status = 'completed' THEN t.val_accuracy END) END AS best
       FROM sweeps s LEFT JOIN trials t ON t.sweep_id = s.id
       GROUP BY s.id ORDER BY s.created_at, s.id`,
    ).all() as SweepSummary[];
  }
}

/** A running trial's owner is dead if it says so, or if its heartbeat is older than the lease. */
function isDead(t: { owner: string | null; heartbeat_at: string | null }, alive: (owner: string) => boolean, leaseMs: number): boolean {
  if (!t.owner || !t.heartbeat_at) return true;
  return Date.now() - Date.parse(t.heartbeat_at) > leaseMs || !alive(t.owner);
}

/** The per-hyperparameter columns, so that `WHERE dropout > 0.2` needs no JSON functions. */
function hyperparameterColumns(c: TrialConfig) {
  return {
    model: c.model, epochs: c.epochs, activation: c.activation, units: JSON.stringify(c.units), dropout: c.dropout,
    filters: c.filters ? JSON.stringify(c.filters) : null, kernelSize: c.kernelSize ?? null, pooling: c.pooling ?? null,
    optimizer: c.optimizer, learningRate: c.learningRate, batchSize: c.batchSize,
  };
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e.code === 'SQLITE_NOTADB') return 'not an SQLite database';
  if (e.code === 'SQLITE_CANTOPEN') return 'cannot open the file: is its directory there and writable?';
  return e.message ?? String(err);
}
