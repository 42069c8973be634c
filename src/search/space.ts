/**
 * A search space as the strategies see it: per model kind, every hyperparameter's domain.
 * Built from a validated spec by `spec/` code; strategies (grid, random, TPE) only read it.
 */
import { isRange, isWeighted, kindAxes } from '../spec/axes.js';
import { CODE_KINDS, isCodeConfig, type AnyConfig, type CodeKind } from '../spec/code.js';
import { REGISTRY, type HyperparameterKey } from '../spec/hyperparameters.js';
import type { ModelKind, SweepSpec } from '../spec/schema.js';
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
 *   is a one-choice categorical.
 */
export type Domain =
  | { readonly type: 'float'; readonly min: number; readonly max: number; readonly log: boolean; readonly q?: number; readonly prior?: Prior }
  | { readonly type: 'int'; readonly min: number; readonly max: number; readonly log: boolean; readonly q?: number; readonly prior?: Prior }
  | { readonly type: 'categorical'; readonly choices: readonly unknown[]; readonly weights?: readonly number[] };

/** One model kind's part of the space (or the user's code's): a domain for every hyperparameter that kind has (besides `model`). */
export type KindSpace = { readonly kind: ModelKind | CodeKind; readonly params: Readonly<Record<string, Domain>> };

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

/** A strategy's sample as the configuration a trial records. */
export function configOf(s: Sample): AnyConfig {
  const { model, ...values } = s;
  if (!(CODE_KINDS as readonly string[]).includes(model)) return s as unknown as AnyConfig;
  return { model: model as CodeKind, params: Object.fromEntries(Object.entries(values).map(([k, v]) => [k.slice(1), v])) };
}

/** A recorded configuration as the strategies see it (see Sample). */
export function sampleOf(c: AnyConfig): Sample {
  if (!isCodeConfig(c)) return c as unknown as Sample;
  return { model: c.model, ...Object.fromEntries(Object.entries(c.params).map(([k, v]) => [CODE_KEY(k), v])) };
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
 * their prior.
 */
export function searchSpace(spec: SweepSpec): SearchSpace {
  return kindAxes(spec).map(({ kind, axes }) => ({
    kind,
    params: Object.fromEntries(Object.entries(axes).map(([key, axis]): [string, Domain] => {
      const at = spec.code ? CODE_KEY(key) : key;
      if (!isRange(axis)) {
        if (!isWeighted(axis)) return [at, { type: 'categorical', choices: axis as readonly unknown[] }];
        // Normalised: a sum just off 1 (within np.isclose, as W&B accepts) still gives every draw a value.
        const sum = axis.probabilities.reduce((a, b) => a + b, 0);
        return [at, { type: 'categorical', choices: axis.values, weights: axis.probabilities.map((p) => p / sum) }];
      }
      // A code parameter's range says its type; a hyperparameter's is the registry's.
      const type = axis.type ?? (REGISTRY[key as HyperparameterKey].range === 'int' ? 'int' : 'float');
      const q = axis.step === undefined ? {} : { q: axis.step };
      if ('mu' in axis) {
        const prior = { kind: 'normal', mu: axis.mu, sigma: axis.sigma } as const;
        return [at, { type, min: axis.log ? 0 : -Infinity, max: Infinity, log: axis.log, prior, ...q }];
      }
      if ('a' in axis) return [at, { type, min: 0, max: 1, log: false, prior: { kind: 'beta', a: axis.a, b: axis.b }, ...q }];
      return [at, { type, min: axis.min, max: axis.max, log: axis.log, ...q }];
    })),
  }));
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
    const d = params.epochs;
    if (!d) return REGISTRY.epochs.default;
    return d.type === 'categorical' ? Math.max(...(d.choices as number[])) : d.max;
  }));
}
