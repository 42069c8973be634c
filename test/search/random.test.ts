import { describe, expect, it } from 'vitest';
import { betaInc } from '../../src/search/distributions.js';
import { ndtr } from '../../src/search/parzen.js';
import { sampleDomain, sampleRandom, snap } from '../../src/search/random.js';
import { seededRng } from '../../src/search/rng.js';
import type { Domain, SearchSpace } from '../../src/search/space.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** One kind holding each sort of domain the sampler knows. */
const domains: Record<string, Domain> = {
  activation: { type: 'categorical', choices: ['relu', 'tanh', 'elu', 'gelu'] },
  batchSize: { type: 'int', min: 16, max: 256, log: false, q: 16 },
  dropout: { type: 'float', min: 0, max: 0.5, log: false, q: 0.1 },
  epochs: { type: 'int', min: 1, max: 6, log: false },
  learningRate: { type: 'float', min: 1e-5, max: 1e-1, log: true },
  momentum: { type: 'float', min: -1, max: 2, log: false },
  units: { type: 'categorical', choices: [[64], [128, 64], [256, 128, 64]] },
  width: { type: 'int', min: 1, max: 1000, log: true },
};
const space: SearchSpace = [{ kind: 'ann', params: domains }];

/** Trial k's value of `key` for k = 0..n-1: the distribution a sweep actually sees across its trials. */
const draws = (key: string, n: number) => range(n).map((k) => sampleRandom(space, 1, k)[key]) as number[];

/** The Kolmogorov–Smirnov statistic of `us` against Uniform(0, 1). */
function ksUniform(us: readonly number[]): number {
  const sorted = [...us].sort((a, b) => a - b);
  return Math.max(...sorted.map((u, i) => Math.max((i + 1) / sorted.length - u, u - i / sorted.length)));
}

/** Pearson's chi-square of observed counts against equal expected counts. */
function chiSquareUniform(counts: readonly number[]): number {
  const expected = counts.reduce((a, b) => a + b, 0) / counts.length;
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
}

describe('sampleRandom', () => {
  it('is a pure function of (seed, k): the same pair gives the same sample, in any calling order', () => {
    const forward = range(20).map((k) => sampleRandom(space, 7, k));
    const backward = range(20).reverse().map((k) => sampleRandom(space, 7, k)).reverse();
    expect(backward).toEqual(forward);
    expect(sampleRandom(space, 7, 3)).toEqual(forward[3]);
  });

  it('gives different trials, and different seeds, different samples', () => {
    const samples = range(20).map((k) => JSON.stringify(sampleRandom(space, 7, k)));
    expect(new Set(samples).size).toBe(20);
    expect(sampleRandom(space, 8, 0)).not.toEqual(sampleRandom(space, 7, 0));
  });

  it('keeps every value in its domain: ints integral, q values multiples of q, choices from the list', () => {
    for (const k of range(500)) {
      const s = sampleRandom(space, 3, k);
      for (const [key, d] of Object.entries(domains)) {
        const v = s[key];
        if (d.type === 'categorical') {
          // The choice itself, not a copy: an array choice is the very array of the space.
          expect(d.choices).toContain(v);
          continue;
        }
        expect(v).toBeGreaterThanOrEqual(d.min);
        expect(v).toBeLessThanOrEqual(d.max);
        if (d.type === 'int') expect(Number.isInteger(v)).toBe(true);
        if (d.q !== undefined) expect(Math.abs((v as number) / d.q - Math.round((v as number) / d.q))).toBeLessThan(1e-9);
      }
    }
  });

  it('is log-uniform on a log domain (Kolmogorov–Smirnov over 10,000 trials, 1% level)', () => {
    const n = 10_000;
    const us = draws('learningRate', n).map((x) => (Math.log(x) - Math.log(1e-5)) / (Math.log(1e-1) - Math.log(1e-5)));
    expect(ksUniform(us)).toBeLessThan(1.63 / Math.sqrt(n));
  });

  it('is uniform on a linear domain (Kolmogorov–Smirnov over 10,000 trials, 1% level)', () => {
    const n = 10_000;
    expect(ksUniform(draws('momentum', n).map((x) => (x + 1) / 3))).toBeLessThan(1.63 / Math.sqrt(n));
  });

  it('picks categorical choices and ints equally often (chi-square, 1% level)', () => {
    const n = 6000;
    const activations = draws('activation', n) as unknown as string[];
    const byChoice = ['relu', 'tanh', 'elu', 'gelu'].map((c) => activations.filter((a) => a === c).length);
    // 1% critical values of chi-square: 11.34 with 3 degrees of freedom, 15.09 with 5.
    expect(chiSquareUniform(byChoice)).toBeLessThan(11.34);
    const epochs = draws('epochs', n);
    // min and max as likely as the integers between them: Optuna widens the range by half a step each side.
    expect(chiSquareUniform(range(6).map((i) => epochs.filter((e) => e === i + 1).length))).toBeLessThan(15.09);
  });

  it('draws a log int as Optuna does: log-uniform over [min - 0.5, max + 0.5], then rounded', () => {
    const n = 10_000;
    const ones = draws('width', n).filter((w) => w === 1).length / n;
    // P(1) = log(1.5 / 0.5) / log(1000.5 / 0.5) ≈ 0.1445; a log-uniform over [1, 1000] then rounded would give ≈ 0.059.
    expect(Math.abs(ones - Math.log(3) / Math.log(2001))).toBeLessThan(0.015);
  });

  it('picks the model kind uniformly and gives a sample only its own kind\'s keys', () => {
    const two: SearchSpace = [
      { kind: 'ann', params: { units: { type: 'categorical', choices: [[64], [128]] } } },
      { kind: 'cnn', params: { filters: { type: 'categorical', choices: [[8], [16]] }, kernelSize: { type: 'int', min: 2, max: 5, log: false } } },
    ];
    const samples = range(2000).map((k) => sampleRandom(two, 1, k));
    for (const s of samples) {
      expect(Object.keys(s).sort()).toEqual(s.model === 'ann' ? ['model', 'units'] : ['filters', 'kernelSize', 'model']);
    }
    const anns = samples.filter((s) => s.model === 'ann').length;
    expect(chiSquareUniform([anns, samples.length - anns])).toBeLessThan(6.63);
  });

  it('assigns a one-value domain without drawing, so adding a fixed key leaves the other keys\' values alone', () => {
    const lr: Domain = { type: 'float', min: 1e-4, max: 1e-1, log: true };
    const plain: SearchSpace = [{ kind: 'ann', params: { lr } }];
    const withFixed: SearchSpace = [{ kind: 'ann', params: { a: { type: 'categorical', choices: [[128, 64]] }, b: { type: 'int', min: 5, max: 5, log: false }, lr } }];
    for (const k of range(10)) {
      const s = sampleRandom(withFixed, 2, k);
      expect(s.lr).toBe(sampleRandom(plain, 2, k).lr);
      expect([s.a, s.b]).toEqual([[128, 64], 5]);
    }
  });
});

/** Pearson's chi-square of observed counts against expected probabilities. */
function chiSquare(counts: readonly number[], probabilities: readonly number[]): number {
  const n = counts.reduce((a, b) => a + b, 0);
  return counts.reduce((sum, c, i) => sum + (c - n * probabilities[i]) ** 2 / (n * probabilities[i]), 0);
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: readonly number[]) => Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));
const isMultiple = (x: number, q: number) => Math.abs(x / q - Math.round(x / q)) < 1e-9;

// W&B's normal, log_normal, beta, their q_ forms and categorical_w_probabilities, as params.py
// draws them (`ppf(random.uniform(0, 1))`, wandb/sweeps b1dfc5f): each against its own CDF
// (Φ from parzen.ts, the beta's checked against SciPy), its moments, and its q grid.
describe('sampleRandom on a domain with a prior or weights (W&B\'s other distributions)', () => {
  const n = 10_000;
  const ks = 1.63 / Math.sqrt(n); // the Kolmogorov–Smirnov statistic's 1% critical value
  const drawsOf = (d: Domain, seed = 1) => {
    const one: SearchSpace = [{ kind: 'ann', params: { x: d } }];
    return range(n).map((k) => sampleRandom(one, seed, k).x as number);
  };

  it('normal(2, 3): Kolmogorov–Smirnov against Φ((x − 2) / 3), mean 2 and standard deviation 3', () => {
    const xs = drawsOf({ type: 'float', min: -Infinity, max: Infinity, log: false, prior: { kind: 'normal', mu: 2, sigma: 3 } });
    expect(ksUniform(xs.map((x) => ndtr((x - 2) / 3)))).toBeLessThan(ks);
    // Four standard errors: 3/√n for the mean, about 3/√(2n) for the standard deviation.
    expect(Math.abs(mean(xs) - 2)).toBeLessThan(4 * 3 / Math.sqrt(n));
    expect(Math.abs(sd(xs) - 3)).toBeLessThan(4 * 3 / Math.sqrt(2 * n));
  });

  it('log_normal(−3, 0.5): positive, ln x normal(−3, 0.5) (Kolmogorov–Smirnov), its median e^−3', () => {
    const xs = drawsOf({ type: 'float', min: 0, max: Infinity, log: true, prior: { kind: 'normal', mu: -3, sigma: 0.5 } });
    expect(xs.every((x) => x > 0)).toBe(true);
    expect(ksUniform(xs.map((x) => ndtr((Math.log(x) + 3) / 0.5)))).toBeLessThan(ks);
    expect(Math.abs(mean(xs.map(Math.log)) + 3)).toBeLessThan(4 * 0.5 / Math.sqrt(n));
  });

  it.each([[2, 5], [0.5, 0.5], [1, 1]])('beta(%d, %d): in [0, 1], Kolmogorov–Smirnov against its CDF, its mean and variance', (a, b) => {
    const xs = drawsOf({ type: 'float', min: 0, max: 1, log: false, prior: { kind: 'beta', a, b } });
    expect(xs.every((x) => x >= 0 && x <= 1)).toBe(true);
    expect(ksUniform(xs.map((x) => betaInc(x, a, b)))).toBeLessThan(ks);
    const variance = (a * b) / ((a + b) ** 2 * (a + b + 1));
    expect(Math.abs(mean(xs) - a / (a + b))).toBeLessThan(4 * Math.sqrt(variance / n));
    expect(Math.abs(sd(xs) ** 2 / variance - 1)).toBeLessThan(0.05);
  });

  it('q_normal(0, 1, q 0.5): multiples of 0.5, each as often as the normal\'s mass within 0.25 of it (chi-square, 1%)', () => {
    const xs = drawsOf({ type: 'float', min: -Infinity, max: Infinity, log: false, q: 0.5, prior: { kind: 'normal', mu: 0, sigma: 1 } });
    expect(xs.every((x) => isMultiple(x, 0.5))).toBe(true);
    // Cells -1.5 … 1.5, and the two tails beyond them: 9 cells, 8 degrees of freedom (1% critical value 20.09).
    const cells = [-1.5, -1, -0.5, 0, 0.5, 1, 1.5];
    const counts = [xs.filter((x) => x < -1.5).length, ...cells.map((c) => xs.filter((x) => x === c).length), xs.filter((x) => x > 1.5).length];
    const mass = (lo: number, hi: number) => ndtr(hi) - ndtr(lo);
    const probabilities = [ndtr(-1.75), ...cells.map((c) => mass(c - 0.25, c + 0.25)), 1 - ndtr(1.75)];
    expect(chiSquare(counts, probabilities)).toBeLessThan(20.09);
  });

  it('q_log_normal(1, 1, q 1): whole numbers from 0, 0 as often as a log-normal draw below 0.5', () => {
    const xs = drawsOf({ type: 'float', min: 0, max: Infinity, log: true, q: 1, prior: { kind: 'normal', mu: 1, sigma: 1 } });
    expect(xs.every((x) => Number.isInteger(x) && x >= 0)).toBe(true);
    const p0 = ndtr(Math.log(0.5) - 1);
    expect(Math.abs(xs.filter((x) => x === 0).length / n - p0)).toBeLessThan(4 * Math.sqrt((p0 * (1 - p0)) / n));
  });

  it('q_beta(2, 2, q 0.25): the five multiples of 0.25 in [0, 1], each as often as its cell\'s mass (chi-square, 1%)', () => {
    const xs = drawsOf({ type: 'float', min: 0, max: 1, log: false, q: 0.25, prior: { kind: 'beta', a: 2, b: 2 } });
    const grid = [0, 0.25, 0.5, 0.75, 1];
    expect(xs.every((x) => grid.includes(x))).toBe(true);
    const mass = grid.map((g) => betaInc(g + 0.125, 2, 2) - betaInc(g - 0.125, 2, 2));
    expect(chiSquare(grid.map((g) => xs.filter((x) => x === g).length), mass)).toBeLessThan(13.28); // 4 degrees of freedom
  });

  it('q_beta(2, 2, q 0.6) rounds past 1 as W&B does, to 1.2, never clipped (round(x / q) * q)', () => {
    const xs = drawsOf({ type: 'float', min: 0, max: 1, log: false, q: 0.6, prior: { kind: 'beta', a: 2, b: 2 } });
    expect([...new Set(xs)].sort()).toEqual([0, 0.6, 1.2]);
    const p = 1 - betaInc(0.9, 2, 2);
    expect(Math.abs(xs.filter((x) => x === 1.2).length / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
  });

  it('an int domain with a prior draws integers: a normal rounded', () => {
    const xs = drawsOf({ type: 'int', min: -Infinity, max: Infinity, log: false, prior: { kind: 'normal', mu: 10, sigma: 2 } });
    expect(xs.every(Number.isInteger)).toBe(true);
    expect(Math.abs(mean(xs) - 10)).toBeLessThan(4 * 2 / Math.sqrt(n));
  });

  it('categorical with weights: each choice as often as its probability (chi-square, 1%), one of probability 0 never', () => {
    const choices = ['adam', 'sgd', 'rmsprop', 'adagrad'];
    const picks = drawsOf({ type: 'categorical', choices, weights: [0.5, 0.3, 0.2, 0] }) as unknown as string[];
    expect(picks).not.toContain('adagrad');
    expect(chiSquare(choices.slice(0, 3).map((c) => picks.filter((p) => p === c).length), [0.5, 0.3, 0.2])).toBeLessThan(9.21);
  });

  it('is a pure function of (seed, k) as the others are, and different seeds draw differently', () => {
    const d: Domain = { type: 'float', min: -Infinity, max: Infinity, log: false, prior: { kind: 'normal', mu: 0, sigma: 1 } };
    const one: SearchSpace = [{ kind: 'ann', params: { x: d } }];
    expect(sampleRandom(one, 3, 17)).toEqual(sampleRandom(one, 3, 17));
    expect(sampleRandom(one, 4, 17)).not.toEqual(sampleRandom(one, 3, 17));
  });
});

describe('sampleDomain', () => {
  it('continues the stream it is given, so a caller can draw several values from one generator', () => {
    const d: Domain = { type: 'float', min: 0, max: 1, log: false };
    const rng = seededRng('x');
    const first = sampleDomain(d, rng);
    expect(sampleDomain(d, rng)).not.toBe(first);
  });
});

describe('snap', () => {
  it.each([
    { domain: { type: 'float', min: 0, max: 1, log: false, q: 0.1 }, x: 0.34, expected: 0.3, why: 'round(x / q) * q, without binary noise' },
    { domain: { type: 'float', min: 0.05, max: 1, log: false, q: 0.1 }, x: 0.04, expected: 0.05, why: 'clipped to min after rounding' },
    { domain: { type: 'int', min: 16, max: 256, log: false, q: 16 }, x: 250, expected: 256, why: 'the nearest multiple of q' },
    { domain: { type: 'int', min: 1, max: 10, log: false }, x: 10.4, expected: 10, why: 'an int rounded' },
    { domain: { type: 'float', min: 0, max: 1, log: false }, x: 1.2, expected: 1, why: 'clipped to max' },
    { domain: { type: 'float', min: 0, max: 1, log: false, q: 0.6, prior: { kind: 'beta', a: 1, b: 1 } }, x: 0.95, expected: 1.2, why: 'a prior\'s draw never clipped' },
  ] as const)('$x → $expected: $why', ({ domain, x, expected }) => {
    expect(snap(domain, x)).toBe(expected);
  });
});
