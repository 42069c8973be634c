/** Text helpers for the terminal view: bars, sparklines, durations, truncation. */

const SPARKS = '▁▂▃▄▅▆▇█';

/** A bar of `width` cells, `fraction` of them full. */
export function bar(fraction: number, width: number): string {
  const full = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

/** One block character per value, scaled between the values' min and max. */
export function sparkline(values: readonly number[]): string {
  if (values.length === 0) return '';
  const lo = Math.min(...values);
  const span = Math.max(...values) - lo;
  return values.map((v) => SPARKS[span === 0 ? SPARKS.length - 1 : Math.round(((v - lo) / span) * (SPARKS.length - 1))]).join('');
}

/** Seconds as "42s", "3m05s" or "1h02m". */
export function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '-';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Cuts `text` to `width` characters, marking the cut with "…". */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

export const percent = (v: number | null): string => (v === null ? '-' : `${(v * 100).toFixed(2)}%`);
