/**
 * Random search. Trial k's configuration is a pure function of (seed, k), so every process that
 * proposes trial k proposes the same one, and trial k does not depend on trials before it.
 * Distributions follow Optuna 4.x's RandomSampler (optuna/samplers/_random.py, which samples
 * uniformly in the space of optuna/_transform.py); `q` follows W&B's q_ distributions. A domain
 * with a prior (normal, log-normal, beta) or with weights draws as W&B's random search does,
 * `ppf(random.uniform(0, 1))` (wandb/sweeps `src/sweeps/params.py`, `HyperParameter.sample`, b1dfc5f).
 */
import { resolveLevel, type Domain, type SearchSpace, type Sample } from './space.js';
import { quantile } from './distributions.js';
import { seededRng, type Rng } from './rng.js';

/** A `float` or `int` domain. */
export type NumericDomain = Extract<Domain, { type: 'float' | 'int' }>;

/**
 * Trial `k`'s configuration: a model kind chosen uniformly, then each of its hyperparameters in
 * sorted key order; a conditional parameter's choice, then the parameters of that choice alone
 * (resolveLevel's order), so nothing is drawn for a parameter the configuration does not have.
 */
export function sampleRandom(space: SearchSpace, seed: number, k: number): Sample {
  if (space.length === 0) throw new Error('the search space has no model kind');
  const rng = seededRng(`random:${seed}:${k}`);
  const kind = space.length > 1 ? space[Math.floor(rng() * space.length)] : space[0];
  return { model: kind.kind, ...resolveLevel(kind.params, (_key, domain) => sampleDomain(domain, rng)) } as Sample;
}

/**
 * One value of `domain`, uniform over it (log-uniform when `log`), or from its prior or weights;
 * one number from `rng` each, and none for a domain of one value.
 */
export function sampleDomain(domain: Domain, rng: Rng): unknown {
  const fixed = fixedValue(domain);
  if (fixed) return fixed.value;
  if (domain.type === 'categorical') {
    return domain.choices[domain.weights ? weightedIndex(domain.weights, rng()) : Math.floor(rng() * domain.choices.length)];
  }
  if (domain.prior) return snap(domain, quantile({ log: domain.log, prior: domain.prior }, rng()));
  return snap(domain, drawNumeric(domain, rng()));
}

/**
 * The first index whose cumulative weight exceeds u: W&B's categorical_w_probabilities,
 * `values[np.argmin(u >= np.cumsum(probabilities))]` (params.py, `HyperParameter.ppf`).
 */
export function weightedIndex(weights: readonly number[], u: number): number {
  let cumulative = 0;
  for (let i = 0; i < weights.length; i++) {
    cumulative += weights[i];
    if (u < cumulative) return i;
  }
  // u past a sum rounded just below 1: the last value with any weight, not W&B's argmin of all False (the first).
  for (let i = weights.length - 1; i > 0; i--) if (weights[i] > 0) return i;
  return 0;
}

/** The value of a domain that has only one (a one-choice categorical, or min = max); undefined otherwise. */
export function fixedValue(domain: Domain): { readonly value: unknown } | undefined {
  if (domain.type === 'categorical') return domain.choices.length === 1 ? { value: domain.choices[0] } : undefined;
  return domain.min === domain.max ? { value: domain.min } : undefined;
}

/**
 * `x` made a value of `domain`: rounded to a multiple of q (`round(x / q) * q`, W&B's q_ rule),
 * to an integer for `int`, then clipped to [min, max] unless the domain has a prior.
 */
export function snap(domain: NumericDomain, x: number): number {
  let v = x;
  // 3 * 0.1 is 0.30000000000000004 in binary; keeping 15 digits stores and shows the 0.3 that was meant.
  if (domain.q !== undefined) v = Number((Math.round(v / domain.q) * domain.q).toPrecision(15));
  if (domain.type === 'int') v = Math.round(v);
  // A normal's, log-normal's or beta's draw is W&B's as it is: it has no bounds, and a q_beta may round past 1.
  if (domain.prior) return v;
  return Math.min(Math.max(v, domain.min), domain.max);
}

/** The unrounded draw for uniform `u` in [0, 1); `snap` then rounds and clips it. */
function drawNumeric(d: NumericDomain, u: number): number {
  if (d.type === 'float') {
    return d.log ? Math.exp(lerp(Math.log(d.min), Math.log(d.max), u)) : lerp(d.min, d.max, u);
  }
  // Optuna's IntDistribution widens the range by half a step on each side before rounding,
  // so that min and max are as likely as any integer between them (in log space for `log`).
  return d.log
    ? Math.exp(lerp(Math.log(d.min - 0.5), Math.log(d.max + 0.5), u))
    : lerp(d.min - 0.5, d.max + 0.5, u);
}

function lerp(a: number, b: number, u: number): number {
  return a + (b - a) * u;
}
