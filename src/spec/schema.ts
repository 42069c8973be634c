import { z } from 'zod';
import { EARLY_STOPPING } from '../early-stop/registry.js';
import { dataSettings, type DataSettings } from '../data/settings.js';
import { codeGrid, codeSettings, type CodeSpec } from './code.js';
import { checkObjective, DEFAULT_OBJECTIVE, GOALS, metricDef, type Objective } from '../metrics/registry.js';
import { parseConstraint, type Constraint } from './constraints.js';
import {
  HYPERPARAMETERS, MODEL_KINDS, REGISTRY, TRAIN_KEYS, isOptional, kindKeys, posInt,
  type HyperparameterKey, type ModelKind,
} from './hyperparameters.js';
import { byShape, shapeOf, weighted, type BetaRange, type NormalRange, type Range, type Weighted } from './ranges.js';
import { conditionalSchema, nameClashes, rawForm, type GridNode } from './conditional.js';

/**
 * The sweep spec's schema: the one place that says which keys a spec may have, which values
 * they take, and their defaults. The hyperparameters' own keys and values come from the
 * registry (hyperparameters.ts). Code past `spec/` trusts these types.
 */

export {
  ACTIVATIONS, MODEL_KINDS, OPTIMIZERS, POOLINGS,
  type Activation, type ModelKind, type OptimizerName, type Pooling,
} from './hyperparameters.js';

export const METHODS = ['grid', 'random', 'tpe', 'nsga2'] as const;
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

/**
 * The hyperparameters of named values whose choices may carry hyperparameters of their own
 * (`optimizer: {adam: {learningRate: …}, sgd: {learningRate: …}}`, src/spec/conditional.ts), as
 * `model`'s map gives each kind its own sub-grid. Every configuration still has every
 * hyperparameter of its kind: a choice's own axis replaces, for that choice, the one it would
 * otherwise have (the grid's, `train:`'s or the default). Lists, booleans and numbers are no parents.
 */
export const CONDITIONAL_KEYS: readonly HyperparameterKey[] = HYPERPARAMETERS.filter(
  (k) => k !== 'model' && REGISTRY[k].range === null && typeof REGISTRY[k].default === 'string',
);

// One schema per set of keys (every hyperparameter but model, or one kind's), built once: a choice's grid takes the same keys.
const levels = new Map<string, z.ZodType<Record<string, GridNode<Axis>>>>();
function level(keys: readonly HyperparameterKey[]): z.ZodType<Record<string, GridNode<Axis>>> {
  const id = keys.join(',');
  let schema = levels.get(id);
  if (!schema) {
    schema = z.lazy(() => z.strictObject(Object.fromEntries(keys.map((k) => [k, node(k, keys).optional()])))) as unknown as z.ZodType<Record<string, GridNode<Axis>>>;
    levels.set(id, schema);
  }
  return schema;
}

/** A hyperparameter in a grid (or under a choice): its axis, or, for one of CONDITIONAL_KEYS, its choices with their own hyperparameters. */
function node(key: HyperparameterKey, keys: readonly HyperparameterKey[]): z.ZodType<GridNode<Axis>> {
  const leaf = axis(key);
  const refused = (message: string) => z.unknown().superRefine((_, ctx) => ctx.addIssue({ code: 'custom', message }));
  return byShape<GridNode<Axis>>((v) => {
    switch (rawForm(v)) {
      case 'conditional':
        return CONDITIONAL_KEYS.includes(key)
          ? conditionalSchema(level(keys), REGISTRY[key].value as z.ZodType<string>)
          : refused(`only ${CONDITIONAL_KEYS.join(', ')} (and model) can have hyperparameters under their choices: ${key} takes ${REGISTRY[key].range === null ? 'a list' : 'a list or a range'}`);
      case 'nested':
        return refused('sweep\'s hyperparameters are flat: nested `parameters` are for a program\'s own');
      default:
        return leaf;
    }
  });
}

/** Keys each model kind understands in the grid. */
export const KIND_AXES: Record<ModelKind, readonly string[]> = {
  ann: kindKeys('ann'),
  cnn: kindKeys('cnn'),
};

const modelAxis = z.union([
  list(REGISTRY.model.value),
  z.strictObject({ ann: level(kindKeys('ann')).nullish(), cnn: level(kindKeys('cnn')).nullish() })
    .refine((m) => Object.keys(m).length > 0, 'must name at least one model kind'),
]);

const SHARED_KEYS = HYPERPARAMETERS.filter((k) => k !== 'model');
const grid = z.strictObject({
  ...Object.fromEntries(SHARED_KEYS.map((k) => [k, node(k, SHARED_KEYS).optional()])),
  model: modelAxis.optional(),
}).superRefine((g, ctx) => {
  // No hyperparameter twice in one configuration: at the grid's top, and in each kind's own sub-grid.
  const { model, ...shared } = g as Record<string, unknown> & { model?: unknown };
  const clashes = [
    ...nameClashes(shared as Record<string, GridNode<Axis>>, ['grid']),
    ...(model && !Array.isArray(model)
      ? Object.entries(model as Record<string, Record<string, GridNode<Axis>> | null>).flatMap(([kind, sub]) => nameClashes(sub ?? {}, ['grid', 'model', kind]))
      : []),
  ];
  for (const { path, problem } of clashes) ctx.addIssue({ code: 'custom', path: path.slice(1), params: { atKey: true }, message: problem });
}) as unknown as z.ZodType<GridSpec>;

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
  /** NSGA-II's population: the trials of a generation (Optuna's population_size, 50). */
  population: posInt(10_000).optional(),
  /**
   * Whether the sweep comes out the same whatever the number of workers (docs/search.md,
   * "Deterministic sweeps"): trial k is proposed from trials 0…k−parallelism alone, and an
   * early-stopping verdict compares a trial with lower-numbered ones only. false: free-running.
   */
  deterministic: z.boolean({ error: 'must be true or false' }).default(true),
  /** In a deterministic sweep, how many trials may be proposed before the results of earlier ones are in (B). */
  parallelism: posInt(1000).default(4),
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

/** What TPE counts a failed trial (or, with `imputeWhileRunning`, a running one) as: W&B's `metric.impute`. */
export const IMPUTES = ['latest', 'best', 'worst'] as const;
export type Impute = (typeof IMPUTES)[number];

/**
 * The one metric of `metric:`, which may also carry W&B's `target` (the sweep ends once a trial
 * reaches it) and `impute` / `imputeWhileRunning` (TPE's values for failed and running trials).
 */
const singleMetric = z.union([
  z.string(),
  z.strictObject({
    name: z.string(), goal: z.enum(GOALS, { error: 'must be maximize or minimize' }).optional(),
    target: z.number({ error: 'must be a number' }).refine(Number.isFinite, 'must be a finite number').optional(),
    impute: z.enum(IMPUTES, { error: 'must be latest, best or worst' }).optional(),
    imputeWhileRunning: z.enum(IMPUTES, { error: 'must be latest, best or worst' }).optional(),
  }),
], { error: 'must be a metric\'s name, or {name, goal}' });

/** The spec's metric as an Objective, checked by the registry (for the user's code, a metric it reports); NEVER where it cannot be one. */
function objective(
  m: z.infer<typeof singleMetric> | undefined, reported: boolean, ctx: z.RefinementCtx, at: (string | number)[] = ['metric'], several = false,
): Objective {
  if (m === undefined) return DEFAULT_OBJECTIVE;
  const [name, goal] = typeof m === 'string' ? [m, undefined] : [m.name, m.goal];
  const checked = checkObjective(name, goal, reported, several);
  if ('problem' in checked) {
    ctx.addIssue({ code: 'custom', message: checked.problem, path: typeof m === 'string' ? at : [...at, checked.field] });
    return z.NEVER;
  }
  return checked;
}

/**
 * A sweep of several objectives (`metrics:`, accuracy against cost): each checked as `metric:`
 * is, a cost (train_seconds, params) allowed beside a metric that is not one.
 */
function objectives(ms: readonly z.infer<typeof metric>[], reported: boolean, ctx: z.RefinementCtx): Objective[] {
  const checked = ms.map((m, i) => objective(m, reported, ctx, ['metrics', i], true));
  const names = checked.map((o) => o?.name);
  names.forEach((name, i) => {
    if (name !== undefined && names.indexOf(name) < i) ctx.addIssue({ code: 'custom', path: ['metrics', i], message: `lists ${name} twice` });
  });
  if (!reported && checked.every((o) => o && metricDef(o.name).cost)) {
    ctx.addIssue({ code: 'custom', path: ['metrics'], message: 'lists only costs: add what they buy, e.g. val_accuracy' });
  }
  return checked;
}

/**
 * The metric that ranks and early-stops a sweep of several objectives: the one its early-stopping
 * rule names (`earlyStopping: {type: asha, metric: val_accuracy}`), else the first listed. A rule
 * that names none where there are several is refused: ASHA, Hyperband and median judge one metric.
 */
function primary(list: readonly Objective[], es: { readonly type: string; readonly metric?: unknown } | undefined, ctx: z.RefinementCtx): Objective {
  const at = ['search', 'earlyStopping', 'metric'];
  if (es === undefined) return list[0];
  if (es.metric === undefined) {
    if (list.length > 1) {
      ctx.addIssue({
        code: 'custom', path: ['search', 'earlyStopping'],
        message: `${es.type} judges one metric, and this sweep has ${list.length}: name the one it prunes on, e.g. \`earlyStopping: {type: ${es.type}, metric: ${list[0].name}}\``,
      });
    }
    return list[0];
  }
  const named = list.find((o) => o.name === es.metric);
  if (!named) {
    ctx.addIssue({ code: 'custom', path: at, message: `must be one of the sweep's objectives (${list.map((o) => o.name).join(', ')}), got ${JSON.stringify(es.metric)}` });
    return list[0];
  }
  if (metricDef(named.name).when === 'end') {
    ctx.addIssue({ code: 'custom', path: at, message: `${named.name} is known only when a trial ends: early stopping needs a metric of every epoch` });
  }
  return named;
}

/**
 * `metric:`'s `target` and `impute`, as the spec keeps them; `impute` is refused where the
 * method is not TPE, whose proposals are all it changes.
 */
function stopsAndImputes(m: z.infer<typeof singleMetric> | undefined, method: string, ctx: z.RefinementCtx): Pick<SweepSpec, 'target' | 'impute' | 'imputeWhileRunning'> {
  if (m === undefined || typeof m === 'string') return {};
  for (const key of ['impute', 'imputeWhileRunning'] as const) {
    if (m[key] !== undefined && method !== 'tpe') {
      ctx.addIssue({ code: 'custom', path: ['metric', key], message: `only TPE's proposals use \`${key}\` (this sweep's method is ${method})` });
    }
  }
  return {
    ...(m.target === undefined ? {} : { target: m.target }),
    ...(m.impute === undefined ? {} : { impute: m.impute }),
    ...(m.imputeWhileRunning === undefined ? {} : { imputeWhileRunning: m.imputeWhileRunning }),
  };
}

/** The spec's `constraints:`, each parsed (src/spec/constraints.ts); refused in place where one is not a bound. */
function constraintsOf(texts: readonly string[] | undefined, ctx: z.RefinementCtx): Constraint[] {
  return (texts ?? []).flatMap((text, i) => {
    const c = parseConstraint(text);
    if ('problem' in c) {
      ctx.addIssue({ code: 'custom', path: ['constraints', i], message: c.problem });
      return [];
    }
    return [c];
  });
}

const specObject = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_" or "-"'),
  description: z.string().optional(),
  metric: singleMetric.optional(),
  /** Several objectives at once: a trial is ranked by the Pareto front it is on. */
  metrics: z.array(metric, { error: 'must be a list of metrics' }).min(2, 'lists a sweep\'s objectives when it has several: give two or more, or write `metric:` for one').optional(),
  /** Bounds on metrics or parameters, such as "params <= 200000": a trial that breaks one is infeasible. */
  constraints: z.array(z.string(), { error: 'must be a list of bounds, such as "params <= 200000"' }).optional(),
  seed: z.number().int('must be an integer').gte(0, 'must be in [0, 2147483647]').lte(2147483647, 'must be in [0, 2147483647]').default(42),
  // The sections below depend on what trains (sweep's models, or the user's code): checked, and
  // their defaults filled, once that is known.
  data: z.unknown().optional(),
  train: z.unknown().optional(),
  search: search.default({ method: 'grid', deterministic: true, parallelism: 4 }),
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
  const {
    program, command, interpreter, objective: module, collect, trial, data, train: trainSection, grid: gridSection, metric: m,
    metrics: ms, constraints: cs, ...rest
  } = s;
  const code = program !== undefined || module !== undefined;
  if (m !== undefined && ms !== undefined) ctx.addIssue({ code: 'custom', path: ['metrics'], message: 'write `metric:` for one objective or `metrics:` for several, not both' });
  const list = ms !== undefined ? objectives(ms, code, ctx) : [objective(m, code, ctx)];
  const metric = primary(list, rest.search.earlyStopping as { type: string; metric?: unknown } | undefined, ctx);
  const goals = { objectives: list, constraints: constraintsOf(cs, ctx), ...stopsAndImputes(m, rest.search.method, ctx) };
  if (!code) {
    for (const [key, value] of [['command', command], ['collect', collect], ['trial', trial]] as const) {
      if (value !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `only a sweep of a program takes \`${key}\`: name it with \`program: train.py\`` });
    }
    return {
      ...rest, metric, ...goals,
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
    metricDeclared: m !== undefined || ms !== undefined,
    grid: section(codeGrid.default({}), gridSection, 'grid', ctx),
  };
  return { ...rest, metric, ...goals, data: { validationSplit: 0.1 }, train: trainDefaults, grid: {}, code: settings } as SweepSpec;
});

export type { DataSettings } from '../data/settings.js';

/**
 * A validated sweep spec, defaults filled in. `code` is set for a sweep of the user's own code
 * (its parameters in `code.grid`; `grid`, `train` and `data` then hold their defaults, unused).
 */
export type SweepSpec = {
  name: string;
  description?: string;
  /** What ranks the trials and what early stopping judges: the objective, or, of several, the one the rule names (else the first). */
  metric: Objective;
  /** Every objective, in the spec's order: `[metric]` for a sweep of one. */
  objectives: readonly Objective[];
  /** Bounds a feasible trial keeps (none: every trial is feasible). */
  constraints: readonly Constraint[];
  /** The metric's value at which the sweep ends: once a completed trial reaches it, no more trials start (W&B's `metric.target`). */
  target?: number;
  /** What TPE counts a failed trial as (W&B's `metric.impute`); unset, failed trials are left out, as Optuna leaves them. */
  impute?: Impute;
  /** What TPE counts a running trial as, where it has epochs (W&B's `impute_while_running`); unset, the constant liar's. */
  imputeWhileRunning?: Impute;
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
/**
 * The grid as validated: each hyperparameter's axis (or, for one of CONDITIONAL_KEYS, its choices
 * with their own grids), and `model` as kinds or per-kind grids.
 */
export type GridSpec = { [key: string]: GridNode<Axis> | undefined } & {
  model?: ModelKind[] | Partial<Record<ModelKind, Record<string, GridNode<Axis> | undefined> | null>>;
};
