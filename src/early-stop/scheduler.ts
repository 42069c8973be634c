import type { z } from 'zod';

/**
 * Early stopping: a scheduler sees a trial's metrics after an epoch and advises continue or
 * prune. It only advises: the controller (src/sweep/) records the decision and acts on it.
 * Every scheduler is a pure function of its inputs, so a decision can be recomputed and audited.
 */

/** Which way the sweep's metric improves. */
export type Direction = 'maximize' | 'minimize';

/** A decision recorded for some trial of the sweep: what later decisions compare with. */
export type RecordedDecision = {
  readonly trialId: number;
  /** The trial's number in the sweep (0-based, in the order trials were added). */
  readonly number: number;
  readonly epoch: number;
  /** The rung (ASHA, Hyperband, W&B's bands), or null (median). */
  readonly rung: number | null;
  /** The Hyperband bracket, or null. */
  readonly bracket: number | null;
  /** The value recorded with the decision (the metric at that epoch, as recorded). */
  readonly value: number;
};

/** What a scheduler knows when it decides. */
export type DecisionInput = {
  readonly trialId: number;
  readonly number: number;
  /** The epoch just finished (1-based). */
  readonly epoch: number;
  /** The trial's metric after each epoch so far: values[i] is after epoch i + 1 (so values.length === epoch). */
  readonly values: readonly number[];
  /** How many epochs the trial trains if never stopped. */
  readonly maxEpochs: number;
  readonly direction: Direction;
  /** The sweep's name (Hyperband assigns brackets by a hash of the name and the trial's number). */
  readonly sweep: string;
  /** Decisions recorded for the sweep's other trials so far (this trial's own earlier ones excluded). */
  readonly decisions: readonly RecordedDecision[];
  /** Completed trials' metric per epoch (curves[i][e - 1] is trial i's value after epoch e), for the median rule. */
  readonly completed: readonly (readonly number[])[];
};

/** A scheduler's verdict after an epoch, with everything needed to audit it. */
export type Decision = {
  readonly verdict: 'continue' | 'prune';
  readonly rung: number | null;
  readonly bracket: number | null;
  /** The trial's value that was judged (the metric at this epoch, or the median rule's best so far). */
  readonly value: number;
  /** The value it had to reach (null where the rule has no single threshold, such as too few values yet). */
  readonly threshold: number | null;
  /** The values it was compared with, as the rule saw them (for ASHA, itself included). */
  readonly compared: readonly number[];
};

export interface Scheduler {
  /** The rule's name as recorded with each decision: its spec `type` ('asha', 'hyperband', …). */
  readonly name: string;
  /**
   * Whether `decide` reads completed trials' curves (`DecisionInput.completed`): a larger read,
   * which the controller makes only for rules that ask.
   */
  readonly readsCompletedCurves: boolean;
  /**
   * Whether the trial needs a decision after `epoch` (the worker waits for one only then).
   * Never after the trial's last epoch: a trial that reaches it completes.
   */
  decidesAfter(trial: { readonly number: number; readonly sweep: string }, epoch: number, maxEpochs: number): boolean;
  /** The decision after `input.epoch`; called only where `decidesAfter` said so. */
  decide(input: DecisionInput): Decision;
}

/** A spec's early-stopping rule, validated by its rule's options schema (defaults filled in). The resource is epochs. */
export type EarlyStopping = { readonly type: string } & Readonly<Record<string, unknown>>;

/** What a rule may know of the sweep when its scheduler is made. */
export type RuleContext = {
  /** The most epochs any trial of the search space trains: the largest resource. */
  readonly maxEpochs: number;
};

/**
 * An early-stopping rule as the registry (registry.ts) holds it: its `type` in specs, the schema
 * of its spec entry (zod, strict, `type: z.literal(type)` included, defaults filled in), and its
 * scheduler for a validated entry. A rule whose options cannot work in this sweep throws a UserError from `make`.
 */
export interface EarlyStoppingRule<O extends EarlyStopping = EarlyStopping> {
  readonly type: string;
  readonly schema: z.ZodType<O>;
  make(options: O, context: RuleContext): Scheduler;
}
