/**
 * Every metric, declared once: its name, which way is better, how it reads and who measures it.
 * Ranking, early stopping, search, the terminal and web views, `sweep query`'s views and the
 * report all ask here which way a metric goes and how to print it; no other code compares a
 * metric's name to decide.
 *
 * A name a trial reports that is not declared here is a metric too (`metricDef`): it is shown
 * and stored like any other, and its goal comes from the spec; without one it cannot be a
 * sweep's objective.
 *
 * Pure and dependency-free: the dashboard page (src/web/page/) bundles it.
 */

/** Which way a metric improves. */
export type Goal = 'maximize' | 'minimize';
export const GOALS: readonly Goal[] = ['maximize', 'minimize'];

/** How a value reads: a fraction as a percentage, a loss to 4 decimals, seconds, milliseconds, a count, or a plain number. */
export type MetricFormat = 'percent' | 'loss' | 'seconds' | 'milliseconds' | 'count' | 'number';

/** The fields of an epoch's record that built-in metrics live in (see EpochMetrics). */
type EpochField = 'loss' | 'accuracy' | 'valLoss' | 'valAccuracy' | 'seconds';
/** The fields of a finished trial's record that built-in metrics live in (see TrialOutcome). */
type TrialField = 'valAccuracy' | 'valLoss' | 'testAccuracy' | 'testLoss' | 'params' | 'seconds' | 'latencyMs';

export type MetricDef = {
  readonly name: string;
  /** Which way is better; null for a reported metric whose goal the spec does not give. */
  readonly goal: Goal | null;
  readonly format: MetricFormat;
  /** 'sweep': the built-in models' training measures it; 'trial': the trial reported it under this name. */
  readonly measuredBy: 'sweep' | 'trial';
  /** Known after every epoch (so early stopping can judge it), or only once the trial has ended. */
  readonly when: 'epoch' | 'end';
  /** Whether a sweep may rank and search on it. Never the test set's: it is evaluated once and chooses nothing. */
  readonly objective: boolean;
  /** Why it may not, where it may not: said when a spec asks for it. */
  readonly notObjective?: string;
  /**
   * A cost (time, size): not an objective alone, as it would rank the smallest model first, but
   * one of a sweep's several objectives beside one that is (accuracy against cost).
   */
  readonly cost?: boolean;
  /** Where the built-in models' records hold it: an epoch's field, and a finished trial's. */
  readonly epochField?: EpochField;
  readonly trialField?: TrialField;
  /** Its line in docs/database.md's `trial_metrics` section: starts lower-case, no final full stop. */
  readonly doc: string;
};

/** The metrics sweep measures itself, in the order views list them. */
export const BUILT_IN_METRICS: readonly MetricDef[] = [
  {
    name: 'val_accuracy', goal: 'maximize', format: 'percent', measuredBy: 'sweep', when: 'epoch', objective: true,
    epochField: 'valAccuracy', trialField: 'valAccuracy', doc: 'accuracy on the validation split after the epoch',
  },
  {
    name: 'val_loss', goal: 'minimize', format: 'loss', measuredBy: 'sweep', when: 'epoch', objective: true,
    epochField: 'valLoss', trialField: 'valLoss', doc: 'cross-entropy on the validation split after the epoch',
  },
  {
    name: 'accuracy', goal: 'maximize', format: 'percent', measuredBy: 'sweep', when: 'epoch', objective: false,
    notObjective: 'it is measured on the training images, where overfitting scores best',
    epochField: 'accuracy', doc: 'training accuracy over the epoch',
  },
  {
    name: 'loss', goal: 'minimize', format: 'loss', measuredBy: 'sweep', when: 'epoch', objective: false,
    notObjective: 'it is measured on the training images, where overfitting scores best',
    epochField: 'loss', doc: 'training loss over the epoch (with label smoothing where the trial has it)',
  },
  {
    name: 'epoch_seconds', goal: 'minimize', format: 'seconds', measuredBy: 'sweep', when: 'epoch', objective: false,
    notObjective: 'it is what one epoch cost, not how good the model is',
    epochField: 'seconds', doc: 'seconds the epoch took, its validation included',
  },
  {
    name: 'test_accuracy', goal: 'maximize', format: 'percent', measuredBy: 'sweep', when: 'end', objective: false,
    notObjective: 'the test set is evaluated once and chooses nothing',
    trialField: 'testAccuracy', doc: 'accuracy on the test split, evaluated once after the last epoch',
  },
  {
    name: 'test_loss', goal: 'minimize', format: 'loss', measuredBy: 'sweep', when: 'end', objective: false,
    notObjective: 'the test set is evaluated once and chooses nothing',
    trialField: 'testLoss', doc: 'cross-entropy on the test split, evaluated once after the last epoch',
  },
  {
    name: 'train_seconds', goal: 'minimize', format: 'seconds', measuredBy: 'sweep', when: 'end', objective: false, cost: true,
    notObjective: 'a cost alone ranks the smallest model first, whatever its accuracy',
    trialField: 'seconds', doc: 'seconds the trial trained, every attempt\'s epochs counted once',
  },
  {
    name: 'params', goal: 'minimize', format: 'count', measuredBy: 'sweep', when: 'end', objective: false, cost: true,
    notObjective: 'a cost alone ranks the smallest model first, whatever its accuracy',
    trialField: 'params', doc: 'the model\'s number of weights',
  },
  {
    name: 'latency_ms', goal: 'minimize', format: 'milliseconds', measuredBy: 'sweep', when: 'end', objective: false, cost: true,
    notObjective: 'a cost alone ranks the smallest model first, whatever its accuracy',
    trialField: 'latencyMs',
    doc: 'median milliseconds to classify one test image (a batch of 1, bytes to class) in the worker that trained it, after training: the median of 200 calls, after 20 untimed ones (1000 for the worker\'s first model of its kind)',
  },
];

const BY_NAME = new Map(BUILT_IN_METRICS.map((m) => [m.name, m]));

/** What a sweep ranks on: a metric and its goal. */
export type Objective = { readonly name: string; readonly goal: Goal };

/** The default objective of a spec that names none: the notebook's. */
export const DEFAULT_OBJECTIVE: Objective = { name: 'val_accuracy', goal: 'maximize' };

/**
 * The metric called `name`: a built-in one, or one a trial reports, with the goal the spec
 * gave it (null where it gave none) and read as a plain number.
 */
export function metricDef(name: string, goal: Goal | null = null): MetricDef {
  return BY_NAME.get(name) ?? {
    name, goal, format: 'number', measuredBy: 'trial', when: 'epoch', objective: goal !== null,
    doc: 'reported by the trial',
  };
}

/** Whether sweep measures `name` itself. */
export function isBuiltInMetric(name: string): boolean {
  return BY_NAME.has(name);
}

/**
 * `name` with `goal` as a sweep's objective (one of `several`, where a cost may be one), or why it cannot be one: a built-in metric whose
 * goal is the other way, the test set's, or a metric of the trial's own without a goal.
 */
export function checkObjective(
  name: string, goal: Goal | undefined, reported = false, several = false,
): Objective | { readonly problem: string; readonly field: 'name' | 'goal' } {
  const def = BY_NAME.get(name);
  // The user's code reports the metric itself: under a built-in name it is still its own, and
  // its goal the spec's, or the registry's where the spec gives none.
  if (reported) {
    const chosen = goal ?? def?.goal ?? undefined;
    if (chosen === undefined) return { problem: `"${name}" is a metric of your program's: give its goal (maximize or minimize)`, field: 'name' };
    return { name, goal: chosen };
  }
  if (def === undefined) {
    if (goal === undefined) return { problem: `"${name}" is not a metric sweep measures: give its goal (maximize or minimize)`, field: 'name' };
    return { name, goal };
  }
  if (!def.objective && !(several && def.cost)) {
    if (def.cost) return { problem: `${name} is a cost: list it in \`metrics:\` beside what it costs, e.g. [val_accuracy, ${name}] (alone, ${def.notObjective})`, field: 'name' };
    return { problem: `${name} cannot be what the sweep ranks on (${def.notObjective}): use ${objectiveNames().join(' or ')}`, field: 'name' };
  }
  if (goal !== undefined && goal !== def.goal) return { problem: `sweep can only ${def.goal} ${name}, not ${goal} it: write \`goal: ${def.goal}\``, field: 'goal' };
  return { name, goal: def.goal! };
}

/**
 * Why `name` cannot rank a sweep of the built-in models (which report only the registry's
 * metrics), or undefined where it can.
 */
export function builtInObjectiveProblem(name: string): string | undefined {
  if (!BY_NAME.has(name)) return `must be ${objectiveNames().join(' or ')}, the metrics sweep records (got ${JSON.stringify(name)})`;
  const checked = checkObjective(name, undefined);
  return 'problem' in checked ? checked.problem : undefined;
}

/** The built-in metrics a sweep may rank on. */
export function objectiveNames(): string[] {
  return BUILT_IN_METRICS.filter((m) => m.objective).map((m) => m.name);
}

/** Anything that may carry metrics a trial reported under its own names. */
type Reported = { readonly reported?: Readonly<Record<string, number>> | null };

/** `name`'s value on an epoch's record (a built-in field, or a reported value); NaN where it has none. */
export function epochValue(name: string, m: Partial<Record<EpochField, number | null>> & Reported): number {
  const field = BY_NAME.get(name)?.epochField;
  const v = field !== undefined ? m[field] : m.reported?.[name];
  return v ?? NaN;
}

/** `name`'s value on a finished trial's record; NaN where it has none. */
export function trialValue(name: string, r: Partial<Record<TrialField, number | null>> & Reported): number {
  const field = BY_NAME.get(name)?.trialField;
  const v = field !== undefined ? r[field] : r.reported?.[name];
  return v ?? NaN;
}

/** A value as a score where higher is better under `goal`; a missing value (null, NaN) scores lowest. */
export function score(goal: Goal, value: number | null | undefined): number {
  if (value === null || value === undefined || Number.isNaN(value)) return -Infinity;
  return goal === 'maximize' ? value : -value;
}

/** Whether `a` is strictly better than `b` under `goal` (a missing value is never better). */
export function isBetter(goal: Goal, a: number | null | undefined, b: number | null | undefined): boolean {
  return score(goal, a) > score(goal, b);
}

/** Orders values best first under `goal`, missing ones last: a comparator for `sort`. */
export function bestFirst(goal: Goal): (a: number | null | undefined, b: number | null | undefined) => number {
  return (a, b) => {
    const [x, y] = [score(goal, a), score(goal, b)];
    return x === y ? 0 : x > y ? -1 : 1;
  };
}

/** A metric's value as every view prints it: "88.92%", "0.3123", "4.2s", "0.41ms", "101,770"; null or NaN as "-". */
export function formatMetric(name: string, value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '-';
  switch (metricDef(name).format) {
    case 'percent': return `${(value * 100).toFixed(2)}%`;
    case 'loss': return value.toFixed(4);
    case 'seconds': return `${value.toFixed(1)}s`;
    // Three significant digits: an ANN classifies in tenths of a millisecond, a wide CNN in several.
    case 'milliseconds': return `${Number(value.toPrecision(3))}ms`;
    case 'count': return Math.round(value).toLocaleString('en-US');
    case 'number': return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  }
}

/** A short note for a chart's title where lower is better ("(lower is better)"), else "". */
export function goalNote(goal: Goal): string {
  return goal === 'minimize' ? ' (lower is better)' : '';
}

/**
 * Values a trial's code reported at one step, as an epoch's record: each built-in epoch metric
 * (`loss`, `val_accuracy`, …) in its own field, where the views and `trial_metrics` read it,
 * every other name as reported; a field nothing filled is NaN. `seconds` is the step's own
 * time unless the code reported `epoch_seconds`.
 */
export function epochOfReport(step: number, values: Readonly<Record<string, number>>, seconds: number):
  Record<EpochField, number> & { epoch: number; reported?: Record<string, number> } {
  const fields: Record<EpochField, number> = { loss: NaN, accuracy: NaN, valLoss: NaN, valAccuracy: NaN, seconds };
  const reported: Record<string, number> = {};
  for (const [name, value] of Object.entries(values)) {
    const field = BY_NAME.get(name)?.epochField;
    if (field !== undefined) fields[field] = value;
    else reported[name] = value;
  }
  return { epoch: step, ...fields, ...(Object.keys(reported).length > 0 ? { reported } : {}) };
}

/** Every value an epoch's record holds, by metric name: each built-in epoch metric it measured (not NaN), then the reported ones. */
export function epochValues(m: Partial<Record<EpochField, number | null>> & Reported): Record<string, number> {
  const out: Record<string, number> = {};
  for (const def of BUILT_IN_METRICS) {
    const v = def.epochField === undefined ? undefined : m[def.epochField];
    if (v !== undefined && v !== null && !Number.isNaN(v)) out[def.name] = v;
  }
  return { ...out, ...m.reported };
}

/**
 * A finished trial's value of `name`, as ranking reads it: the trial's own (test metrics, time,
 * size), else its last epoch's (a metric the user's code reported at each step).
 */
export function outcomeValue(
  name: string, r: Partial<Record<TrialField, number | null>> & Reported & { readonly epochs: readonly (Partial<Record<EpochField, number | null>> & Reported)[] },
): number {
  const v = trialValue(name, r);
  const last = r.epochs[r.epochs.length - 1];
  return Number.isNaN(v) && last !== undefined ? epochValue(name, last) : v;
}
