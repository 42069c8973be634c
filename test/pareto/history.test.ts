import { describe, expect, it } from 'vitest';
import { hypervolumeHistory } from '../../src/pareto/history.js';
import { hypervolume, referencePoint } from '../../src/pareto/hypervolume.js';
import { seededRng } from '../../src/search/rng.js';

const ok = (...values: number[]) => ({ values, feasible: true });
const broken = (...values: number[]) => ({ values, feasible: false });

describe('hypervolumeHistory', () => {
  it('grows as feasible points join the front, by hand: the reference 10% past the worst feasible value', () => {
    // Worst feasible values 10 and 10: the reference is (11, 11); C is infeasible, D dominated.
    const h = hypervolumeHistory([ok(2, 8), ok(5, 5), broken(1, 1), ok(10, 10), ok(8, 2)]);
    expect(h.reference).toEqual([11, 11]);
    // A: 9 × 3. B adds (11 − 5) × (8 − 5) = 18. C and D add nothing. E adds (11 − 8) × (5 − 2) = 9.
    expect(h.hypervolumes).toEqual([27, 45, 45, 45, 54]);
  });

  it('takes a negated (maximised) objective as Optuna does: the worst −0.5 gives the reference −0.45', () => {
    const h = hypervolumeHistory([ok(-0.9, 3), ok(-0.5, 1)]);
    expect(h.reference![0]).toBeCloseTo(-0.45, 15);
    expect(h.reference![1]).toBeCloseTo(3.3, 15);
    // (−0.45 + 0.9)(3.3 − 3) = 0.135; then (−0.45 + 0.5)(3 − 1) = 0.1 more.
    expect(h.hypervolumes[0]).toBeCloseTo(0.135, 12);
    expect(h.hypervolumes[1]).toBeCloseTo(0.235, 12);
  });

  // An infeasible point is outside the reference's rule too: a far-off one must not widen the box.
  it('computes the reference from feasible points only, skipping missing values; a point with one adds nothing', () => {
    const h = hypervolumeHistory([ok(1, 1), broken(100, 100), ok(2, NaN), ok(NaN, 2)]);
    expect(h.reference).toEqual(referencePoint([[1, 1], [2, NaN], [NaN, 2]]));
    expect(h.reference![0]).toBeCloseTo(2.2, 12);
    const first = (2.2 - 1) * (2.2 - 1);
    expect(h.hypervolumes.map((v) => v - first)).toEqual([0, 0, 0, 0].map(() => expect.closeTo(0, 12)));
  });

  it('has no reference and no history without a feasible point', () => {
    expect(hypervolumeHistory([broken(1, 2), broken(2, 1)])).toEqual({ reference: null, hypervolumes: [] });
    expect(hypervolumeHistory([])).toEqual({ reference: null, hypervolumes: [] });
  });

  it('equals the hypervolume of every feasible point so far, at each step, on random 2-, 3- and 4-objective sweeps', () => {
    const rng = seededRng('history');
    for (const m of [2, 3, 4]) {
      const points = Array.from({ length: 60 }, () => ({
        values: Array.from({ length: m }, () => Math.round(rng() * 1000) / 100 - 2),
        feasible: rng() < 0.8,
      }));
      const h = hypervolumeHistory(points);
      const reference = referencePoint(points.filter((p) => p.feasible).map((p) => p.values));
      expect(h.reference).toEqual(reference);
      h.hypervolumes.forEach((v, k) => {
        const sofar = points.slice(0, k + 1).filter((p) => p.feasible).map((p) => p.values);
        expect(v, `${m} objectives, after ${k + 1}`).toBeCloseTo(hypervolume(sofar, reference), 9);
      });
      // Never falls.
      expect(h.hypervolumes.every((v, k) => k === 0 || v >= h.hypervolumes[k - 1])).toBe(true);
    }
  });
});
