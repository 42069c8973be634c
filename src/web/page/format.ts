/** How the page writes numbers: as the terminal views do (src/spec/schema.ts formatMetric, the leaderboard). */
import type { SweepView, TrialView } from '../model.js';

export type Metric = SweepView['metric'];

/** An accuracy as a percentage ("88.92%"); null or NaN as "-". */
export function percent(value: number | null): string {
  return value === null || Number.isNaN(value) ? '-' : `${(value * 100).toFixed(2)}%`;
}

/** A loss with 4 decimals ("0.3123"); null or NaN as "-". */
export function loss(value: number | null): string {
  return value === null || Number.isNaN(value) ? '-' : value.toFixed(4);
}

/** A metric's value as every view prints it. */
export function metricText(metric: Metric, value: number | null): string {
  return metric === 'val_loss' ? loss(value) : percent(value);
}

/** The sweep's metric for a trial, as recorded; null where it has none yet. */
export function metricOf(metric: Metric, t: TrialView): number | null {
  const v = metric === 'val_loss' ? t.valLoss : t.valAccuracy;
  return v === null || Number.isNaN(v) ? null : v;
}

/** Orders trials best first under the metric (val_accuracy is maximised, val_loss minimised); trials without it last. */
export function bestFirst(metric: Metric): (a: TrialView, b: TrialView) => number {
  return (a, b) => {
    const [x, y] = [metricOf(metric, a), metricOf(metric, b)];
    if (x === null || y === null) return x === null ? (y === null ? a.id - b.id : 1) : -1;
    return (metric === 'val_loss' ? x - y : y - x) || a.id - b.id;
  };
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
