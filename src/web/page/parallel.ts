/**
 * Parallel coordinates: one axis per swept hyperparameter and a last one for the sweep's
 * metric (a sweep ranked into fronts: one per objective, each line coloured by its trial's
 * front, with a legend), one line per trial (every trial in the table, so N trials make N lines). Brushing an
 * axis filters the table and the curves. A brush by mouse and a programmatic
 * `dispatchAction({ type: 'axisAreaSelect', parallelAxisId, intervals })` are the same ECharts
 * action and reach the page through the same `axisareaselected` event.
 */
import type { Axis, DashboardData, SweepView, TrialView } from '../model.js';
import { AXIS_TEXT, BEST_COLOUR, TEXT_COLOUR, TOOLTIP, chartIn, tooltipBox, type Chart, type ChartOption } from './charts.js';
import { h } from './dom.js';
import { isFraction, metricOf, metricText, quality, value, type Objective } from './format.js';
import { bestTrialId, type Coordinate, type Interval, type UiState } from './state.js';
import { frontColour, frontKind, frontLegend, frontText, lastFeasibleFront, objectiveValue } from './fronts.js';

/** The metric axis's id (each hyperparameter's axis has its key as id; in a sweep ranked into fronts, each other objective's is `objective-<its index>`). */
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
  // In the page only for a sweep ranked into fronts (see renderLegend).
  const legend = h('div', { id: 'parallel-legend', class: 'legend', 'aria-label': 'line colours' });
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
      d.sweep.pareto
        ? (missing > 0 ? `A trial without an objective's value yet is dashed, at the bottom of its axis.` : '')
        : missing > 0 ? `${missing} ${missing === 1 ? 'trial has' : 'trials have'} no ${d.sweep.metric.name} yet: dashed, at the bottom of its axis.` : '',
      d.sweep.trials.some((t) => d.sweep.axes.some((a) => t.values[a.key] === null))
        ? 'A line passes an axis without a point where its trial has no such parameter (one that exists only under another choice).' : '',
    ].filter((s) => s !== '').join(' ');
    renderLegend(legend, d.sweep, note);
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

/** The line colours of a sweep ranked into fronts, each with how many trials have it, above the note; out of the page for any other sweep. */
function renderLegend(el: HTMLElement, sweep: SweepView, note: HTMLElement): void {
  if (!sweep.pareto) return void el.remove();
  if (!el.isConnected) note.before(el);
  el.replaceChildren(...frontLegend(sweep.trials).map((e) => {
    const swatch = h('span', { class: 'swatch' });
    swatch.style.backgroundColor = e.colour;
    return h('span', { class: 'legend-item', 'data-kind': e.kind, 'data-colour': e.colour }, swatch, `${e.label} (${e.count})`);
  }));
}

/** The axes: each swept hyperparameter as the data types it, then the metric (a sweep ranked into fronts: each objective). */
function axisDefs(sweep: SweepView): AxisDef[] {
  const hyperparameters = sweep.axes.map((a) => hyperparameterAxis(a, sweep.trials));
  const { pareto } = sweep;
  if (!pareto) return [...hyperparameters, metricAxis(METRIC_AXIS, sweep.metric, metricOf, sweep.trials)];
  return [...hyperparameters, ...pareto.objectives.map((o, i) => metricAxis(
    o.name === sweep.metric.name ? METRIC_AXIS : `objective-${i}`, o, (t) => objectiveValue(t, pareto, i, sweep.metric.name), sweep.trials,
  ))];
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
 * A metric's axis, its better end at the top (a loss axis is inverted). A trial without the
 * metric (failed, pending, just started) gets the axis's worse end, so that it is still a line.
 */
function metricAxis(id: string, metric: Objective, read: (t: TrialView) => number | null, trials: readonly TrialView[]): AxisDef {
  // The better end on top: a metric to minimize (a loss) runs down its axis.
  const inverse = metric.goal === 'minimize';
  const fraction = isFraction(metric);
  const values = trials.map(read).filter((v): v is number => v !== null);
  const [lo, hi] = values.length > 0 ? [Math.min(...values), Math.max(...values)] : [0, 1];
  // Ends on round numbers a little past the data, so that their labels do not crowd the ticks.
  const step = niceStep(Math.max(hi - lo, fraction ? 0.002 : 0.01) / 5);
  // A metric that is never negative starts at 0 at the lowest; one that can be (an objective of the user's) where its data does.
  const below = Math.floor((lo - step / 2) / step) * step;
  const min = lo >= 0 ? Math.max(0, below) : below;
  const max = fraction ? Math.min(1, Math.ceil((hi + step / 2) / step) * step) : Math.ceil((hi + step / 2) / step) * step;
  const worst = inverse ? max : min;
  const v = (t: TrialView) => read(t) ?? worst;
  return {
    id,
    option: {
      id, name: metric.name, type: 'value', min, max, interval: step, inverse,
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

/** How the lines are drawn: in which order (the last over the rest), each one's style, and its tooltip. */
type Lines = {
  readonly ordered: readonly TrialView[];
  readonly style: (t: TrialView) => Record<string, unknown>;
  readonly tip: (t: TrialView) => HTMLElement;
};

function option(d: DashboardData, axes: readonly AxisDef[]): ChartOption {
  const { ordered, style, tip } = d.sweep.pareto ? frontLines(d.sweep) : metricLines(d);
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
      data: ordered.map((t) => ({ name: `trial ${t.id}`, value: axes.map((a) => a.datum(t)), lineStyle: style(t) })),
      tooltip: { formatter: (p: unknown) => tip(ordered[(p as { dataIndex: number }).dataIndex]) },
    }],
  };
}

/** A sweep of one metric: lines shade from light (worse) to dark blue (better); the best is orange and thick, drawn last. */
function metricLines(d: DashboardData): Lines {
  const { sweep } = d;
  const bestId = bestTrialId(d);
  const values = sweep.trials.map(metricOf).filter((v): v is number => v !== null);
  const [lo, hi] = [Math.min(...values), Math.max(...values)];
  const shade = (t: TrialView): string => {
    const m = metricOf(t);
    if (m === null) return '#adb5bd';
    const q = quality(sweep.metric, m, lo, hi);
    const mix = (a: number, b: number) => Math.round(a + (b - a) * q);
    return `rgb(${mix(165, 24)},${mix(196, 100)},${mix(230, 171)})`;
  };
  return {
    ordered: [...sweep.trials.filter((t) => t.id !== bestId), ...sweep.trials.filter((t) => t.id === bestId)],
    style: (t) => {
      const best = t.id === bestId;
      return { color: best ? BEST_COLOUR : shade(t), width: best ? 3 : 1.5, opacity: best ? 1 : 0.7, type: metricOf(t) === null ? 'dashed' : 'solid' };
    },
    tip: (t) => tooltipBox(`trial ${t.id}${t.id === bestId ? ' (best)' : ''} · ${t.status}`,
      ...sweep.axes.map((a) => `${a.label}: ${value(t.values[a.key])}`),
      `${sweep.metric.name}: ${metricText(sweep.metric, metricOf(t))}`),
  };
}

/**
 * A sweep ranked into fronts: each line coloured by its trial's front (the first orange, later
 * fronts fading from blue to pale, infeasible grey, unranked light grey), the first front drawn
 * last, over the rest; a line without every objective's value dashed.
 */
function frontLines(sweep: SweepView): Lines {
  const pareto = sweep.pareto!;
  const last = lastFeasibleFront(sweep.trials);
  const rank = (t: TrialView) => ({ unranked: 0, infeasible: 1, later: 2, front: 3 })[frontKind(t)];
  const at = (t: TrialView, i: number) => objectiveValue(t, pareto, i, sweep.metric.name);
  return {
    ordered: [...sweep.trials].sort((a, b) => rank(a) - rank(b) || (b.front ?? 0) - (a.front ?? 0) || a.id - b.id),
    style: (t) => {
      const first = frontKind(t) === 'front';
      const complete = pareto.objectives.every((_, i) => at(t, i) !== null);
      return { color: frontColour(t, last), width: first ? 2.5 : 1.5, opacity: first ? 1 : 0.75, type: complete ? 'solid' : 'dashed' };
    },
    tip: (t) => tooltipBox(`trial ${t.id} · ${t.status} · ${frontText(t)}`,
      ...sweep.axes.map((a) => `${a.label}: ${value(t.values[a.key])}`),
      ...pareto.objectives.map((o, i) => `${o.name}: ${metricText(o, at(t, i))}`)),
  };
}
