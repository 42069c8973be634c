/**
 * TPE (Tree-structured Parzen Estimator), as Optuna 4.x's TPESampler in its default univariate
 * mode: optuna/samplers/_tpe/sampler.py (sample_independent, _sample, default_gamma,
 * default_weights), with the estimators of parzen.ts and the good/bad split of tpe-split.ts.
 * With several objectives (complete trials carry `values`) it is Optuna's multi-objective TPE:
 * the split by non-domination rank and hypervolume subset selection, and the good trials weighted
 * by hypervolume contribution (v4.9.0); with constraints (trials carry `violation`), infeasible
 * trials rank after the feasible ones, as `constraints_func` does. Differences, all deliberate:
 * - the proposal is a pure function of (seed, k, history), its generator seeded from `tpe:${seed}:${k}`
 *   (Optuna keeps one generator per sampler), and start-up trials are random search's trial k;
 * - `constantLiar` is on by default (off in Optuna 4.x, on in v5), since a sweep's trials run in parallel;
 * - with several objectives gamma is not capped at 25 (as v5.0.0-rc1's default_gamma_multiobjective;
 *   every 4.x caps it), while the weights are 4.x's (v5.0.0-rc1 weighs every good trial 1);
 * - `q` domains are modelled as if continuous (or integer) and the candidates rounded to q before
 *   they are compared ("round after"), where Optuna models a step as a grid from `low`.
 * - a domain with a prior (normal, log-normal, beta) is modelled in quantile space: its observed
 *   values mapped through its CDF onto [0, 1], the estimators fitted there as over a float range,
 *   and the candidates mapped back through its quantile function. That is how W&B's Bayesian search
 *   treats every parameter (wandb/sweeps `src/sweeps/bayes_search.py` at b1dfc5f: runs normalised by
 *   `HyperParameter.cdf`, its suggestion turned back by `ppf`). The prior kernel, wide over [0, 1],
 *   is then close to the distribution itself, an unbounded normal needs no made-up bounds, and
 *   every candidate is a value the distribution can draw;
 * - a categorical with weights spreads each kernel's prior weight by them (see categoricalEstimator).
 * The model kind is proposed first, as a categorical over the space's kinds, then that kind's
 * hyperparameters in sorted order, each fitted only from trials that have it (as Optuna does for
 * define-by-run spaces, where a CNN-only parameter exists only in CNN trials). A conditional
 * parameter's choice is proposed as any categorical, then the parameters under that choice, each
 * fitted only from the trials that made the same choices above it (its estimators never see a
 * trial of another branch, even one with a parameter of the same name there): Hyperopt's
 * tree-structured space, and what Optuna's define-by-run univariate TPE gives where each branch's
 * parameters have names of their own.
 */
import type { ModelKind } from '../spec/schema.js';
import { categoricalEstimator, numericalEstimator, type ParzenEstimator, type ParzenParameters } from './parzen.js';
import { cdf, quantile, type Prior } from './distributions.js';
import { fixedValue, sampleRandom, snap, type NumericDomain } from './random.js';
import { seededRng, type Rng } from './rng.js';
import { meets, resolveLevel, type Condition, type Domain, type Observation, type Sample, type SearchSpace } from './space.js';
import { historyShape, multiObjectiveWeightsBelow, splitTrials, type Groups as Split } from './tpe-split.js';

/** TPESampler's arguments (Optuna's names in camelCase; consider_prior is always on). */
export type TpeOptions = {
  /** Random search until this many trials are complete or pruned. */
  readonly startupTrials: number;
  /** Candidates drawn from l(x) per hyperparameter; the one maximising l(x)/g(x) wins. */
  readonly eiCandidates: number;
  /** How many of n finished trials form the good group l(x). */
  readonly gamma: (n: number) => number;
  /** The same with several objectives. */
  readonly multiObjectiveGamma: (n: number) => number;
  /** Kernel weights of n observations, oldest first. */
  readonly weights: (n: number) => readonly number[];
  readonly priorWeight: number;
  readonly considerMagicClip: boolean;
  readonly considerEndpoints: boolean;
  /** Count running trials among the bad group, so parallel workers do not all propose the same point. */
  readonly constantLiar: boolean;
};

/** Optuna's default_gamma: the best 10% of n trials, at most 25. */
export function defaultGamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/**
 * Optuna's default_gamma_multiobjective (v5.0.0-rc1, commit 6fb1032): the best 10% of n trials,
 * uncapped. Optuna 4.x uses default_gamma for several objectives too.
 */
export function defaultMultiObjectiveGamma(n: number): number {
  return Math.ceil(0.1 * n);
}

/** Optuna's default_weights: 1 each below 25 observations; from 25, the newest 25 weigh 1 and older ones ramp up from 1/n. */
export function defaultWeights(n: number): number[] {
  if (n < 25) return Array<number>(n).fill(1);
  // np.linspace(1 / n, 1, n - 25) followed by 25 ones.
  const m = n - 25;
  const ramp = Array.from({ length: m }, (_, i) => (m === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (m - 1)));
  return [...ramp, ...Array<number>(25).fill(1)];
}

/** Optuna 4.x's TPESampler defaults, but with the constant liar on. */
export const TPE_DEFAULTS: TpeOptions = {
  startupTrials: 10,
  eiCandidates: 24,
  gamma: defaultGamma,
  multiObjectiveGamma: defaultMultiObjectiveGamma,
  weights: defaultWeights,
  priorWeight: 1,
  considerMagicClip: true,
  considerEndpoints: false,
  constantLiar: true,
};

/**
 * Trial `k`'s configuration given the sweep's other trials (in any order): random search's trial k
 * during start-up, then per hyperparameter the candidate from l(x) that maximises log l(x) - log g(x).
 * The sweep has several objectives when its complete trials carry `values` (2 or more), and
 * constraints when any carries a `violation` (see tpe-split.ts).
 */
export function proposeTpe(
  space: SearchSpace,
  seed: number,
  k: number,
  history: readonly Observation[],
  options: Partial<TpeOptions> = {},
): Sample {
  if (space.length === 0) throw new Error('the search space has no model kind');
  const o: TpeOptions = { ...TPE_DEFAULTS, ...options };
  const trials = [...history].sort(byNumber);
  // Running trials never count towards n, liar or not (sampler.py: "Ignore running trials").
  const n = trials.filter((t) => t.state !== 'running').length;
  if (n < o.startupTrials) return sampleRandom(space, seed, k);

  const shape = historyShape(trials);
  const multiObjective = shape.objectives >= 2;
  const split = splitTrials(trials, (multiObjective ? o.multiObjectiveGamma : o.gamma)(n), o.constantLiar, shape);
  const groups: Groups = { ...split, ...(multiObjective ? { weightsBelow: multiObjectiveWeightsBelow(split.below, shape) } : {}) };
  const rng = seededRng(`tpe:${seed}:${k}`);
  const propose = (key: string, domain: Domain, under: Condition = []) => proposeValue(key, domain, groups, o, rng, under);

  const model = propose('model', { type: 'categorical', choices: space.map((s) => s.kind) }) as ModelKind;
  const kind = space.find((s) => s.kind === model)!; // `model` is one of the choices just given
  return { model, ...resolveLevel(kind.params, propose) } as Sample;
}

/**
 * The two groups in trial-number order; with several objectives, the good trials' kernel weights
 * (in the same order), else both groups are weighted by `weights`.
 */
type Groups = Split & { readonly weightsBelow?: readonly number[] };

function byNumber(a: Observation, b: Observation): number {
  return a.number - b.number;
}

/**
 * One hyperparameter's value: fixed if the domain has one value, else the best of `eiCandidates`
 * draws from l, both estimators fitted from the trials that meet `under` (the choices it sits under).
 */
function proposeValue(key: string, domain: Domain, groups: Groups, o: TpeOptions, rng: Rng, under: Condition): unknown {
  const fixed = fixedValue(domain);
  if (fixed) return fixed.value;
  if (domain.type === 'categorical') {
    // Choices can be arrays ([128, 64]) that come back from the store as new objects: compare as JSON.
    const keys = domain.choices.map((c) => JSON.stringify(c));
    const index = (v: unknown) => {
      const i = keys.indexOf(JSON.stringify(v));
      return i >= 0 ? i : undefined;
    };
    const below = fitted(groups.below, groups.weightsBelow, key, under, index, o);
    const above = fitted(groups.above, undefined, key, under, index, o);
    const l = categoricalEstimator(below.values, keys.length, below.parameters, domain.weights);
    const g = categoricalEstimator(above.values, keys.length, above.parameters, domain.weights);
    return domain.choices[best(l.sample(rng, o.eiCandidates), l, g)];
  }
  if (domain.prior) return proposeDrawn(key, { ...domain, prior: domain.prior }, groups, o, rng, under);
  const number = (v: unknown) => (inDomain(v, domain) ? v as number : undefined);
  const below = fitted(groups.below, groups.weightsBelow, key, under, number, o);
  const above = fitted(groups.above, undefined, key, under, number, o);
  const l = numericalEstimator(below.values, domain, below.parameters);
  const g = numericalEstimator(above.values, domain, above.parameters);
  return best(l.sample(rng, o.eiCandidates).map((x) => snap(domain, x)), l, g);
}

// Quantile space: where a domain with a prior is modelled.
const UNIT: NumericDomain = { type: 'float', min: 0, max: 1, log: false };

/** A domain with a prior, in quantile space: the estimators over CDF(x), each candidate quantile(u) rounded, then judged at its own CDF. */
function proposeDrawn(key: string, domain: NumericDomain & { readonly prior: Prior }, groups: Groups, o: TpeOptions, rng: Rng, under: Condition): number {
  const quantile01 = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? cdf(domain, v) : undefined);
  const below = fitted(groups.below, groups.weightsBelow, key, under, quantile01, o);
  const above = fitted(groups.above, undefined, key, under, quantile01, o);
  const l = numericalEstimator(below.values, UNIT, below.parameters);
  const g = numericalEstimator(above.values, UNIT, above.parameters);
  const candidates = l.sample(rng, o.eiCandidates).map((u) => snap(domain, quantile(domain, u)));
  return best(candidates, l, g, (x) => cdf(domain, x));
}

/**
 * What an estimator of `key` is fitted from: the group's values that `read` accepts and, where
 * the group has its own weights, the weights of those trials alone (Optuna's `param_mask_below`);
 * else the group is weighted by `weights`, over the values kept.
 */
export function fitted(
  group: readonly Observation[], weights: readonly number[] | undefined, key: string, under: Condition,
  read: (v: unknown) => number | undefined, o: TpeOptions,
): { values: number[]; parameters: ParzenParameters } {
  const values: number[] = [];
  const kept: number[] = [];
  observed(group, key, under).forEach((v, i) => {
    const x = read(v);
    if (x === undefined) return;
    values.push(x);
    if (weights) kept.push(weights[i]);
  });
  return { values, parameters: weights ? { ...o, weights: () => kept } : o };
}

/**
 * The values of `key` in a group. A trial of another kind has none (undefined), which matches no
 * value of the domain and is dropped, so a kind's own keys are learnt from that kind's trials only;
 * so has a trial that does not meet `under`, whose choices above the parameter were others.
 */
function observed(group: readonly Observation[], key: string, under: Condition): unknown[] {
  return group.map((t) => (meets(t.config, under) ? t.config[key] : undefined));
}

/** Whether a recorded value lies in the domain: a spec edited between runs can leave values outside it, which tell nothing about it. */
function inDomain(v: unknown, d: NumericDomain): boolean {
  return typeof v === 'number' && v >= d.min && v <= d.max;
}

/** The candidate with the highest log l(x) - log g(x) (at `at(x)`, where the estimators model x elsewhere); the first on ties, as np.argmax. */
function best(candidates: readonly number[], l: ParzenEstimator, g: ParzenEstimator, at: (x: number) => number = (x) => x): number {
  let bestValue = candidates[0];
  let bestScore = -Infinity;
  for (const x of candidates) {
    const score = l.logPdf(at(x)) - g.logPdf(at(x));
    if (score > bestScore) [bestValue, bestScore] = [x, score];
  }
  return bestValue;
}
