/**
 * Hyperparameter importance from a sweep's completed trials: exact functional ANOVA on a
 * complete grid, a labelled estimate otherwise. Pure: no store, no tfjs.
 */

/**
 * How much of the metric's variance each swept hyperparameter explains.
 * - `anova`: a complete, balanced grid of completed trials: exact functional ANOVA from the
 *   grid's marginal means (importance of j = V_j / V; `interaction` = 1 − Σ V_j / V).
 * - `estimate`: not a complete grid; `method` names the documented estimator used.
 * - `none`: too few completed trials; `reason` says why.
 */
export type Importance =
  | {
      readonly kind: 'anova';
      readonly parts: readonly { readonly key: string; readonly share: number }[];
      readonly interaction: number;
      readonly marginals: readonly Marginal[];
      /** The two most important hyperparameters' joint means, for a heat map; null with fewer than two. */
      readonly pair: PairMeans | null;
    }
  | {
      readonly kind: 'estimate';
      readonly method: string;
      /** Why the exact decomposition does not apply (an incomplete grid, random search…). */
      readonly reason: string;
      readonly parts: readonly { readonly key: string; readonly share: number }[];
      readonly marginals: readonly Marginal[];
      readonly pair: PairMeans | null;
    }
  | { readonly kind: 'none'; readonly reason: string };

/** The metric's mean at each level of one hyperparameter (levels as the axis shows them). */
export type Marginal = { readonly key: string; readonly levels: readonly { readonly value: string; readonly mean: number; readonly n: number }[] };
export type PairMeans = {
  readonly x: string; readonly y: string;
  readonly xLevels: readonly string[]; readonly yLevels: readonly string[];
  /** means[i][j]: at x = xLevels[i], y = yLevels[j]; null where no completed trial has both. */
  readonly means: readonly (readonly (number | null)[])[];
};


/**
 * One completed trial as the analysis sees it: each swept hyperparameter's value (a number, or
 * a category's text; null where the trial has no such parameter, a conditional one under another
 * choice) and the metric as recorded.
 */
export type Observation = { readonly values: Readonly<Record<string, number | string | null>>; readonly value: number };

/** A value's level as text: a missing parameter is a level of its own, "-". */
const levelOf = (v: number | string | null | undefined) => (v === null || v === undefined ? '-' : String(v));

/** The estimator used where the exact decomposition does not apply, as the page names it. */
export const ESTIMATE_METHOD =
  'main effects only: η² (correlation ratio) per hyperparameter, the variance of its level means ' +
  '(numbers without listed levels in up to 4 quantile bins) weighted by level counts, as a share of the total variance; ' +
  'not exact on an unbalanced design, interactions not estimated, shares need not sum to 1';

/** Fewer completed trials than this say nothing about importance. */
const MIN_TRIALS = 4;
/** Numbers without listed levels (a range of random search or TPE) are cut into at most this many bins. */
const MAX_BINS = 4;

/**
 * The importance of each of `keys` for the metric over `trials`. A trial's level of key k is
 * `String(values[k])`, or `-` where it has none. `levels[k]`, where given, lists every level the sweep's space has for k
 * (a grid's values), so that a missing or failed cell is seen as missing; a key without listed
 * levels (a range of random search or TPE) is binned. A complete grid (every combination of the
 * listed levels has exactly one trial) gets the exact decomposition; anything else an estimate,
 * or none with too few trials. Trials whose value is not finite (NaN, ±Infinity) are left out.
 */
export function importance(trials: readonly Observation[], keys: readonly string[], levels: Readonly<Record<string, readonly string[]>>): Importance {
  if (keys.length === 0) return { kind: 'none', reason: 'no hyperparameter varies' };
  const usable = trials.filter((t) => Number.isFinite(t.value));
  if (usable.length < MIN_TRIALS) {
    return { kind: 'none', reason: `${usable.length} completed trial${usable.length === 1 ? '' : 's'} with a metric value; importance needs at least ${MIN_TRIALS}` };
  }
  const ys = usable.map((t) => t.value);
  const listed = new Map(keys.map((k) => [k, [...new Set(levels[k] ?? [])]] as const));
  const notGrid = gridProblem(usable, keys, listed);
  if (notGrid === null) return exact(usable, ys, keys, listed);

  const columns = keys.map((k) => column(usable, k, listed.get(k)!));
  const yBar = mean(ys);
  const total = sumOfSquares(ys);
  const flat = ys.every((y) => y === ys[0]);
  const parts = stableByShareDescending(columns.map((c) => ({
    key: c.key,
    // Σ_v n_v (m_v − ȳ)² / Σ (y − ȳ)²: on a complete grid this is exactly V_j / V.
    share: flat ? 0 : c.means.reduce((s, m, i) => s + c.counts[i] * (m - yBar) ** 2, 0) / total,
  })));
  return {
    kind: 'estimate', method: ESTIMATE_METHOD, reason: notGrid, parts,
    marginals: columns.map(marginalOf),
    pair: pairOf(parts, columns, ys),
  };
}

/** One key's levels as the analysis groups them: each trial's level index, and each level's mean and count. */
type Column = { readonly key: string; readonly levels: readonly string[]; readonly of: readonly number[]; readonly means: readonly number[]; readonly counts: readonly number[] };

/**
 * Why `trials` are not a complete grid over the listed levels, or null when they are. Every
 * key must list levels, every trial's level must be listed, and every cell must hold exactly one trial.
 */
function gridProblem(trials: readonly Observation[], keys: readonly string[], listed: ReadonlyMap<string, readonly string[]>): string | null {
  const ranges = keys.filter((k) => listed.get(k)!.length === 0);
  if (ranges.length > 0) return `no grid: ${ranges.join(', ')} ${ranges.length === 1 ? 'has' : 'have'} no listed levels (a range of random search or TPE)`;
  const problems: string[] = [];
  const outside = keys.flatMap((k) => {
    const known = new Set(listed.get(k));
    const n = trials.filter((t) => !known.has(levelOf(t.values[k]))).length;
    return n > 0 ? [`${k}: ${n}`] : [];
  });
  if (outside.length > 0) problems.push(`trials at levels the grid does not list (${outside.join(', ')})`);
  const cells = keys.reduce((n, k) => n * listed.get(k)!.length, 1);
  const perCell = new Map<string, number>();
  for (const t of trials) {
    if (keys.some((k) => !listed.get(k)!.includes(levelOf(t.values[k])))) continue;
    const cell = JSON.stringify(keys.map((k) => levelOf(t.values[k])));
    perCell.set(cell, (perCell.get(cell) ?? 0) + 1);
  }
  if (perCell.size < cells) problems.push(`incomplete grid: ${perCell.size} of ${cells} cells have a completed trial`);
  const repeated = [...perCell.values()].filter((n) => n > 1).length;
  if (repeated > 0) problems.push(`unbalanced grid: ${repeated} of ${cells} cells have more than one completed trial`);
  return problems.length === 0 ? null : problems.join('; ');
}

/** Exact functional ANOVA on a complete grid: one trial per cell, so every mean below is over whole slices of the grid. */
function exact(trials: readonly Observation[], ys: readonly number[], keys: readonly string[], listed: ReadonlyMap<string, readonly string[]>): Importance {
  const columns = keys.map((k) => column(trials, k, listed.get(k)!));
  const yBar = mean(ys);
  // All equal: no variance to share out. Tested on the values, not on V, so float residue of a mean is not read as variance.
  const flat = ys.every((y) => y === ys[0]);
  const v = sumOfSquares(ys) / ys.length;
  const parts = stableByShareDescending(columns.map((c) => ({
    key: c.key,
    share: flat ? 0 : c.means.reduce((s, m) => s + (m - yBar) ** 2, 0) / c.levels.length / v,
  })));
  // On a balanced grid Σ V_j ≤ V exactly; a negative rest is float error.
  const interaction = flat ? 0 : Math.max(0, 1 - parts.reduce((s, p) => s + p.share, 0));
  return { kind: 'anova', parts, interaction, marginals: columns.map(marginalOf), pair: pairOf(parts, columns, ys) };
}

/**
 * Group the trials by their level of `key`: the listed levels that some trial has, in the listed
 * order, then any other level in order of first appearance; with no listed levels, numbers are
 * binned and text levels sorted.
 */
function column(trials: readonly Observation[], key: string, listed: readonly string[]): Column {
  const raw = trials.map((t) => t.values[key]);
  let names: string[];
  let of: number[];
  const given = raw.filter((x) => x !== null && x !== undefined);
  if (listed.length === 0 && given.length > 0 && given.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    // Numbers in bins; trials without the parameter, if any, in a level of their own after them.
    const binned = bins(given as number[]);
    const absent = given.length < raw.length ? binned.names.length : -1;
    names = absent < 0 ? binned.names : [...binned.names, '-'];
    let next = 0;
    of = raw.map((x) => (x === null || x === undefined ? absent : binned.of[next++]));
  } else {
    const texts = raw.map(levelOf);
    const present = new Set(texts);
    names = listed.length > 0
      ? [...listed.filter((l) => present.has(l)), ...[...present].filter((l) => !listed.includes(l))]
      : [...present].sort(byNumberThenText);
    const index = new Map(names.map((n, i) => [n, i]));
    of = texts.map((t) => index.get(t)!);
  }
  const sums = names.map(() => 0);
  const counts = names.map(() => 0);
  of.forEach((i, t) => { sums[i] += trials[t].value; counts[i]++; });
  return { key, levels: names, of, means: sums.map((s, i) => s / counts[i]), counts };
}

/**
 * Up to MAX_BINS quantile bins over `xs`, every one non-empty: the edges are values at the
 * quantiles 0, 1/4, 1/2, 3/4 of the sorted values (duplicates merged) and the maximum; a bin is
 * [edge, next edge), the last one closed. Labels have 3 significant digits, more where two edges would read alike.
 */
function bins(xs: readonly number[]): { names: string[]; of: number[] } {
  const sorted = [...xs].sort((a, b) => a - b);
  const lower = [...new Set(Array.from({ length: MAX_BINS }, (_, i) => sorted[Math.floor((i * sorted.length) / MAX_BINS)]))];
  const max = sorted[sorted.length - 1];
  const edges = [...lower, max];
  let digits = 3;
  while (digits < 17 && new Set(edges.map((e) => short(e, digits))).size < new Set(edges).size) digits++;
  const label = (e: number) => short(e, digits);
  const names = lower.length === 1 && lower[0] === max
    ? [label(max)]
    : lower.map((lo, i) => (i === lower.length - 1 ? `[${label(lo)}, ${label(max)}]` : `[${label(lo)}, ${label(lower[i + 1])})`));
  // The bin of x: the last lower edge at or below it (each lower edge is itself a value, so no bin is empty).
  const of = xs.map((x) => {
    let i = 0;
    while (i + 1 < lower.length && lower[i + 1] <= x) i++;
    return i;
  });
  return { names, of };
}

function short(x: number, digits: number): string {
  return String(Number(x.toPrecision(digits)));
}

function marginalOf(c: Column): Marginal {
  return { key: c.key, levels: c.levels.map((value, i) => ({ value, mean: c.means[i], n: c.counts[i] })) };
}

/** The joint means of the two keys with the highest shares; null with fewer than two keys. */
function pairOf(parts: readonly { readonly key: string }[], columns: readonly Column[], ys: readonly number[]): PairMeans | null {
  if (parts.length < 2) return null;
  const [x, y] = [parts[0].key, parts[1].key].map((k) => columns.find((c) => c.key === k)!);
  const sums = x.levels.map(() => y.levels.map(() => 0));
  const counts = x.levels.map(() => y.levels.map(() => 0));
  ys.forEach((v, t) => { sums[x.of[t]][y.of[t]] += v; counts[x.of[t]][y.of[t]]++; });
  return {
    x: x.key, y: y.key, xLevels: x.levels, yLevels: y.levels,
    means: sums.map((row, i) => row.map((s, j) => (counts[i][j] === 0 ? null : s / counts[i][j]))),
  };
}

/** Sorted by share, highest first; equal shares keep the keys' order. */
function stableByShareDescending<T extends { readonly share: number }>(parts: T[]): T[] {
  return parts.map((p, i) => ({ p, i })).sort((a, b) => b.p.share - a.p.share || a.i - b.i).map(({ p }) => p);
}

function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

/** Σ (x − x̄)². */
function sumOfSquares(xs: readonly number[]): number {
  const m = mean(xs);
  return xs.reduce((s, x) => s + (x - m) ** 2, 0);
}

/** "64" before "128" before "relu": numbers in order, then text (as the dashboard's category axes sort). */
function byNumberThenText(a: string, b: string): number {
  const [x, y] = [parseFloat(a), parseFloat(b)];
  if (!Number.isNaN(x) && !Number.isNaN(y) && x !== y) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}
