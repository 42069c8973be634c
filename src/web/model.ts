/**
 * What the dashboard page shows, as plain JSON: built on the server side (src/web/build-data.ts)
 * from the store, embedded in the page, and replaced whole by each live update. The page
 * (src/web/page/) only renders it; it never computes results of its own beyond sorting,
 * filtering and what the charts need.
 */
import type { Objective } from '../metrics/registry.js';
import type { TrialStatus } from '../trial/status.js';
import type { Importance } from '../analysis/importance.js';

export type { Importance, Marginal, PairMeans } from '../analysis/importance.js';

export type DashboardData = {
  /** When this was built (ISO-8601 UTC). */
  readonly generatedAt: string;
  /** Where the results are (a file path, or a PostgreSQL URL without its password). */
  readonly source: string;
  /** Served live by `sweep serve`: the page subscribes to `events` (server-sent events) for updates. A report has none. */
  readonly live: { readonly events: string } | null;
  /** Every sweep `sweep serve` shows (a report: its one sweep), with the one shown first. */
  readonly sweeps: readonly SweepSummaryView[];
  readonly sweep: SweepView;
};

export type SweepSummaryView = { readonly name: string; readonly href: string; readonly total: number; readonly completed: number };

/** One swept hyperparameter, as a table column and a parallel-coordinates axis. */
export type Axis = {
  readonly key: string;
  /** Its short label (the registry's). */
  readonly label: string;
  /** Numbers on a numeric (or log) axis; anything else (activations, layer widths) as categories, in the order given. */
  readonly type: 'value' | 'log' | 'category';
  /** For categories: every value as shown (layer widths as "256-128"), sorted. */
  readonly categories?: readonly string[];
};

export type EpochPoint = {
  readonly epoch: number; readonly loss: number; readonly accuracy: number;
  readonly valLoss: number; readonly valAccuracy: number; readonly seconds: number;
};

export type TrialView = {
  readonly id: number;
  readonly number: number;
  readonly status: TrialStatus;
  /**
   * Each swept hyperparameter's value as the axes take it: a number, or the category's text; null
   * where the trial has no such parameter (a conditional one, under a choice it did not make).
   */
  readonly values: Readonly<Record<string, number | string | null>>;
  /** The full configuration, as recorded (the user's code's: its parameters). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly valAccuracy: number | null;
  readonly valLoss: number | null;
  readonly testAccuracy: number | null;
  /** Median milliseconds to classify one image (TrialRecord.latencyMs). */
  readonly latencyMs: number | null;
  readonly seconds: number | null;
  readonly error: string | null;
  readonly epochs: readonly EpochPoint[];
  /** A pruned trial: after which epoch, and why, in one line. */
  readonly pruned: string | null;
  /** The sweep's metric for this trial, what it is ranked by (see TrialRecord.metricValue). */
  readonly metricValue: number | null;
  /** In a sweep with `pareto`, once completed: its value of each objective, in `pareto.objectives`' order (null: it has none). Absent otherwise. */
  readonly objectiveValues?: readonly (number | null)[];
  /** In a sweep with `pareto`, once ranked: its front (1: the first; infeasible trials come after every feasible front). */
  readonly front?: number;
  /** With `front`: its constraints' summed violation, 0 where it meets them all; null where a value a constraint bounds is missing (it breaks it without limit). */
  readonly violation?: number | null;
  /** With `front`: the constraints it breaks, as written, each by how much (null: the value was missing). */
  readonly broken?: readonly { readonly text: string; readonly by: number | null }[];
  /** Its tags (`sweep tag`), oldest first; absent where it has none. */
  readonly tags?: readonly string[];
  /** What people wrote about it (`sweep note`), oldest first; absent where nothing. */
  readonly notes?: readonly string[];
};

/**
 * A sweep of several objectives or with constraints, whose completed trials are ranked into
 * Pareto fronts: what its scatter, its hypervolume chart and its front colours show.
 */
export type ParetoView = {
  /** Every objective, in the spec's order (the order of TrialView.objectiveValues). */
  readonly objectives: readonly Objective[];
  /** Its constraints as the spec writes them ("size <= 800"); none: every trial is feasible. */
  readonly constraints: readonly string[];
  /** The hypervolume over trials; null where no completed trial is feasible with a value of every objective (`hypervolumeNote` says so). */
  readonly hypervolume: HypervolumeView | null;
  readonly hypervolumeNote: string | null;
};

/** How the hypervolume of the feasible first front grew as trials completed (src/pareto/history.ts). */
export type HypervolumeView = {
  /** The reference point, one value per objective in its own units (a maximised one not negated): Optuna's rule over every completed feasible trial. */
  readonly reference: readonly number[];
  /** How many completed feasible trials the reference point was computed from. */
  readonly feasible: number;
  /** One step per completed trial, in the order they finished (finishing time, ties by trial number): the trial, and the hypervolume after it. */
  readonly steps: readonly { readonly trialId: number; readonly hypervolume: number }[];
};

/** The best completed trial on the test set: what it gets wrong. */
export type BestView = {
  readonly trialId: number;
  readonly classNames: readonly string[];
  /** The images' [height, width, channels], as its dataset has them. */
  readonly shape: readonly [number, number, number];
  /** confusion[true][predicted], over the test images it was evaluated on. */
  readonly confusion: readonly (readonly number[])[];
  /** The test images it gets most wrong (highest confidence in a wrong class), with their pixels (height × width × channels bytes) base64-encoded. */
  readonly wrong: readonly { readonly index: number; readonly label: number; readonly predicted: number; readonly confidence: number; readonly pixels: string }[];
  /** Its configuration as a runnable one-configuration spec (YAML), as `sweep best` prints it. */
  readonly spec: string;
};

export type SweepView = {
  readonly name: string;
  /** What the sweep ranks on, and which way. */
  readonly metric: Objective;
  /** 'grid', 'random', 'tpe' or 'nsga2', and the early-stopping rule if any, for the header. */
  readonly method: string;
  readonly earlyStopping: string | null;
  readonly axes: readonly Axis[];
  readonly trials: readonly TrialView[];
  readonly importance: Importance;
  /** Null until a trial has completed with a model kept. */
  readonly best: BestView | null;
  /** Why the best trial has no test-set view where it is plain (a program's trial keeps no model), else null. */
  readonly bestNote: string | null;
  /** Whether the user's code trains the trials (their parameters and metrics are its own), not sweep's models. */
  readonly code: boolean;
  /** Every metric the trials recorded at their steps, the sweep's first: what the curves can draw. */
  readonly metrics: readonly string[];
  /** Present only for a sweep of several objectives or with constraints (src/sweep/fronts.ts `hasFronts`): a sweep of one objective has none, and its page is as it always was. */
  readonly pareto?: ParetoView;
  /** What people wrote about the sweep itself (`sweep note`), oldest first, each with when (ISO-8601 UTC). */
  readonly notes?: readonly { readonly text: string; readonly createdAt: string }[];
};
