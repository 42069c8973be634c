import { describe, expect, it } from 'vitest';
import { betaInc, betaIncInv, cdf, logGamma, ndtri, quantile } from '../../src/search/distributions.js';
import { ndtr } from '../../src/search/parzen.js';

const relative = (x: number, y: number) => (x === y ? 0 : Math.abs(x - y) / Math.abs(y));

// Reference values from SciPy 1.17.1 (scipy.special.ndtri, gammaln, betainc; scipy.stats.beta.ppf),
// the functions W&B's params.py draws through.
describe('the quantile functions W&B draws through', () => {
  it.each([
    [1e-300, -37.0470962993612], [1e-20, -9.262340089798409], [1e-5, -4.264890793922825], [0.02, -2.053748910631823],
    [0.3, -0.5244005127080409], [0.5, 0], [0.975, 1.959963984540054], [1 - 1e-10, 6.361340889697422],
  ])('Φ⁻¹(%d) = %d to 1e-14 relative, from the far tail to the middle', (p, expected) => {
    expect(relative(ndtri(p), expected)).toBeLessThan(1e-14);
  });

  it('Φ⁻¹ inverts Φ (parzen.ts\'s, written apart from it)', () => {
    for (const z of [-8, -3.3, -1, -0.2, 0.4, 2.5, 5]) expect(ndtri(ndtr(z))).toBeCloseTo(z, 9);
  });

  it.each([
    [0.1, 2.252712651734206], [0.5, 0.5723649429247], [1, 0], [2.5, 0.2846828704729192], [30, 71.257038967168], [1000, 5905.220423209181],
  ])('ln Γ(%d) = %d', (x, expected) => {
    expect(logGamma(x)).toBeCloseTo(expected, 12);
  });

  it.each([
    [0.5, 0.5, 0.01, 0.06376856085851985], [2, 5, 0.3, 0.5798250000000003], [0.1, 2, 1e-6, 0.2763074823471896],
    [5, 1, 0.9, 0.5904900000000001], [30, 0.7, 0.99, 0.579573670241318], [100, 200, 0.35, 0.7325714649575441],
    [0.7, 0.7, 0.5, 0.49999999999999983],
  ])('the Beta(%d, %d) CDF at %d is %d, to 1e-12 relative', (a, b, x, expected) => {
    expect(relative(betaInc(x, a, b), expected)).toBeLessThan(1e-12);
  });

  it.each([
    [0.5, 0.5, 0.01, 0.00024671981713422146], [2, 5, 0.5, 0.26444998329566005], [0.1, 2, 0.25, 3.676828558923261e-7],
    [5, 1, 1e-6, 0.06309573444801932], [30, 0.7, 0.99, 0.9999593779075634], [100, 200, 0.999, 0.4199992475768074],
    [0.05, 0.05, 0.75, 0.9999991167154948], [2, 5, 1 - 1e-9, 0.9889037391360324],
  ])('the Beta(%d, %d) quantile at %d is %d, to 1e-12 relative (small a and b, and both tails)', (a, b, u, expected) => {
    expect(relative(betaIncInv(u, a, b), expected)).toBeLessThan(1e-12);
  });

  it('keeps u inside (0, 1), so that rng() = 0 gives a finite normal draw, as likely as W&B\'s', () => {
    const normal = { log: false, prior: { kind: 'normal', mu: 0, sigma: 1 } } as const;
    expect(quantile(normal, 0)).toBeCloseTo(-8.2095, 3);
    expect(quantile(normal, 1)).toBeCloseTo(8.2095, 3);
    expect(Number.isFinite(quantile({ log: true, prior: normal.prior }, 0))).toBe(true);
  });

  it.each([
    ['normal', { log: false, prior: { kind: 'normal', mu: 2, sigma: 3 } }, [-7, 0, 2, 5.5]],
    ['log-normal', { log: true, prior: { kind: 'normal', mu: -3, sigma: 0.5 } }, [0.001, 0.05, 0.2]],
    ['beta', { log: false, prior: { kind: 'beta', a: 0.5, b: 3 } }, [1e-6, 0.1, 0.7]],
  ] as const)('the %s\'s quantile and CDF are each other\'s inverse', (_what, d, xs) => {
    for (const x of xs) expect(relative(quantile(d, cdf(d, x)), x)).toBeLessThan(1e-9);
  });

  it('puts no mass outside the support: a log-normal below 0, a beta outside [0, 1]', () => {
    expect(cdf({ log: true, prior: { kind: 'normal', mu: 0, sigma: 1 } }, 0)).toBe(0);
    expect(cdf({ log: true, prior: { kind: 'normal', mu: 0, sigma: 1 } }, -1)).toBe(0);
    expect(cdf({ log: false, prior: { kind: 'beta', a: 2, b: 2 } }, -0.1)).toBe(0);
    expect(cdf({ log: false, prior: { kind: 'beta', a: 2, b: 2 } }, 1.2)).toBe(1);
  });
});
