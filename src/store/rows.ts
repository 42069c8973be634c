/**
 * What both backends share between their tables and the domain types: the row shapes, their
 * parsing into records, the per-hyperparameter columns, and the words of a refused query.
 * Only `store/` imports this; rows never leave it.
 */
import type { DataSettings, Metric } from '../spec/schema.js';
import type { SweepRecord, TrialConfig, TrialRecord, TrialStatus } from '../types.js';
import type { TrialCopy } from './store.js';

/** A `trials` row (integers as numbers). */
export type TrialRow = {
  id: number; sweep_id: number; config_id: string; config_json: string; data_json: string;
  status: TrialStatus; seed: number; backend: string | null; started_at: string | null; finished_at: string | null;
  epochs_done: number; attempts: number; owner: string | null; heartbeat_at: string | null;
  resumed_from: number | null; weights_sha256: string | null; env_json: string | null; repro_of: number | null;
  val_accuracy: number | null; val_loss: number | null; test_accuracy: number | null;
  test_loss: number | null; params: number | null; seconds: number | null; error: string | null;
};

/** A `sweeps` row. */
export type SweepRow = {
  id: number; name: string; metric: Metric; seed: number;
  spec_path: string | null; spec_yaml: string; created_at: string; updated_at: string;
};

export function toSweep(r: SweepRow): SweepRecord {
  return {
    id: r.id, name: r.name, metric: r.metric, seed: r.seed, specPath: r.spec_path, specYaml: r.spec_yaml,
    createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

export function toTrial(r: TrialRow): TrialRecord {
  return {
    id: r.id, sweepId: r.sweep_id, configId: r.config_id, config: JSON.parse(r.config_json) as TrialConfig,
    data: JSON.parse(r.data_json) as DataSettings, seed: r.seed, status: r.status, backend: r.backend,
    startedAt: r.started_at, finishedAt: r.finished_at, epochsDone: r.epochs_done, attempts: r.attempts,
    owner: r.owner, resumedFrom: r.resumed_from, valAccuracy: r.val_accuracy, valLoss: r.val_loss,
    testAccuracy: r.test_accuracy, testLoss: r.test_loss, params: r.params, seconds: r.seconds, error: r.error,
    weightsSha256: r.weights_sha256, environment: r.env_json ? JSON.parse(r.env_json) : null, reproOf: r.repro_of,
  };
}

/** The per-hyperparameter columns of a trial, so that `WHERE dropout > 0.2` needs no JSON functions. */
export function hyperparameterColumns(c: TrialConfig) {
  return {
    model: c.model, epochs: c.epochs, activation: c.activation, units: JSON.stringify(c.units), dropout: c.dropout,
    filters: c.filters ? JSON.stringify(c.filters) : null, kernelSize: c.kernelSize ?? null, pooling: c.pooling ?? null,
    optimizer: c.optimizer, learningRate: c.learningRate, batchSize: c.batchSize,
  };
}

/**
 * A copied trial's `trials` columns and values, in one order, for `Store.importTrial`: its
 * own state and outcome, except that a trial running elsewhere arrives interrupted, owned by
 * no one, and `repro_of` names the copy of its original (or nothing).
 */
export function copiedTrialColumns(sweepId: number, t: TrialCopy, reproOf: number | null): [string, unknown][] {
  const r = t.record;
  const h = hyperparameterColumns(r.config);
  return [
    ['sweep_id', sweepId], ['config_id', r.configId], ['config_json', JSON.stringify(r.config)], ['data_json', JSON.stringify(r.data)],
    ['status', r.status === 'running' ? 'interrupted' : r.status], ['seed', r.seed],
    ['model', h.model], ['epochs', h.epochs], ['activation', h.activation], ['units', h.units], ['dropout', h.dropout],
    ['filters', h.filters], ['kernel_size', h.kernelSize], ['pooling', h.pooling], ['optimizer', h.optimizer],
    ['learning_rate', h.learningRate], ['batch_size', h.batchSize],
    ['backend', r.backend], ['started_at', r.startedAt], ['finished_at', r.finishedAt], ['epochs_done', r.epochsDone],
    ['attempts', r.attempts], ['owner', r.status === 'running' ? null : r.owner], ['resumed_from', r.resumedFrom], ['weights_sha256', r.weightsSha256],
    ['env_json', r.environment ? JSON.stringify(r.environment) : null], ['repro_of', reproOf],
    ['val_accuracy', r.valAccuracy], ['val_loss', r.valLoss], ['test_accuracy', r.testAccuracy], ['test_loss', r.testLoss],
    ['params', r.params], ['seconds', r.seconds], ['error', r.error],
  ];
}

/** `Store.query`'s refusal of anything that would write or change the connection. */
export const REFUSED = 'only read-only statements that return rows are allowed (this one would write or change the connection)';
