/**
 * The distributions a numeric domain may draw from besides the uniform and log-uniform: W&B's
 * normal, log_normal and beta families, each as its quantile function (random search draws
 * `quantile(u)` for a uniform u, as W&B draws `ppf(random.uniform(0, 1))`) and its CDF (TPE
 * models these domains in quantile space, as W&B's Bayesian search does). wandb/sweeps
 * `src/sweeps/params.py` (b1dfc5f), `HyperParameter.ppf` and `cdf`:
 * - normal: `stats.norm.ppf(u, loc=mu, scale=sigma)`;
 * - log_normal: `stats.lognorm.ppf(u, s=sigma, scale=exp(mu))`, which is exp(mu + sigma·Φ⁻¹(u));
 * - beta: `stats.beta.ppf(u, a, b)`, on [0, 1].
 */
import { ndtr } from './parzen.js';

/**
 * The distribution of a numeric domain that is not uniform. A `normal` prior on a `log` domain
 * is the log-normal: ln x ~ N(mu, sigma).
 */
export type Prior =
  | { readonly kind: 'normal'; readonly mu: number; readonly sigma: number }
  | { readonly kind: 'beta'; readonly a: number; readonly b: number };

/** What the quantile and CDF need of a domain: its prior, and whether it is log-normal. */
type Drawn = { readonly log: boolean; readonly prior: Prior };

// Quantiles are taken inside (0, 1): rng() can return 0, whose normal quantile is -Infinity.
// 2^-53 is the smallest u whose 1 - u is exact: Φ⁻¹ of it is -8.2, a draw W&B makes with the same odds.
const U_MIN = 2 ** -53;

/** The value at quantile u of the domain's distribution (u clamped into [2^-53, 1 - 2^-53]), before any q rounding. */
export function quantile(d: Drawn, u: number): number {
  const p = Math.min(Math.max(u, U_MIN), 1 - U_MIN);
  const { prior } = d;
  if (prior.kind === 'beta') return betaIncInv(p, prior.a, prior.b);
  const x = prior.mu + prior.sigma * ndtri(p);
  return d.log ? Math.exp(x) : x;
}

/** P(X ≤ x) under the domain's distribution: 0 below its support, 1 above. */
export function cdf(d: Drawn, x: number): number {
  const { prior } = d;
  if (prior.kind === 'beta') return betaInc(x, prior.a, prior.b);
  if (d.log && x <= 0) return 0;
  return ndtr(((d.log ? Math.log(x) : x) - prior.mu) / prior.sigma);
}

/**
 * Φ⁻¹(p), the standard normal quantile, for p in (0, 1): Wichura's algorithm AS 241 (PPND16,
 * Applied Statistics 37, 1988), about 1e-16 relative; R's qnorm uses the same.
 */
export function ndtri(p: number): number {
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r
      + 45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r + 133.14166789178437745) * r
      + 3.387132872796366608))
      / (((((((5226.495278852545925 * r + 28729.085735721942674) * r + 39307.89580009271061) * r
        + 21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r + 42.313330701600911252) * r + 1);
  }
  let r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  let x: number;
  if (r <= 5) {
    r -= 1.6;
    x = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r
      + 1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r + 4.6303378461565452959) * r
      + 1.42343711074968357734)
      / (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r
        + 0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r + 2.05319162663775882187) * r + 1);
  } else {
    r -= 5;
    x = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r
      + 0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r + 5.4637849111641143699) * r
      + 6.6579046435011037772)
      / (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r
        + 7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r + 0.59983220655588793769) * r + 1);
  }
  return q < 0 ? -x : x;
}

// Lanczos' approximation, g = 7, nine terms: about 1e-15 relative for x > 0.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  // The reflection formula keeps small x (a beta's a = 0.1, say) as accurate as large.
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const y = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i] / (y + i);
  const t = y + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(sum);
}

function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/** The continued fraction of the incomplete beta function by Lentz's method (Numerical Recipes 3rd ed., §6.4, betacf). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + 1 + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b): the Beta(a, b) CDF at x (0 below 0, 1 above 1). */
export function betaInc(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(a * Math.log(x) + b * Math.log1p(-x) - logBeta(a, b));
  // The fraction converges fast below (a + 1) / (a + b + 2); above it, I_x(a, b) = 1 - I_{1-x}(b, a).
  return x < (a + 1) / (a + b + 2)
    ? (front * betaContinuedFraction(x, a, b)) / a
    : 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/**
 * The x in [0, 1] with I_x(a, b) = p: the Beta(a, b) quantile. Numerical Recipes' invbetai
 * (§6.4): an initial guess from the normal approximation (a, b ≥ 1) or the tails' power laws,
 * then Halley steps, here run to 1e-14 relative; a bisection finishes what they leave.
 */
export function betaIncInv(p: number, a: number, b: number): number {
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  // Solved in the lower tail, where I_x is computed without cancellation: the upper by symmetry.
  if (p > 0.5) return 1 - betaIncInv(1 - p, b, a);
  let x: number;
  if (a >= 1 && b >= 1) {
    const pp = p < 0.5 ? p : 1 - p;
    const t = Math.sqrt(-2 * Math.log(pp));
    let z = (2.30753 + t * 0.27061) / (1 + t * (0.99229 + t * 0.04481)) - t;
    if (p < 0.5) z = -z;
    const al = (z * z - 3) / 6;
    const h = 2 / (1 / (2 * a - 1) + 1 / (2 * b - 1));
    const w = (z * Math.sqrt(al + h)) / h - (1 / (2 * b - 1) - 1 / (2 * a - 1)) * (al + 5 / 6 - 2 / (3 * h));
    x = a / (a + b * Math.exp(2 * w));
  } else {
    const lna = Math.log(a / (a + b));
    const lnb = Math.log(b / (a + b));
    const t = Math.exp(a * lna) / a;
    const u = Math.exp(b * lnb) / b;
    const w = t + u;
    x = p < t / w ? (a * w * p) ** (1 / a) : 1 - (b * w * (1 - p)) ** (1 / b);
  }
  const a1 = a - 1;
  const b1 = b - 1;
  const afac = -logBeta(a, b);
  for (let j = 0; j < 100; j++) {
    if (x <= 0 || x >= 1) break;
    const err = betaInc(x, a, b) - p;
    let t = Math.exp(a1 * Math.log(x) + b1 * Math.log1p(-x) + afac);
    const u = err / t;
    t = u / (1 - 0.5 * Math.min(1, u * (a1 / x - b1 / (1 - x))));
    x -= t;
    if (x <= 0) x = 0.5 * (x + t);
    if (x >= 1) x = 0.5 * (x + t + 1);
    if (Math.abs(t) < 1e-14 * x && j > 0) return x;
  }
  return bisectBeta(p, a, b);
}

/** I_x(a, b) = p by bisection over [0, 1]: slow and sure, for what Halley's steps did not settle. */
function bisectBeta(p: number, a: number, b: number): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 1100; i++) {
    const mid = 0.5 * (lo + hi);
    if (mid === lo || mid === hi) break;
    if (betaInc(mid, a, b) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}
