/**
 * Between the tables and the domain types: the row shapes, their parsing into records, the
 * per-hyperparameter columns, and the words of a refused query (every dialect's `query`).
 * Only `store/` imports this; rows never leave it.
 */
import type { Goal } from '../metrics/registry.js';
import type { DataSettings } from '../spec/schema.js';
import { HYPERPARAMETERS, REGISTRY, columnValue, withDefaults } from '../spec/hyperparameters.js';
import { isCodeConfig } from '../spec/code.js';
import type { AnyConfig, DecisionRecord, SweepRecord, TrialRecord, TrialStatus } from '../trial/types.js';
import type { TrialCopy } from './store.js';

/** A `trials` row (integers as numbers). */
export type TrialRow = {
  id: number; sweep_id: number; config_id: string; config_json: string; data_json: string;
  status: TrialStatus; seed: number; backend: string | null; started_at: string | null; finished_at: string | null;
  epochs_done: number; attempts: number; owner: string | null; heartbeat_at: string | null;
  resumed_from: number | null; weights_sha256: string | null; env_json: string | null; repro_of: number | null;
  val_accuracy: number | null; val_loss: number | null; test_accuracy: number | null;
  test_loss: number | null; params: number | null; seconds: number | null; error: string | null;
  number: number; search_json: string | null; metric_value: number | null; latency_ms: number | null;
};

/** A `sweeps` row. */
export type SweepRow = {
  id: number; name: string; metric: string; goal: Goal; seed: number;
  spec_path: string | null; spec_yaml: string; created_at: string; updated_at: string; program_sha256: string | null;
  env_json: string | null;
};

export function toSweep(r: SweepRow): SweepRecord {
  return {
    id: r.id, name: r.name, metric: r.metric, goal: r.goal, seed: r.seed, specPath: r.spec_path, specYaml: r.spec_yaml,
    createdAt: r.created_at, updatedAt: r.updated_at, programSha256: r.program_sha256,
    environment: r.env_json ? JSON.parse(r.env_json) : null,
  };
}

/** A configuration as stored: a built-in model's with the defaults of keys added since filled in; the user's code's as given. */
export function parseConfig(json: string): AnyConfig {
  const config = JSON.parse(json) as AnyConfig;
  return isCodeConfig(config) ? config : withDefaults(config);
}

export function toTrial(r: TrialRow): TrialRecord {
  return {
    id: r.id, sweepId: r.sweep_id, configId: r.config_id, config: parseConfig(r.config_json),
    data: JSON.parse(r.data_json) as DataSettings, seed: r.seed, status: r.status, backend: r.backend,
    startedAt: r.started_at, finishedAt: r.finished_at, epochsDone: r.epochs_done, attempts: r.attempts,
    owner: r.owner, resumedFrom: r.resumed_from, valAccuracy: r.val_accuracy, valLoss: r.val_loss,
    testAccuracy: r.test_accuracy, testLoss: r.test_loss, params: r.params, seconds: r.seconds, error: r.error,
    weightsSha256: r.weights_sha256, environment: r.env_json ? JSON.parse(r.env_json) : null, reproOf: r.repro_of,
    number: r.number, search: r.search_json ? JSON.parse(r.search_json) : null, metricValue: r.metric_value,
    latencyMs: r.latency_ms,
  };
}

/** The per-hyperparameter columns of `trials`, in table order (from the registry). */
export const HYPERPARAMETER_COLUMNS: readonly string[] = HYPERPARAMETERS.map((k) => REGISTRY[k].column);

/**
 * A trial's value in each hyperparameter column, in `HYPERPARAMETER_COLUMNS`' order, so that
 * `WHERE dropout > 0.2` needs no JSON functions. A trial of the user's code has only `model`
 * ('program' or 'objective'); its parameters are rows of `param_values`.
 */
export function hyperparameterValues(c: AnyConfig): (string | number | null)[] {
  if (isCodeConfig(c)) return HYPERPARAMETERS.map((k) => (k === 'model' ? c.model : null));
  return HYPERPARAMETERS.map((k) => columnValue(c, k));
}

/**
 * A copied trial's `trials` columns and values, in one order, for `Store.importTrial`: its
 * own state and outcome, except that a trial running elsewhere arrives interrupted, owned by
 * no one, and `repro_of` names the copy of its original (or nothing).
 */
export function copiedTrialColumns(sweepId: number, t: TrialCopy, reproOf: number | null, number: number): [string, unknown][] {
  const r = t.record;
  const h = hyperparameterValues(r.config);
  return [
    ['sweep_id', sweepId], ['config_id', r.configId], ['config_json', JSON.stringify(r.config)], ['data_json', JSON.stringify(r.data)],
    ['status', r.status === 'running' ? 'interrupted' : r.status], ['seed', r.seed],
    ...HYPERPARAMETER_COLUMNS.map((c, i): [string, unknown] => [c, h[i]]),
    ['number', number], ['search_json', r.search ? JSON.stringify(r.search) : null],
    ['backend', r.backend], ['started_at', r.startedAt], ['finished_at', r.finishedAt], ['epochs_done', r.epochsDone],
    ['attempts', r.attempts], ['owner', r.status === 'running' ? null : r.owner], ['resumed_from', r.resumedFrom], ['weights_sha256', r.weightsSha256],
    ['env_json', r.environment ? JSON.stringify(r.environment) : null], ['repro_of', reproOf],
    ['val_accuracy', r.valAccuracy], ['val_loss', r.valLoss], ['test_accuracy', r.testAccuracy], ['test_loss', r.testLoss],
    ['params', r.params], ['seconds', r.seconds], ['error', r.error], ['metric_value', r.metricValue],
    ['latency_ms', r.latencyMs],
  ];
}

/** A `decisions` row joined with its trial's number. */
export type DecisionRow = {
  trial_id: number; number: number; epoch: number; scheduler: string; bracket: number | null; rung: number | null;
  value: number | null; threshold: number | null; compared: string; verdict: 'continue' | 'prune';
};

/** An `epochs` row's metric columns. */
export type EpochColumns = {
  loss: number | null; accuracy: number | null; val_loss: number | null; val_accuracy: number | null; seconds: number | null;
};

/** A decision as recorded, with the sweep's metric after its epoch (NaN where there is none). */
export function toDecision(r: DecisionRow, metricAtEpoch: number): DecisionRecord {
  return {
    trialId: r.trial_id, number: r.number, epoch: r.epoch, scheduler: r.scheduler, bracket: r.bracket, rung: r.rung,
    value: r.value ?? NaN, threshold: r.threshold,
    compared: (JSON.parse(r.compared) as (number | null)[]).map((v) => v ?? NaN), verdict: r.verdict,
    metricAtEpoch,
  };
}

/** The `decisions` columns, in order, for an insert. */
export const DECISION_COLUMNS = ['trial_id', 'epoch', 'scheduler', 'bracket', 'rung', 'value', 'threshold', 'compared', 'verdict'] as const;

/** A decision's values in `DECISION_COLUMNS` order (NaN as NULL: neither database keeps NaN alike). */
export function decisionValues(trialId: number, d: Omit<DecisionRecord, 'trialId' | 'number' | 'metricAtEpoch'>): unknown[] {
  const num = (v: number | null) => (v === null || Number.isNaN(v) ? null : v);
  return [trialId, d.epoch, d.scheduler, d.bracket, d.rung, num(d.value), num(d.threshold),
    JSON.stringify(d.compared.map(num)), d.verdict];
}

/** A `param_values` row: trial id, name, value as text, value as a number (or null). */
export type ParamRow = [number, string, string, number | null];

/**
 * A trial's `param_values` rows: each hyperparameter it has, named by its column, as its column
 * holds it; or each parameter of the user's code under the spec's name (text as given, numbers
 * and booleans as numbers too, lists and mappings as JSON).
 */
export function paramRows(trialId: number, config: AnyConfig): ParamRow[] {
  if (!isCodeConfig(config)) return paramRowsOfColumns(trialId, hyperparameterValues(withDefaults(config)));
  return Object.entries(config.params).map(([name, v]): ParamRow => {
    if (typeof v === 'number') return [trialId, name, String(v), v];
    if (typeof v === 'boolean') return [trialId, name, String(v), v ? 1 : 0];
    return [trialId, name, typeof v === 'string' ? v : JSON.stringify(v), null];
  });
}

/** The same from a trial's hyperparameter columns as stored (in HYPERPARAMETER_COLUMNS' order): how v8 fills in older trials. */
export function paramRowsOfColumns(trialId: number, values: readonly (string | number | null)[]): ParamRow[] {
  return HYPERPARAMETER_COLUMNS.flatMap((name, i) => {
    const v = values[i];
    return v === null || v === undefined ? [] : [[trialId, name, String(v), typeof v === 'number' ? v : null] as ParamRow];
  });
}

/** The `reported_metrics` rows of an epoch's (or a trial's end's) reported values at `step`. */
export function reportedRows(trialId: number, step: number, reported: Readonly<Record<string, number>> | undefined): [number, string, number, number | null][] {
  return Object.entries(reported ?? {}).map(([name, v]) => [trialId, name, step, Number.isNaN(v) ? null : v]);
}

/** Reported rows read back, by trial and step, for EpochMetrics.reported. */
export function reportedByStep(rows: readonly { trial_id: number; name: string; step: number; value: number | null }[]): Map<number, Map<number, Record<string, number>>> {
  const out = new Map<number, Map<number, Record<string, number>>>();
  for (const r of rows) {
    const steps = out.get(r.trial_id) ?? new Map<number, Record<string, number>>();
    out.set(r.trial_id, steps);
    const at = steps.get(r.step) ?? {};
    steps.set(r.step, at);
    at[r.name] = r.value ?? NaN;
  }
  return out;
}

/** `Store.query`'s refusal of anything that would write or change the connection. */
export const REFUSED = 'only read-only statements that return rows are allowed (this one would write or change the connection)';
