import { describe, expect, it } from 'vitest';
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
  ] as const)('$x → $expected: $why', ({ domain, x, expected }) => {
    expect(snap(domain, x)).toBe(expected);
  });
});
