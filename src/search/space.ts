/**
 * A search space as the strategies see it: per model kind, every hyperparameter's domain.
 * Built from a validated spec by `spec/` code; strategies (grid, random, TPE) only read it.
 */
import { isRange, kindAxes } from '../spec/axes.js';
import { REGISTRY, type HyperparameterKey } from '../spec/hyperparameters.js';
import type { ModelKind, SweepSpec } from '../spec/schema.js';

/**
 * One hyperparameter's domain.
 * - `float`/`int`: a range [min, max], sampled uniformly, or log-uniformly when `log`;
 *   `q` rounds a sample to the nearest multiple of q (W&B's q_ distributions:
 *   `round(x / q) * q`), then it is clipped to [min, max]. An `int` sample is rounded to an integer.
 * - `categorical`: one of the listed values (numbers, strings, or arrays such as layer widths).
 *   A fixed value is a one-choice categorical.
 */
export type Domain =
  | { readonly type: 'float'; readonly min: number; readonly max: number; readonly log: boolean; readonly q?: number }
  | { readonly type: 'int'; readonly min: number; readonly max: number; readonly log: boolean; readonly q?: number }
  | { readonly type: 'categorical'; readonly choices: readonly unknown[] };

/** One model kind's part of the space: a domain for every hyperparameter that kind has (besides `model`). */
export type KindSpace = { readonly kind: ModelKind; readonly params: Readonly<Record<string, Domain>> };

/** The whole space: one or more model kinds (in the spec's order), each with its own hyperparameters. */
export type SearchSpace = readonly KindSpace[];

/** A configuration as a strategy proposes it: `model` plus one value per hyperparameter of that kind. */
export type Sample = { readonly model: ModelKind } & Readonly<Record<string, unknown>>;

/**
 * A trial of the sweep as a model-based strategy (TPE) sees it. `score` is the sweep's metric
 * turned so that higher is better (val_accuracy as is, val_loss negated).
 * - complete: `score` is its final score.
 * - pruned: `score` is its score at `epochs`, the epoch it was stopped after.
 * - running: no score yet (TPE's constant liar counts it among the worse trials).
 */
export type Observation =
  | { readonly number: number; readonly config: Sample; readonly state: 'complete'; readonly score: number }
  | { readonly number: number; readonly config: Sample; readonly state: 'pruned'; readonly score: number; readonly epochs: number }
  | { readonly number: number; readonly config: Sample; readonly state: 'running' };

/** The spec's space: each kind's lists as categorical choices, its ranges as numeric domains (integers where the hyperparameter is one). */
export function searchSpace(spec: SweepSpec): SearchSpace {
  return kindAxes(spec).map(({ kind, axes }) => ({
    kind,
    params: Object.fromEntries(Object.entries(axes).map(([key, axis]): [string, Domain] => {
      if (!isRange(axis)) return [key, { type: 'categorical', choices: axis }];
      const type = REGISTRY[key as HyperparameterKey].range === 'int' ? 'int' : 'float';
      return [key, { type, min: axis.min, max: axis.max, log: axis.log, ...(axis.step === undefined ? {} : { q: axis.step }) }];
    })),
  }));
}

/** The most epochs any trial of the space trains: early stopping's largest resource. */
export function maxEpochs(space: SearchSpace): number {
  return Math.max(...space.map(({ params }) => {
    const d = params.epochs;
    if (!d) return REGISTRY.epochs.default;
    return d.type === 'categorical' ? Math.max(...(d.choices as number[])) : d.max;
  }));
}
