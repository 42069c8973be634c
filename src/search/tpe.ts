/**
 * TPE (Tree-structured Parzen Estimator), as Optuna 4.x's TPESampler in its default univariate
 * mode: optuna/samplers/_tpe/sampler.py (sample_independent, _sample, _split_trials,
 * default_gamma, default_weights), with the estimators of parzen.ts. Differences, all deliberate:
 * - the proposal is a pure function of (seed, k, history), its generator seeded from `tpe:${seed}:${k}`
 *   (Optuna keeps one generator per sampler), and start-up trials are random search's trial k;
 * - `constantLiar` is on by default (off in Optuna 4.x, on in v5), since a sweep's trials run in parallel;
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
 * define-by-run spaces, where a CNN-only parameter exists only in CNN trials).
 */
import type { ModelKind } from '../spec/schema.js';
import { categoricalEstimator, numericalEstimator, type ParzenEstimator } from './parzen.js';
import { cdf, quantile, type Prior } from './distributions.js';
import { fixedValue, sampleRandom, snap, type NumericDomain } from './random.js';
import { seededRng, type Rng } from './rng.js';
import type { Domain, Observation, Sample, SearchSpace } from './space.js';

/** TPESampler's arguments (Optuna's names in camelCase; consider_prior is always on). */
export type TpeOptions = {
  /** Random search until this many trials are complete or pruned. */
  readonly startupTrials: number;
  /** Candidates drawn from l(x) per hyperparameter; the one maximising l(x)/g(x) wins. */
  readonly eiCandidates: number;
  /** How many of n finished trials form the good group l(x). */
  readonly gamma: (n: number) => number;
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
  weights: defaultWeights,
  priorWeight: 1,
  considerMagicClip: true,
  considerEndpoints: false,
  constantLiar: true,
};

/**
 * Trial `k`'s configuration given the sweep's other trials (in any order): random search's trial k
 * during start-up, then per hyperparameter the candidate from l(x) that maximises log l(x) - log g(x).
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

  const groups = splitTrials(trials, o.gamma(n), o.constantLiar);
  const rng = seededRng(`tpe:${seed}:${k}`);
  const propose = (key: string, domain: Domain) => proposeValue(key, domain, groups, o, rng);

  const model = propose('model', { type: 'categorical', choices: space.map((s) => s.kind) }) as ModelKind;
  const kind = space.find((s) => s.kind === model)!; // `model` is one of the choices just given
  const sample: Record<string, unknown> = { model };
  for (const key of Object.keys(kind.params).sort()) sample[key] = propose(key, kind.params[key]);
  return sample as Sample;
}

type Groups = { readonly below: readonly Observation[]; readonly above: readonly Observation[] };
type Scored = Extract<Observation, { state: 'complete' | 'pruned' }>;

/**
 * sampler.py's _split_trials: the best `nBelow` complete trials, then (if fewer) the best pruned
 * ones (later epoch first, then score) go below; the rest, and running trials with the liar, above.
 * Each group is in trial-number order, which default_weights relies on.
 */
function splitTrials(trials: readonly Observation[], nBelow: number, constantLiar: boolean): Groups {
  const complete = trials.filter((t): t is Scored => t.state === 'complete').sort(byScore);
  const pruned = trials
    .filter((t): t is Extract<Observation, { state: 'pruned' }> => t.state === 'pruned')
    .sort((a, b) => b.epochs - a.epochs || byScore(a, b));
  const running = constantLiar ? trials.filter((t) => t.state === 'running') : [];
  const nComplete = Math.min(nBelow, complete.length);
  const nPruned = Math.min(nBelow - nComplete, pruned.length);
  return {
    below: [...complete.slice(0, nComplete), ...pruned.slice(0, nPruned)].sort(byNumber),
    above: [...complete.slice(nComplete), ...pruned.slice(nPruned), ...running].sort(byNumber),
  };
}

/** Higher score first; a NaN score counts as the worst. */
function byScore(a: Scored, b: Scored): number {
  const x = Number.isNaN(a.score) ? -Infinity : a.score;
  const y = Number.isNaN(b.score) ? -Infinity : b.score;
  return x > y ? -1 : x < y ? 1 : 0;
}

function byNumber(a: Observation, b: Observation): number {
  return a.number - b.number;
}

/** One hyperparameter's value: fixed if the domain has one value, else the best of `eiCandidates` draws from l. */
function proposeValue(key: string, domain: Domain, groups: Groups, o: TpeOptions, rng: Rng): unknown {
  const fixed = fixedValue(domain);
  if (fixed) return fixed.value;
  if (domain.type === 'categorical') {
    // Choices can be arrays ([128, 64]) that come back from the store as new objects: compare as JSON.
    const keys = domain.choices.map((c) => JSON.stringify(c));
    const indices = (group: readonly Observation[]) =>
      observed(group, key).map((v) => keys.indexOf(JSON.stringify(v))).filter((i) => i >= 0);
    const l = categoricalEstimator(indices(groups.below), keys.length, o, domain.weights);
    const g = categoricalEstimator(indices(groups.above), keys.length, o, domain.weights);
    return domain.choices[best(l.sample(rng, o.eiCandidates), l, g)];
  }
  if (domain.prior) return proposeDrawn(key, { ...domain, prior: domain.prior }, groups, o, rng);
  const values = (group: readonly Observation[]) => observed(group, key).filter((v): v is number => inDomain(v, domain));
  const l = numericalEstimator(values(groups.below), domain, o);
  const g = numericalEstimator(values(groups.above), domain, o);
  return best(l.sample(rng, o.eiCandidates).map((x) => snap(domain, x)), l, g);
}

// Quantile space: where a domain with a prior is modelled.
const UNIT: NumericDomain = { type: 'float', min: 0, max: 1, log: false };

/** A domain with a prior, in quantile space: the estimators over CDF(x), each candidate quantile(u) rounded, then judged at its own CDF. */
function proposeDrawn(key: string, domain: NumericDomain & { readonly prior: Prior }, groups: Groups, o: TpeOptions, rng: Rng): number {
  const quantiles = (group: readonly Observation[]) =>
    observed(group, key).filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).map((v) => cdf(domain, v));
  const l = numericalEstimator(quantiles(groups.below), UNIT, o);
  const g = numericalEstimator(quantiles(groups.above), UNIT, o);
  const candidates = l.sample(rng, o.eiCandidates).map((u) => snap(domain, quantile(domain, u)));
  return best(candidates, l, g, (x) => cdf(domain, x));
}

/**
 * The values of `key` in a group. A trial of another kind has none (undefined), which matches no
 * value of the domain and is dropped, so a kind's own keys are learnt from that kind's trials only.
 */
function observed(group: readonly Observation[], key: string): unknown[] {
  return group.map((t) => t.config[key]);
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
