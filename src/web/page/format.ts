/** How the page writes numbers: as the terminal views do (src/metrics/registry.ts formatMetric, the leaderboard). */
import { bestFirst as valuesBestFirst, formatMetric, metricDef, type Objective } from '../../metrics/registry.js';
import type { TrialView } from '../model.js';

export { goalNote } from '../../metrics/registry.js';
export type { Objective } from '../../metrics/registry.js';

/** An accuracy as a percentage ("88.92%"); null or NaN as "-". */
export function percent(value: number | null): string {
  return value === null || Number.isNaN(value) ? '-' : `${(value * 100).toFixed(2)}%`;
}

/** A loss with 4 decimals ("0.3123"); null or NaN as "-". */
export function loss(value: number | null): string {
  return value === null || Number.isNaN(value) ? '-' : value.toFixed(4);
}

/** A metric's value as every view prints it (the registry's format, as the terminal views print it). */
export function metricText(metric: Objective, value: number | null): string {
  return formatMetric(metric.name, value);
}

/** The sweep's metric for a trial, what it is ranked by; null where it has none yet. */
export function metricOf(t: TrialView): number | null {
  const v = t.metricValue;
  return v === null || Number.isNaN(v) ? null : v;
}

/** Orders trials best first under the sweep's metric (the registry says which way), trials without it last. */
export function bestFirst(metric: Objective): (a: TrialView, b: TrialView) => number {
  const order = valuesBestFirst(metric.goal);
  return (a, b) => order(metricOf(a), metricOf(b)) || a.id - b.id;
}

/** Where `v` lies between the worst and the best of [lo, hi] under the goal: 0 worst, 1 best (1 where all are equal). */
export function quality(metric: Objective, v: number, lo: number, hi: number): number {
  if (!(hi > lo)) return 1;
  return metric.goal === 'minimize' ? (hi - v) / (hi - lo) : (v - lo) / (hi - lo);
}

/** How a first click sorts a metric's column: best first (smallest first where lower is better); the sweep's own metric by the sweep's goal. */
export function bestFirstDirection(name: string, sweepMetric?: Objective): 1 | -1 {
  const goal = sweepMetric?.name === name ? sweepMetric.goal : metricDef(name).goal;
  return goal === 'minimize' ? 1 : -1;
}

/** Whether the metric reads as a percentage on an axis (an accuracy), else as a plain number. */
export function isFraction(metric: Objective): boolean {
  return metricDef(metric.name).format === 'percent';
}

/** Seconds as the leaderboard shows them: "42s", "1m14s", "2h05m". */
export function duration(seconds: number | null): string {
  if (seconds === null || Number.isNaN(seconds)) return '-';
  const s = Math.round(seconds);
  if (s < 60) return seconds < 10 ? `${seconds.toFixed(1)}s` : `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A hyperparameter's value: integers as they are, other numbers to 4 significant digits ("0.0003457"). */
export function value(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
  if (Array.isArray(v)) return v.map(value).join('-');
  if (v === null || v === undefined) return '-';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}
