import { z } from 'zod';
import { EARLY_STOPPING } from '../early-stop/registry.js';
import { dataSettings, type DataSettings } from '../data/settings.js';
import { codeGrid, codeSettings, type CodeSpec } from './code.js';
import { checkObjective, DEFAULT_OBJECTIVE, GOALS, type Objective } from '../metrics/registry.js';
import {
  HYPERPARAMETERS, MODEL_KINDS, REGISTRY, TRAIN_KEYS, isOptional, kindKeys, posInt,
  type HyperparameterKey, type ModelKind,
} from './hyperparameters.js';
import { byShape, shapeOf, weighted, type BetaRange, type NormalRange, type Range, type Weighted } from './ranges.js';

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

export type { BetaRange, NormalRange, Range, Weighted } from './ranges.js';

/**
 * A numeric hyperparameter's range, for random search and TPE: uniform over [min, max], or
 * log-uniform with `log: true`; `step` rounds each draw to a multiple of it. Integer
 * hyperparameters draw integers.
 */
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

/**
 * A hyperparameter in the grid: a list of values, the values with probabilities, or (where it is
 * numeric) a range. Normals and betas are refused: every hyperparameter takes bounded values
 * (dropout in [0, 1), epochs from 1), and they draw past any bound.
 */
function axis(key: HyperparameterKey) {
  const e = REGISTRY[key];
  const values = list(e.value);
  const plain = e.range === null ? values : z.union([values, range(key, e.range)]);
  const withProbabilities = weighted(values);
  const unbounded = z.unknown().superRefine((_, ctx) => {
    ctx.addIssue({ code: 'custom', message: `${key} takes values between bounds, which a normal or a beta does not keep to: give {min, max} (a program's own parameters take {mu, sigma} and {a, b})` });
  });
  return byShape<Axis>((v) => {
    const shape = shapeOf(v);
    return shape === 'weighted' ? withProbabilities : shape === 'other' ? plain : unbounded;
  });
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
], { error: 'must be a metric\'s name, or {name, goal}' });

/** The spec's metric as an Objective, checked by the registry (for the user's code, a metric it reports); NEVER where it cannot be one. */
function objective(m: z.infer<typeof metric> | undefined, reported: boolean, ctx: z.RefinementCtx): Objective {
  if (m === undefined) return DEFAULT_OBJECTIVE;
  const [name, goal] = typeof m === 'string' ? [m, undefined] : [m.name, m.goal];
  const checked = checkObjective(name, goal, reported);
  if ('problem' in checked) {
    ctx.addIssue({ code: 'custom', message: checked.problem, path: typeof m === 'string' ? ['metric'] : ['metric', checked.field] });
    return z.NEVER;
  }
  return checked;
}

const specObject = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_" or "-"'),
  description: z.string().optional(),
  metric: metric.optional(),
  seed: z.number().int('must be an integer').gte(0, 'must be in [0, 2147483647]').lte(2147483647, 'must be in [0, 2147483647]').default(42),
  // The sections below depend on what trains (sweep's models, or the user's code): checked, and
  // their defaults filled, once that is known.
  data: z.unknown().optional(),
  train: z.unknown().optional(),
  search: search.default({ method: 'grid' }),
  grid: z.unknown().optional(),
  ...codeSettings,
});

/** Runs `schema` on the value at `key` (or its default), its issues reported under `key`; NEVER where it fails. */
function section<T>(schema: z.ZodType<T>, value: unknown, key: string, ctx: z.RefinementCtx): T | typeof z.NEVER {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: [key, ...issue.path] } as Parameters<typeof ctx.addIssue>[0]);
  return z.NEVER;
}

/**
 * The spec: a sweep of sweep's built-in models (its `grid` over the hyperparameter registry, with
 * `train` and `data`), or of the user's own code (a `program` or an `objective`, its `grid` over
 * parameters of its own; no `train` or `data`: the code has its own).
 */
export const specSchema = specObject.transform((s, ctx): SweepSpec => {
  const { program, command, interpreter, objective: module, collect, trial, data, train: trainSection, grid: gridSection, metric: m, ...rest } = s;
  const code = program !== undefined || module !== undefined;
  const metric = objective(m, code, ctx);
  if (!code) {
    for (const [key, value] of [['command', command], ['collect', collect], ['trial', trial]] as const) {
      if (value !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `only a sweep of a program takes \`${key}\`: name it with \`program: train.py\`` });
    }
    return {
      ...rest, metric,
      data: section(dataSettings.default({ validationSplit: 0.1 }), data, 'data', ctx),
      train: section(train.default(trainDefaults), trainSection, 'train', ctx),
      grid: section(grid.default({}), gridSection, 'grid', ctx),
    } as SweepSpec;
  }
  if (program !== undefined && module !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['objective'], message: 'a sweep runs a program or an objective module, not both' });
  }
  for (const [key, value] of [['data', data], ['train', trainSection]] as const) {
    if (value !== undefined) {
      ctx.addIssue({ code: 'custom', path: [key], message: `\`${key}\` is for sweep's built-in models: ${program !== undefined ? 'a program' : 'an objective'} trains on its own` });
    }
  }
  if (module !== undefined) {
    for (const [key, value] of [['command', command], ['collect', collect]] as const) {
      if (value !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `an objective module reports through \`trial.report\`: \`${key}\` is for a program` });
    }
  }
  const settings: CodeSpec = {
    kind: program !== undefined ? 'program' : 'objective',
    ...(program === undefined ? {} : { program }), ...(command === undefined ? {} : { command }),
    interpreter: interpreter ?? 'python3', ...(module === undefined ? {} : { objective: module }),
    ...(collect === undefined ? {} : { collect }),
    trial: trial ?? { grace: 30 },
    metricDeclared: m !== undefined,
    grid: section(codeGrid.default({}), gridSection, 'grid', ctx),
  };
  return { ...rest, metric, data: { validationSplit: 0.1 }, train: trainDefaults, grid: {}, code: settings } as SweepSpec;
});

export type { DataSettings } from '../data/settings.js';

/**
 * A validated sweep spec, defaults filled in. `code` is set for a sweep of the user's own code
 * (its parameters in `code.grid`; `grid`, `train` and `data` then hold their defaults, unused).
 */
export type SweepSpec = {
  name: string;
  description?: string;
  metric: Objective;
  seed: number;
  data: DataSettings;
  train: z.infer<typeof train>;
  search: z.infer<typeof search>;
  grid: GridSpec;
  code?: CodeSpec;
};
export type SearchSettings = SweepSpec['search'];
/** One hyperparameter's place in the grid: the values to try, the values with probabilities, or a range to draw from. */
export type Axis = readonly unknown[] | Weighted | Range | NormalRange | BetaRange;
/** The grid as validated: each hyperparameter's axis, and `model` as kinds or per-kind grids. */
export type GridSpec = { [key: string]: Axis | undefined } & {
  model?: ModelKind[] | Partial<Record<ModelKind, Record<string, Axis | undefined> | null>>;
};
