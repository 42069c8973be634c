import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { UserError } from '../errors.js';
import type { DataSettings } from '../spec/schema.js';
import { failpoint } from '../failpoint.js';
import type {
  DecisionRecord, EpochMetrics, ModelFiles, SweepRecord, SweepSummary, Trial, TrialConfig, TrialOutcome, TrialRecord, TrialSnapshot,
} from '../types.js';
import { withDefaults } from '../spec/hyperparameters.js';
import { refuseNetworkFilesystem } from './filesystem.js';
import {
  copiedTrialColumns, DECISION_COLUMNS, DECISIONS_OF_SWEEP, decisionValues, HYPERPARAMETER_COLUMNS, hyperparameterValues, paramRows,
  paramRowsOfColumns,   REFUSED, reportedByStep, reportedRows, toDecision, toSweep, toTrial, type DecisionRow, type SweepRow, type TrialRow,
} from './rows.js';
import { ownerAlive } from './owner.js';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.js';
import { METRIC_VALUE_OF } from './schema.js';
import { leaseMs, type Claim, type EpochDecision, type NewSweep, type QueryResult, type Store, type TrialCopy, type Value } from './store.js';

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



const now = () => new Date().toISOString();

/**
 * The Store on SQLite (better-sqlite3): one file, one host. The main thread is the only
 * writer of a process; any number of processes on this host share the file (WAL). Calls are
 * synchronous underneath; the promises only keep the Store contract's shape.
 */
export class SqliteStore implements Store {
  readonly location: string;
  private readonly db: Database.Database;
  readonly leaseMs: number;

  private constructor(db: Database.Database, path: string, lease: number) {
    this.db = db;
    this.location = path;
    this.leaseMs = lease;
  }

  /**
   * Opens (creating when writable) the database at `path` and brings its schema up to
   * date. A path that cannot be used, a network filesystem, a file that is not a database,
   * or one from a newer `sweep` is a UserError.
   */
  static async open(path: string, options: { readonly?: boolean; leaseMs?: number } = {}): Promise<SqliteStore> {
    const readonly = options.readonly ?? false;
    const lease = options.leaseMs ?? leaseMs();
    // WAL's shared memory and SQLite's locks do not reach other hosts: readers too are refused there.
    refuseNetworkFilesystem(path);
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
        // A migration that rebuilds a table drops the old one: with foreign keys on, that would
        // cascade to every epoch. Off around the transaction (the pragma is a no-op inside one),
        // and checked before the commit.
        db.pragma('foreign_keys = OFF');
        db.transaction(() => {
          // Read again under the write lock: another process may have migrated meanwhile.
          const current = db.pragma('user_version', { simple: true }) as number;
          checkVersion(current);
          for (let v = current; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]);
          // v8's parameters as rows, for the trials recorded before it: from each one's configuration.
          if (current < 8) {
            const insert = db.prepare('INSERT OR IGNORE INTO param_values (trial_id, name, value, number) VALUES (?, ?, ?, ?)');
            const trials = db.prepare(`SELECT id, ${HYPERPARAMETER_COLUMNS.join(', ')} FROM trials`).raw().all() as [number, ...(string | number | null)[]][];
            for (const [id, ...values] of trials) for (const row of paramRowsOfColumns(id, values)) insert.run(...row);
          }
          const broken = db.pragma('foreign_key_check') as unknown[];
          if (broken.length > 0) throw new Error(`migration broke ${broken.length} foreign keys`);
          db.pragma(`user_version = ${SCHEMA_VERSION}`);
        }).immediate();
        db.pragma('foreign_keys = ON');
      }
    } catch (err) {
      db.close();
      if (err instanceof UserError) throw err;
      throw new UserError(`${path}: cannot use the database (${describe(err)})`);
    }
    return new SqliteStore(db, path, lease);
  }

  async close(): Promise<void> {
    this.db.close();
  }

  async upsertSweep(s: NewSweep): Promise<number> {
    const t = now();
    return this.db.transaction(() => {
      const before = this.db.prepare('SELECT metric FROM sweeps WHERE name = ?').get(s.name) as { metric: string } | undefined;
      const row = this.db.prepare(
        `INSERT INTO sweeps (name, metric, goal, seed, spec_path, spec_yaml, created_at, updated_at)
         VALUES (@name, @metric, @goal, @seed, @specPath, @specYaml, @t, @t)
         ON CONFLICT (name) DO UPDATE SET metric = excluded.metric, goal = excluded.goal, seed = excluded.seed,
           spec_path = excluded.spec_path, spec_yaml = excluded.spec_yaml, updated_at = excluded.updated_at
         RETURNING id`,
      ).get({ ...s, t }) as { id: number };
      if (before && before.metric !== s.metric) {
        this.db.prepare(`UPDATE trials SET metric_value = ${METRIC_VALUE_OF('trials')} WHERE sweep_id = ? AND status IN ('completed', 'pruned')`).run(row.id);
      }
      return row.id;
    }).immediate();
  }

  async addTrials(sweepId: number, seed: number, data: DataSettings, trials: readonly Trial[]): Promise<number> {
    const dataJson = JSON.stringify(data);
    return this.db.transaction(() => {
      let added = 0;
      for (const t of trials) added += this.insertTrial(sweepId, seed, dataJson, t);
      return added;
    }).immediate();
  }

  async proposeTrial(
    sweepId: number, seed: number, data: DataSettings,
    propose: (trials: readonly TrialRecord[], number: number) => Trial | undefined,
  ): Promise<TrialRecord | undefined> {
    // The write lock (BEGIN IMMEDIATE) is the proposal lock: every other writer waits.
    return this.db.transaction(() => {
      const rows = (this.db.prepare('SELECT * FROM trials WHERE sweep_id = ? ORDER BY number').all(sweepId) as TrialRow[]).map(toTrial);
      const number = rows.length === 0 ? 0 : rows[rows.length - 1].number + 1;
      const trial = propose(rows, number);
      if (!trial || this.insertTrial(sweepId, seed, JSON.stringify(data), trial) === 0) return undefined;
      return toTrial(this.db.prepare('SELECT * FROM trials WHERE sweep_id = ? AND config_id = ?').get(sweepId, trial.configId) as TrialRow);
    }).immediate();
  }

  async retryFailed(sweepId: number): Promise<number> {
    return this.db.prepare(`UPDATE trials SET status = 'pending', error = NULL WHERE sweep_id = ? AND status = 'failed'`)
      .run(sweepId).changes;
  }

  async releaseExpired(sweepId: number): Promise<number> {
    return this.db.transaction(() => {
      const stale = (this.db.prepare(`SELECT id, owner, heartbeat_at FROM trials WHERE sweep_id = ? AND status = 'running'`)
        .all(sweepId) as Pick<TrialRow, 'id' | 'owner' | 'heartbeat_at'>[]).filter((t) => this.expired(t));
      const release = this.db.prepare(`UPDATE trials SET status = 'interrupted', owner = NULL WHERE id = ? AND status = 'running'`);
      for (const t of stale) release.run(t.id);
      return stale.length;
    }).immediate();
  }

  async claimNext(sweepId: number, owner: string, eligible: readonly string[]): Promise<Claim | undefined> {
    const allowed = new Set(eligible);
    return this.db.transaction(() => {
      const candidates = this.db.prepare(
        `SELECT id, config_id, status, owner, heartbeat_at FROM trials
         WHERE sweep_id = ? AND status IN ('pending', 'interrupted', 'running') ORDER BY id`,
      ).all(sweepId) as Pick<TrialRow, 'id' | 'config_id' | 'status' | 'owner' | 'heartbeat_at'>[];
      const next = candidates.find((t) => allowed.has(t.config_id) && (t.status !== 'running' || this.expired(t)));
      if (!next) return undefined;
      const t = now();
      const row = this.db.prepare(
        `UPDATE trials SET status = 'running', owner = ?, heartbeat_at = ?, started_at = ?, attempts = attempts + 1,
           finished_at = NULL, val_accuracy = NULL, val_loss = NULL, test_accuracy = NULL, test_loss = NULL,
           params = NULL, seconds = NULL, error = NULL, resumed_from = NULL, metric_value = NULL
         WHERE id = ? RETURNING *`,
      ).get(owner, t, t, next.id) as TrialRow;
      failpoint('claim');
      const trial = toTrial(row);
      return { trial, attempt: trial.attempts };
    }).immediate();
  }

  async heartbeat(owner: string): Promise<void> {
    this.db.prepare(`UPDATE trials SET heartbeat_at = ? WHERE owner = ? AND status = 'running'`).run(now(), owner);
  }

  async resumeAt(claim: Claim, resumed: readonly EpochMetrics[], backend: string): Promise<boolean> {
    return this.fenced(claim, () => {
      this.db.prepare('DELETE FROM epochs WHERE trial_id = ? AND epoch > ?').run(claim.trial.id, resumed.length);
      this.db.prepare('DELETE FROM decisions WHERE trial_id = ? AND epoch > ?').run(claim.trial.id, resumed.length);
      this.db.prepare('DELETE FROM reported_metrics WHERE trial_id = ? AND step > ?').run(claim.trial.id, resumed.length);
      for (const e of resumed) this.insertEpoch(claim.trial.id, e);
      this.db.prepare('UPDATE trials SET epochs_done = ?, resumed_from = ?, backend = ? WHERE id = ?')
        .run(resumed.length, resumed.length > 0 ? resumed.length : null, backend, claim.trial.id);
    });
  }

  async recordEpoch(
    claim: Claim, m: EpochMetrics, backend?: string, checkpoint?: Uint8Array | null, decision?: EpochDecision,
  ): Promise<boolean> {
    return this.fenced(claim, () => {
      const id = claim.trial.id;
      this.insertEpoch(id, m);
      this.db.prepare('UPDATE trials SET epochs_done = MAX(epochs_done, ?), backend = COALESCE(?, backend) WHERE id = ?')
        .run(m.epoch, backend ?? null, id);
      if (decision) {
        this.db.prepare(`INSERT OR REPLACE INTO decisions (${DECISION_COLUMNS.join(', ')}) VALUES (${DECISION_COLUMNS.map(() => '?').join(', ')})`)
          .run(...decisionValues(id, { ...decision, epoch: m.epoch }));
      }
      if (decision?.verdict === 'prune') {
        this.db.prepare('DELETE FROM checkpoints WHERE trial_id = ?').run(id);
        this.db.prepare(
          `UPDATE trials SET status = 'pruned', finished_at = ?, val_accuracy = ?, val_loss = ?, error = NULL,
             seconds = (SELECT SUM(seconds) FROM epochs WHERE trial_id = ?) WHERE id = ?`,
        ).run(now(), m.valAccuracy, m.valLoss, id, id);
        this.setMetricValue(id);
      } else if (checkpoint) {
        this.db.prepare('INSERT OR REPLACE INTO checkpoints (trial_id, epoch, data) VALUES (?, ?, ?)').run(id, m.epoch, checkpoint);
      }
      failpoint('epoch-write');
    });
  }

  async completeTrial(claim: Claim, r: TrialOutcome, environment: object | null, model?: ModelFiles | null): Promise<boolean> {
    return this.fenced(claim, () => {
      for (const e of r.epochs) this.insertEpoch(claim.trial.id, e);
      this.db.prepare('DELETE FROM checkpoints WHERE trial_id = ?').run(claim.trial.id);
      if (model) {
        this.db.prepare('INSERT OR REPLACE INTO models (trial_id, model_json, weights) VALUES (?, ?, ?)')
          .run(claim.trial.id, model.modelJson, model.weights);
      }
      this.db.prepare(
        `UPDATE trials SET status = 'completed', finished_at = ?, backend = ?, val_accuracy = ?, val_loss = ?,
           test_accuracy = ?, test_loss = ?, params = ?, seconds = ?, error = NULL, weights_sha256 = ?, env_json = ?,
           epochs_done = ?
         WHERE id = ?`,
      ).run(now(), r.backend, r.valAccuracy, r.valLoss, r.testAccuracy, r.testLoss, r.params, r.seconds,
        r.weightsSha256, environment ? JSON.stringify(environment) : null, r.epochs.length, claim.trial.id);
      this.insertReported(claim.trial.id, r.epochs.length, r.reported);
      this.setMetricValue(claim.trial.id);
      failpoint('trial-write');
    });
  }

  async failTrial(claim: Claim, error: string, epochs: readonly EpochMetrics[], backend?: string): Promise<boolean> {
    return this.fenced(claim, () => {
      for (const e of epochs) this.insertEpoch(claim.trial.id, e);
      this.db.prepare(
        `UPDATE trials SET status = 'failed', finished_at = ?, error = ?, backend = COALESCE(?, backend),
           epochs_done = MAX(epochs_done, ?) WHERE id = ?`,
      ).run(now(), error, backend ?? null, epochs.length, claim.trial.id);
    });
  }

  async interruptTrial(claim: Claim): Promise<boolean> {
    return this.fenced(claim, () => {
      this.db.prepare(`UPDATE trials SET status = 'interrupted', finished_at = ?, owner = NULL WHERE id = ?`).run(now(), claim.trial.id);
    });
  }

  async releaseOwned(owner: string): Promise<void> {
    this.db.prepare(`UPDATE trials SET status = 'interrupted', owner = NULL WHERE owner = ? AND status = 'running'`).run(owner);
  }

  async requeue(trialId: number): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM epochs WHERE trial_id = ?').run(trialId);
      this.db.prepare('DELETE FROM decisions WHERE trial_id = ?').run(trialId);
      this.db.prepare('DELETE FROM reported_metrics WHERE trial_id = ?').run(trialId);
      this.db.prepare('DELETE FROM checkpoints WHERE trial_id = ?').run(trialId);
      this.db.prepare('DELETE FROM models WHERE trial_id = ?').run(trialId);
      this.db.prepare(`UPDATE trials SET status = 'pending', epochs_done = 0, error = NULL, metric_value = NULL WHERE id = ?`).run(trialId);
    }).immediate();
  }

  async markReproduction(trialId: number, originalId: number): Promise<void> {
    this.db.prepare('UPDATE trials SET repro_of = ? WHERE id = ?').run(originalId, trialId);
  }

  async importTrial(sweepId: number, t: TrialCopy, reproOf: number | null): Promise<number | null> {
    return this.db.transaction(() => {
      const columns = copiedTrialColumns(sweepId, t, reproOf, this.nextNumber(sweepId));
      const row = this.db.prepare(
        `INSERT INTO trials (${columns.map(([c]) => c).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})
         ON CONFLICT (sweep_id, config_id) DO NOTHING RETURNING id`,
      ).get(...columns.map(([, v]) => v)) as { id: number } | undefined;
      if (!row) return null;
      for (const e of t.epochs) this.insertEpoch(row.id, e);
      this.insertParams(row.id, t.record.config);
      const decision = this.db.prepare(`INSERT INTO decisions (${DECISION_COLUMNS.join(', ')}) VALUES (${DECISION_COLUMNS.map(() => '?').join(', ')})`);
      for (const d of t.decisions) decision.run(...decisionValues(row.id, d));
      if (t.checkpoint) this.db.prepare('INSERT INTO checkpoints (trial_id, epoch, data) VALUES (?, ?, ?)').run(row.id, t.record.epochsDone, t.checkpoint);
      if (t.model) this.db.prepare('INSERT INTO models (trial_id, model_json, weights) VALUES (?, ?, ?)').run(row.id, t.model.modelJson, t.model.weights);
      return row.id;
    }).immediate();
  }

  async sweep(name: string): Promise<SweepRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM sweeps WHERE name = ?').get(name) as SweepRow | undefined;
    return row && toSweep(row);
  }

  async sweepById(id: number): Promise<SweepRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM sweeps WHERE id = ?').get(id) as SweepRow | undefined;
    return row && toSweep(row);
  }

  async sweeps(): Promise<SweepSummary[]> {
    return this.db.prepare(
      `SELECT s.name, s.metric, s.goal, s.created_at AS createdAt, s.updated_at AS updatedAt, COUNT(t.id) AS total,
         COALESCE(SUM(t.status = 'completed'), 0) AS completed, COALESCE(SUM(t.status = 'failed'), 0) AS failed,
         COALESCE(SUM(t.status = 'pruned'), 0) AS pruned,
         COALESCE(SUM(t.status = 'running'), 0) AS running, COALESCE(SUM(t.status IN ('pending', 'interrupted')), 0) AS pending,
         CASE s.goal WHEN 'minimize' THEN MIN(CASE WHEN t.status = 'completed' THEN t.metric_value END)
                     ELSE MAX(CASE WHEN t.status = 'completed' THEN t.metric_value END) END AS best
       FROM sweeps s LEFT JOIN trials t ON t.sweep_id = s.id
       GROUP BY s.id ORDER BY s.created_at, s.id`,
    ).all() as SweepSummary[];
  }

  async trial(id: number): Promise<TrialRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM trials WHERE id = ?').get(id) as TrialRow | undefined;
    return row && toTrial(row);
  }

  async trials(sweepId: number): Promise<TrialRecord[]> {
    return this.rankedRows(sweepId).map(toTrial);
  }

  async snapshot(sweepId: number): Promise<TrialSnapshot[]> {
    const epochs = new Map<number, EpochMetrics[]>();
    const rows = this.db.prepare(
      `SELECT e.trial_id AS trialId, e.epoch, e.loss, e.accuracy, e.val_loss AS valLoss,
         e.val_accuracy AS valAccuracy, e.seconds
       FROM epochs e JOIN trials t ON t.id = e.trial_id WHERE t.sweep_id = ? ORDER BY e.trial_id, e.epoch`,
    ).all(sweepId) as (EpochMetrics & { trialId: number })[];
    const reported = reportedByStep(this.db.prepare(
      'SELECT r.* FROM reported_metrics r JOIN trials t ON t.id = r.trial_id WHERE t.sweep_id = ?',
    ).all(sweepId) as { trial_id: number; name: string; step: number; value: number | null }[]);
    for (const { trialId, ...m } of rows) {
      if (!epochs.has(trialId)) epochs.set(trialId, []);
      const values = reported.get(trialId)?.get(m.epoch);
      epochs.get(trialId)!.push(values ? { ...m, reported: values } : m);
    }
    return this.rankedRows(sweepId).map((t) => ({
      id: t.id, configId: t.config_id, config: withDefaults(JSON.parse(t.config_json) as TrialConfig), status: t.status,
      backend: t.backend, epochs: epochs.get(t.id) ?? [], valAccuracy: t.val_accuracy, valLoss: t.val_loss,
      testAccuracy: t.test_accuracy, seconds: t.seconds, startedAt: t.started_at, error: t.error, metricValue: t.metric_value,
    }));
  }

  async epochs(trialId: number): Promise<EpochMetrics[]> {
    const rows = this.db.prepare(
      `SELECT epoch, loss, accuracy, val_loss AS valLoss, val_accuracy AS valAccuracy, seconds
       FROM epochs WHERE trial_id = ? ORDER BY epoch`,
    ).all(trialId) as EpochMetrics[];
    const reported = reportedByStep(this.db.prepare('SELECT * FROM reported_metrics WHERE trial_id = ?')
      .all(trialId) as { trial_id: number; name: string; step: number; value: number | null }[]).get(trialId);
    return reported ? rows.map((m) => (reported.has(m.epoch) ? { ...m, reported: reported.get(m.epoch)! } : m)) : rows;
  }

  async changeToken(): Promise<string> {
    return String(this.db.pragma('data_version', { simple: true }));
  }

  async decisions(sweepId: number): Promise<DecisionRecord[]> {
    return (this.db.prepare(DECISIONS_OF_SWEEP('?')).all(sweepId) as DecisionRow[]).map(toDecision);
  }

  async checkpoint(trialId: number): Promise<Uint8Array | null> {
    const row = this.db.prepare('SELECT data FROM checkpoints WHERE trial_id = ?').get(trialId) as { data: Buffer } | undefined;
    return row ? new Uint8Array(row.data) : null;
  }

  async model(trialId: number): Promise<ModelFiles | undefined> {
    const row = this.db.prepare('SELECT model_json, weights FROM models WHERE trial_id = ?').get(trialId) as
      { model_json: string; weights: Buffer } | undefined;
    return row && { modelJson: row.model_json, weights: new Uint8Array(row.weights) };
  }

  /**
   * Three locks keep a query from changing anything: `sweep query` opens the database
   * read-only, the connection sets `PRAGMA query_only`, and a statement runs only when SQLite,
   * having prepared it, says it returns rows (`reader`) and does not write (`readonly`).
   * `reader` is needed too because SQLite counts ATTACH, DETACH, BEGIN and setting most
   * pragmas as read-only. Nothing is executed before that check.
   */
  async query(sql: string): Promise<QueryResult> {
    this.db.pragma('query_only = ON');
    try {
      const stmt = prepareReader(this.db, sql);
      try {
        return {
          columns: stmt.columns().map((c) => c.name),
          rows: (stmt.raw(true).safeIntegers(true).all() as unknown[][]).map((r) => r.map(toValue)),
        };
      } catch (err) {
        throw sqlError(err);
      }
    } finally {
      if (!this.db.readonly) this.db.pragma('query_only = OFF');
    }
  }

  /** Runs `write` in one transaction, only if the claim still holds its trial; whether it did. */
  private fenced(claim: Claim, write: () => void): boolean {
    return this.db.transaction(() => {
      const holds = this.db.prepare(`SELECT 1 FROM trials WHERE id = ? AND attempts = ? AND status = 'running'`)
        .get(claim.trial.id, claim.attempt) !== undefined;
      if (holds) write();
      return holds;
    }).immediate();
  }

  /** A running trial's lease is over when its heartbeat is older than the lease, or its owner's process is gone. */
  private expired(t: { owner: string | null; heartbeat_at: string | null }): boolean {
    if (!t.owner || !t.heartbeat_at) return true;
    return Date.now() - Date.parse(t.heartbeat_at) > this.leaseMs || !ownerAlive(t.owner);
  }

  private rankedRows(sweepId: number): TrialRow[] {
    return this.db.prepare(
      `SELECT t.* FROM trials t JOIN sweeps s ON s.id = t.sweep_id WHERE t.sweep_id = ?
       ORDER BY t.status <> 'completed', t.metric_value IS NULL,
         CASE s.goal WHEN 'minimize' THEN t.metric_value ELSE -t.metric_value END, t.id`,
    ).all(sweepId) as TrialRow[];
  }

  /** Inserts a trial as 'pending' with the sweep's next number, unless its config id is there; 1 if it was added. */
  private insertTrial(sweepId: number, seed: number, dataJson: string, t: Trial): number {
    // Prepared once: a grid of thousands is inserted one row at a time.
    this.insertTrialStmt ??= this.db.prepare(
      `INSERT INTO trials (sweep_id, config_id, config_json, data_json, seed, number, search_json, ${HYPERPARAMETER_COLUMNS.join(', ')})
       VALUES (${Array(7 + HYPERPARAMETER_COLUMNS.length).fill('?').join(', ')})
       ON CONFLICT (sweep_id, config_id) DO NOTHING`,
    );
    const result = this.insertTrialStmt.run(
      sweepId, t.configId, JSON.stringify(t.config), dataJson, seed, this.nextNumber(sweepId),
      t.search ? JSON.stringify(t.search) : null, ...hyperparameterValues(t.config),
    );
    if (result.changes > 0) this.insertParams(Number(result.lastInsertRowid), t.config);
    return result.changes;
  }

  private insertParams(trialId: number, config: TrialConfig): void {
    const insert = this.db.prepare('INSERT OR REPLACE INTO param_values (trial_id, name, value, number) VALUES (?, ?, ?, ?)');
    for (const row of paramRows(trialId, config)) insert.run(...row);
  }

  private insertReported(trialId: number, step: number, reported: Readonly<Record<string, number>> | undefined): void {
    const insert = this.db.prepare('INSERT OR REPLACE INTO reported_metrics (trial_id, name, step, value) VALUES (?, ?, ?, ?)');
    for (const row of reportedRows(trialId, step, reported)) insert.run(...row);
  }

  /** The trial's `metric_value`: its sweep's metric at its last epoch (schema-v8.ts). */
  private setMetricValue(trialId: number): void {
    this.db.prepare(`UPDATE trials SET metric_value = ${METRIC_VALUE_OF('trials')} WHERE id = ?`).run(trialId);
  }
  private insertTrialStmt: Database.Statement | undefined;

  private nextNumber(sweepId: number): number {
    return (this.db.prepare('SELECT COALESCE(MAX(number), -1) + 1 AS n FROM trials WHERE sweep_id = ?').get(sweepId) as { n: number }).n;
  }

  private insertEpoch(trialId: number, m: EpochMetrics): void {
    this.db.prepare(
      `INSERT OR REPLACE INTO epochs (trial_id, epoch, loss, accuracy, val_loss, val_accuracy, seconds)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(trialId, m.epoch, m.loss, m.accuracy, m.valLoss, m.valAccuracy, m.seconds);
    this.insertReported(trialId, m.epoch, m.reported);
  }
}





/** Prepares `sql` (without running it) and returns it only when it is one read-only, row-returning statement. */
function prepareReader(db: Database.Database, sql: string): Database.Statement {
  let stmt: Database.Statement;
  try {
    stmt = db.prepare(sql);
  } catch (err) {
    const message = (err as Error).message;
    if (/more than one statement/.test(message)) {
      throw new UserError('the SQL holds more than one statement; give exactly one (a single SELECT, WITH … SELECT, VALUES or PRAGMA that reads)');
    }
    if (/contains no statements/.test(message)) throw new UserError('the SQL holds no statement');
    throw sqlError(err);
  }
  if (!stmt.reader || !stmt.readonly) throw new UserError(REFUSED);
  return stmt;
}

/** SQLite's own message, on one line. Anything that is not an SQLite error is a bug and keeps its stack. */
function sqlError(err: unknown): Error {
  const e = err as { code?: unknown; message?: string };
  if (typeof e.code === 'string' && e.code.startsWith('SQLITE_')) {
    return new UserError(`${(e.message ?? e.code).replace(/\s*\n\s*/g, ' ')}`);
  }
  return err as Error;
}

/** Integers exactly (past 2^53 as decimal text), blobs as SQL hex literals. */
function toValue(v: unknown): Value {
  if (v === null || typeof v === 'string' || typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (Buffer.isBuffer(v)) return `X'${v.toString('hex').toUpperCase()}'`;
  return String(v);
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e.code === 'SQLITE_NOTADB') return 'not an SQLite database';
  if (e.code === 'SQLITE_CANTOPEN') return 'cannot open the file: is its directory there and writable?';
  return e.message ?? String(err);
}
