/**
 * TPE's Parzen estimators, one hyperparameter at a time, as Optuna 4.x builds them
 * (optuna/samplers/_tpe/parzen_estimator.py, univariate, consider_prior=True): a weighted mixture
 * of one kernel per observation plus a prior kernel. Numeric kernels are truncated normals
 * (probability_distributions.py, _truncnorm.py); categorical kernels are weight vectors.
 *
 * The truncated-normal math (normal CDF in log space, inverse-CDF sampling) lives here too,
 * because the estimator is its only user.
 */
import type { Rng } from './rng.js';
import type { NumericDomain } from './random.js';

/** How kernels are weighted and widened (TPESampler's arguments of the same names). */
export type ParzenParameters = {
  readonly priorWeight: number;
  readonly considerMagicClip: boolean;
  readonly considerEndpoints: boolean;
  /** Weights of n observations, oldest first (Optuna's `weights`, default_weights). */
  readonly weights: (n: number) => readonly number[];
};

/** A fitted density over one hyperparameter's values. */
export type ParzenEstimator = {
  /** `size` values drawn from the mixture: choice indices for a categorical, domain values otherwise. */
  readonly sample: (rng: Rng, size: number) => number[];
  /** The log density (log probability for discrete values) of one such value. */
  readonly logPdf: (x: number) => number;
};

const EPS = 1e-12;

/**
 * The estimator over `nChoices` choices from the chosen indices `observed` (oldest first): each
 * observation's kernel puts 1 on its choice plus the prior weight spread over all choices, evenly
 * as Optuna does, or by `weights` (the domain's probabilities, summing to 1) where it has them, so
 * that the prior is the distribution random search draws from.
 */
export function categoricalEstimator(
  observed: readonly number[], nChoices: number, p: ParzenParameters, weights?: readonly number[],
): ParzenEstimator {
  const mixture = mixtureWeights(observed.length, p);
  let kernels: number[][];
  if (observed.length === 0) {
    kernels = [weights ? [...weights] : Array<number>(nChoices).fill(1 / nChoices)];
  } else {
    // n observation kernels plus the prior kernel; each starts at prior_weight / n_kernels on every choice (times its share, weighted).
    const nKernels = observed.length + 1;
    const start = (c: number) => (weights ? (p.priorWeight / nKernels) * weights[c] * nChoices : p.priorWeight / nKernels);
    kernels = Array.from({ length: nKernels }, () => Array.from({ length: nChoices }, (_, c) => start(c)));
    observed.forEach((choice, i) => { kernels[i][choice] += 1; });
    kernels = kernels.map(normalize);
  }
  return {
    sample(rng, size) {
      const active = drawComponents(mixture, rng, size);
      return active.map((j) => pickIndex(kernels[j], rng()));
    },
    logPdf: (x) => logSumExp(kernels.map((w, j) => Math.log(mixture[j]) + Math.log(w[x]))),
  };
}

/**
 * The estimator over a numeric domain from the observed values (oldest first, each in the domain):
 * truncated normals centred on the observations, each as wide as the gap to its farther neighbour,
 * plus a prior as wide as the range. `log` domains are modelled in log space; `int` ones as Optuna's
 * IntDistribution (step 1, and log ints by the range widened by 0.5 in log space). `q` is not
 * modelled here: the caller rounds what it draws.
 */
export function numericalEstimator(observed: readonly number[], domain: NumericDomain, p: ParzenParameters): ParzenEstimator {
  const log = domain.log;
  const toInternal = (x: number) => (log ? Math.log(x) : x);
  let low: number;
  let high: number;
  let step: number | null;
  if (domain.type === 'int' && log) {
    // Optuna's "log-Int hack" (parzen_estimator.py): a continuous kernel over
    // [log(min - 0.5), log(max + 0.5)], its draws exponentiated and rounded.
    [low, high, step] = [Math.log(domain.min - 0.5), Math.log(domain.max + 0.5), null];
  } else {
    [low, high, step] = [toInternal(domain.min), toInternal(domain.max), domain.type === 'int' ? 1 : null];
  }
  const mus = observed.map(toInternal);
  const sigmas = bandwidths(mus, low, high, step ?? 0, p);
  const range = high - low + (step ?? 0);
  mus.push(0.5 * (low + high));
  sigmas.push(range);
  const mixture = mixtureWeights(observed.length, p);
  const kernel: Kernel = step === null ? continuousKernel(low, high) : discreteKernel(low, high, step);
  const toExternal = (t: number) => {
    const x = log ? Math.exp(t) : t;
    return domain.type === 'int' ? Math.min(Math.max(Math.round(x), domain.min), domain.max) : x;
  };
  return {
    sample(rng, size) {
      const active = drawComponents(mixture, rng, size);
      return active.map((j) => toExternal(kernel.sample(mus[j], sigmas[j], rng())));
    },
    logPdf(x) {
      const t = toInternal(x);
      return logSumExp(mus.map((mu, j) => Math.log(mixture[j]) + kernel.logPdf(t, mu, sigmas[j])));
    },
  };
}

/** One kernel shape over [low, high] in the internal (log for `log`) space. */
type Kernel = {
  readonly sample: (mu: number, sigma: number, u: number) => number;
  readonly logPdf: (t: number, mu: number, sigma: number) => number;
};

function continuousKernel(low: number, high: number): Kernel {
  return {
    // A draw can round a hair past a bound, where another kernel's density would be 0; clamp it back.
    sample: (mu, sigma, u) => clamp(truncNormPpf(u, (low - mu) / sigma, (high - mu) / sigma) * sigma + mu, low, high),
    logPdf: (t, mu, sigma) => truncNormLogPdf(t, (low - mu) / sigma, (high - mu) / sigma, mu, sigma),
  };
}

/** Optuna's _BatchedDiscreteTruncNormDistributions: a normal over [low - step/2, high + step/2], rounded to the grid low + i·step. */
function discreteKernel(low: number, high: number, step: number): Kernel {
  const lower = low - step / 2;
  const upper = high + step / 2;
  return {
    sample(mu, sigma, u) {
      const t = truncNormPpf(u, (lower - mu) / sigma, (upper - mu) / sigma) * sigma + mu;
      return clamp(low + Math.round((t - low) / step) * step, low, high);
    },
    // The mass of the grid point's cell, relative to the mass of the whole widened range.
    logPdf: (t, mu, sigma) =>
      logGaussMass((Math.max(t - step / 2, lower) - mu) / sigma, (Math.min(t + step / 2, upper) - mu) / sigma) -
      logGaussMass((lower - mu) / sigma, (upper - mu) / sigma),
  };
}

/**
 * Optuna's univariate bandwidths: sort the observations with the prior's mean, take for each the
 * larger gap to a neighbour (the range's ends count as neighbours, but with consider_endpoints off
 * the outermost use their inner gap), then clip to [range / min(100, n + 2), range] (magic clip).
 */
function bandwidths(mus: readonly number[], low: number, high: number, step: number, p: ParzenParameters): number[] {
  const withPrior = [...mus, 0.5 * (low + high)];
  // Ties keep their order, so equal observations always get the same bandwidths.
  const order = withPrior.map((_, i) => i).sort((i, j) => withPrior[i] - withPrior[j] || i - j);
  const s = [low - step / 2, ...order.map((i) => withPrior[i]), high + step / 2];
  const sorted = order.map((_, r) => Math.max(s[r + 1] - s[r], s[r + 2] - s[r + 1]));
  if (!p.considerEndpoints && s.length >= 4) {
    sorted[0] = s[2] - s[1];
    sorted[sorted.length - 1] = s[s.length - 2] - s[s.length - 3];
  }
  const sigmas: number[] = [];
  order.forEach((i, r) => { sigmas[i] = sorted[r]; });
  const range = high - low + step;
  const minSigma = p.considerMagicClip ? range / Math.min(100, 1 + mus.length + 1) : EPS;
  return sigmas.slice(0, mus.length).map((sigma) => clamp(sigma, minSigma, range));
}

/** The mixture's weights: the observations' (from `weights`) then the prior's, normalised; the prior alone when nothing was observed. */
function mixtureWeights(n: number, p: ParzenParameters): number[] {
  return normalize(n === 0 ? [1] : [...p.weights(n).slice(0, n), p.priorWeight]);
}

/** Component indices for `size` draws, all drawn before any value, as Optuna's mixture does. */
function drawComponents(weights: readonly number[], rng: Rng, size: number): number[] {
  return Array.from({ length: size }, () => pickIndex(weights, rng()));
}

/** The index i whose cumulative weight first exceeds u (weights summing to 1). */
function pickIndex(weights: readonly number[], u: number): number {
  let cumulative = 0;
  for (let i = 0; i < weights.length; i++) {
    cumulative += weights[i];
    if (u < cumulative) return i;
  }
  return weights.length - 1;
}

function normalize(w: readonly number[]): number[] {
  const sum = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / sum);
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(Math.max(x, lo), hi);
}

function logSumExp(xs: readonly number[]): number {
  const max = Math.max(...xs);
  if (max === -Infinity) return -Infinity;
  return max + Math.log(xs.reduce((sum, x) => sum + Math.exp(x - max), 0));
}

// --- The standard normal and its truncation (after Optuna's _truncnorm.py, itself from SciPy) ---

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/** erf(x) for |x| < 2 by its series of positive terms, e^(-x²)·2/√π·Σ 2ⁿx^(2n+1)/(2n+1)!!, free of cancellation. */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
}

/** erfc(x) for x ≥ 2 by its continued fraction (Lentz's method), accurate relative to its tiny value. */
function erfcContinuedFraction(x: number): number {
  // erfc(x) = e^(-x²)/√π · 1/(x + (1/2)/(x + (2/2)/(x + (3/2)/(x + …))))
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    d = Math.abs(d) < tiny ? 1 / tiny : 1 / d;
    c = x + a / c;
    if (Math.abs(c) < tiny) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** The complementary error function, to about 1e-13 relative. */
export function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  return x < 2 ? 1 - erfSeries(x) : erfcContinuedFraction(x);
}

/** The standard normal CDF Φ(a), computed on the side where it does not cancel. */
export function ndtr(a: number): number {
  if (a < -1) return 0.5 * erfc(-a * Math.SQRT1_2);
  if (a < 1) return 0.5 + 0.5 * erfSeries(a * Math.SQRT1_2);
  return 1 - 0.5 * erfc(a * Math.SQRT1_2);
}

/** log Φ(a), finite far into the left tail (an asymptotic series below -20, as SciPy's log_ndtr). */
export function logNdtr(a: number): number {
  // Optuna switches to log1p only above 6; from 0 up it keeps digits that log(1 - tiny) would lose.
  if (a > 0) return Math.log1p(-ndtr(-a));
  if (a > -20) return Math.log(ndtr(a));
  // log Φ(a) = -a²/2 - log(-a) - log√(2π) + log(1 - 1/a² + 3/a⁴ - 15/a⁶ + …)
  const logLhs = -0.5 * a * a - Math.log(-a) - LOG_SQRT_2PI;
  let rhs = 1;
  let last = 0;
  let numerator = 1;
  let denominator = 1;
  let sign = 1;
  for (let i = 1; Math.abs(last - rhs) > Number.EPSILON; i++) {
    last = rhs;
    sign = -sign;
    denominator *= 1 / (a * a);
    numerator *= 2 * i - 1;
    rhs += sign * numerator * denominator;
  }
  return logLhs + Math.log(rhs);
}

/** log(e^p - e^q) for p ≥ q. */
function logDiff(logP: number, logQ: number): number {
  return logP + Math.log1p(-Math.exp(logQ - logP));
}

function logAddExp(x: number, y: number): number {
  const max = Math.max(x, y);
  return max === -Infinity ? -Infinity : max + Math.log(Math.exp(x - max) + Math.exp(y - max));
}

/** log(Φ(b) - Φ(a)), the log of a standard normal's mass on [a, b]; worked in the left tail, where it is accurate. */
export function logGaussMass(a: number, b: number): number {
  if (b <= 0) return logDiff(logNdtr(b), logNdtr(a));
  if (a > 0) return logDiff(logNdtr(-a), logNdtr(-b));
  return Math.log1p(-ndtr(a) - ndtr(-b));
}

/** The q-quantile of the standard normal truncated to [a, b] (a < b): inverse-CDF sampling, as Optuna's _truncnorm.ppf. */
export function truncNormPpf(q: number, a: number, b: number): number {
  if (q <= 0) return a;
  if (q >= 1) return b;
  const mass = logGaussMass(a, b);
  // Work in whichever tail the interval starts in, so Φ is never close to 1 where it loses digits.
  if (a < 0) return inverseLogNdtr(logAddExp(logNdtr(a), Math.log(q) + mass), a, b);
  return -inverseLogNdtr(logAddExp(logNdtr(-b), Math.log1p(-q) + mass), -b, -a);
}

/** The x in [lo, hi] with log Φ(x) = y, by bisection (log Φ is increasing). */
function inverseLogNdtr(y: number, lo: number, hi: number): number {
  for (let i = 0; i < 200; i++) {
    const mid = 0.5 * (lo + hi);
    if (mid === lo || mid === hi) break;
    if (logNdtr(mid) < y) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** The log density at x of N(mu, sigma²) truncated to [mu + a·sigma, mu + b·sigma]; -Infinity outside. */
export function truncNormLogPdf(x: number, a: number, b: number, mu: number, sigma: number): number {
  const z = (x - mu) / sigma;
  if (z < a || z > b) return -Infinity;
  return -0.5 * z * z - LOG_SQRT_2PI - logGaussMass(a, b) - Math.log(sigma);
}
