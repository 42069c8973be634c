/**
 * What a trial is, as every layer above spec/ sees it: its configuration, an epoch's
 * metrics, a trial's outcome, and sweeps and trials as the store returns them (parsed, in
 * camelCase: no raw database row leaves `store/`).
 */
import type { Goal } from '../metrics/registry.js';
import type { TrialStatus } from './status.js';
import type { DataSettings } from '../data/settings.js';
import type { TrialConfig } from '../spec/hyperparameters.js';
import type { AnyConfig } from '../spec/code.js';
import type { Broken } from '../spec/parameter-bounds.js';

/** One fully resolved configuration of a built-in model (derived from the hyperparameter registry). */
export type { TrialConfig } from '../spec/hyperparameters.js';
export type { AnyConfig, CodeConfig } from '../spec/code.js';

/** A configuration to train, as a search strategy proposes it. */
export type Trial = {
  /** Stable id: a hash of the configuration, the seed and the data settings. */
  configId: string;
  config: AnyConfig;
  /** How the strategy came to it (TPE: the trials it saw), recorded with the trial. */
  search?: Record<string, unknown>;
  /** The constraints on parameters alone it breaks (src/spec/parameter-bounds.ts): recorded 'infeasible', never trained. */
  infeasible?: readonly Broken[];
};

export type EpochMetrics = {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss: number;
  valAccuracy: number;
  seconds: number;
  /** Values the trial reported at this epoch under names of its own (see src/metrics/registry.ts). */
  reported?: Readonly<Record<string, number>>;
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
  /** SHA-256 of the trained weights' bytes, in layer order: equal hashes, identical models (null: the user's code trained it). */
  weightsSha256: string | null;
  /** Values the trial reported once it ended, under names of its own (recorded at its last epoch). */
  reported?: Readonly<Record<string, number>>;
  /**
   * Median milliseconds to classify one image with the trained model, measured in its worker after
   * training (src/train/latency.ts); the user's code's own where it reported `latency_ms`; else absent.
   */
  latencyMs?: number;
};

export type { TrialStatus } from './status.js';

/** One output stream of a trial's program, as kept: its text (its head and tail where it was longer than the cap) and how many bytes it wrote. */
export type CappedText = { readonly text: string; readonly bytes: number };

/** What one attempt at a program trial wrote on its stdout and stderr. */
export type TrialLogs = { readonly stdout: CappedText; readonly stderr: CappedText };

/** A trial's logs as recorded, one per attempt. */
export type TrialLogRecord = TrialLogs & { readonly attempt: number };

/** An early-stopping decision, as recorded after the epoch it followed (see src/early-stop/). */
export type DecisionRecord = {
  trialId: number;
  /** The trial's number in its sweep. */
  number: number;
  epoch: number;
  /** The rule that decided: 'asha', 'hyperband', 'median' or 'wandb-hyperband'. */
  scheduler: string;
  rung: number | null;
  bracket: number | null;
  /** The trial's value that was judged (NaN when the metric was not a number). */
  value: number;
  threshold: number | null;
  /** The values it was compared with. */
  compared: readonly number[];
  verdict: 'continue' | 'prune';
  /**
   * The sweep's metric after that epoch (NaN if missing). Not always `value`: the median rule
   * and W&B's judge the best so far, and what later trials compare with is the metric itself.
   */
  metricAtEpoch: number;
};

/** A sweep as recorded: `metric` is the name of what it ranks on, `goal` which way. */
export type SweepRecord = {
  id: number; name: string; metric: string; goal: Goal; seed: number;
  specPath: string | null; specYaml: string; createdAt: string; updatedAt: string;
  /** A sweep of a program: its file's SHA-256 when it last ran; else null. */
  programSha256: string | null;
  /** The environment of the run that last recorded it (see Environment in src/sweep/environment.ts); null before sweep kept one. */
  environment: Record<string, unknown> | null;
};

/** A label on a trial (`sweep tag`): trials share tags, a trial has each at most once. */
export type TagRecord = { readonly trialId: number; readonly name: string; readonly createdAt: string };

/** What someone wrote about a sweep (trialId null) or one of its trials (`sweep note`). */
export type NoteRecord = { readonly trialId: number | null; readonly text: string; readonly createdAt: string };

/** A sweep's tags and notes, each oldest first. */
export type Annotations = { readonly tags: readonly TagRecord[]; readonly notes: readonly NoteRecord[] };

/** A sweep with its trial counts and its best value of its metric (completed trials only). */
export type SweepSummary = {
  name: string; metric: string; goal: Goal; createdAt: string; updatedAt: string; total: number;
  completed: number; failed: number; pruned: number; running: number; pending: number; best: number | null;
};

/** A trial as recorded: its configuration, state, ownership and outcome. */
export type TrialRecord = {
  id: number; sweepId: number; configId: string; config: AnyConfig; data: DataSettings; seed: number;
  /** Its number in the sweep: 0, 1, … in the order trials were added. */
  number: number;
  /** How the search strategy came to it, as recorded (null for grid trials). */
  search: Record<string, unknown> | null;
  status: TrialStatus; backend: string | null; startedAt: string | null; finishedAt: string | null;
  epochsDone: number;
  /** How many times the trial was claimed; the current claim's number (see Claim). */
  attempts: number;
  owner: string | null; resumedFrom: number | null;
  valAccuracy: number | null; valLoss: number | null; testAccuracy: number | null; testLoss: number | null;
  params: number | null; seconds: number | null; error: string | null;
  /** Median milliseconds to classify one image (see TrialOutcome); null where none was measured or reported. */
  latencyMs: number | null;
  /**
   * The sweep's metric for this trial, what it is ranked by: its value at the trial's last epoch
   * (a completed trial's final value, a pruned one's where it stopped); null before then or where there is none.
   */
  metricValue: number | null;
  /** A completed trial's value of each of the sweep's objectives, in order (null where it has none); absent until it completes. */
  objectiveValues?: readonly (number | null)[];
  /** Its Pareto front (1: the first) and summed constraint violation (0: feasible), in a sweep of several objectives or with constraints; absent until ranked. */
  front?: number;
  violation?: number;
  /** Its recorded values of the sweep's metric (lowest, highest, last), where `proposeTrial` was asked for them (W&B's impute). */
  metricSpan?: { readonly min: number; readonly max: number; readonly last: number };
  /** The constraints it breaks, each by how much (null: its value was missing). */
  broken?: readonly { readonly text: string; readonly by: number | null }[];
  weightsSha256: string | null;
  /** The environment it was trained in (versions, dataset checksums), for `sweep repro`. */
  environment: Record<string, unknown> | null;
  /** The trial this one reproduces. */
  reproOf: number | null;
};

/** A trial as views show it: its configuration, state, outcome and every recorded epoch. */
export type TrialSnapshot = {
  id: number; configId: string; config: AnyConfig; status: TrialStatus; backend: string | null;
  epochs: EpochMetrics[]; valAccuracy: number | null; valLoss: number | null; testAccuracy: number | null;
  seconds: number | null; startedAt: string | null; error: string | null;
  /** As TrialRecord's: the sweep's metric for this trial, what it is ranked by. */
  metricValue: number | null;
  /** In a sweep of several objectives or with constraints, once ranked: its Pareto front (1: the first) and whether it meets every constraint. */
  front?: number;
  feasible?: boolean;
  /** Its tags (`sweep tag`), oldest first (those added at once by name); absent where it has none. */
  tags?: readonly string[];
};

/** A trained model in the TensorFlow.js layers format: `model.json`'s text and `weights.bin`'s bytes. */
export type ModelFiles = { modelJson: string; weights: Uint8Array };
