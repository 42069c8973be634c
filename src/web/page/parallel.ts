/**
 * Parallel coordinates: one axis per swept hyperparameter and a last one for the sweep's
 * metric, one line per trial (every trial in the table, so N trials make N lines). Brushing an
 * axis filters the table and the curves. A brush by mouse and a programmatic
 * `dispatchAction({ type: 'axisAreaSelect', parallelAxisId, intervals })` are the same ECharts
 * action and reach the page through the same `axisareaselected` event.
 */
import type { Axis, DashboardData, SweepView, TrialView } from '../model.js';
import { AXIS_TEXT, BEST_COLOUR, TEXT_COLOUR, TOOLTIP, chartIn, tooltipBox, type Chart, type ChartOption } from './charts.js';
import { h } from './dom.js';
import { isFraction, metricOf, metricText, quality, value } from './format.js';
import { bestTrialId, type Coordinate, type Interval, type UiState } from './state.js';

/** The metric axis's id (each hyperparameter's axis has its key as id). */
export const METRIC_AXIS = 'metric';

type AxisDef = {
  readonly id: string;
  readonly option: Record<string, unknown>;
  /** The trial's value as the series data gives it to ECharts (a category as its text). */
  readonly datum: (t: TrialView) => number | string | null;
  /** The same value as ECharts compares it with a brushed interval (a category as its index). */
  readonly coordinate: (t: TrialView) => number | null;
};

export type Parallel = {
  readonly chart: Chart;
  /** Draws the data and applies the brush the state holds (a live update keeps it). */
  readonly render: (data: DashboardData) => void;
  /** Each trial's value on an axis, as the brush sees it. */
  readonly coordinate: Coordinate;
  /** Removes every brushed interval. */
  readonly clearBrush: () => void;
};

export function mountParallel(section: HTMLElement, act: { readonly state: UiState; readonly onBrush: () => void }): Parallel {
  const el = h('div', { id: 'parallel', class: 'chart chart-tall' });
  const note = h('p', { class: 'muted' });
  section.append(el, note);
  const chart = chartIn(el);
  let axes: AxisDef[] = [];
  let data: DashboardData | undefined;
  // While the page re-applies its own brush after redrawing, the event only records it.
  let applying = false;

  chart.on('axisareaselected', (p) => {
    const { parallelAxisId, intervals } = p as { parallelAxisId?: string; intervals?: readonly (readonly number[])[] };
    if (parallelAxisId === undefined) return;
    const kept: Interval[] = (intervals ?? []).map(([a, b]) => [Math.min(a, b), Math.max(a, b)]);
    if (kept.length > 0) act.state.brush.set(parallelAxisId, kept);
    else act.state.brush.delete(parallelAxisId);
    if (!applying) act.onBrush();
  });

  const render = (d: DashboardData): void => {
    data = d;
    axes = axisDefs(d.sweep);
    chart.setOption(option(d, axes), { notMerge: true });
    // notMerge drops ECharts' brushed intervals with the old axes: apply the state's again.
    for (const id of [...act.state.brush.keys()]) if (!axes.some((a) => a.id === id)) act.state.brush.delete(id);
    if (act.state.brush.size > 0) {
      applying = true;
      try {
        for (const [id, intervals] of act.state.brush) {
          chart.dispatchAction({ type: 'axisAreaSelect', parallelAxisId: id, intervals: intervals.map((i) => [...i]) });
        }
      } finally {
        applying = false;
      }
      // The action leaves its axis's brush rectangles undrawn (ECharts draws those the mouse made); a plain update draws them.
      chart.setOption({});
    }
    const missing = d.sweep.trials.filter((t) => metricOf(t) === null).length;
    note.textContent = [
      'Drag along an axis to select a range (several axes: trials in every range); click the axis to clear it.',
      missing > 0 ? `${missing} ${missing === 1 ? 'trial has' : 'trials have'} no ${d.sweep.metric.name} yet: dashed, at the bottom of its axis.` : '',
      d.sweep.trials.some((t) => d.sweep.axes.some((a) => t.values[a.key] === null))
        ? 'A line passes an axis without a point where its trial has no such parameter (one that exists only under another choice).' : '',
    ].filter((s) => s !== '').join(' ');
  };

  return {
    chart, render,
    coordinate: (t, id) => axes.find((a) => a.id === id)?.coordinate(t) ?? null,
    clearBrush: () => {
      act.state.brush.clear();
      if (data) render(data);
      act.onBrush();
    },
  };
}

/** The axes: each swept hyperparameter as the data types it, then the metric. */
function axisDefs(sweep: SweepView): AxisDef[] {
  return [...sweep.axes.map((a) => hyperparameterAxis(a, sweep.trials)), metricAxis(sweep)];
}

function hyperparameterAxis(a: Axis, trials: readonly TrialView[]): AxisDef {
  const base = { id: a.key, name: a.label };
  // A trial without the parameter (a conditional one, under a choice it did not make) has no point
  // on its axis: ECharts draws its line past the axis (an empty value), and a brush there leaves it out.
  if (a.type === 'category') {
    // Every level the server listed, and any a trial has that it did not (so no line is left without a point).
    const categories = [...(a.categories ?? [])];
    for (const t of trials) {
      const v = t.values[a.key];
      if (v !== null && !categories.includes(String(v))) categories.push(String(v));
    }
    return {
      id: a.key, option: { ...base, type: 'category', data: categories },
      datum: (t) => (t.values[a.key] === null ? null : String(t.values[a.key])),
      coordinate: (t) => (t.values[a.key] === null ? null : categories.indexOf(String(t.values[a.key]))),
    };
  }
  const numbers = trials.map((t) => t.values[a.key]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  // A trial with a value that is no finite number would make a broken line; it sits at the axis's low end.
  const fallback = numbers.length > 0 ? Math.min(...numbers) : a.type === 'log' ? 1 : 0;
  const num = (t: TrialView) => {
    const v = t.values[a.key];
    if (v === null) return null;
    return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
  };
  return {
    id: a.key,
    option: { ...base, type: a.type, scale: a.type === 'value', axisLabel: { ...AXIS_TEXT, formatter: (v: number) => value(v) } },
    datum: num, coordinate: num,
  };
}

/**
 * The metric's axis, its better end at the top (a loss axis is inverted). A trial without the
 * metric (failed, pending, just started) gets the axis's worse end, so that it is still a line.
 */
function metricAxis(sweep: SweepView): AxisDef {
  const { metric } = sweep;
  // The better end on top: a metric to minimize (a loss) runs down its axis.
  const inverse = metric.goal === 'minimize';
  const fraction = isFraction(metric);
  const values = sweep.trials.map(metricOf).filter((v): v is number => v !== null);
  const [lo, hi] = values.length > 0 ? [Math.min(...values), Math.max(...values)] : [0, 1];
  // Ends on round numbers a little past the data, so that their labels do not crowd the ticks.
  const step = niceStep(Math.max(hi - lo, fraction ? 0.002 : 0.01) / 5);
  const min = Math.max(0, Math.floor((lo - step / 2) / step) * step);
  const max = fraction ? Math.min(1, Math.ceil((hi + step / 2) / step) * step) : Math.ceil((hi + step / 2) / step) * step;
  const worst = inverse ? max : min;
  const v = (t: TrialView) => metricOf(t) ?? worst;
  return {
    id: METRIC_AXIS,
    option: {
      id: METRIC_AXIS, name: metric.name, type: 'value', min, max, interval: step, inverse,
      nameTextStyle: { ...AXIS_TEXT, fontWeight: 'bold' },
      axisLabel: { ...AXIS_TEXT, formatter: (x: number) => (fraction ? `${(x * 100).toFixed(Math.max(0, decimals(step) - 2))}%` : x.toFixed(decimals(step))) },
    },
    datum: v, coordinate: v,
  };
}

/** The round number (1, 2 or 5 times a power of ten) at or above `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 5, 10].find((m) => m * power >= raw * (1 - 1e-9)) ?? 10) * power;
}

/** How many decimals show a multiple of `step` exactly. */
function decimals(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

function option(d: DashboardData, axes: readonly AxisDef[]): ChartOption {
  const { sweep } = d;
  const bestId = bestTrialId(d);
  const values = sweep.trials.map(metricOf).filter((v): v is number => v !== null);
  const [lo, hi] = [Math.min(...values), Math.max(...values)];
  // Lines shade from light (worse) to dark blue (better); the best is orange and thick.
  const shade = (t: TrialView): string => {
    const m = metricOf(t);
    if (m === null) return '#adb5bd';
    const q = quality(sweep.metric, m, lo, hi);
    const mix = (a: number, b: number) => Math.round(a + (b - a) * q);
    return `rgb(${mix(165, 24)},${mix(196, 100)},${mix(230, 171)})`;
  };
  // The best trial last, so that its line is drawn over the others.
  const ordered = [...sweep.trials.filter((t) => t.id !== bestId), ...sweep.trials.filter((t) => t.id === bestId)];
  return {
    animation: false,
    tooltip: { ...TOOLTIP, trigger: 'item' },
    parallel: {
      left: 48, right: 72, top: 36, bottom: 28,
      parallelAxisDefault: {
        nameLocation: 'end', nameGap: 14, nameTextStyle: { color: TEXT_COLOUR, fontSize: 12 },
        axisLabel: AXIS_TEXT, axisLine: { lineStyle: { color: '#868e96' } },
        areaSelectStyle: { width: 18, borderWidth: 1, borderColor: '#1971c2', color: 'rgba(25,113,194,0.15)', opacity: 1 },
      },
    },
    parallelAxis: axes.map((a, dim) => ({ ...a.option, dim })),
    series: [{
      type: 'parallel', id: 'trials', name: 'trials',
      inactiveOpacity: 0.06, activeOpacity: 1, smooth: false,
      emphasis: { lineStyle: { width: 3 } },
      data: ordered.map((t) => {
        const best = t.id === bestId;
        const m = metricOf(t);
        return {
          name: `trial ${t.id}`,
          value: axes.map((a) => a.datum(t)),
          lineStyle: { color: best ? BEST_COLOUR : shade(t), width: best ? 3 : 1.5, opacity: best ? 1 : 0.7, type: m === null ? 'dashed' : 'solid' },
        };
      }),
      tooltip: {
        formatter: (p: unknown) => {
          const t = ordered[(p as { dataIndex: number }).dataIndex];
          return tooltipBox(`trial ${t.id}${t.id === bestId ? ' (best)' : ''} · ${t.status}`,
            ...sweep.axes.map((a) => `${a.label}: ${value(t.values[a.key])}`),
            `${sweep.metric.name}: ${metricText(sweep.metric, metricOf(t))}`);
        },
      },
    }],
  };
}
