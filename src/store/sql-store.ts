import { UserError } from '../errors.js';
import { failpoint } from '../failpoint.js';
import { epochValue } from '../metrics/registry.js';
import type { DataSettings } from '../spec/schema.js';
import { infeasibleLine } from '../spec/parameter-bounds.js';
import type {
  Annotations, DecisionRecord, EpochMetrics, ModelFiles, SweepRecord, SweepSummary, Trial, TrialLogRecord, TrialLogs, TrialOutcome, TrialRecord, TrialSnapshot, TrialStatus,
} from '../trial/types.js';
import { all, exec, first, insert, list, raw, script, sql, type Dialect, type Sql, type Steps } from './dialect.js';
import {
  copiedTrialColumns, DECISION_COLUMNS, decisionValues, HYPERPARAMETER_COLUMNS, hyperparameterValues, paramRows, paramRowsOfColumns, parseConfig,
  reportedByStep, reportedRows, toDecision, toSweep, toTrial, type DecisionRow, type EpochColumns, type ParamRow, type SweepRow, type TrialRow,
} from './rows.js';
import { METRIC_VALUE_OF, migrations, SCHEMA_VERSION } from './schema.js';
import {
  leaseMs, type Claim, type EarlierTrials, type EpochDecision, type FrontInput, type FrontRow, type NewSweep, type OpenOptions, type QueryResult, type Store, type TrialCopy,
} from './store.js';

/**
 * The Store, once, over a `Dialect` (dialect.ts): every promise of the contract in store.ts is
 * kept here, in SQL both engines take; sqlite.ts and postgres.ts only open a connection and say
 * how their engine runs it. Any write may be run twice by a dialect that retries after losing a
 * connection (`again`): each is safe so (see `fenced` and `claimNext`).
 */
export class SqlStore implements Store {
  readonly location: string;
  readonly leaseMs: number;
  /**
   * `trial:attempt` of the claims this store handed out and that may still be running: a
   * claim retried after its reply was lost takes back the trial its first try claimed
   * (running under the same owner, not in here) instead of claiming a second one.
   */
  private readonly handedOut = new Set<string>();
  /** Claims run one at a time per store, so that a retried one knows any unknown trial of its owner is its own. */
  private claiming: Promise<unknown> = Promise.resolve();

  protected constructor(protected readonly d: Dialect, lease: number) {
    this.location = d.location;
    this.leaseMs = lease;
  }

  /** The lease `options` give, else `SWEEP_LEASE_SECONDS`'s: read before opening anything, as it may be a UserError. */
  protected static lease(options: OpenOptions): number {
    return options.leaseMs ?? leaseMs();
  }

  /**
   * Sets `d` up and brings its schema up to date (unless read-only: then it must be current).
   * On failure `d` is closed and the error is a UserError naming the location.
   */
  protected static async ready(d: Dialect, readonly: boolean): Promise<void> {
    try {
      await d.setUp?.();
      await migrate(d, readonly);
    } catch (err) {
      await d.close().catch(() => {});
      if (err instanceof UserError) throw err;
      throw new UserError(`${d.location}: cannot use the database (${d.describe(err)})`);
    }
  }

  async close(): Promise<void> {
    await this.d.close();
  }

  async upsertSweep(s: NewSweep): Promise<number> {
    const { d } = this;
    return d.transaction('write', function* () {
      const before = yield* first<{ metric: string }>(sql`SELECT metric FROM sweeps WHERE name = ${s.name} ${d.lockRows('update')}`);
      const now = d.now();
      const { id } = (yield* first<{ id: number }>(sql`
        INSERT INTO sweeps (name, metric, goal, seed, spec_path, spec_yaml, created_at, updated_at, program_sha256, env_json)
        VALUES (${list([s.name, s.metric, s.goal, s.seed, s.specPath, s.specYaml, now, now, s.programSha256 ?? null, s.environment ? JSON.stringify(s.environment) : null])})
        ON CONFLICT (name) DO UPDATE SET metric = excluded.metric, goal = excluded.goal, seed = excluded.seed,
          spec_path = excluded.spec_path, spec_yaml = excluded.spec_yaml, updated_at = excluded.updated_at,
          program_sha256 = excluded.program_sha256, env_json = COALESCE(excluded.env_json, sweeps.env_json)
        RETURNING id`))!;
      if (before && before.metric !== s.metric) {
        yield* exec(sql`UPDATE trials SET metric_value = ${METRIC_VALUE} WHERE sweep_id = ${id} AND status IN ('completed', 'pruned')`);
      }
      yield* setObjectives(id, s.objectives ?? [{ name: s.metric, goal: s.goal }]);
      return id;
    });
  }

  /** Under the sweep's proposal lock, so that two processes adding trials at once number them apart; a retry adds none twice. */
  async addTrials(sweepId: number, seed: number, data: DataSettings, trials: readonly Trial[]): Promise<number> {
    const now = this.d.now();
    return this.d.transaction({ proposals: sweepId }, () => insertTrials(sweepId, seed, JSON.stringify(data), trials, now));
  }

  async proposeTrial(
    sweepId: number, seed: number, data: DataSettings,
    propose: (trials: readonly TrialRecord[], number: number) => Trial | undefined | 'wait',
    options: { readonly spans?: boolean } = {},
  ): Promise<TrialRecord | undefined | 'wait'> {
    const now = this.d.now();
    return this.d.transaction({ proposals: sweepId }, function* () {
      let rows = yield* withObjectives(yield* all<TrialRow>(sql`SELECT * FROM trials WHERE sweep_id = ${sweepId} ORDER BY number`), sweepId);
      if (options.spans) rows = yield* withSpans(rows, sweepId);
      const trial = propose(rows, rows.length === 0 ? 0 : rows[rows.length - 1].number + 1);
      if (trial === 'wait') return trial;
      if (!trial || (yield* insertTrials(sweepId, seed, JSON.stringify(data), [trial], now)) === 0) return undefined;
      return toTrial((yield* first<TrialRow>(sql`SELECT * FROM trials WHERE sweep_id = ${sweepId} AND config_id = ${trial.configId}`))!);
    });
  }

  async retryFailed(sweepId: number): Promise<number> {
    return (await this.d.run(sql`UPDATE trials SET status = 'pending', error = NULL WHERE sweep_id = ${sweepId} AND status = 'failed'`)).count;
  }

  async releaseExpired(sweepId: number): Promise<number> {
    return (await this.d.run(sql`
      UPDATE trials SET status = 'interrupted', owner = NULL
      WHERE sweep_id = ${sweepId} AND status = 'running' AND ${this.leaseOver()}`)).count;
  }

  claimNext(sweepId: number, owner: string, eligible: readonly string[]): Promise<Claim | undefined> {
    const next = this.claiming.then(() => this.claimOnce(sweepId, owner, eligible));
    this.claiming = next.catch(() => {});
    return next;
  }

  async heartbeat(owner: string): Promise<void> {
    await this.d.run(sql`UPDATE trials SET heartbeat_at = ${this.d.now()} WHERE owner = ${owner} AND status = 'running'`);
  }

  async resumeAt(claim: Claim, resumed: readonly EpochMetrics[], backend: string): Promise<boolean> {
    const id = claim.trial.id;
    // The last step kept (a program's steps may start at 0); -1: none.
    const n = resumed.length > 0 ? resumed[resumed.length - 1].epoch : -1;
    return this.fenced(claim, 'running', function* () {
      yield* exec(sql`DELETE FROM epochs WHERE trial_id = ${id} AND epoch > ${n}`);
      yield* exec(sql`DELETE FROM decisions WHERE trial_id = ${id} AND epoch > ${n}`);
      yield* exec(sql`DELETE FROM reported_metrics WHERE trial_id = ${id} AND step > ${n}`);
      yield* insertEpochs(id, resumed);
      yield* exec(sql`UPDATE trials SET epochs_done = ${Math.max(n, 0)}, resumed_from = ${n > 0 ? n : null}, backend = ${backend} WHERE id = ${id}`);
    });
  }

  recordEpoch(claim: Claim, m: EpochMetrics, backend?: string, checkpoint?: Uint8Array | null, decision?: EpochDecision): Promise<boolean> {
    return this.recordEpochs(claim, [m], backend, checkpoint, decision);
  }

  async recordEpochs(
    claim: Claim, epochs: readonly EpochMetrics[], backend?: string, checkpoint?: Uint8Array | null, decision?: EpochDecision,
  ): Promise<boolean> {
    const { d } = this;
    const id = claim.trial.id;
    const m = epochs[epochs.length - 1];
    if (m === undefined) throw new Error('recordEpochs needs at least one epoch');
    return this.fenced(claim, decision?.verdict === 'prune' ? 'pruned' : 'running', function* () {
      yield* insertEpochs(id, epochs);
      yield* exec(sql`UPDATE trials SET epochs_done = ${atLeast('epochs_done', m.epoch)}, backend = COALESCE(${backend ?? null}, backend)
        WHERE id = ${id}`);
      if (decision) {
        yield* insert('decisions', DECISION_COLUMNS, [decisionValues(id, { ...decision, epoch: m.epoch })], upsert('trial_id, epoch', DECISION_COLUMNS.slice(2)));
      }
      if (decision?.verdict === 'prune') {
        yield* exec(sql`DELETE FROM checkpoints WHERE trial_id = ${id}`);
        yield* exec(sql`
          UPDATE trials SET status = 'pruned', finished_at = ${d.now()}, val_accuracy = ${num(m.valAccuracy)}, val_loss = ${num(m.valLoss)},
            error = NULL, seconds = (SELECT SUM(seconds) FROM epochs WHERE trial_id = ${id})
          WHERE id = ${id}`);
        yield* setMetricValue(id);
      } else if (checkpoint) {
        yield* insert('checkpoints', CHECKPOINT_COLUMNS, [[id, m.epoch, checkpoint]], upsert('trial_id', ['epoch', 'data']));
      }
      failpoint('epoch-write');
    });
  }

  async completeTrial(claim: Claim, r: TrialOutcome, environment: object | null, model?: ModelFiles | null): Promise<boolean> {
    const { d } = this;
    const id = claim.trial.id;
    return this.fenced(claim, 'completed', function* () {
      yield* insertEpochs(id, r.epochs);
      yield* exec(sql`DELETE FROM checkpoints WHERE trial_id = ${id}`);
      if (model) yield* insert('models', MODEL_COLUMNS, [[id, model.modelJson, model.weights]], upsert('trial_id', ['model_json', 'weights']));
      yield* exec(sql`
        UPDATE trials SET status = 'completed', finished_at = ${d.now()}, backend = ${r.backend}, val_accuracy = ${num(r.valAccuracy)},
          val_loss = ${num(r.valLoss)}, test_accuracy = ${num(r.testAccuracy)}, test_loss = ${num(r.testLoss)}, params = ${num(r.params)},
          seconds = ${num(r.seconds)}, latency_ms = ${num(r.latencyMs)}, error = NULL, weights_sha256 = ${r.weightsSha256},
          env_json = ${environment ? JSON.stringify(environment) : null}, epochs_done = ${lastStep(r.epochs)}
        WHERE id = ${id}`);
      yield* insertReported(reportedRows(id, lastStep(r.epochs), r.reported));
      yield* setMetricValue(id);
      yield* setObjectiveValues(sql`t.id = ${id}`);
      failpoint('trial-write');
    });
  }

  async failTrial(claim: Claim, error: string, epochs: readonly EpochMetrics[], backend?: string): Promise<boolean> {
    const { d } = this;
    const id = claim.trial.id;
    return this.fenced(claim, 'failed', function* () {
      yield* insertEpochs(id, epochs);
      yield* exec(sql`
        UPDATE trials SET status = 'failed', finished_at = ${d.now()}, error = ${error}, backend = COALESCE(${backend ?? null}, backend),
          epochs_done = ${atLeast('epochs_done', lastStep(epochs))}
        WHERE id = ${id}`);
    });
  }

  async interruptTrial(claim: Claim): Promise<boolean> {
    const { d } = this;
    return this.fenced(claim, 'interrupted', function* () {
      yield* exec(sql`UPDATE trials SET status = 'interrupted', finished_at = ${d.now()}, owner = NULL WHERE id = ${claim.trial.id}`);
    });
  }

  async recordLogs(claim: Claim, logs: TrialLogs): Promise<boolean> {
    const id = claim.trial.id;
    return this.d.transaction('write', function* () {
      const row = yield* first<{ attempts: number }>(sql`SELECT attempts FROM trials WHERE id = ${id}`);
      if (row?.attempts !== claim.attempt) return false;
      yield* insert('trial_logs', ['trial_id', 'attempt', 'stream', 'text', 'bytes'],
        (['stdout', 'stderr'] as const).map((stream) => [id, claim.attempt, stream, logs[stream].text, logs[stream].bytes]),
        upsert('trial_id, attempt, stream', ['text', 'bytes']));
      return true;
    });
  }

  async releaseOwned(owner: string): Promise<void> {
    await this.d.run(sql`UPDATE trials SET status = 'interrupted', owner = NULL WHERE owner = ${owner} AND status = 'running'`);
  }

  async requeue(trialId: number): Promise<void> {
    await this.d.transaction('write', function* () {
      for (const table of ['epochs', 'decisions', 'reported_metrics', 'checkpoints', 'models', 'trial_logs', 'trial_objectives', 'trial_fronts']) {
        yield* exec(sql`DELETE FROM ${raw(table)} WHERE trial_id = ${trialId}`);
      }
      yield* exec(sql`UPDATE trials SET status = 'pending', epochs_done = 0, error = NULL, metric_value = NULL WHERE id = ${trialId}`);
    });
  }

  async markReproduction(trialId: number, originalId: number): Promise<void> {
    await this.d.run(sql`UPDATE trials SET repro_of = ${originalId} WHERE id = ${trialId}`);
  }

  async importTrial(sweepId: number, t: TrialCopy, reproOf: number | null): Promise<number | null> {
    return this.d.transaction({ proposals: sweepId }, function* () {
      const columns = copiedTrialColumns(sweepId, t, reproOf, yield* nextNumber(sweepId));
      const [row] = yield* insert<{ id: number }>('trials', columns.map(([c]) => c), [columns.map(([, v]) => v)],
        sql`ON CONFLICT (sweep_id, config_id) DO NOTHING RETURNING id`);
      if (!row) return null;
      yield* insertEpochs(row.id, t.epochs);
      yield* insertParams(paramRows(row.id, t.record.config));
      yield* insert('decisions', DECISION_COLUMNS, t.decisions.map((x) => decisionValues(row.id, x)));
      if (t.checkpoint) yield* insert('checkpoints', CHECKPOINT_COLUMNS, [[row.id, t.record.epochsDone, t.checkpoint]]);
      if (t.model) yield* insert('models', MODEL_COLUMNS, [[row.id, t.model.modelJson, t.model.weights]]);
      if (t.record.status === 'completed') yield* setObjectiveValues(sql`t.id = ${row.id}`);
      return row.id;
    });
  }

  async addTags(trialId: number, names: readonly string[]): Promise<string[]> {
    const { d } = this;
    const unique = [...new Set(names)];
    // One row at a time: the store's clock is SQL (d.now()), which a bulk insert's bound arrays cannot carry; a trial has few tags.
    return d.transaction('write', function* () {
      const added: string[] = [];
      for (const name of unique) {
        const row = yield* first(sql`INSERT INTO tags (trial_id, name, created_at) VALUES (${list([trialId, name, d.now()])})
          ON CONFLICT (trial_id, name) DO NOTHING RETURNING name`);
        if (row) added.push(name);
      }
      if (added.length > 0) yield* annotated(sql`(SELECT sweep_id FROM trials WHERE id = ${trialId})`);
      return added;
    });
  }

  async removeTags(trialId: number, names: readonly string[]): Promise<string[]> {
    if (names.length === 0) return [];
    const removed = new Set(await this.d.transaction('write', function* () {
      const rows = yield* all<{ name: string }>(sql`DELETE FROM tags WHERE trial_id = ${trialId} AND name IN (${list(names)}) RETURNING name`);
      if (rows.length > 0) yield* annotated(sql`(SELECT sweep_id FROM trials WHERE id = ${trialId})`);
      return rows.map((r) => r.name);
    }));
    return names.filter((n, i) => removed.has(n) && names.indexOf(n) === i);
  }

  async addNote(sweepId: number, trialId: number | null, text: string): Promise<void> {
    const { d } = this;
    await d.transaction('write', function* () {
      yield* exec(sql`INSERT INTO notes (sweep_id, trial_id, text, created_at) VALUES (${list([sweepId, trialId, text, d.now()])})`);
      yield* annotated(sql`${sweepId}`);
    });
  }

  async clearNotes(sweepId: number, trialId: number | null): Promise<number> {
    return this.d.transaction('write', function* () {
      const n = yield* exec(sql`DELETE FROM notes WHERE sweep_id = ${sweepId} AND ${noteOn(trialId)}`);
      if (n > 0) yield* annotated(sql`${sweepId}`);
      return n;
    });
  }

  async importAnnotations(sweepId: number, a: Annotations): Promise<void> {
    await this.d.transaction('write', function* () {
      yield* insert('tags', TAG_COLUMNS, a.tags.map((t) => [t.trialId, t.name, t.createdAt]), sql`ON CONFLICT (trial_id, name) DO NOTHING`);
      for (const n of a.notes) {
        const here = yield* first(sql`
          SELECT 1 AS here FROM notes WHERE sweep_id = ${sweepId} AND ${noteOn(n.trialId)} AND text = ${n.text} AND created_at = ${n.createdAt}`);
        if (!here) yield* exec(sql`INSERT INTO notes (sweep_id, trial_id, text, created_at) VALUES (${list([sweepId, n.trialId, n.text, n.createdAt])})`);
      }
      yield* annotated(sql`${sweepId}`);
    });
  }

  async annotations(sweepId: number): Promise<Annotations> {
    return this.d.transaction('read', function* () {
      const tags = yield* all<{ trialId: number; name: string; createdAt: string }>(sql`
        SELECT g.trial_id AS "trialId", g.name, g.created_at AS "createdAt" FROM tags g JOIN trials t ON t.id = g.trial_id
        WHERE t.sweep_id = ${sweepId} ORDER BY g.trial_id, g.name`);
      const notes = yield* all<{ trialId: number | null; text: string; createdAt: string }>(sql`
        SELECT trial_id AS "trialId", text, created_at AS "createdAt" FROM notes WHERE sweep_id = ${sweepId} ORDER BY id`);
      return { tags, notes };
    });
  }

  async sweep(name: string): Promise<SweepRecord | undefined> {
    const row = await this.first<SweepRow>(sql`SELECT * FROM sweeps WHERE name = ${name}`);
    return row && toSweep(row);
  }

  async sweepById(id: number): Promise<SweepRecord | undefined> {
    const row = await this.first<SweepRow>(sql`SELECT * FROM sweeps WHERE id = ${id}`);
    return row && toSweep(row);
  }

  async sweeps(): Promise<SweepSummary[]> {
    const count = (statuses: string) => raw(`COUNT(*) FILTER (WHERE t.status IN (${statuses}))`);
    return this.all<SweepSummary>(sql`
      SELECT s.name, s.metric, s.goal, s.created_at AS "createdAt", s.updated_at AS "updatedAt", COUNT(t.id) AS total,
        ${count(`'completed'`)} AS completed, ${count(`'failed'`)} AS failed, ${count(`'pruned'`)} AS pruned,
        ${count(`'running'`)} AS running, ${count(`'pending', 'interrupted'`)} AS pending,
        CASE s.goal WHEN 'minimize' THEN MIN(t.metric_value) FILTER (WHERE t.status = 'completed')
                    ELSE MAX(t.metric_value) FILTER (WHERE t.status = 'completed') END AS best
      FROM sweeps s LEFT JOIN trials t ON t.sweep_id = s.id
      GROUP BY s.id ORDER BY s.created_at, s.id`);
  }

  async trial(id: number): Promise<TrialRecord | undefined> {
    return this.d.transaction('read', function* () {
      const row = yield* first<TrialRow>(sql`SELECT * FROM trials WHERE id = ${id}`);
      return row && (yield* withObjectives([row], row.sweep_id))[0];
    });
  }

  async trials(sweepId: number): Promise<TrialRecord[]> {
    return this.d.transaction('read', function* () {
      return yield* withObjectives(yield* all<TrialRow>(ranked(sweepId)), sweepId);
    });
  }

  async rankFronts(sweepId: number, names: readonly string[], rank: (trials: readonly FrontInput[]) => readonly FrontRow[]): Promise<readonly FrontRow[]> {
    return this.d.transaction({ proposals: sweepId }, function* () {
      const done = sql`t.sweep_id = ${sweepId} AND t.status = 'completed'`;
      const trials = yield* withObjectives(yield* all<TrialRow>(sql`SELECT * FROM trials t WHERE ${done} ORDER BY t.number`), sweepId);
      const named = new Map<number, Record<string, number>>();
      if (names.length > 0) {
        const rows = yield* all<{ trial_id: number; name: string; value: number | null }>(sql`
          SELECT m.trial_id, m.name, m.value FROM trial_metrics m JOIN trials t ON t.id = m.trial_id AND m.step = t.epochs_done
          WHERE ${done} AND m.name IN (${list(names)})
          UNION ALL
          SELECT p.trial_id, p.name, p.number FROM param_values p JOIN trials t ON t.id = p.trial_id
          WHERE ${done} AND p.name IN (${list(names)})`);
        for (const r of rows) {
          if (r.value === null) continue;
          if (!named.has(r.trial_id)) named.set(r.trial_id, {});
          named.get(r.trial_id)![r.name] ??= r.value;
        }
      }
      const ranked = rank(trials.map((t) => ({ trialId: t.id, number: t.number, values: t.objectiveValues ?? [], named: named.get(t.id) ?? {} })));
      yield* exec(sql`DELETE FROM trial_fronts WHERE trial_id IN (SELECT id FROM trials WHERE sweep_id = ${sweepId})`);
      yield* insert('trial_fronts', ['trial_id', 'front', 'violation', 'broken'],
        ranked.map((r) => [r.trialId, r.front, r.violation, r.broken.length > 0 ? JSON.stringify(r.broken.map((b) => ({ ...b, by: Number.isFinite(b.by) ? b.by : null }))) : null]));
      failpoint('fronts-write');
      return ranked;
    });
  }

  /** The trials and their epochs in one snapshot: a trial completed meanwhile is seen whole or not at all. */
  async snapshot(sweepId: number): Promise<TrialSnapshot[]> {
    const { trials, epochs, fronts, tags } = await this.d.transaction('read', function* () {
      const trials = yield* all<TrialRow>(ranked(sweepId));
      const epochs = yield* epochsOf(sql`JOIN trials t ON t.id = e.trial_id WHERE t.sweep_id = ${sweepId}`);
      const fronts = new Map((yield* all<{ trial_id: number; front: number; violation: number }>(sql`
        SELECT f.trial_id, f.front, f.violation FROM trial_fronts f JOIN trials t ON t.id = f.trial_id WHERE t.sweep_id = ${sweepId}`))
        .map((f) => [f.trial_id, f]));
      const tags = new Map<number, string[]>();
      for (const g of yield* all<{ trial_id: number; name: string }>(sql`
        SELECT g.trial_id, g.name FROM tags g JOIN trials t ON t.id = g.trial_id WHERE t.sweep_id = ${sweepId} ORDER BY g.name`)) {
        tags.set(g.trial_id, [...(tags.get(g.trial_id) ?? []), g.name]);
      }
      return { trials, epochs, fronts, tags };
    });
    return trials.map((t) => ({
      id: t.id, configId: t.config_id, config: parseConfig(t.config_json), status: t.status,
      backend: t.backend, epochs: epochs.get(t.id) ?? [], valAccuracy: t.val_accuracy, valLoss: t.val_loss,
      testAccuracy: t.test_accuracy, seconds: t.seconds, startedAt: t.started_at, error: t.error, metricValue: t.metric_value,
      ...(fronts.has(t.id) ? { front: fronts.get(t.id)!.front, feasible: fronts.get(t.id)!.violation === 0 } : {}),
      ...(tags.has(t.id) ? { tags: tags.get(t.id)! } : {}),
    }));
  }

  async epochs(trialId: number): Promise<EpochMetrics[]> {
    const epochs = await this.d.transaction('read', () => epochsOf(sql`WHERE e.trial_id = ${trialId}`));
    return epochs.get(trialId) ?? [];
  }

  async changeToken(): Promise<string> {
    return this.d.changeToken();
  }

  /** Each decision with the sweep's metric after its epoch (decisionsOf). */
  async decisions(sweepId: number): Promise<DecisionRecord[]> {
    return this.d.transaction('read', () => decisionsOf(sql`t.sweep_id = ${sweepId}`));
  }

  async earlierTrials(sweepId: number, number: number, epoch: number, withEpochs: boolean): Promise<EarlierTrials> {
    return this.d.transaction('read', function* () {
      const earlier = sql`t.sweep_id = ${sweepId} AND t.number < ${number}`;
      const unfinished = yield* all<{ id: number; number: number; status: TrialStatus }>(sql`
        SELECT t.id, t.number, t.status FROM trials t
        WHERE ${earlier} AND t.status IN ('pending', 'running', 'interrupted') AND t.epochs_done < ${epoch} ORDER BY t.number`);
      const decisions = yield* decisionsOf(earlier);
      const epochs = withEpochs ? yield* epochsOf(sql`JOIN trials t ON t.id = e.trial_id WHERE ${earlier}`) : new Map<number, EpochMetrics[]>();
      return { unfinished, decisions, epochs };
    });
  }

  async checkpoint(trialId: number): Promise<Uint8Array | null> {
    const row = await this.first<{ data: Uint8Array }>(sql`SELECT data FROM checkpoints WHERE trial_id = ${trialId}`);
    return row ? new Uint8Array(row.data) : null;
  }

  async model(trialId: number): Promise<ModelFiles | undefined> {
    const row = await this.first<{ model_json: string; weights: Uint8Array }>(sql`SELECT model_json, weights FROM models WHERE trial_id = ${trialId}`);
    return row && { modelJson: row.model_json, weights: new Uint8Array(row.weights) };
  }

  async logs(trialId: number): Promise<TrialLogRecord[]> {
    const rows = await this.all<{ attempt: number; stream: 'stdout' | 'stderr'; text: string; bytes: number }>(
      sql`SELECT attempt, stream, text, bytes FROM trial_logs WHERE trial_id = ${trialId} ORDER BY attempt, stream`);
    const attempts = [...new Set(rows.map((r) => r.attempt))];
    const empty = { text: '', bytes: 0 };
    return attempts.map((attempt) => {
      const of = (stream: string) => rows.find((r) => r.attempt === attempt && r.stream === stream);
      const text = (r: (typeof rows)[number] | undefined) => (r ? { text: r.text, bytes: Number(r.bytes) } : empty);
      return { attempt: Number(attempt), stdout: text(of('stdout')), stderr: text(of('stderr')) };
    });
  }

  async query(text: string): Promise<QueryResult> {
    return this.d.query(text);
  }

  private async claimOnce(sweepId: number, owner: string, eligible: readonly string[]): Promise<Claim | undefined> {
    const { d, handedOut } = this;
    const leaseOver = () => this.leaseOver();
    const row = await d.transaction('claim', function* (again) {
      if (again) {
        // The first try may have claimed a trial and lost only its reply: that trial runs under
        // `owner`, and no claim of this store names it. Take it back rather than claim another,
        // which would leave it running, heartbeats and all, with no one training it.
        const mine = yield* all<TrialRow>(sql`
          SELECT * FROM trials WHERE sweep_id = ${sweepId} AND owner = ${owner} AND status = 'running' AND ${d.oneOf('config_id', eligible)}
          ORDER BY id`);
        const lost = mine.find((r) => !handedOut.has(claimKey(r.id, r.attempts)));
        if (lost) return lost;
      }
      // The first eligible trial by id, locked as it is picked (where the engine locks rows) and
      // re-checked on its latest version, so that a trial another claimer just took is not
      // taken again; SKIP LOCKED passes over one another claimer holds. What outlives a crash is the lease.
      const now = d.now();
      const row = yield* first<TrialRow>(sql`
        UPDATE trials SET status = 'running', owner = ${owner}, heartbeat_at = ${now}, started_at = ${now},
          attempts = attempts + 1, finished_at = NULL, val_accuracy = NULL, val_loss = NULL, test_accuracy = NULL,
          test_loss = NULL, params = NULL, seconds = NULL, latency_ms = NULL, error = NULL, resumed_from = NULL, metric_value = NULL
        WHERE id = (
          SELECT id FROM trials
          WHERE sweep_id = ${sweepId} AND ${d.oneOf('config_id', eligible)}
            AND (status IN ('pending', 'interrupted') OR (status = 'running' AND ${leaseOver()}))
          ORDER BY id
          LIMIT 1
          ${d.lockRows('skip locked')})
        RETURNING *`);
      // Before the claim commits, where it is a transaction (SQLite's).
      failpoint('claim');
      return row;
    });
    if (!row) return undefined;
    this.handedOut.add(claimKey(row.id, row.attempts));
    const trial = toTrial(row);
    return { trial, attempt: trial.attempts };
  }

  /**
   * Runs `write` in one transaction if `claim` still holds its trial (running, at its
   * attempt), holding the trial's row until it commits; whether it ran. A retry after a lost
   * reply finds the trial already in `done` at this attempt when the first try committed:
   * that write happened, and no other claim could have made it.
   */
  private async fenced(claim: Claim, done: TrialStatus, write: () => Steps<void>): Promise<boolean> {
    const { d } = this;
    const ok = await d.transaction('write', function* (again) {
      const row = yield* first<{ status: TrialStatus }>(sql`
        SELECT status FROM trials WHERE id = ${claim.trial.id} AND attempts = ${claim.attempt} ${d.lockRows('no key update')}`);
      if (row?.status === 'running') {
        yield* write();
        return true;
      }
      return again && row?.status === done;
    });
    // A claim that ended, or was lost, cannot be a retried claim's lost trial: forget it.
    if (!ok || done !== 'running') this.handedOut.delete(claimKey(claim.trial.id, claim.attempt));
    return ok;
  }

  /**
   * A running trial's lease is over: no owner or heartbeat, a heartbeat older than the lease on
   * the store's clock, or (where the dialect can know it) an owner whose process is gone.
   */
  private leaseOver(): Sql {
    const gone = this.d.ownerGone('owner');
    return sql`(owner IS NULL OR heartbeat_at IS NULL OR ${this.d.before('heartbeat_at', this.leaseMs)}${gone ? sql` OR ${gone}` : raw('')})`;
  }

  private async all<T>(statement: Sql): Promise<T[]> {
    return (await this.d.run(statement)).rows as T[];
  }

  private async first<T>(statement: Sql): Promise<T | undefined> {
    return (await this.all<T>(statement))[0];
  }
}

/** Brings the schema at `d` up to date under the schema lock, or (read-only) checks that it is. */
async function migrate(d: Dialect, readonly: boolean): Promise<void> {
  const newer = (version: number) =>
    new UserError(`${d.location}: written by a newer sweep (schema version ${version}, this one knows up to ${SCHEMA_VERSION})`);
  const version = await d.transaction('read', () => d.schemaVersion());
  if (version > SCHEMA_VERSION) throw newer(version);
  if (version === SCHEMA_VERSION) return;
  if (readonly) {
    if (version === 0) throw new UserError(`${d.location}: no sweep database here yet (run \`sweep run SPEC --db ${d.location}\` first)`);
    throw new UserError(`${d.location}: schema version ${version} is older than ${SCHEMA_VERSION}; run \`sweep run\` on it once to upgrade`);
  }
  const steps = migrations(d.types);
  await d.transaction('schema', function* () {
    // Read again under the lock: another process may have migrated meanwhile.
    const current = yield* d.schemaVersion();
    if (current > SCHEMA_VERSION) throw newer(current);
    for (let v = current; v < SCHEMA_VERSION; v++) yield* script(steps[v]);
    // v8's parameters as rows, for the trials recorded before it: from each one's configuration.
    if (current < 8) {
      const trials = yield* all<Record<string, string | number | null> & { id: number }>(
        sql`SELECT id, ${raw(HYPERPARAMETER_COLUMNS.join(', '))} FROM trials`);
      yield* insertParams(trials.flatMap((t) => paramRowsOfColumns(t.id, HYPERPARAMETER_COLUMNS.map((c) => t[c]))));
    } else if (current < 13) {
      // v13's precise_bn, for the trials that got their rows at v8 or since: 0 for each built-in one.
      const trials = yield* all<{ id: number }>(sql`SELECT id FROM trials WHERE precise_bn IS NOT NULL`);
      yield* insertParams(trials.map((t): ParamRow => [t.id, 'precise_bn', '0', 0]));
    }
    yield* d.setSchemaVersion(SCHEMA_VERSION);
  });
}

const METRIC_VALUE = raw(METRIC_VALUE_OF('trials'));
const TAG_COLUMNS = ['trial_id', 'name', 'created_at'];

/** Counts a change of the sweep's (`sweepId`, a value or a subquery) tags or notes, which a removal leaves no other trace of. */
function* annotated(sweepId: Sql): Steps<void> {
  yield* exec(sql`UPDATE sweeps SET annotation_changes = annotation_changes + 1 WHERE id = ${sweepId}`);
}

/** The notes on the sweep itself (null) or on that trial: `= NULL` matches nothing. */
const noteOn = (trialId: number | null) => (trialId === null ? sql`trial_id IS NULL` : sql`trial_id = ${trialId}`);
const CHECKPOINT_COLUMNS = ['trial_id', 'epoch', 'data'];
const MODEL_COLUMNS = ['trial_id', 'model_json', 'weights'];
const EPOCH_COLUMNS = ['trial_id', 'epoch', 'loss', 'accuracy', 'val_loss', 'val_accuracy', 'seconds'];
const TRIAL_COLUMNS = ['sweep_id', 'config_id', 'config_json', 'data_json', 'seed', 'number', 'search_json', 'status', 'error', ...HYPERPARAMETER_COLUMNS];

/** The sweep's trials: completed ones best first by its metric and goal, then the rest by id. */
const ranked = (sweepId: number) => sql`
  SELECT t.* FROM trials t JOIN sweeps s ON s.id = t.sweep_id WHERE t.sweep_id = ${sweepId}
  ORDER BY t.status <> 'completed', t.metric_value IS NULL,
    CASE s.goal WHEN 'minimize' THEN t.metric_value ELSE -t.metric_value END, t.id`;

const claimKey = (trialId: number, attempt: number) => `${trialId}:${attempt}`;

/** `column`, or `value` where that is greater. */
const atLeast = (column: string, value: number) => sql`CASE WHEN ${raw(column)} > ${value} THEN ${raw(column)} ELSE ${value} END`;

/** An upsert's tail: on a row with this `key`, the new values of `columns` replace the old. */
const upsert = (key: string, columns: readonly string[]) =>
  raw(`ON CONFLICT (${key}) DO UPDATE SET ${columns.map((c) => `${c} = excluded.${c}`).join(', ')}`);

function* nextNumber(sweepId: number): Steps<number> {
  return (yield* first<{ n: number }>(sql`SELECT COALESCE(MAX(number), -1) + 1 AS n FROM trials WHERE sweep_id = ${sweepId}`))!.n;
}

/**
 * Inserts the trials the sweep lacks (by config id), numbered on from its last number in the order
 * given; how many. Each is 'pending', or 'infeasible' (finished, with what it breaks as its error)
 * where its parameters break a constraint. One the sweep has keeps its row, but where it was never
 * trained its feasibility follows the trial as given (the spec's constraints may have changed).
 */
function* insertTrials(sweepId: number, seed: number, dataJson: string, trials: readonly Trial[], now: Sql): Steps<number> {
  const had = new Map((yield* all<{ config_id: string; status: TrialStatus }>(sql`SELECT config_id, status FROM trials WHERE sweep_id = ${sweepId}`))
    .map((r) => [r.config_id, r.status]));
  const fresh: Trial[] = [];
  for (const t of trials) {
    const status = had.get(t.configId);
    if (status === 'pending' && t.infeasible) yield* exec(sql`UPDATE trials SET status = 'infeasible', error = ${infeasibleLine(t.infeasible)}, finished_at = ${now} WHERE sweep_id = ${sweepId} AND config_id = ${t.configId}`);
    if (status === 'infeasible' && !t.infeasible) yield* exec(sql`UPDATE trials SET status = 'pending', error = NULL, finished_at = NULL WHERE sweep_id = ${sweepId} AND config_id = ${t.configId}`);
    if (status !== undefined) continue;
    had.set(t.configId, 'pending');
    fresh.push(t);
  }
  if (fresh.length === 0) return 0;
  const next = yield* nextNumber(sweepId);
  const added = yield* insert<{ id: number; config_id: string }>('trials', TRIAL_COLUMNS, fresh.map((t, i) => [
    sweepId, t.configId, JSON.stringify(t.config), dataJson, seed, next + i, t.search ? JSON.stringify(t.search) : null,
    t.infeasible ? 'infeasible' : 'pending', t.infeasible ? infeasibleLine(t.infeasible) : null, ...hyperparameterValues(t.config),
  ]), sql`ON CONFLICT (sweep_id, config_id) DO NOTHING RETURNING id, config_id`);
  if (fresh.some((t) => t.infeasible)) yield* exec(sql`UPDATE trials SET finished_at = ${now} WHERE sweep_id = ${sweepId} AND status = 'infeasible' AND finished_at IS NULL`);
  const configOf = new Map(fresh.map((t) => [t.configId, t.config]));
  yield* insertParams(added.flatMap((r) => paramRows(r.id, configOf.get(r.config_id)!)));
  return added.length;
}

function* insertParams(rows: readonly ParamRow[]): Steps<void> {
  yield* insert('param_values', ['trial_id', 'name', 'value', 'number'], rows, upsert('trial_id, name', ['value', 'number']));
}

/** Inserts or replaces `reported_metrics` rows (trial, name, step, value). */
function* insertReported(rows: readonly (readonly [number, string, number, number | null])[]): Steps<void> {
  // One row per name and step, the last given winning: an upsert cannot touch a row twice in one statement.
  const unique = [...new Map(rows.map((r) => [`${r[1]}\u0000${r[2]}`, r])).values()];
  yield* insert('reported_metrics', ['trial_id', 'name', 'step', 'value'], unique, upsert('trial_id, name, step', ['value']));
}

/** Inserts or replaces a trial's epoch rows, with the values each reported. */
function* insertEpochs(trialId: number, epochs: readonly EpochMetrics[]): Steps<void> {
  // One row per epoch, the last given winning, as for reported values.
  const unique = [...new Map(epochs.map((e) => [e.epoch, e])).values()];
  yield* insert('epochs', EPOCH_COLUMNS, unique.map((e) => [trialId, e.epoch, num(e.loss), num(e.accuracy), num(e.valLoss), num(e.valAccuracy), num(e.seconds)]),
    upsert('trial_id, epoch', EPOCH_COLUMNS.slice(2)));
  yield* insertReported(unique.flatMap((e) => reportedRows(trialId, e.epoch, e.reported)));
}

/** The last step of a trial's epochs, in order (its count where they are 1, 2, …); 0 for none. */
const lastStep = (epochs: readonly EpochMetrics[]): number => (epochs.length > 0 ? epochs[epochs.length - 1].epoch : 0);

/** A value as a column holds it: NaN (a metric not measured, a program's NaN) as NULL, which both databases keep alike. */
const num = (v: number | null | undefined): number | null => (v === undefined || v === null || Number.isNaN(v) ? null : v);

/**
 * Records the sweep's objectives, in order, where they changed; the values and fronts its
 * completed trials had under the old ones are computed again (values) or dropped (fronts: the
 * next ranking makes them).
 */
function* setObjectives(sweepId: number, objectives: readonly { readonly name: string; readonly goal: string }[]): Steps<void> {
  const had = yield* all<{ name: string; goal: string }>(sql`SELECT name, goal FROM sweep_objectives WHERE sweep_id = ${sweepId} ORDER BY position`);
  const same = had.length === objectives.length && had.every((o, i) => o.name === objectives[i].name && o.goal === objectives[i].goal);
  if (same) return;
  yield* exec(sql`DELETE FROM sweep_objectives WHERE sweep_id = ${sweepId}`);
  yield* insert('sweep_objectives', ['sweep_id', 'position', 'name', 'goal'], objectives.map((o, i) => [sweepId, i, o.name, o.goal]));
  yield* exec(sql`DELETE FROM trial_objectives WHERE trial_id IN (SELECT id FROM trials WHERE sweep_id = ${sweepId})`);
  yield* exec(sql`DELETE FROM trial_fronts WHERE trial_id IN (SELECT id FROM trials WHERE sweep_id = ${sweepId})`);
  yield* setObjectiveValues(sql`t.sweep_id = ${sweepId} AND t.status = 'completed'`);
}

/** Sets `trial_objectives` for the trials (`t`) `where` picks: each objective of their sweep at their last step, as `metric_value` is. */
function* setObjectiveValues(where: Sql): Steps<void> {
  yield* exec(sql`
    INSERT INTO trial_objectives (trial_id, position, value)
    SELECT t.id, o.position, (SELECT m.value FROM trial_metrics m WHERE m.trial_id = t.id AND m.name = o.name AND m.step = t.epochs_done)
    FROM trials t JOIN sweep_objectives o ON o.sweep_id = t.sweep_id
    WHERE ${where}
    ${upsert('trial_id, position', ['value'])}`);
}

/** `rows` as TrialRecords, each completed one with its objectives' values and each ranked one with its front (`sweepId`'s, read in the same transaction). */
function* withObjectives(rows: readonly TrialRow[], sweepId: number): Steps<TrialRecord[]> {
  if (rows.length === 0) return [];
  const values = new Map<number, (number | null)[]>();
  for (const r of yield* all<{ trial_id: number; position: number; value: number | null }>(sql`
    SELECT o.trial_id, o.position, o.value FROM trial_objectives o JOIN trials t ON t.id = o.trial_id
    WHERE t.sweep_id = ${sweepId} ORDER BY o.trial_id, o.position`)) {
    if (!values.has(r.trial_id)) values.set(r.trial_id, []);
    values.get(r.trial_id)![r.position] = r.value;
  }
  const fronts = new Map((yield* all<{ trial_id: number; front: number; violation: number; broken: string | null }>(sql`
    SELECT f.trial_id, f.front, f.violation, f.broken FROM trial_fronts f JOIN trials t ON t.id = f.trial_id WHERE t.sweep_id = ${sweepId}`))
    .map((f) => [f.trial_id, f]));
  return rows.map((row) => {
    const t = toTrial(row);
    const v = values.get(row.id);
    const f = fronts.get(row.id);
    return { ...t, ...(v && row.status === 'completed' ? { objectiveValues: v } : {}), ...(f ? { front: f.front, violation: f.violation, broken: f.broken ? JSON.parse(f.broken) : [] } : {}) };
  });
}

/** `trials` (of `sweepId`), each that recorded a value of the sweep's metric with its lowest, highest and last (by step). */
function* withSpans(trials: readonly TrialRecord[], sweepId: number): Steps<TrialRecord[]> {
  const spans = new Map<number, { min: number; max: number; last: number }>();
  for (const r of yield* all<{ trial_id: number; value: number }>(sql`
    SELECT m.trial_id, m.value FROM trial_metrics m JOIN trials t ON t.id = m.trial_id JOIN sweeps s ON s.id = t.sweep_id
    WHERE t.sweep_id = ${sweepId} AND m.name = s.metric AND m.value IS NOT NULL ORDER BY m.trial_id, m.step`)) {
    const s = spans.get(r.trial_id);
    spans.set(r.trial_id, s ? { min: Math.min(s.min, r.value), max: Math.max(s.max, r.value), last: r.value } : { min: r.value, max: r.value, last: r.value });
  }
  return trials.map((t) => (spans.has(t.id) ? { ...t, metricSpan: spans.get(t.id)! } : t));
}

/** Sets the trial's `metric_value`: its sweep's metric at its last epoch. */
function* setMetricValue(trialId: number): Steps<void> {
  yield* exec(sql`UPDATE trials SET metric_value = ${METRIC_VALUE} WHERE id = ${trialId}`);
}

/** The epochs (`e`) that `where` picks, each with the values it reported, by trial, in epoch order. */
/**
 * Each decision of the trials `where` picks (over `t`) with the sweep's metric after its epoch,
 * read from the epoch's row (or its reported values) through the metric registry: the judge reads
 * every decision of the sweep at each decision, and a lookup in the trial_metrics view per row
 * made that read 8× slower (6,000 decisions: 190 against 25 ms).
 */
function* decisionsOf(where: Sql): Steps<DecisionRecord[]> {
  const rows = yield* all<DecisionRow & EpochColumns & { metric: string; reported: number | null }>(sql`
    SELECT d.*, t.number, s.metric, e.loss, e.accuracy, e.val_loss, e.val_accuracy, e.seconds, r.value AS reported
    FROM decisions d JOIN trials t ON t.id = d.trial_id JOIN sweeps s ON s.id = t.sweep_id
      LEFT JOIN epochs e ON e.trial_id = d.trial_id AND e.epoch = d.epoch
      LEFT JOIN reported_metrics r ON r.trial_id = d.trial_id AND r.step = d.epoch AND r.name = s.metric
    WHERE ${where} ORDER BY d.trial_id, d.epoch`);
  return rows.map((r) => toDecision(r, epochValue(r.metric, {
    loss: r.loss, accuracy: r.accuracy, valLoss: r.val_loss, valAccuracy: r.val_accuracy, seconds: r.seconds,
    reported: r.reported === null ? {} : { [r.metric]: r.reported },
  })));
}

function* epochsOf(where: Sql): Steps<Map<number, EpochMetrics[]>> {
  const rows = yield* all<EpochMetrics & { trialId: number }>(sql`
    SELECT e.trial_id AS "trialId", e.epoch, e.loss, e.accuracy, e.val_loss AS "valLoss", e.val_accuracy AS "valAccuracy", e.seconds
    FROM epochs e ${where} ORDER BY e.trial_id, e.epoch`);
  const reported = reportedByStep(yield* all<{ trial_id: number; name: string; step: number; value: number | null }>(sql`
    SELECT e.* FROM reported_metrics e ${where}`));
  const epochs = new Map<number, EpochMetrics[]>();
  for (const { trialId, ...row } of rows) {
    if (!epochs.has(trialId)) epochs.set(trialId, []);
    // A metric the trial did not measure (a program's) is NULL in its column, NaN here.
    const m = { ...row, loss: row.loss ?? NaN, accuracy: row.accuracy ?? NaN, valLoss: row.valLoss ?? NaN, valAccuracy: row.valAccuracy ?? NaN, seconds: row.seconds ?? NaN };
    const values = reported.get(trialId)?.get(m.epoch);
    epochs.get(trialId)!.push(values ? { ...m, reported: values } : m);
  }
  return epochs;
}
