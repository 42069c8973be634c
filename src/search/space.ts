/**
 * A search space as the strategies see it: per model kind, every hyperparameter's domain, a
 * conditional parameter's choices each leading to the parameters that exist under it.
 * Built from a validated spec by `spec/` code; strategies (grid, random, TPE) only read it.
 */
import { isRange, isWeighted, kindAxes } from '../spec/axes.js';
import { isConditional, isNested, type GridNode } from '../spec/conditional.js';
import { CODE_KINDS, isCodeConfig, type AnyConfig, type CodeKind } from '../spec/code.js';
import { REGISTRY, settled, type HyperparameterKey } from '../spec/hyperparameters.js';
import type { Axis, ModelKind, SweepSpec } from '../spec/schema.js';
import type { Prior } from './distributions.js';

export type { Prior } from './distributions.js';

/**
 * One hyperparameter's domain.
 * - `float`/`int`: a range [min, max], sampled uniformly, or log-uniformly when `log`;
 *   `q` rounds a sample to the nearest multiple of q (W&B's q_ distributions:
 *   `round(x / q) * q`), then it is clipped to [min, max]. An `int` sample is rounded to an integer.
 * - `float`/`int` with a `prior`: drawn from it instead (a normal, a log-normal where `log`, or a
 *   beta), then rounded as above but never clipped, as W&B draws its normal, log_normal and beta
 *   families; min and max are the distribution's support (±Infinity for a normal).
 * - `categorical`: one of the listed values (numbers, strings, or arrays such as layer widths),
 *   uniformly, or with the probabilities `weights` (one per choice, summing to 1). A fixed value
 *   is a one-choice categorical. With `branches` it is a conditional parameter: choice i brings the
 *   parameters of `branches[i]` (maybe none), which exist only where it is chosen.
 */
export type Domain =
  | { readonly type: 'float'; readonly min: number; readonly max: number; readonly log: boolean; readonly q?: number; readonly prior?: Prior }
  | { readonly type: 'int'; readonly min: number; readonly max: number; readonly log: boolean; readonly q?: number; readonly prior?: Prior }
  | { readonly type: 'categorical'; readonly choices: readonly unknown[]; readonly weights?: readonly number[]; readonly branches?: readonly Level[] };

/** Parameters by their Sample key, each with its domain; a conditional one's choices lead to levels of their own. */
export type Level = Readonly<Record<string, Domain>>;

/**
 * One model kind's part of the space (or the user's code's): a domain for every hyperparameter
 * that kind has (besides `model`). A nested parameter of the user's code (W&B's `parameters:`
 * inside a parameter) is its fields, each keyed `:name/field` (see configOf); `nested` lists such
 * names (`name`, and `name/field` where a field is nested again).
 */
export type KindSpace = { readonly kind: ModelKind | CodeKind; readonly params: Level; readonly nested?: readonly string[] };

/** The whole space: one or more model kinds (in the spec's order), each with its own hyperparameters. */
export type SearchSpace = readonly KindSpace[];

/**
 * A configuration as a strategy proposes it: `model` (the kind) plus one value per hyperparameter
 * of that kind. A parameter of the user's code is keyed by its name after `:` (CODE_KEY), which no
 * name has, so that a parameter called `model` is never taken for the kind.
 */
export type Sample = { readonly model: ModelKind | CodeKind } & Readonly<Record<string, unknown>>;

/** How a Sample keys a parameter of the user's code. */
export const CODE_KEY = (name: string) => `:${name}`;

/**
 * A strategy's sample as the configuration a trial records: a nested parameter's fields
 * (`:name/field`) as one mapping; a hyperparameter that does not apply to it at its default.
 */
export function configOf(s: Sample): AnyConfig {
  const { model, ...values } = s;
  if (!(CODE_KINDS as readonly string[]).includes(model)) return settled(s) as unknown as AnyConfig;
  const params: Record<string, unknown> = {};
  // In key order, as a grid's configurations have them (resolveLevel puts a choice's parameters after their parent).
  for (const [k, v] of Object.entries(values).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const path = k.slice(1).split('/');
    let at = params;
    for (const name of path.slice(0, -1)) at = (at[name] ??= {}) as Record<string, unknown>;
    at[path[path.length - 1]] = v;
  }
  return { model: model as CodeKind, params };
}

/** A recorded configuration as the strategies see it (see Sample): the mappings of the parameters `nested` names, field by field. */
export function sampleOf(c: AnyConfig, nested: readonly string[] = []): Sample {
  if (!isCodeConfig(c)) return c as unknown as Sample;
  const out: Record<string, unknown> = { model: c.model };
  const put = (name: string, v: unknown) => {
    if (nested.includes(name) && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [field, x] of Object.entries(v)) put(`${name}/${field}`, x);
    } else out[CODE_KEY(name)] = v;
  };
  for (const [name, v] of Object.entries(c.params)) put(name, v);
  return out as Sample;
}

/** The choices a parameter sits under, outermost first: each parent's key and the value it must have. */
export type Condition = readonly (readonly [key: string, choice: unknown])[];

/** The index of `v` among a categorical's choices (compared as JSON: choices such as [128, 64] come back from the store as new arrays); -1 if none. */
export function choiceIndex(d: Extract<Domain, { type: 'categorical' }>, v: unknown): number {
  if (v === undefined) return -1;
  const key = JSON.stringify(v);
  return d.choices.findIndex((c) => JSON.stringify(c) === key);
}

/**
 * A configuration of `level`, chosen key by key: in sorted key order, each by `choose` (given its
 * domain and the choices it sits under); a conditional parameter's choice then brings the keys
 * of its branch, chosen (depth first) before the next key of the level. A choice that is none of
 * the domain's brings nothing. Without conditional parameters: the level's keys in sorted order.
 */
export function resolveLevel(
  level: Level, choose: (key: string, domain: Domain, under: Condition) => unknown,
  under: Condition = [], out: Record<string, unknown> = {},
): Record<string, unknown> {
  for (const key of Object.keys(level).sort()) {
    const d = level[key];
    const v = choose(key, d, under);
    out[key] = v;
    if (d.type !== 'categorical' || !d.branches) continue;
    const i = choiceIndex(d, v);
    if (i >= 0) resolveLevel(d.branches[i], choose, [...under, [key, d.choices[i]]], out);
  }
  return out;
}

/** Every parameter of a level, under every choice, with the choices it sits under: depth first, keys in sorted order. */
export function* allDomains(level: Level, under: Condition = []): Generator<{ readonly key: string; readonly domain: Domain; readonly under: Condition }> {
  for (const key of Object.keys(level).sort()) {
    const domain = level[key];
    yield { key, domain, under };
    if (domain.type === 'categorical' && domain.branches) {
      for (const [i, b] of domain.branches.entries()) yield* allDomains(b, [...under, [key, domain.choices[i]]]);
    }
  }
}

/** Whether a sample meets every condition (each parent has the value a parameter needs). */
export function meets(config: Readonly<Record<string, unknown>>, under: Condition): boolean {
  return under.every(([key, choice]) => config[key] !== undefined && JSON.stringify(config[key]) === JSON.stringify(choice));
}

/**
 * A trial of the sweep as a model-based strategy (TPE) sees it. `score` is the sweep's metric
 * turned so that higher is better (val_accuracy as is, val_loss negated).
 * - complete: `score` is its final score. In a sweep of several objectives, `values` holds
 *   each of them, in the spec's order, turned to be minimized (src/pareto/'s convention:
 *   val_accuracy negated, train_seconds as is); with constraints, `violation` is by how much
 *   the trial breaks them, summed (0: feasible; src/spec/constraints.ts).
 * - pruned: `score` is its score at `epochs`, the epoch it was stopped after.
 * - running: no score yet (TPE's constant liar counts it among the worse trials).
 */
export type Observation =
  | {
    readonly number: number; readonly config: Sample; readonly state: 'complete'; readonly score: number;
    readonly values?: readonly number[]; readonly violation?: number;
  }
  | { readonly number: number; readonly config: Sample; readonly state: 'pruned'; readonly score: number; readonly epochs: number }
  | { readonly number: number; readonly config: Sample; readonly state: 'running' };

/**
 * The spec's space: each kind's lists as categorical choices (with their probabilities), its
 * ranges as numeric domains (integers where the hyperparameter is one), normals and betas with
 * their prior, conditional parameters as categoricals over their choices with a level per choice,
 * nested ones as their fields.
 */
export function searchSpace(spec: SweepSpec): SearchSpace {
  return kindAxes(spec).map(({ kind, axes }) => {
    const nested: string[] = [];
    const params = levelOf(axes, spec.code !== undefined, '', nested);
    return { kind, params, ...(nested.length > 0 ? { nested } : {}) };
  });
}

/** A grid's level as a space's: a code parameter keyed by CODE_KEY of its path (`prefix` is a nested parameter's, `name/`). */
function levelOf(axes: Readonly<Record<string, GridNode<Axis>>>, code: boolean, prefix: string, nested: string[]): Record<string, Domain> {
  const level: Record<string, Domain> = {};
  for (const [name, node] of Object.entries(axes)) {
    const at = code ? CODE_KEY(prefix + name) : name;
    if (isConditional(node)) {
      level[at] = { type: 'categorical', choices: node.branches.map((b) => b.choice), branches: node.branches.map((b) => levelOf(b.grid, code, prefix, nested)) };
    } else if (isNested(node)) {
      nested.push(prefix + name);
      Object.assign(level, levelOf(node.parameters, code, `${prefix}${name}/`, nested));
    } else {
      level[at] = domainOf(name, node as Axis);
    }
  }
  return level;
}

/** One parameter's domain from its axis; `name` is a built-in hyperparameter's key, whose registry says whether it is an integer. */
function domainOf(name: string, axis: Axis): Domain {
  if (!isRange(axis)) {
    if (!isWeighted(axis)) return { type: 'categorical', choices: axis as readonly unknown[] };
    // Normalised: a sum just off 1 (within np.isclose, as W&B accepts) still gives every draw a value.
    const sum = axis.probabilities.reduce((a, b) => a + b, 0);
    return { type: 'categorical', choices: axis.values, weights: axis.probabilities.map((p) => p / sum) };
  }
  // A code parameter's range says its type; a hyperparameter's is the registry's.
  const type = axis.type ?? (REGISTRY[name as HyperparameterKey].range === 'int' ? 'int' : 'float');
  const q = axis.step === undefined ? {} : { q: axis.step };
  if ('mu' in axis) {
    const prior = { kind: 'normal', mu: axis.mu, sigma: axis.sigma } as const;
    return { type, min: axis.log ? 0 : -Infinity, max: Infinity, log: axis.log, prior, ...q };
  }
  if ('a' in axis) return { type, min: 0, max: 1, log: false, prior: { kind: 'beta', a: axis.a, b: axis.b }, ...q };
  return { type, min: axis.min, max: axis.max, log: axis.log, ...q };
}

/**
 * The most steps any trial of the sweep trains: early stopping's largest resource. For the user's
 * code: its `trial.steps`, else the largest value of a parameter named `epochs`, else unknown.
 */
export function maxSteps(spec: SweepSpec): number | undefined {
  if (!spec.code) return maxEpochs(searchSpace(spec));
  if (spec.code.trial.steps !== undefined) return spec.code.trial.steps;
  const d = searchSpace(spec)[0].params[CODE_KEY('epochs')];
  if (!d) return undefined;
  const most = d.type === 'categorical' ? Math.max(...d.choices.filter((c): c is number => typeof c === 'number')) : d.max;
  return Number.isInteger(most) && most > 0 ? most : undefined;
}

/** The most epochs any trial of the space trains: early stopping's largest resource. */
export function maxEpochs(space: SearchSpace): number {
  return Math.max(...space.map(({ params }) => {
    const found = [...allDomains(params)].filter((d) => d.key === 'epochs').map((d) => d.domain);
    if (found.length === 0) return REGISTRY.epochs.default;
    return Math.max(...found.map((d) => (d.type === 'categorical' ? Math.max(...(d.choices as number[])) : d.max)));
  }));
}
