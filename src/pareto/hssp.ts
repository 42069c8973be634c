/**
 * Hypervolume subset selection (HSSP): of a set of points, `size` whose joint hypervolume is
 * large, chosen greedily (each step takes the point that adds the most hypervolume to those
 * already taken: a (1 − 1/e)-approximation; Guerreiro, Fonseca & Paquete 2016, "Greedy
 * Hypervolume Subset Selection in Low Dimensions"). As optuna/_hypervolume/hssp.py `_solve_hssp`
 * (v4.9.0, where multi-objective TPE uses it to break the tie within the last non-domination rank
 * that enters its good group; v4.5.0 to v5.0.0-rc1 hold the same file).
 */
import { rankable } from './dominance.js';
import { hypervolume } from './hypervolume.js';

/**
 * The indices of the `size` points chosen, in the order Optuna's `_solve_hssp` returns them; every
 * objective minimised, NaN as +Infinity. As Optuna:
 * - equal points count once: when there are fewer distinct points than `size`, all the distinct ones
 *   (each at its first index) and then the earliest duplicates are taken, in input order;
 * - with a reference that is not finite, the lexicographically smallest distinct points are taken;
 * - in 2-D each point's gain is its rectangle up to its nearest chosen neighbours (`_solve_hssp_2d`,
 *   meant for the points of one non-domination rank); otherwise the gain is recomputed as
 *   hypervolume(chosen + point) − hypervolume(chosen), from 4 objectives on as the point's box less
 *   what the chosen points cover of it, each only when it could be the largest (as Optuna);
 * - ties go to the lexicographically smallest point (np.argmax over the sorted distinct points).
 */
export function selectSubset(points: readonly (readonly number[])[], size: number, reference: readonly number[]): number[] {
  const n = points.length;
  if (!Number.isInteger(size) || size < 0 || size > n) throw new Error(`cannot choose ${size} of ${n} points`);
  const all = Array.from({ length: n }, (_, i) => i);
  if (size === n) return all;
  const values = points.map((p) => p.map(rankable));
  // np.unique(axis=0, return_index=True): the distinct points sorted lexicographically, each at its first index.
  const sorted = [...all].sort((a, b) => lexCompare(values[a], values[b]) || a - b);
  const firsts = sorted.filter((i, k) => k === 0 || lexCompare(values[sorted[k - 1]], values[i]) !== 0);
  if (firsts.length < size) {
    const chosen = new Set(firsts);
    all.filter((i) => !chosen.has(i)).slice(0, size - firsts.length).forEach((i) => chosen.add(i));
    return all.filter((i) => chosen.has(i));
  }
  if (!reference.every(Number.isFinite)) return firsts.slice(0, size);
  if (firsts.length === size) return firsts;
  const distinct = firsts.map((i) => values[i]);
  const picked = reference.length === 2 ? greedy2d(distinct, size, reference) : greedy(distinct, size, reference);
  return picked.map((j) => firsts[j]);
}

/**
 * `_solve_hssp_2d`: the points sorted by the first objective; each one's gain is the rectangle from
 * it to a corner that starts at the reference and shrinks as neighbours are chosen (a point left of
 * the chosen one is cut at its first value, a point right of it at its second).
 */
function greedy2d(points: readonly (readonly number[])[], size: number, reference: readonly number[]): number[] {
  let indices = points.map((_, i) => i);
  let values = [...points];
  let corners = points.map(() => [reference[0], reference[1]]);
  const selected: number[] = [];
  for (let k = 0; k < size; k++) {
    const at = argmax(values.map((v, j) => (corners[j][0] - v[0]) * (corners[j][1] - v[1])));
    selected.push(indices[at]);
    const chosen = values[at];
    const keep = (_: unknown, j: number) => j !== at;
    indices = indices.filter(keep);
    values = values.filter(keep);
    corners = corners.filter(keep);
    corners.forEach((c, j) => {
      if (j < at) c[0] = Math.min(chosen[0], c[0]);
      else c[1] = Math.min(chosen[1], c[1]);
    });
  }
  return selected;
}

/**
 * `_solve_hssp_on_unique_loss_vals` for 1 or 3+ objectives: the first gain is a point's box; after
 * each choice the gains are updated lazily, as `_lazy_contribs_update` does. A point's gain can only
 * shrink as points are chosen (submodularity), so an old gain, capped by what the point adds to the
 * latest choice alone, bounds the new one: points are updated from the largest bound down, and one
 * whose bound is below the best gain found so far keeps its bound. The point chosen next is the same
 * as if every gain were recomputed.
 */
function greedy(points: readonly (readonly number[])[], size: number, reference: readonly number[]): number[] {
  const box = (p: readonly number[]) => p.reduce((acc, v, d) => acc * (reference[d] - v), 1);
  let remaining = points.map((_, i) => i);
  let gains = points.map(box);
  const selected: number[] = [];
  // Optuna adds up the chosen gains rather than recomputing the chosen set's hypervolume.
  let hvSelected = 0;
  for (let k = 0; k < size; k++) {
    const at = argmax(gains);
    hvSelected += gains[at];
    selected.push(remaining[at]);
    remaining = remaining.filter((_, j) => j !== at);
    gains = gains.filter((_, j) => j !== at);
    if (k === size - 1) break;
    // Once the chosen hypervolume is infinite every gain is, not ∞ − ∞.
    if (hvSelected === Infinity) {
      gains = gains.map(() => Infinity);
      continue;
    }
    const chosen = selected.map((i) => points[i]);
    const latest = chosen[chosen.length - 1];
    const capped = (p: readonly number[]) => p.map((v, d) => Math.max(v, latest[d]));
    gains = remaining.map((i, j) => Math.min(gains[j], box(points[i]) - box(capped(points[i]))));
    const order = gains.map((_, j) => j).sort((a, b) => gains[b] - gains[a]);
    let best = 0;
    for (const j of order) {
      const p = points[remaining[j]];
      if (box(p) === Infinity) {
        gains[j] = best = Infinity;
        continue;
      }
      if (gains[j] < best) continue;
      // Up to 3 objectives the gain is the hypervolume added; from 4 on, as Optuna, the point's box
      // less the part the chosen points cover (the same number, rounded differently).
      gains[j] = reference.length <= 3
        ? hypervolume([...chosen, p], reference) - hvSelected
        : box(p) - hypervolume(chosen.map((q) => q.map((v, d) => Math.max(v, p[d]))), reference);
      best = Math.max(best, gains[j]);
    }
  }
  return selected;
}

/** np.argmax: the first largest value, or the first NaN if there is one. */
function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 0; i < xs.length; i++) {
    if (Number.isNaN(xs[i])) return i;
    if (xs[i] > xs[best]) best = i;
  }
  return best;
}

function lexCompare(a: readonly number[], b: readonly number[]): number {
  for (let d = 0; d < a.length; d++) if (a[d] !== b[d]) return a[d] < b[d] ? -1 : 1;
  return 0;
}
