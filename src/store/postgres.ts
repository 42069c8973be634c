import pg from 'pg';
import { UserError } from '../errors.js';
import type { DataSettings } from '../spec/schema.js';
import type {
  DecisionRecord, EpochMetrics, ModelFiles, SweepRecord, SweepSummary, Trial, TrialConfig, TrialOutcome, TrialRecord, TrialSnapshot, TrialStatus,
} from '../types.js';
import { SCHEMA_VERSION } from './schema.js';
import { PG_MIGRATIONS } from './schema-postgres.js';
import { HYPERPARAMETERS, REGISTRY, withDefaults } from '../spec/hyperparameters.js';
import {
  copiedTrialColumns, DECISION_COLUMNS, DECISIONS_OF_SWEEP, decisionValues, HYPERPARAMETER_COLUMNS, hyperparameterValues, paramRows,
  paramRowsOfColumns,   REFUSED, reportedByStep, reportedRows, toDecision, toSweep, toTrial, type DecisionRow, type SweepRow, type TrialRow,
} from './rows.js';
import { METRIC_VALUE_OF } from './schema.js';
import { leaseMs, type Claim, type EpochDecision, type NewSweep, type QueryResult, type Store, type TrialCopy, type Value } from './store.js';

/** Connections per store: the controller's claims, writes and heartbeats, a few at once. */
const POOL_SIZE = 4;
/** How long a statement is retried while the server cannot be reached (a restart, a failover, a network cut). */
const RETRY_FOR_MS = 30_000;
const CONNECT_TIMEOUT_MS = 10_000;
/** `sweep query`'s limit, so that a runaway join does not hold a connection (and its snapshot) for ever. */
const QUERY_TIMEOUT_MS = 60_000;
/** The advisory lock two processes opening one fresh database take to create its schema one after the other ('swee'). */
const SCHEMA_LOCK = 0x73776565;

/**
 * The server's now() as the ISO-8601 UTC text SQLite's timestamps are (schema-postgres.ts says
 * why text): every timestamp, and so every lease, is on the server's clock, never a worker's.
 */
const NOW = `to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** A running trial whose lease (parameter `$n`, in ms) is over by the server's clock. */
const leaseOver = (n: number) =>
  `(owner IS NULL OR heartbeat_at IS NULL OR heartbeat_at::timestamptz < now() - $${n} * interval '1 millisecond')`;

/**
 * Claims the first eligible trial, in one statement. FOR UPDATE locks the row it picks and
 * re-checks its status on the latest version, so a trial another claimer just took is not
 * taken again; SKIP LOCKED passes over a row another claimer holds rather than waiting for
 * it (without the lock, two claimers picking the same id would both update it: a double
 * claim). The row lock ends with the statement; what outlives a crash is the lease.
 */
const CLAIM = `
  UPDATE trials SET status = 'running', owner = $2, heartbeat_at = ${NOW}, started_at = ${NOW},
    attempts = attempts + 1, finished_at = NULL, val_accuracy = NULL, val_loss = NULL, test_accuracy = NULL,
    test_loss = NULL, params = NULL, seconds = NULL, error = NULL, resumed_from = NULL, metric_value = NULL
  WHERE id = (
    SELECT id FROM trials
    WHERE sweep_id = $1 AND config_id = ANY($3::text[])
      AND (status IN ('pending', 'interrupted') OR (status = 'running' AND ${leaseOver(4)}))
    ORDER BY id
    LIMIT 1
    FOR UPDATE SKIP LOCKED)
  RETURNING *`;

/** The sweep's trials, completed ones best first by its metric, then the rest by id (as SQLite orders them). */
const RANKED = `
  SELECT t.* FROM trials t JOIN sweeps s ON s.id = t.sweep_id WHERE t.sweep_id = $1
  ORDER BY t.status <> 'completed', t.metric_value IS NULL,
    CASE s.goal WHEN 'minimize' THEN t.metric_value ELSE -t.metric_value END, t.id`;

/** Sets a trial's ($1) metric_value: its sweep's metric at its last epoch (schema-v8.ts). */
const SET_METRIC_VALUE = `UPDATE trials SET metric_value = ${METRIC_VALUE_OF('trials')} WHERE id = $1`;

const MULTIPLE = 'the SQL holds more than one statement; give exactly one (a single SELECT, WITH … SELECT, VALUES or TABLE)';



type Work<T> = (client: pg.PoolClient, again: boolean) => Promise<T>;

/**
 * The Store on PostgreSQL (`pg`): any number of processes on any number of hosts share a
 * sweep. Claims are one UPDATE over `FOR UPDATE SKIP LOCKED`; a lease is the server's
 * now() in `heartbeat_at` plus the lease length; every write for a trial is fenced by the
 * attempt that claimed it. A statement that loses its connection is run again on a new one
 * for up to 30 s, so a server restart does not stop a sweep; every write is safe to run
 * twice (see `fenced` and `claimNext`).
 */
export class PostgresStore implements Store {
  readonly location: string;
  private readonly pool: pg.Pool;
  readonly leaseMs: number;
  /**
   * `trial:attempt` of the claims this store handed out and that may still be running: a
   * claim retried after its reply was lost takes back the trial its first try claimed
   * (running under the same owner, not in here) instead of claiming a second one.
   */
  private readonly handedOut = new Set<string>();
  /** Claims run one at a time per store, so that a retried one knows any unknown trial of its owner is its own. */
  private claiming: Promise<unknown> = Promise.resolve();

  private constructor(pool: pg.Pool, location: string, lease: number) {
    this.pool = pool;
    this.location = location;
    this.leaseMs = lease;
  }

  /**
   * Connects to the database at `url` (postgres://USER[:PASSWORD]@HOST[:PORT]/DB) and, unless
   * read-only, creates or migrates its schema. A URL that cannot be connected to, a schema
   * from a newer `sweep`, or (read-only) a database without one is a UserError.
   */
  static async open(url: string, options: { leaseMs?: number; readonly?: boolean } = {}): Promise<PostgresStore> {
    if (PG_MIGRATIONS.length !== SCHEMA_VERSION) {
      throw new Error(`schema-postgres.ts has ${PG_MIGRATIONS.length} migrations, schema.ts ${SCHEMA_VERSION}: add the missing one`);
    }
    const location = withoutPassword(url);
    const readonly = options.readonly ?? false;
    const lease = options.leaseMs ?? leaseMs();
    // Nothing connects yet: a URL pg cannot parse fails in connect() below, as a UserError.
    const pool = new pg.Pool({
      connectionString: url, max: POOL_SIZE, types: STORE_TYPES, connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      application_name: 'sweep', allowExitOnIdle: true,
      // Read-only opens (`ls`, `show`, `query`) cannot write even by mistake.
      options: readonly ? '-c default_transaction_read_only=on' : undefined,
    });
    // An idle connection the server dropped: the pool discards it and the next use opens another.
    pool.on('error', () => {});
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      await pool.end().catch(() => {});
      throw new UserError(`${location}: cannot connect to PostgreSQL (${oneLine(err)})`);
    }
    try {
      await migrate(client, location, readonly);
      client.release();
    } catch (err) {
      client.release(true);
      await pool.end().catch(() => {});
      if (err instanceof UserError) throw err;
      throw new UserError(`${location}: cannot use the database (${oneLine(err)})`);
    }
    return new PostgresStore(pool, location, lease);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async upsertSweep(s: NewSweep): Promise<number> {
    return this.transaction(async (c) => {
      const before = await c.query<{ metric: string }>('SELECT metric FROM sweeps WHERE name = $1 FOR UPDATE', [s.name]);
      const r = await c.query<{ id: number }>(
        `INSERT INTO sweeps (name, metric, goal, seed, spec_path, spec_yaml, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, ${NOW}, ${NOW})
         ON CONFLICT (name) DO UPDATE SET metric = excluded.metric, goal = excluded.goal, seed = excluded.seed,
           spec_path = excluded.spec_path, spec_yaml = excluded.spec_yaml, updated_at = excluded.updated_at
         RETURNING id`,
        [s.name, s.metric, s.goal, s.seed, s.specPath, s.specYaml],
      );
      const id = r.rows[0].id;
      if (before.rows[0] && before.rows[0].metric !== s.metric) {
        await c.query(`UPDATE trials SET metric_value = ${METRIC_VALUE_OF('trials')} WHERE sweep_id = $1 AND status IN ('completed', 'pruned')`, [id]);
      }
      return id;
    });
  }

  /**
   * One statement for the whole grid (thousands of trials in one round trip), under the
   * sweep's proposal lock, so that two processes adding trials at once number them apart.
   * A retry after a lost reply counts 0 new.
   */
  async addTrials(sweepId: number, seed: number, data: DataSettings, trials: readonly Trial[]): Promise<number> {
    return this.transaction(async (c) => {
      await c.query(PROPOSAL_LOCK, [sweepId]);
      return insertTrials(c, sweepId, seed, data, trials);
    });
  }

  async proposeTrial(
    sweepId: number, seed: number, data: DataSettings,
    propose: (trials: readonly TrialRecord[], number: number) => Trial | undefined,
  ): Promise<TrialRecord | undefined> {
    return this.transaction(async (c) => {
      await c.query(PROPOSAL_LOCK, [sweepId]);
      const rows = (await c.query<TrialRow>('SELECT * FROM trials WHERE sweep_id = $1 ORDER BY number', [sweepId])).rows.map(toTrial);
      const trial = propose(rows, rows.length === 0 ? 0 : rows[rows.length - 1].number + 1);
      if (!trial || (await insertTrials(c, sweepId, seed, data, [trial])) === 0) return undefined;
      const r = await c.query<TrialRow>('SELECT * FROM trials WHERE sweep_id = $1 AND config_id = $2', [sweepId, trial.configId]);
      return toTrial(r.rows[0]);
    });
  }

  async retryFailed(sweepId: number): Promise<number> {
    const r = await this.run((c) => c.query(
      `UPDATE trials SET status = 'pending', error = NULL WHERE sweep_id = $1 AND status = 'failed'`, [sweepId],
    ));
    return r.rowCount ?? 0;
  }

  /** On PostgreSQL the lease alone decides: an owner's pid means nothing on another host. */
  async releaseExpired(sweepId: number): Promise<number> {
    const r = await this.run((c) => c.query(
      `UPDATE trials SET status = 'interrupted', owner = NULL
       WHERE sweep_id = $1 AND status = 'running' AND ${leaseOver(2)}`,
      [sweepId, this.leaseMs],
    ));
    return r.rowCount ?? 0;
  }

  claimNext(sweepId: number, owner: string, eligible: readonly string[]): Promise<Claim | undefined> {
    const next = this.claiming.then(() => this.claimOnce(sweepId, owner, eligible));
    this.claiming = next.catch(() => {});
    return next;
  }

  private async claimOnce(sweepId: number, owner: string, eligible: readonly string[]): Promise<Claim | undefined> {
    const row = await this.run(async (c, again) => {
      if (again) {
        // The first try may have claimed a trial and lost only its reply: that trial runs under
        // `owner`, and no claim of this store names it. Take it back rather than claim another,
        // which would leave it running, heartbeats and all, with no one training it.
        const mine = await c.query<TrialRow>(
          `SELECT * FROM trials WHERE sweep_id = $1 AND owner = $2 AND status = 'running' AND config_id = ANY($3::text[])
           ORDER BY id`,
          [sweepId, owner, eligible],
        );
        const lost = mine.rows.find((r) => !this.handedOut.has(claimKey(r.id, r.attempts)));
        if (lost) return lost;
      }
      const r = await c.query<TrialRow>(CLAIM, [sweepId, owner, eligible, this.leaseMs]);
      return r.rows[0];
    });
    if (!row) return undefined;
    this.handedOut.add(claimKey(row.id, row.attempts));
    const trial = toTrial(row);
    return { trial, attempt: trial.attempts };
  }

  async heartbeat(owner: string): Promise<void> {
    await this.run((c) => c.query(
      `UPDATE trials SET heartbeat_at = ${NOW} WHERE owner = $1 AND status = 'running'`, [owner],
    ));
  }

  async resumeAt(claim: Claim, resumed: readonly EpochMetrics[], backend: string): Promise<boolean> {
    return this.fenced(claim, 'running', async (c) => {
      await c.query('DELETE FROM epochs WHERE trial_id = $1 AND epoch > $2', [claim.trial.id, resumed.length]);
      await c.query('DELETE FROM decisions WHERE trial_id = $1 AND epoch > $2', [claim.trial.id, resumed.length]);
      await c.query('DELETE FROM reported_metrics WHERE trial_id = $1 AND step > $2', [claim.trial.id, resumed.length]);
      await insertEpochs(c, claim.trial.id, resumed);
      await c.query('UPDATE trials SET epochs_done = $2, resumed_from = $3, backend = $4 WHERE id = $1',
        [claim.trial.id, resumed.length, resumed.length > 0 ? resumed.length : null, backend]);
    });
  }

  async recordEpoch(
    claim: Claim, m: EpochMetrics, backend?: string, checkpoint?: Uint8Array | null, decision?: EpochDecision,
  ): Promise<boolean> {
    const id = claim.trial.id;
    return this.fenced(claim, decision?.verdict === 'prune' ? 'pruned' : 'running', async (c) => {
      await insertEpochs(c, id, [m]);
      await c.query('UPDATE trials SET epochs_done = GREATEST(epochs_done, $2), backend = COALESCE($3, backend) WHERE id = $1',
        [id, m.epoch, backend ?? null]);
      if (decision) {
        await c.query(
          `INSERT INTO decisions (${DECISION_COLUMNS.join(', ')}) VALUES (${DECISION_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})
           ON CONFLICT (trial_id, epoch) DO UPDATE SET ${DECISION_COLUMNS.slice(2).map((col) => `${col} = excluded.${col}`).join(', ')}`,
          decisionValues(id, { ...decision, epoch: m.epoch }),
        );
      }
      if (decision?.verdict === 'prune') {
        await c.query('DELETE FROM checkpoints WHERE trial_id = $1', [id]);
        await c.query(
          `UPDATE trials SET status = 'pruned', finished_at = ${NOW}, val_accuracy = $2, val_loss = $3, error = NULL,
             seconds = (SELECT SUM(seconds) FROM epochs WHERE trial_id = $1) WHERE id = $1`,
          [id, real(m.valAccuracy), real(m.valLoss)],
        );
        await c.query(SET_METRIC_VALUE, [id]);
      } else if (checkpoint) {
        await c.query(
          `INSERT INTO checkpoints (trial_id, epoch, data) VALUES ($1, $2, $3)
           ON CONFLICT (trial_id) DO UPDATE SET epoch = excluded.epoch, data = excluded.data`,
          [id, m.epoch, Buffer.from(checkpoint.buffer, checkpoint.byteOffset, checkpoint.byteLength)],
        );
      }
    });
  }

  async completeTrial(claim: Claim, r: TrialOutcome, environment: object | null, model?: ModelFiles | null): Promise<boolean> {
    return this.fenced(claim, 'completed', async (c) => {
      await insertEpochs(c, claim.trial.id, r.epochs);
      await c.query('DELETE FROM checkpoints WHERE trial_id = $1', [claim.trial.id]);
      if (model) {
        await c.query(
          `INSERT INTO models (trial_id, model_json, weights) VALUES ($1, $2, $3)
           ON CONFLICT (trial_id) DO UPDATE SET model_json = excluded.model_json, weights = excluded.weights`,
          [claim.trial.id, model.modelJson, Buffer.from(model.weights.buffer, model.weights.byteOffset, model.weights.byteLength)],
        );
      }
      await c.query(
        `UPDATE trials SET status = 'completed', finished_at = ${NOW}, backend = $2, val_accuracy = $3, val_loss = $4,
           test_accuracy = $5, test_loss = $6, params = $7, seconds = $8, error = NULL, weights_sha256 = $9,
           env_json = $10, epochs_done = $11
         WHERE id = $1`,
        [claim.trial.id, r.backend, real(r.valAccuracy), real(r.valLoss), real(r.testAccuracy), real(r.testLoss),
          r.params, real(r.seconds), r.weightsSha256, environment ? JSON.stringify(environment) : null, r.epochs.length],
      );
      await insertReported(c, reportedRows(claim.trial.id, r.epochs.length, r.reported));
      await c.query(SET_METRIC_VALUE, [claim.trial.id]);
    });
  }

  async failTrial(claim: Claim, error: string, epochs: readonly EpochMetrics[], backend?: string): Promise<boolean> {
    return this.fenced(claim, 'failed', async (c) => {
      await insertEpochs(c, claim.trial.id, epochs);
      await c.query(
        `UPDATE trials SET status = 'failed', finished_at = ${NOW}, error = $2, backend = COALESCE($3, backend),
           epochs_done = GREATEST(epochs_done, $4) WHERE id = $1`,
        [claim.trial.id, error, backend ?? null, epochs.length],
      );
    });
  }

  async interruptTrial(claim: Claim): Promise<boolean> {
    return this.fenced(claim, 'interrupted', async (c) => {
      await c.query(`UPDATE trials SET status = 'interrupted', finished_at = ${NOW}, owner = NULL WHERE id = $1`, [claim.trial.id]);
    });
  }

  async releaseOwned(owner: string): Promise<void> {
    await this.run((c) => c.query(
      `UPDATE trials SET status = 'interrupted', owner = NULL WHERE owner = $1 AND status = 'running'`, [owner],
    ));
  }

  async requeue(trialId: number): Promise<void> {
    await this.transaction(async (c) => {
      await c.query('DELETE FROM epochs WHERE trial_id = $1', [trialId]);
      await c.query('DELETE FROM decisions WHERE trial_id = $1', [trialId]);
      await c.query('DELETE FROM reported_metrics WHERE trial_id = $1', [trialId]);
      await c.query('DELETE FROM checkpoints WHERE trial_id = $1', [trialId]);
      await c.query('DELETE FROM models WHERE trial_id = $1', [trialId]);
      await c.query(`UPDATE trials SET status = 'pending', epochs_done = 0, error = NULL, metric_value = NULL WHERE id = $1`, [trialId]);
    });
  }

  async importTrial(sweepId: number, t: TrialCopy, reproOf: number | null): Promise<number | null> {
    const bytes = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    return this.transaction(async (c) => {
      await c.query(PROPOSAL_LOCK, [sweepId]);
      const next = await c.query<{ n: number }>('SELECT COALESCE(MAX(number), -1) + 1 AS n FROM trials WHERE sweep_id = $1', [sweepId]);
      const columns = copiedTrialColumns(sweepId, t, reproOf, Number(next.rows[0].n));
      const r = await c.query<{ id: number }>(
        `INSERT INTO trials (${columns.map(([col]) => col).join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})
         ON CONFLICT (sweep_id, config_id) DO NOTHING RETURNING id`,
        columns.map(([, v]) => (typeof v === 'number' ? real(v) : v)),
      );
      const id = r.rows[0]?.id;
      if (id === undefined) return null;
      await insertEpochs(c, id, t.epochs);
      await insertParams(c, paramRows(Number(id), t.record.config));
      for (const d of t.decisions) {
        await c.query(`INSERT INTO decisions (${DECISION_COLUMNS.join(', ')}) VALUES (${DECISION_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`,
          decisionValues(id, d));
      }
      if (t.checkpoint) await c.query('INSERT INTO checkpoints (trial_id, epoch, data) VALUES ($1, $2, $3)', [id, t.record.epochsDone, bytes(t.checkpoint)]);
      if (t.model) await c.query('INSERT INTO models (trial_id, model_json, weights) VALUES ($1, $2, $3)', [id, t.model.modelJson, bytes(t.model.weights)]);
      return Number(id);
    });
  }

  /** Every epoch, claim, completion and new sweep moves one of these; a heartbeat moves none. */
  async changeToken(): Promise<string> {
    const r = await this.run((c) => c.query<{ token: string }>(
      `SELECT concat_ws(':', (SELECT COUNT(*) FROM sweeps), (SELECT MAX(updated_at) FROM sweeps),
         COUNT(*), SUM(epochs_done), SUM(attempts), MAX(finished_at),
         COUNT(*) FILTER (WHERE status = 'running'), COUNT(*) FILTER (WHERE status IN ('completed', 'pruned', 'failed'))) AS token
       FROM trials`,
    ));
    return r.rows[0].token;
  }

  async decisions(sweepId: number): Promise<DecisionRecord[]> {
    const r = await this.run((c) => c.query<DecisionRow>(
      DECISIONS_OF_SWEEP('$1'), [sweepId],
    ));
    return r.rows.map(toDecision);
  }

  async checkpoint(trialId: number): Promise<Uint8Array | null> {
    const r = await this.run((c) => c.query<{ data: Buffer }>('SELECT data FROM checkpoints WHERE trial_id = $1', [trialId]));
    return r.rows[0] ? new Uint8Array(r.rows[0].data) : null;
  }

  async model(trialId: number): Promise<ModelFiles | undefined> {
    const r = await this.run((c) => c.query<{ model_json: string; weights: Buffer }>(
      'SELECT model_json, weights FROM models WHERE trial_id = $1', [trialId]));
    const row = r.rows[0];
    return row && { modelJson: row.model_json, weights: new Uint8Array(row.weights) };
  }

  async markReproduction(trialId: number, originalId: number): Promise<void> {
    await this.run((c) => c.query('UPDATE trials SET repro_of = $2 WHERE id = $1', [trialId, originalId]));
  }

  async sweep(name: string): Promise<SweepRecord | undefined> {
    const r = await this.run((c) => c.query<SweepRow>('SELECT * FROM sweeps WHERE name = $1', [name]));
    return r.rows[0] && toSweep(r.rows[0]);
  }

  async sweepById(id: number): Promise<SweepRecord | undefined> {
    const r = await this.run((c) => c.query<SweepRow>('SELECT * FROM sweeps WHERE id = $1', [id]));
    return r.rows[0] && toSweep(r.rows[0]);
  }

  async sweeps(): Promise<SweepSummary[]> {
    const r = await this.run((c) => c.query<SweepSummary>(
      `SELECT s.name, s.metric, s.goal, s.created_at AS "createdAt", s.updated_at AS "updatedAt", COUNT(t.id) AS total,
         COUNT(*) FILTER (WHERE t.status = 'completed') AS completed, COUNT(*) FILTER (WHERE t.status = 'failed') AS failed,
         COUNT(*) FILTER (WHERE t.status = 'pruned') AS pruned, COUNT(*) FILTER (WHERE t.status = 'running') AS running,
         COUNT(*) FILTER (WHERE t.status IN ('pending', 'interrupted')) AS pending,
         CASE s.goal WHEN 'minimize' THEN MIN(t.metric_value) FILTER (WHERE t.status = 'completed')
                     ELSE MAX(t.metric_value) FILTER (WHERE t.status = 'completed') END AS best
       FROM sweeps s LEFT JOIN trials t ON t.sweep_id = s.id
       GROUP BY s.id ORDER BY s.created_at, s.id`,
    ));
    return r.rows;
  }

  async trial(id: number): Promise<TrialRecord | undefined> {
    const r = await this.run((c) => c.query<TrialRow>('SELECT * FROM trials WHERE id = $1', [id]));
    return r.rows[0] && toTrial(r.rows[0]);
  }

  async trials(sweepId: number): Promise<TrialRecord[]> {
    const r = await this.run((c) => c.query<TrialRow>(RANKED, [sweepId]));
    return r.rows.map(toTrial);
  }

  /** Both reads in one snapshot (REPEATABLE READ): a trial completed between them is seen whole or not at all. */
  async snapshot(sweepId: number): Promise<TrialSnapshot[]> {
    const [trials, epochRows, reportedList] = await this.transaction(async (c) => [
      (await c.query<TrialRow>(RANKED, [sweepId])).rows,
      (await c.query<EpochMetrics & { trialId: number }>(
        `SELECT e.trial_id AS "trialId", e.epoch, e.loss, e.accuracy, e.val_loss AS "valLoss",
           e.val_accuracy AS "valAccuracy", e.seconds
         FROM epochs e JOIN trials t ON t.id = e.trial_id WHERE t.sweep_id = $1 ORDER BY e.trial_id, e.epoch`,
        [sweepId],
      )).rows,
      (await c.query<ReportedRow>(
        'SELECT r.* FROM reported_metrics r JOIN trials t ON t.id = r.trial_id WHERE t.sweep_id = $1', [sweepId],
      )).rows,
    ] as const, 'ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const reported = reportedByStep(reportedList);
    const epochs = new Map<number, EpochMetrics[]>();
    for (const { trialId, ...m } of epochRows) {
      if (!epochs.has(trialId)) epochs.set(trialId, []);
      const values = reported.get(trialId)?.get(m.epoch);
      epochs.get(trialId)!.push(values ? { ...m, reported: values } : m);
    }
    return trials.map((t) => ({
      id: t.id, configId: t.config_id, config: withDefaults(JSON.parse(t.config_json) as TrialConfig), status: t.status,
      backend: t.backend, epochs: epochs.get(t.id) ?? [], valAccuracy: t.val_accuracy, valLoss: t.val_loss,
      testAccuracy: t.test_accuracy, seconds: t.seconds, startedAt: t.started_at, error: t.error, metricValue: t.metric_value,
    }));
  }

  async epochs(trialId: number): Promise<EpochMetrics[]> {
    const [rows, reportedList] = await this.transaction(async (c) => [
      (await c.query<EpochMetrics>(
        `SELECT epoch, loss, accuracy, val_loss AS "valLoss", val_accuracy AS "valAccuracy", seconds
         FROM epochs WHERE trial_id = $1 ORDER BY epoch`,
        [trialId],
      )).rows,
      (await c.query<ReportedRow>('SELECT * FROM reported_metrics WHERE trial_id = $1', [trialId])).rows,
    ] as const, 'ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const reported = reportedByStep(reportedList).get(trialId);
    return reported ? rows.map((m) => (reported.has(m.epoch) ? { ...m, reported: reported.get(m.epoch)! } : m)) : rows;
  }

  /**
   * Four locks keep a query from changing anything. The extended protocol takes one
   * statement only. The server describes it before anything runs, and one that returns no
   * rows (SET, COPY, DDL, LOCK, …) is refused unrun. It runs inside `BEGIN READ ONLY`, where
   * PostgreSQL refuses every write (DML, also in a CTE or with RETURNING; nextval; SELECT …
   * FOR UPDATE), and is rolled back. Its connection is then closed, so that nothing it set
   * on the session (set_config, a session advisory lock) outlives it. It may run for
   * QUERY_TIMEOUT_MS at most.
   */
  async query(sql: string): Promise<QueryResult> {
    if (isBlank(sql)) throw new UserError('the SQL holds no statement');
    try {
      return await this.run(async (c) => {
        await c.query('BEGIN READ ONLY');
        await c.query(`SET LOCAL statement_timeout = ${QUERY_TIMEOUT_MS}`);
        try {
          if (!(await returnsRows(c, sql))) throw new UserError(REFUSED);
          // queryMode 'extended' even without parameters: the extended protocol takes one statement only.
          const config = { text: sql, rowMode: 'array' as const, queryMode: 'extended', types: QUERY_TYPES };
          const r = await c.query<Value[]>(config);
          return { columns: r.fields.map((f) => f.name), rows: r.rows };
        } finally {
          await c.query('ROLLBACK').catch(() => {});
        }
      }, { discard: true });
    } catch (err) {
      throw queryError(err);
    }
  }

  /**
   * Runs `write` in one transaction if `claim` still holds its trial (running, at its
   * attempt), holding the trial's row until it commits; whether it ran. A retry after a lost
   * reply finds the trial already in `done` at this attempt when the first try committed:
   * that write happened, and no other claim could have made it.
   */
  private async fenced(claim: Claim, done: TrialStatus, write: (c: pg.PoolClient) => Promise<void>): Promise<boolean> {
    const key = claimKey(claim.trial.id, claim.attempt);
    const ok = await this.transaction(async (c, again) => {
      const r = await c.query<{ status: TrialStatus }>(
        'SELECT status FROM trials WHERE id = $1 AND attempts = $2 FOR NO KEY UPDATE', [claim.trial.id, claim.attempt],
      );
      const status = r.rows[0]?.status;
      if (status === 'running') {
        await write(c);
        return true;
      }
      return again && status === done;
    });
    // A claim that ended, or was lost, cannot be a retried claim's lost trial: forget it.
    if (!ok || done !== 'running') this.handedOut.delete(key);
    return ok;
  }

  private transaction<T>(work: Work<T>, mode = ''): Promise<T> {
    return this.run(async (c, again) => {
      await c.query(mode ? `BEGIN ${mode}` : 'BEGIN');
      try {
        const result = await work(c, again);
        await c.query('COMMIT');
        return result;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => {});
        throw err;
      }
    });
  }

  /**
   * Runs `work` on a pooled connection. When the connection fails (a server restart, a
   * network cut) or the server aborted the transaction to break a deadlock, runs it again on
   * a new one, backing off, for up to RETRY_FOR_MS; `again` tells `work` that an earlier try
   * may have committed. A connection that saw an error is closed, never reused.
   */
  private async run<T>(work: Work<T>, options: { discard?: boolean } = {}): Promise<T> {
    const deadline = Date.now() + RETRY_FOR_MS;
    let pause = 50;
    for (let again = false; ; again = true) {
      let client: pg.PoolClient | undefined;
      try {
        client = await this.pool.connect();
        // A socket error on a checked-out client is also emitted on it: unheard, it would crash the process.
        client.on('error', ignore);
        const result = await work(client, again);
        client.off('error', ignore);
        client.release(options.discard === true);
        return result;
      } catch (err) {
        if (client) {
          client.off('error', ignore);
          client.release(true);
        }
        if (!retryable(err)) throw err;
        if (Date.now() + pause > deadline) {
          if (!isConnectionError(err)) throw err;
          throw new UserError(`${this.location}: lost the connection to PostgreSQL for ${RETRY_FOR_MS / 1000} s (${oneLine(err)})`);
        }
        await new Promise((resolve) => setTimeout(resolve, pause));
        pause = Math.min(pause * 2, 2_000);
      }
    }
  }
}

/** Creates or migrates the schema under an advisory lock, so that two processes opening a fresh database do not race. */
async function migrate(client: pg.PoolClient, location: string, readonly: boolean): Promise<void> {
  const newer = (version: number) =>
    new UserError(`${location}: written by a newer sweep (schema version ${version}, this one knows up to ${SCHEMA_VERSION})`);
  const version = await schemaVersion(client);
  if (version > SCHEMA_VERSION) throw newer(version);
  if (version === SCHEMA_VERSION) return;
  if (readonly) {
    if (version === 0) throw new UserError(`${location}: no sweep database here yet (run \`sweep run SPEC --db URL\` first)`);
    throw new UserError(`${location}: schema version ${version} is older than ${SCHEMA_VERSION}; run \`sweep run\` on it once to upgrade`);
  }
  await client.query('BEGIN');
  try {
    // Held to the transaction's end: a second process waits here, then finds the schema made.
    await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS sweep_schema (version integer NOT NULL)');
    const current = await schemaVersion(client);
    if (current > SCHEMA_VERSION) throw newer(current);
    for (let v = current; v < SCHEMA_VERSION; v++) await client.query(PG_MIGRATIONS[v]);
    // v8's parameters as rows, for the trials recorded before it: from each one's configuration.
    if (current < 8) {
      const trials = await client.query<(string | number | null)[]>({ text: `SELECT id, ${HYPERPARAMETER_COLUMNS.join(', ')} FROM trials`, rowMode: 'array' });
      await insertParams(client, trials.rows.flatMap(([id, ...values]) => paramRowsOfColumns(Number(id), values)));
    }
    await client.query('DELETE FROM sweep_schema');
    await client.query('INSERT INTO sweep_schema (version) VALUES ($1)', [SCHEMA_VERSION]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** The schema version recorded in the database; 0 where there is no schema yet. */
async function schemaVersion(client: pg.PoolClient): Promise<number> {
  const exists = await client.query<{ t: string | null }>(`SELECT to_regclass('sweep_schema')::text AS t`);
  if (exists.rows[0].t === null) return 0;
  const r = await client.query<{ version: number }>('SELECT version FROM sweep_schema');
  return r.rows[0]?.version ?? 0;
}

/** Inserts or replaces epoch rows (SQLite's INSERT OR REPLACE), in one statement. */
/** Serialises the proposals of one sweep (addTrials, proposeTrial) across every process, until the transaction ends. */
const PROPOSAL_LOCK = `SELECT pg_advisory_xact_lock(${0x53575050}, $1::integer)`;

/** Inserts the trials the sweep lacks, numbered on from its last number in the order given; how many. */
async function insertTrials(c: pg.PoolClient, sweepId: number, seed: number, data: DataSettings, trials: readonly Trial[]): Promise<number> {
  if (trials.length === 0) return 0;
  const values = trials.map((t) => hyperparameterValues(t.config));
  const columns = HYPERPARAMETER_COLUMNS.map((col, i) => ({ col, type: PG_TYPE[REGISTRY_SQL[i]], values: values.map((v) => v[i]) }));
  const r = await c.query(
    `INSERT INTO trials (sweep_id, data_json, seed, number, config_id, config_json, search_json, ${HYPERPARAMETER_COLUMNS.join(', ')})
     SELECT $1, $2, $3,
       (SELECT COALESCE(MAX(number), -1) FROM trials WHERE sweep_id = $1) + ROW_NUMBER() OVER (ORDER BY n),
       config_id, config_json, search_json, ${HYPERPARAMETER_COLUMNS.join(', ')}
     FROM unnest($4::text[], $5::text[], $6::text[], ${columns.map((x, i) => `$${i + 7}::${x.type}[]`).join(', ')})
       WITH ORDINALITY AS x(config_id, config_json, search_json, ${HYPERPARAMETER_COLUMNS.join(', ')}, n)
     WHERE NOT EXISTS (SELECT 1 FROM trials t WHERE t.sweep_id = $1 AND t.config_id = x.config_id)
     ORDER BY n
     ON CONFLICT (sweep_id, config_id) DO NOTHING
     RETURNING id, config_id`,
    [
      sweepId, JSON.stringify(data), seed, trials.map((t) => t.configId), trials.map((t) => JSON.stringify(t.config)),
      trials.map((t) => (t.search ? JSON.stringify(t.search) : null)), ...columns.map((x) => x.values),
    ],
  );
  const configOf = new Map(trials.map((t) => [t.configId, t.config]));
  await insertParams(c, r.rows.flatMap((row: { id: number; config_id: string }) => paramRows(Number(row.id), configOf.get(row.config_id)!)));
  return r.rowCount ?? 0;
}

/** Inserts `param_values` rows (trial_id, name, value, number), in one statement. */
async function insertParams(c: pg.PoolClient, rows: readonly [number, string, string, number | null][]): Promise<void> {
  if (rows.length === 0) return;
  await c.query(
    `INSERT INTO param_values (trial_id, name, value, number)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::float8[])
     ON CONFLICT (trial_id, name) DO UPDATE SET value = excluded.value, number = excluded.number`,
    [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2]), rows.map((r) => r[3])],
  );
}

/** Inserts or replaces `reported_metrics` rows (trial_id, name, step, value), in one statement. */
async function insertReported(c: pg.PoolClient, rows: readonly [number, string, number, number | null][]): Promise<void> {
  // One row per name and step, the last given winning: ON CONFLICT cannot touch a row twice.
  const unique = [...new Map(rows.map((r) => [`${r[1]}\u0000${r[2]}`, r])).values()];
  if (unique.length === 0) return;
  await c.query(
    `INSERT INTO reported_metrics (trial_id, name, step, value)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::float8[])
     ON CONFLICT (trial_id, name, step) DO UPDATE SET value = excluded.value`,
    [unique.map((r) => r[0]), unique.map((r) => r[1]), unique.map((r) => r[2]), unique.map((r) => r[3])],
  );
}

type ReportedRow = { trial_id: number; name: string; step: number; value: number | null };

const PG_TYPE = { INTEGER: 'bigint', REAL: 'float8', TEXT: 'text' } as const;
const REGISTRY_SQL = HYPERPARAMETERS.map((k) => REGISTRY[k].sql);

async function insertEpochs(c: pg.PoolClient, trialId: number, epochs: readonly EpochMetrics[]): Promise<void> {
  // One row per epoch, the last given winning, as SQLite's replace would: ON CONFLICT cannot touch a row twice.
  const rows = [...new Map(epochs.map((e) => [e.epoch, e])).values()];
  if (rows.length === 0) return;
  await c.query(
    `INSERT INTO epochs (trial_id, epoch, loss, accuracy, val_loss, val_accuracy, seconds)
     SELECT $1, * FROM unnest($2::bigint[], $3::float8[], $4::float8[], $5::float8[], $6::float8[], $7::float8[])
     ON CONFLICT (trial_id, epoch) DO UPDATE SET loss = excluded.loss, accuracy = excluded.accuracy,
       val_loss = excluded.val_loss, val_accuracy = excluded.val_accuracy, seconds = excluded.seconds`,
    [trialId, rows.map((e) => e.epoch), rows.map((e) => real(e.loss)), rows.map((e) => real(e.accuracy)),
      rows.map((e) => real(e.valLoss)), rows.map((e) => real(e.valAccuracy)), rows.map((e) => real(e.seconds))],
  );
  await insertReported(c, rows.flatMap((e) => reportedRows(trialId, e.epoch, e.reported)));
}

/** NaN as NULL, as SQLite stores it, so that both backends read back alike. */
const real = (x: number): number | null => (Number.isNaN(x) ? null : x);

const claimKey = (trialId: number, attempt: number) => `${trialId}:${attempt}`;

const ignore = () => {};

/**
 * Whether the server says `sql` returns rows, asked without running it: Parse and Describe
 * (extended protocol), as pg-cursor submits its own messages. An error (syntax, an unknown
 * table, several statements) rejects.
 */
function returnsRows(client: pg.PoolClient, sql: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    let rows = false;
    let failed: unknown;
    const describe = {
      submit(connection: { parse(q: object): void; describe(q: object): void; sync(): void }) {
        connection.parse({ text: sql, types: [] });
        connection.describe({ type: 'S', name: '' });
        connection.sync();
      },
      handleRowDescription() { rows = true; },
      // After an error the server skips to Sync; pg hands the error here and nothing more.
      handleError(err: unknown) { failed = err; reject(err); },
      handleReadyForQuery() { if (failed === undefined) resolve(rows); },
      handleDataRow: ignore, handleCommandComplete: ignore, handleEmptyQuery: ignore, handlePortalSuspended: ignore,
      handleCopyInResponse: ignore, handleCopyData: ignore,
    };
    (client as unknown as { query(s: object): void }).query(describe);
  });
}

/** Comments, whitespace and semicolons only. */
function isBlank(sql: string): boolean {
  return sql.replace(/\/\*[\s\S]*?\*\//g, '').replace(/--[^\n]*/g, '').replace(/[\s;]/g, '') === '';
}

/** A refusal or PostgreSQL's own message as a one-line UserError; anything else (a bug) as it is. */
function queryError(err: unknown): Error {
  if (err instanceof UserError) return err;
  const e = err as { code?: unknown; message?: string; severity?: unknown };
  if (e.code === '42601' && /multiple commands/.test(e.message ?? '')) return new UserError(MULTIPLE);
  // Refused by the READ ONLY transaction: a write that also returns rows (DELETE … RETURNING, nextval).
  if (e.code === '25006') return new UserError(REFUSED);
  if (typeof e.severity === 'string' && typeof e.code === 'string') return new UserError(oneLine(err));
  return err as Error;
}

/** Errors after which running the same work again on a new connection is right. */
function retryable(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  // serialization_failure, deadlock_detected: the server rolled the transaction back whole.
  return isConnectionError(err) || code === '40001' || code === '40P01';
}

const SOCKET_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN',
]);

/**
 * A connection that failed or could not be made: a socket error, a connection_exception
 * (08xxx), the server shutting down (57P01 admin_shutdown, 57P02 crash_shutdown) or starting
 * up (57P03), too many connections (53300), or pg's own errors for a socket that closed.
 */
function isConnectionError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e.code === 'string') {
    if (SOCKET_CODES.has(e.code) || e.code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(e.code)) return true;
  }
  return typeof e.message === 'string'
    && /Connection terminated|not queryable|timeout exceeded when trying to connect|Connection closed/i.test(e.message);
}

/** An error's message on one line; Node's AggregateError (every address refused) has its reasons inside. */
function oneLine(err: unknown): string {
  const e = err as { message?: string; code?: string; errors?: { message?: string }[] };
  const text = e.message || e.errors?.map((x) => x.message).join('; ') || e.code || String(err);
  return text.replace(/\s*\n\s*/g, ' ');
}

/** The URL as it can be shown: any password removed. */
function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    u.searchParams.delete('password');
    return u.toString();
  } catch {
    return url.replace(/(\/\/[^/:@]*):[^@/]*@/, '$1@');
  }
}

/** Row types for the store's own reads: bigint (int8) and numeric as numbers, which ids, counts and sums always fit. */
const STORE_TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === OID.int8 || oid === OID.numeric) return Number;
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

const OID = { bool: 16, bytea: 17, int8: 20, int2: 21, int4: 23, oid: 26, float4: 700, float8: 701, numeric: 1700 } as const;

/**
 * What `sweep query` prints, as SQLite's side gives it: integers as numbers (past 2^53 as
 * decimal text), numerics and floats as numbers (NaN and ±Infinity as text), booleans as 1
 * and 0, bytea as an SQL hex literal `X'…'`, and every other type (timestamps, json, arrays)
 * in PostgreSQL's text form.
 */
const QUERY_TYPES = {
  getTypeParser(oid: number) {
    switch (oid) {
      case OID.bool: return (v: string) => (v === 't' ? 1 : 0);
      case OID.int2: case OID.int4: case OID.oid: return Number;
      case OID.int8: return (v: string) => (Number.isSafeInteger(Number(v)) ? Number(v) : v);
      case OID.numeric: return numeric;
      case OID.float4: case OID.float8: return (v: string) => (Number.isFinite(Number(v)) ? Number(v) : v);
      case OID.bytea: return (v: string) => {
        const bytes = pg.types.getTypeParser(OID.bytea, 'text')(v) as Buffer;
        return `X'${bytes.toString('hex').toUpperCase()}'`;
      };
      default: return (v: string) => v;
    }
  },
} as pg.CustomTypesConfig;

/** A numeric as a number, except an integer past 2^53 (kept exact, as text) and NaN/Infinity (text). */
function numeric(v: string): Value {
  const n = Number(v);
  if (!Number.isFinite(n)) return v;
  if (/^-?\d+$/.test(v) && !Number.isSafeInteger(n)) return v;
  return n;
}



