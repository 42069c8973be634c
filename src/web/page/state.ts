/**
 * What the reader has chosen on the page (sort, filter, brush, top k, compared trials), kept
 * apart from the data so that a live update, which replaces the data whole, keeps it; and the
 * pure functions that turn data and choices into the trials each view shows.
 */
import type { DashboardData, TrialView } from '../model.js';
import { bestFirst, bestFirstDirection, metricOf, value } from './format.js';

/** A brushed range on one parallel axis, in the axis's own units (a category's index on a category axis). */
export type Interval = readonly [number, number];

export type UiState = {
  /** The table's sort: a column key and its direction (1 ascending, -1 descending). */
  sort: { key: string; dir: 1 | -1 };
  /** The table's text filter, as typed. */
  filter: string;
  /** Brushed intervals per parallel axis id; an axis not in the map is not brushed. */
  brush: Map<string, readonly Interval[]>;
  /** The learning curves: 0 shows every trial, k only the best k. */
  topK: 0 | 5 | 10;
  /** The trials picked for comparison (ids), oldest first, at most two. */
  compare: number[];
  /** The Pareto scatter's axes (a sweep of several objectives): each an index into its objectives, never both the same. */
  pareto: { x: number; y: number };
};

/**
 * The first state: best first under the metric (the metric column's "better" direction), or, in
 * a sweep ranked into fronts, by front, the first first; nothing filtered; the Pareto scatter on
 * the first two objectives.
 */
export function initialState(data: DashboardData): UiState {
  return {
    sort: data.sweep.pareto ? { key: 'front', dir: 1 } : { key: data.sweep.metric.name, dir: bestFirstDirection(data.sweep.metric.name, data.sweep.metric) },
    filter: '', brush: new Map(), topK: 0, compare: [], pareto: { x: 0, y: 1 },
  };
}

/** A trial's value on a parallel axis, as ECharts compares it with a brushed interval (see parallel.ts). */
export type Coordinate = (t: TrialView, axisId: string) => number | null;

/**
 * Whether a trial is inside the brush: on every brushed axis, its value is in one of the
 * intervals (ends included), as ECharts' ParallelAxisModel.getActiveState decides; a trial
 * without a value on a brushed axis is outside.
 */
export function inBrush(t: TrialView, brush: UiState['brush'], at: Coordinate): boolean {
  for (const [axisId, intervals] of brush) {
    if (intervals.length === 0) continue;
    const v = at(t, axisId);
    if (v === null || Number.isNaN(v)) return false;
    if (!intervals.some(([a, b]) => Math.min(a, b) <= v && v <= Math.max(a, b))) return false;
  }
  return true;
}

/** Whether any axis is brushed. */
export function brushed(brush: UiState['brush']): boolean {
  return [...brush.values()].some((i) => i.length > 0);
}

/**
 * Whether a trial matches the text filter: every word of it appears (case ignored) in the
 * trial's id ("trial 12", "#12" or "12"), status, hyperparameter values ("dropout=0.2" or "0.2"),
 * error or pruning line, its front ("front 1", "infeasible") where it has one, its tags ("baseline"
 * or "tag:baseline") and its notes.
 */
export function matchesFilter(t: TrialView, labels: ReadonlyMap<string, string>, filter: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return true;
  const text = [
    `trial ${t.id}`, `#${t.id}`, t.status,
    ...Object.entries(t.values).map(([k, v]) => `${labels.get(k) ?? k}=${value(v)}`),
    t.error ?? '', t.pruned ?? '',
    // A trial ranked into fronts: "front 2", "infeasible".
    t.front === undefined ? '' : `front ${t.front}${t.violation === 0 ? '' : ' infeasible'}`,
    // Its tags, also as "tag:baseline" (a word that matches no parameter), and its notes' words.
    ...(t.tags ?? []).map((g) => `${g} tag:${g}`), ...(t.notes ?? []),
  ].join(' ').toLowerCase();
  return words.every((w) => text.includes(w));
}

/** The best completed trial: the one the server analysed, else the best completed under the metric; null before any. */
export function bestTrialId(data: DashboardData): number | null {
  if (data.sweep.best) return data.sweep.best.trialId;
  const done = data.sweep.trials.filter((t) => t.status === 'completed' && metricOf(t) !== null);
  return done.length === 0 ? null : [...done].sort(bestFirst(data.sweep.metric))[0].id;
}

/** The best k of `trials` under the metric (all of them for k = 0), in their given order. */
export function topK(trials: readonly TrialView[], k: UiState['topK'], metric: DashboardData['sweep']['metric']): TrialView[] {
  if (k === 0) return [...trials];
  const keep = new Set([...trials].sort(bestFirst(metric)).slice(0, k).map((t) => t.id));
  return trials.filter((t) => keep.has(t.id));
}

/** The compare list after the reader ticks (or unticks) a trial: at most two, the oldest pick dropped first. */
export function toggleCompare(compare: readonly number[], id: number, on: boolean): number[] {
  const rest = compare.filter((c) => c !== id);
  return on ? [...rest, id].slice(-2) : rest;
}
