/**
 * The domain's types, in one place every layer imports: a trial's configuration, an epoch's
 * metrics, a trial's outcome, and sweeps and trials as the store returns them (parsed, in
 * camelCase: no raw database row leaves `store/`).
 */
import type { Activation, DataSettings, Metric, ModelKind, OptimizerName, Pooling } from './spec/schema.js';

/** One fully resolved configuration: everything that decides what is trained. */
export type TrialConfig = {
  model: ModelKind;
  epochs: number;
  activation: Activation;
  units: number[];
  dropout: number;
  optimizer: OptimizerName;
  learningRate: number;
  batchSize: number;
  /** CNN only. */
  filters?: number[];
  kernelSize?: number;
  pooling?: Pooling;
};

/** A configuration of a sweep's grid. */
export type Trial = {
  /** Stable id: a hash of the configuration, the seed and the data settings. */
  configId: string;
  config: TrialConfig;
};

export type EpochMetrics = {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss: number;
  valAccuracy: number;
  seconds: number;
};

/** What a completed trial reports. */
export type TrialOutcome = {
  backend: string;
  valAccuracy: number;
  valLoss: number;
  testAccuracy: number;
  testLoss: number;
  params: number;
  seconds: number;
  epochs: EpochMetrics[];
  /** SHA-256 of the trained weights' bytes, in layer order: equal hashes, identical models. */
  weightsSha256: string;
};

export type TrialStatus = 'pending' | 'running' | 'completed' | 'failed' | 'interrupted';

/** A sweep as recorded. */
export type SweepRecord = {
  id: number; name: string; metric: Metric; seed: number;
  specPath: string | null; specYaml: string; createdAt: string; updatedAt: string;
};

/** A sweep with its trial counts and its best value of its metric (completed trials only). */
export type SweepSummary = {
  name: string; metric: Metric; createdAt: string; updatedAt: string; total: number;
  completed: number; failed: number; running: number; pending: number; best: number | null;
};

/** A trial as recorded: its configuration, state, ownership and outcome. */
export type TrialRecord = {
  id: number; sweepId: number; configId: string; config: TrialConfig; data: DataSettings; seed: number;
  status: TrialStatus; backend: string | null; startedAt: string | null; finishedAt: string | null;
  epochsDone: number;
  /** How many times the trial was claimed; the current claim's number (see Claim). */
  attempts: number;
  owner: string | null; resumedFrom: number | null;
  valAccuracy: number | null; valLoss: number | null; testAccuracy: number | null; testLoss: number | null;
  params: number | null; seconds: number | null; error: string | null;
  weightsSha256: string | null;
  /** The environment it was trained in (versions, dataset checksums), for `sweep repro`. */
  environment: Record<string, unknown> | null;
  /** The trial this one reproduces. */
  reproOf: number | null;
};

/** A trial as views show it: its configuration, state, outcome and every recorded epoch. */
export type TrialSnapshot = {
  id: number; configId: string; config: TrialConfig; status: TrialStatus; backend: string | null;
  epochs: EpochMetrics[]; valAccuracy: number | null; valLoss: number | null; testAccuracy: number | null;
  seconds: number | null; startedAt: string | null; error: string | null;
};

/** A trained model in the TensorFlow.js layers format: `model.json`'s text and `weights.bin`'s bytes. */
export type ModelFiles = { modelJson: string; weights: Uint8Array };
