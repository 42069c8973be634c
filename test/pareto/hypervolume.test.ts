import { describe, expect, it } from 'vitest';
import { dominates } from '../../src/pareto/dominance.js';
import {
  EPS, hypervolume, hypervolumeContributions, hypervolumeWfg, referencePoint,
} from '../../src/pareto/hypervolume.js';
import { seededRng, type Rng } from '../../src/search/rng.js';

/**
 * Hypervolume by inclusion–exclusion: Σ over non-empty subsets S of (−1)^(|S|+1) · the box from
 * max over S to the reference. Exponential, exact, and shares no code with the module.
 */
function inclusionExclusion(points: readonly (readonly number[])[], reference: readonly number[]): number {
  const inside = points.filter((p) => p.every((v, d) => v < reference[d]));
  let hv = 0;
  for (let mask = 1; mask < 1 << inside.length; mask++) {
    const members = inside.filter((_, i) => mask & (1 << i));
    const box = reference.reduce((acc, r, d) => acc * (r - Math.max(...members.map((p) => p[d]))), 1);
    hv += members.length % 2 ? box : -box;
  }
  return hv;
}

/** The share of `samples` uniform points of the box [lower, reference] that some point weakly dominates, times the box's volume. */
function monteCarlo(points: readonly (readonly number[])[], reference: readonly number[], lower: readonly number[], samples: number, rng: Rng): number {
  let hits = 0;
  for (let s = 0; s < samples; s++) {
    const x = reference.map((r, d) => lower[d] + (r - lower[d]) * rng());
    if (points.some((p) => p.every((v, d) => v <= x[d]))) hits++;
  }
  return (hits / samples) * reference.reduce((acc, r, d) => acc * (r - lower[d]), 1);
}

/** `n` points in [0, 1)^m, near the front x1 + … + xm = 1 (some of them dominated), rounded so that ties happen. */
function randomPoints(rng: Rng, n: number, m: number): number[][] {
  return Array.from({ length: n }, () => {
    const v = Array.from({ length: m }, () => rng() + 0.05);
    const sum = v.reduce((a, b) => a + b, 0) * (0.8 + 0.4 * rng());
    return v.map((x) => Math.round((x / sum) * 100) / 100);
  });
}

describe('hypervolume, by hand', () => {
  it.each([
    // One point: its box. (0,0) to (1,1) is the unit square; (0,0,0) to (1,1,1) the unit cube.
    ['the unit square', [[0, 0]], [1, 1], 1],
    ['the unit cube', [[0, 0, 0]], [1, 1, 1], 1],
    ['a 4-D unit hypercube', [[0, 0, 0, 0]], [1, 1, 1, 1], 1],
    ['one objective: reference minus the best', [[3], [1], [2]], [5], 4],
    // Staircase (1,3) (2,2) (3,1), reference (4,4), sorted by f1:
    // (4−1)(4−3) + (4−2)(3−2) + (4−3)(2−1) = 3 + 2 + 1 = 6.
    ['a 2-D staircase', [[1, 3], [2, 2], [3, 1]], [4, 4], 6],
    // The same, plus a dominated point (2.5,2.5), a duplicate (1,3), a point outside (5,0)
    // and one on the reference's edge (4,0), strictly better in one objective only: still 6.
    ['a 2-D staircase with points that add nothing', [[2.5, 2.5], [3, 1], [1, 3], [5, 0], [2, 2], [1, 3], [4, 0]], [4, 4], 6],
    // A = (0,0,0.5): 1·1·0.5 = 0.5; B = (0.5,0.5,0): 0.5·0.5·1 = 0.25; A∩B from (0.5,0.5,0.5): 0.125.
    // 0.5 + 0.25 − 0.125 = 0.625.
    ['two 3-D boxes', [[0, 0, 0.5], [0.5, 0.5, 0]], [1, 1, 1], 0.625],
    // A = (0,1,2), B = (1,2,0), C = (2,0,1), reference (3,3,3): each box 3·2·1 = 6 in some order;
    // each pair meets from a permutation of (1,2,2) or (2,1,2) or (2,2,1): volume 2; all three from (2,2,2): 1.
    // 18 − 6 + 1 = 13.
    ['a 3-D staircase', [[0, 1, 2], [1, 2, 0], [2, 0, 1]], [3, 3, 3], 13],
    // p_k = 0.5 everywhere but 0 in objective k, reference 1: each box 0.5³ = 0.125; any 2 or more
    // meet in [0.5,1]⁴ = 0.0625. 4·0.125 − 6·0.0625 + 4·0.0625 − 0.0625 = 0.3125
    // (= [0.5,1]⁴ plus four slabs 0.5·0.5³).
    ['four 4-D boxes', [[0, 0.5, 0.5, 0.5], [0.5, 0, 0.5, 0.5], [0.5, 0.5, 0, 0.5], [0.5, 0.5, 0.5, 0]], [1, 1, 1, 1], 0.3125],
  ])('%s', (_, points, reference, expected) => {
    expect(hypervolume(points, reference)).toBeCloseTo(expected, 12);
    expect(hypervolumeWfg(points, reference)).toBeCloseTo(expected, 12);
  });

  it('is 0 with no point inside the reference box, and refuses a NaN reference', () => {
    expect(hypervolume([], [1, 1])).toBe(0);
    expect(hypervolume([[1, 0], [2, 2]], [1, 1])).toBe(0);
    expect(() => hypervolume([[0, 0]], [1, NaN])).toThrow('NaN');
    expect(() => hypervolume([[0, 0, 0]], [1, 1])).toThrow('a point of 3 objectives against a reference of 2');
  });

  it('leaves out a point with NaN (the worst value), and is infinite where a box is', () => {
    expect(hypervolume([[NaN, 0], [0.5, 0.5]], [1, 1])).toBeCloseTo(0.25, 12);
    expect(hypervolume([[-Infinity, 0.5]], [1, 1])).toBe(Infinity);
    expect(hypervolume([[0, 0.5]], [Infinity, 1])).toBe(Infinity);
    expect(hypervolume([[2, 0.5]], [1, Infinity])).toBe(0);
  });
});

describe('hypervolume against independent computations', () => {
  it.each([2, 3, 4, 5])('equals inclusion–exclusion on up to 8 random points in %i-D', (m) => {
    const rng = seededRng(`hv:ie:${m}`);
    for (let s = 0; s < 30; s++) {
      const points = randomPoints(rng, 1 + (s % 8), m);
      const reference = Array<number>(m).fill(1.1);
      const expected = inclusionExclusion(points, reference);
      expect(hypervolume(points, reference)).toBeCloseTo(expected, 10);
      expect(hypervolumeWfg(points, reference)).toBeCloseTo(expected, 10);
    }
  });

  it.each([2, 3])('WFG agrees with the %i-D sweep on random fronts of 60 points', (m) => {
    const rng = seededRng(`hv:wfg:${m}`);
    for (let s = 0; s < 10; s++) {
      const points = randomPoints(rng, 60, m);
      const reference = referencePoint(points);
      expect(hypervolumeWfg(points, reference)).toBeCloseTo(hypervolume(points, reference), 10);
    }
  });

  it.each([3, 4, 5])('agrees with a Monte-Carlo estimate in %i-D (200 000 samples, 4 standard errors)', (m) => {
    const rng = seededRng(`hv:mc:${m}`);
    const points = randomPoints(rng, 40, m);
    const reference = Array<number>(m).fill(1);
    const lower = Array<number>(m).fill(0);
    const n = 200_000;
    const estimate = monteCarlo(points, reference, lower, n, rng);
    const share = estimate; // the box is the unit cube
    const standardError = Math.sqrt((share * (1 - share)) / n);
    expect(Math.abs(hypervolume(points, reference) - estimate)).toBeLessThan(4 * standardError);
  });

  it('does not depend on the order of the points', () => {
    const rng = seededRng('hv:order');
    for (const m of [2, 3, 4]) {
      const points = randomPoints(rng, 30, m);
      const reference = referencePoint(points);
      expect(hypervolume([...points].reverse(), reference)).toBeCloseTo(hypervolume(points, reference), 12);
    }
  });
});

describe('hypervolumeContributions', () => {
  it('gives each point of a staircase its own square, by hand', () => {
    // (1,3) alone covers [1,2)×[3,4); (2,2) alone [2,3)×[2,3); (3,1) alone [3,4)×[1,2): 1 each.
    expect(hypervolumeContributions([[1, 3], [2, 2], [3, 1]], [4, 4])).toEqual([1, 1, 1]);
    // Add (2.5,2.5), which (2,2) dominates, and a copy of (1,3). Each copy of (1,3) covers nothing
    // the other does not: 0 each. (2.5,2.5) covers nothing (2,2) does not: 0. Without (2,2),
    // (2.5,2.5) still covers [2.5,3)×[2.5,3), so (2,2)'s own part is 1 − 0.25 = 0.75.
    expect(hypervolumeContributions([[1, 3], [2, 2], [3, 1], [2.5, 2.5], [1, 3]], [4, 4])).toEqual([0, 0.75, 1, 0, 0]);
  });

  it.each([2, 3, 4])('is HV(all) − HV(all but i) on random points in %i-D', (m) => {
    const rng = seededRng(`hv:contrib:${m}`);
    const points = randomPoints(rng, 25, m);
    const reference = referencePoint(points);
    const total = hypervolume(points, reference);
    const contributions = hypervolumeContributions(points, reference);
    points.forEach((p, i) => {
      expect(contributions[i]).toBeCloseTo(total - hypervolume(points.filter((_, j) => j !== i), reference), 12);
      // A point some other point dominates adds nothing of its own.
      if (points.some((q) => dominates(q, p))) expect(contributions[i]).toBe(0);
    });
    expect(contributions.some((x) => x > 0)).toBe(true);
  });

  it('is Infinity for the one point that makes the hypervolume infinite, NaN (∞ − ∞) where it stays infinite', () => {
    // (−∞,0.5) dominates (0.5,0.5): 0. Without (−∞,0.5) the rest is finite: Infinity.
    // Without (0,0) it is still infinite: ∞ − ∞, NaN.
    expect(hypervolumeContributions([[-Infinity, 0.5], [0.5, 0.5], [0, 0]], [1, 1])).toEqual([Infinity, 0, NaN]);
    expect(hypervolumeContributions([[-Infinity, 0.5], [0.5, -Infinity]], [1, 1])).toEqual([NaN, NaN]);
  });
});

describe('referencePoint (Optuna TPE\'s _get_reference_point)', () => {
  it.each([
    // Worst (3, −1): 1.1·3 = 3.3 beyond a positive worst; 0.9·(−1) = −0.9 beyond a negative one.
    [[[1, -2], [3, -4], [0, -1]], [3.3, -0.9]],
    [[[-1, 2]], [-0.9, 2.2]],
    // A worst of 0 becomes EPS, so the point there still has a box of positive width.
    [[[0, -5], [-1, 0]], [EPS, EPS]],
    // NaN values are skipped.
    [[[NaN, 1], [2, NaN]], [2.2, 1.1]],
  ])('of %j is %j', (points, expected) => {
    referencePoint(points).forEach((r, d) => expect(r).toBeCloseTo(expected[d], 12));
  });

  it('needs a point, and a number in every objective', () => {
    expect(() => referencePoint([])).toThrow('at least one point');
    expect(() => referencePoint([[1, NaN]])).toThrow('objective 1 has no value that is a number');
  });
});
