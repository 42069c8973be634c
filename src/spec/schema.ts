import { z } from 'zod';
import { EARLY_STOPPING } from '../early-stop/registry.js';
import { dataSettings } from '../data/settings.js';
import { checkObjective, DEFAULT_OBJECTIVE, GOALS, type Objective } from '../metrics/registry.js';
import {
  HYPERPARAMETERS, MODEL_KINDS, REGISTRY, TRAIN_KEYS, isOptional, kindKeys, posInt,
  type HyperparameterKey, type ModelKind,
} from './hyperparameters.js';

/**
 * The sweep spec's schema: the one place that says which keys a spec may have, which values
 * they take, and their defaults. The hyperparameters' own keys and values come from the
 * registry (hyperparameters.ts). Code past `spec/` trusts these types.
 */

export {
  ACTIVATIONS, MODEL_KINDS, OPTIMIZERS, POOLINGS,
  type Activation, type ModelKind, type OptimizerName, type Pooling,
} from './hyperparameters.js';

export const METHODS = ['grid', 'random', 'tpe'] as const;
export type Method = (typeof METHODS)[number];

const list = <T extends z.ZodType>(item: T) =>
  z.array(item, { error: 'must be a list' }).min(1, 'must list at least one value');

/**
 * A numeric hyperparameter's range, for random search and TPE: uniform over [min, max], or
 * log-uniform with `log: true`; `step` rounds each draw to a multiple of it. Integer
 * hyperparameters draw integers.
 */
export type Range = { min: number; max: number; log: boolean; step?: number };

function range(key: HyperparameterKey, type: 'int' | 'float'): z.ZodType<Range> {
  const value = REGISTRY[key].value as z.ZodType<number>;
  return z.strictObject({
    min: value,
    max: value,
    log: z.boolean({ error: 'must be true or false' }).default(false),
    step: (type === 'int' ? posInt(1_000_000) : z.number().gt(0, 'must be positive')).optional(),
  }).superRefine((r, ctx) => {
    if (!(r.min < r.max)) ctx.addIssue({ code: 'custom', path: ['max'], message: `must be greater than min (${r.min})` });
    if (r.log && r.min <= 0) ctx.addIssue({ code: 'custom', path: ['min'], message: 'must be positive for a log range' });
  });
}

/** A hyperparameter in the grid: a list of values, or (where it is numeric) a range. */
function axis(key: HyperparameterKey) {
  const e = REGISTRY[key];
  const values = list(e.value);
  return e.range === null ? values : z.union([values, range(key, e.range)]);
}

const axes = (kind: ModelKind) =>
  Object.fromEntries(kindKeys(kind).map((k) => [k, axis(k).optional()])) as Record<string, z.ZodOptional<z.ZodType>>;

/** Keys each model kind understands in the grid. */
export const KIND_AXES: Record<ModelKind, readonly string[]> = {
  ann: kindKeys('ann'),
  cnn: kindKeys('cnn'),
};

const modelAxis = z.union([
  list(REGISTRY.model.value),
  z.strictObject({ ann: z.strictObject(axes('ann')).nullish(), cnn: z.strictObject(axes('cnn')).nullish() })
    .refine((m) => Object.keys(m).length > 0, 'must name at least one model kind'),
]);

const allAxes = Object.fromEntries(
  HYPERPARAMETERS.filter((k) => k !== 'model').map((k) => [k, axis(k).optional()]),
) as Record<string, z.ZodOptional<z.ZodType>>;
const grid = z.strictObject({ ...allAxes, model: modelAxis.optional() }) as unknown as z.ZodType<GridSpec>;

// An optional key (see hyperparameters.ts) gets no default here: a spec that does not name it
// leaves it out of its configurations, and their config ids stay what they were.
const train = z.strictObject(Object.fromEntries(TRAIN_KEYS.map((k) => {
  const value = REGISTRY[k].value as z.ZodType;
  return [k, isOptional(k) ? value.optional() : value.default(REGISTRY[k].default)];
})) as Record<string, z.ZodType>);
const trainDefaults = Object.fromEntries(TRAIN_KEYS.filter((k) => !isOptional(k)).map((k) => [k, REGISTRY[k].default]));

const search = z.strictObject({
  method: z.enum(METHODS, { error: `must be one of ${METHODS.join(', ')}` }).default('grid'),
  /** How many trials: required for random and tpe; for a grid, the first N configurations. */
  trials: posInt(100_000).optional(),
  // Each rule's keys and defaults are the rule's own (src/early-stop/registry.ts).
  earlyStopping: EARLY_STOPPING.optional(),
});

/**
 * What the sweep ranks on: a metric's name (`val_loss`), or `{name, goal}`; the goal of a
 * metric sweep measures comes from the registry, and one given must agree with it.
 */
const metric = z.union([
  z.string(),
  z.strictObject({ name: z.string(), goal: z.enum(GOALS, { error: 'must be maximize or minimize' }).optional() }),
], { error: 'must be a metric\'s name, or {name, goal}' }).transform((m, ctx): Objective => {
  const [name, goal] = typeof m === 'string' ? [m, undefined] : [m.name, m.goal];
  const checked = checkObjective(name, goal);
  if ('problem' in checked) {
    ctx.addIssue({ code: 'custom', message: checked.problem, path: typeof m === 'string' ? [] : [checked.field] });
    return z.NEVER;
  }
  return checked;
});

export const specSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_" or "-"'),
  description: z.string().optional(),
  metric: metric.default(DEFAULT_OBJECTIVE),
  seed: z.number().int('must be an integer').gte(0, 'must be in [0, 2147483647]').lte(2147483647, 'must be in [0, 2147483647]').default(42),
  data: dataSettings.default({ validationSplit: 0.1 }),
  train: train.default(trainDefaults),
  search: search.default({ method: 'grid' }),
  grid: grid.default({}),
});

export type { DataSettings } from '../data/settings.js';

/** A validated sweep spec, defaults filled in. */
export type SweepSpec = z.infer<typeof specSchema>;
export type SearchSettings = SweepSpec['search'];
/** One hyperparameter's place in the grid: the values to try, or a range to draw from. */
export type Axis = readonly unknown[] | Range;
/** The grid as validated: each hyperparameter's axis, and `model` as kinds or per-kind grids. */
export type GridSpec = { [key: string]: Axis | undefined } & {
  model?: ModelKind[] | Partial<Record<ModelKind, Record<string, Axis | undefined> | null>>;
};
