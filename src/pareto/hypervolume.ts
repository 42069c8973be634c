/**
 * Hypervolume: the measure of the region that a set of points dominates, bounded by a reference
 * point, every objective minimised. Exact in any dimension, after optuna/_hypervolume/wfg.py
 * (v4.9.0): a sweep in 2-D (`_compute_2d`), WFG from 4 objectives on (`_compute_hv`,
 * `_compute_exclusive_hv`; While, Bradstreet & Barone 2012, "A Fast Way of Calculating Exact
 * Hypervolumes"). For 3-D we sweep slices along the third objective (Optuna's `_compute_3d` counts
 * voxels of a compressed grid instead; both are exact).
 */
import { rankable } from './dominance.js';

/** Optuna TPE's EPS (optuna/samplers/_tpe/sampler.py): a reference coordinate that would be 0. */
export const EPS = 1e-12;

/**
 * The hypervolume of `points` with respect to `reference`. Only points strictly better than the
 * reference in every objective count (Optuna throws on any other; here they add nothing), and NaN
 * counts as +Infinity, so a point with NaN adds nothing. The result is Infinity when a point that
 * counts has a -Infinity coordinate or the reference has a +Infinity one. A reference with NaN throws.
 */
export function hypervolume(points: readonly (readonly number[])[], reference: readonly number[]): number {
  const prepared = prepare(points, reference);
  if (typeof prepared === 'number') return prepared;
  switch (reference.length) {
    case 1: return reference[0] - prepared[0][0];
    case 2: return hv2d(prepared, reference);
    case 3: return hv3d(prepared, reference);
    default: return wfg(prepared, reference);
  }
}

/**
 * The same hypervolume by WFG whatever the number of objectives: `hypervolume` uses it from 4
 * objectives on; in 2-D and 3-D it is there to check the sweeps against.
 */
export function hypervolumeWfg(points: readonly (readonly number[])[], reference: readonly number[]): number {
  const prepared = prepare(points, reference);
  return typeof prepared === 'number' ? prepared : wfg(prepared, reference);
}

/**
 * Each point's exclusive contribution, in input order: the hypervolume of all the points minus
 * that of all but this one. A dominated point, a duplicate and a point outside the reference
 * contribute 0. Where the hypervolume is infinite, a point whose removal makes it finite
 * contributes Infinity and any other NaN (∞ − ∞): MOTPE then falls back to equal weights, as
 * Optuna's `_calculate_weights_below_for_multi_objective` (v4.9.0) does when the hypervolume is inf.
 */
export function hypervolumeContributions(points: readonly (readonly number[])[], reference: readonly number[]): number[] {
  const total = hypervolume(points, reference);
  const front = new Set(frontIndices(points, reference));
  return points.map((_, i) => {
    if (!front.has(i)) return 0;
    const rest = hypervolume(points.filter((_, j) => j !== i), reference);
    if (total === Infinity) return rest === Infinity ? NaN : Infinity;
    return total - rest;
  });
}

/**
 * The reference point Optuna's multi-objective TPE uses (optuna/samplers/_tpe/sampler.py
 * `_get_reference_point`, v4.9.0; inlined in `_calculate_weights_below_for_multi_objective` in
 * v3.1.0): per objective, the worst value w turned to max(1.1·w, 0.9·w), so just beyond the worst
 * point whether w is positive or negative, and EPS where that is 0. NaN values are skipped; an
 * objective with no number, or no point at all, throws.
 */
export function referencePoint(points: readonly (readonly number[])[]): number[] {
  if (points.length === 0) throw new Error('a reference point needs at least one point');
  const m = points[0].length;
  return Array.from({ length: m }, (_, d) => {
    const numbers = points.map((p) => p[d]).filter((v) => !Number.isNaN(v));
    if (numbers.length === 0) throw new Error(`objective ${d} has no value that is a number`);
    const worst = Math.max(...numbers);
    const r = Math.max(1.1 * worst, 0.9 * worst);
    return r === 0 ? EPS : r;
  });
}

/**
 * The points that count, as a Pareto front without duplicates sorted lexicographically; or the
 * hypervolume itself when it is 0 (no point counts) or Infinity.
 */
function prepare(points: readonly (readonly number[])[], reference: readonly number[]): number[][] | number {
  const m = reference.length;
  if (m === 0) throw new Error('the reference point has no objective');
  if (reference.some(Number.isNaN)) throw new Error('the reference point has a NaN coordinate');
  const front = frontIndices(points, reference).map((i) => [...points[i]]);
  if (front.length === 0) return 0;
  if (reference.some((r) => r === Infinity) || front.some((p) => p.some((v) => v === -Infinity))) return Infinity;
  return front;
}

/**
 * Indices of the points strictly inside the reference box that no other such point weakly
 * dominates (of equal points, the first), in lexicographic order of their values.
 */
function frontIndices(points: readonly (readonly number[])[], reference: readonly number[]): number[] {
  const m = reference.length;
  const inside: number[] = [];
  points.forEach((p, i) => {
    if (p.length !== m) throw new Error(`a point of ${p.length} objectives against a reference of ${m}`);
    if (p.every((v, d) => rankable(v) < reference[d])) inside.push(i);
  });
  inside.sort((a, b) => lexCompare(points[a], points[b]) || a - b);
  // In lexicographic order nothing later weakly dominates anything earlier; in 2-D a point is
  // weakly dominated exactly when its second value is no better than the best one before it.
  const kept: number[] = [];
  if (m === 2) {
    let best = Infinity;
    for (const i of inside) {
      if (points[i][1] < best) {
        kept.push(i);
        best = points[i][1];
      }
    }
    return kept;
  }
  for (const i of inside) {
    if (!kept.some((j) => weaklyDominates(points[j], points[i]))) kept.push(i);
  }
  return kept;
}

function weaklyDominates(a: readonly number[], b: readonly number[]): boolean {
  return a.every((v, d) => v <= b[d]);
}

function lexCompare(a: readonly number[], b: readonly number[]): number {
  for (let d = 0; d < a.length; d++) if (a[d] !== b[d]) return a[d] < b[d] ? -1 : 1;
  return 0;
}

/**
 * 2-D, points a front sorted by the first objective (so the second descends): each adds the
 * rectangle from itself to the reference's first coordinate and up to the previous point's second,
 * HV = Σ (r1 − x_i)(y_{i−1} − y_i) with y_0 = r2 (optuna/_hypervolume/wfg.py `_compute_2d`).
 * Points that are not on the front (y_i ≥ y_{i−1}) would add nothing and are skipped.
 */
function hv2d(points: readonly (readonly number[])[], reference: readonly number[]): number {
  let hv = 0;
  let yPrevious = reference[1];
  for (const [x, y] of points) {
    if (y >= yPrevious) continue;
    hv += (reference[0] - x) * (yPrevious - y);
    yPrevious = y;
  }
  return hv;
}

/**
 * 3-D by slices: in order of the third objective, each point joins a 2-D front of the points seen
 * so far; the slab from its third coordinate to the next point's has that front's area as its
 * cross-section. O(n²) for n points.
 */
function hv3d(points: readonly (readonly number[])[], reference: readonly number[]): number {
  const byZ = [...points].sort((a, b) => a[2] - b[2] || lexCompare(a, b));
  // The 2-D front so far, sorted by x ascending (so y descending).
  const stair: [number, number][] = [];
  let hv = 0;
  for (let i = 0; i < byZ.length; i++) {
    insert(stair, byZ[i][0], byZ[i][1]);
    const zNext = i + 1 < byZ.length ? byZ[i + 1][2] : reference[2];
    if (zNext > byZ[i][2]) hv += hv2d(stair, reference) * (zNext - byZ[i][2]);
  }
  return hv;
}

/** Adds (x, y) to a 2-D front sorted by x, dropping the points it weakly dominates; nothing if one weakly dominates it. */
function insert(stair: [number, number][], x: number, y: number): void {
  let at = 0;
  while (at < stair.length && stair[at][0] < x) at++;
  // Along the stair y descends: of the points left of x, the last is the lowest.
  if (at > 0 && stair[at - 1][1] <= y) return;
  if (at < stair.length && stair[at][0] === x && stair[at][1] <= y) return;
  let end = at;
  while (end < stair.length && stair[end][1] >= y) end++;
  stair.splice(at, end - at, [x, y]);
}

/**
 * WFG on a front sorted by the first objective (optuna/_hypervolume/wfg.py `_compute_hv`):
 * HV = the last point's box + Σ_i exclusive(i), where the exclusive part of point i is its box
 * minus the hypervolume of the points after it, each limited to max(p_j, p_i) (Eqs. 6–7 of While
 * et al.), those limited points first reduced to their front.
 */
function wfg(points: readonly (readonly number[])[], reference: readonly number[]): number {
  const box = (p: readonly number[]) => p.reduce((acc, v, d) => acc * (reference[d] - v), 1);
  const n = points.length;
  if (n === 0) return 0;
  if (n === 1) return box(points[0]);
  if (n === 2) {
    const [a, b] = points;
    return box(a) + box(b) - box(a.map((v, d) => Math.max(v, b[d])));
  }
  let hv = box(points[n - 1]);
  for (let i = 0; i < n - 1; i++) {
    const p = points[i];
    const limited = points.slice(i + 1).map((q) => q.map((v, d) => Math.max(v, p[d])));
    hv += box(p) - wfg(nonDominated(limited), reference);
  }
  return hv;
}

/** The points of a list sorted by the first objective that no earlier one weakly dominates (duplicates go too). */
function nonDominated(points: readonly (readonly number[])[]): (readonly number[])[] {
  const kept: (readonly number[])[] = [];
  for (const p of points) if (!kept.some((q) => weaklyDominates(q, p))) kept.push(p);
  return kept;
}
