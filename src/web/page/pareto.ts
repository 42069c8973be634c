/**
 * The Pareto front of a sweep of several objectives or with constraints (src/web/model.ts
 * ParetoView): a scatter of any two objectives, every completed trial a point, the first front
 * drawn as a step line through its points; and the hypervolume of the feasible first front as
 * trials completed, against the reference point the server computed once. A sweep of one
 * objective without constraints has no such section.
 */
import type { DashboardData, HypervolumeView, ParetoView, TrialView } from '../model.js';
import { AXIS_TEXT, TEXT_COLOUR, TOOLTIP, chartIn, tooltipBox, type Chart, type ChartOption, type ScatterSeries } from './charts.js';
import { h, replace } from './dom.js';
import { goalNote, isFraction, value, type Objective } from './format.js';
import {
  FRONT_COLOUR, INFEASIBLE_COLOUR, frontColour, frontKind, frontLine, frontText, lastFeasibleFront, objectiveValue, onFirstFront,
} from './fronts.js';
import { formatMetric } from '../../metrics/registry.js';
import type { UiState } from './state.js';

export type ParetoSection = {
  readonly scatter: Chart;
  readonly hypervolume: Chart;
  readonly render: (data: DashboardData) => void;
};

export function mountPareto(section: HTMLElement, act: { readonly state: UiState }): ParetoSection {
  const intro = h('p', { id: 'pareto-intro' });
  const xSelect = h('select', { id: 'pareto-x', 'aria-label': 'objective on the x axis' });
  const ySelect = h('select', { id: 'pareto-y', 'aria-label': 'objective on the y axis' });
  const toolbar = h('div', { class: 'toolbar' }, h('label', {}, 'x ', xSelect), h('label', {}, 'y ', ySelect));
  const scatterTitle = h('h3', {});
  const scatterEl = h('div', { id: 'pareto-scatter', class: 'chart chart-tall' });
  const scatterCaption = h('p', { id: 'pareto-caption', class: 'muted' });
  const scatterBox = h('div', { class: 'chart-box' }, scatterTitle, scatterEl, scatterCaption);
  const oneObjective = h('p', { id: 'pareto-one', class: 'muted', hidden: true });
  const hvEl = h('div', { id: 'hypervolume', class: 'chart chart-tall' });
  const hvCaption = h('p', { id: 'hypervolume-caption', class: 'muted' });
  section.append(intro, toolbar, oneObjective, h('div', { class: 'pair' }, scatterBox,
    h('div', { class: 'chart-box' }, h('h3', {}, 'Hypervolume over trials'), hvEl, hvCaption)));
  const scatter = chartIn(scatterEl);
  const hypervolume = chartIn(hvEl);
  let data: DashboardData | undefined;

  // Choosing one select's objective for the other swaps them, so that the two axes always differ.
  const choose = (axis: 'x' | 'y', index: number) => {
    const other = axis === 'x' ? 'y' : 'x';
    if (act.state.pareto[other] === index) act.state.pareto[other] = act.state.pareto[axis];
    act.state.pareto[axis] = index;
    if (data) render(data);
  };
  xSelect.addEventListener('change', () => choose('x', Number(xSelect.value)));
  ySelect.addEventListener('change', () => choose('y', Number(ySelect.value)));

  const render = (d: DashboardData): void => {
    data = d;
    const pareto = d.sweep.pareto;
    if (!pareto) return;
    const { objectives } = pareto;
    const n = objectives.length;
    // A choice that no longer exists (the objectives changed) goes back to the first two.
    const sel = act.state.pareto;
    if (sel.x >= n || sel.y >= n || sel.x === sel.y) Object.assign(sel, { x: 0, y: Math.min(1, n - 1) });
    for (const [select, chosen] of [[xSelect, sel.x], [ySelect, sel.y]] as const) {
      replace(select, ...objectives.map((o, i) => h('option', { value: i, selected: i === chosen }, o.name)));
      select.value = String(chosen);
    }
    replace(intro, ...introText(d.sweep.trials, pareto));
    const two = n >= 2;
    toolbar.hidden = !two;
    scatterBox.hidden = !two;
    oneObjective.hidden = two;
    oneObjective.textContent = two ? '' : `One objective (${objectives[0].name}) under constraints: no scatter to draw; the first front is the best value among the trials that meet the constraints.`;
    if (two) {
      scatterTitle.textContent = `${objectives[sel.y].name} against ${objectives[sel.x].name}`;
      const drawn = scatterOption(d, pareto, sel.x, sel.y);
      scatter.setOption(drawn.option, { notMerge: true });
      scatterCaption.textContent = drawn.caption;
    }
    const hv = hypervolumeOption(pareto);
    hypervolume.setOption(hv.option, { notMerge: true });
    replace(hvCaption, hv.caption);
    if (pareto.hypervolume) hvCaption.setAttribute('data-reference', JSON.stringify(pareto.hypervolume.reference));
    else hvCaption.removeAttribute('data-reference');
    // The section may have been hidden (a live update of a sweep without fronts) or just made visible.
    scatter.resize();
    hypervolume.resize();
  };
  return { scatter, hypervolume, render };
}

/** "objectives … · constraints … · first front: 4 trials (3, 5, 7, 1)". */
function introText(trials: readonly TrialView[], pareto: ParetoView): (string | Node)[] {
  const first = trials.filter(onFirstFront).map((t) => t.id);
  const ranked = trials.filter((t) => t.front !== undefined).length;
  return [
    h('strong', {}, 'Objectives: '), pareto.objectives.map((o) => `${o.name} (${o.goal})`).join(', '),
    pareto.constraints.length > 0 ? ` · constraints: ${pareto.constraints.join(', ')}` : '',
    ' · ',
    h('strong', {}, 'first front: '),
    first.length > 0
      ? `${first.length} ${first.length === 1 ? 'trial' : 'trials'} (${first.join(', ')}), none better in every objective${pareto.constraints.length > 0 ? ' among those that meet the constraints' : ''}`
      : ranked === 0 ? 'none yet (no trial has completed)' : 'none yet (no completed trial meets the constraints)',
  ];
}

/** An objective's axis: its name with "(lower is better)" where it is minimised, its values as the registry prints them. */
function objectiveAxis(o: Objective, position: 'x' | 'y'): Record<string, unknown> {
  return {
    type: 'value', scale: true, name: `${o.name}${goalNote(o.goal)}`, nameLocation: 'middle', nameGap: position === 'x' ? 28 : 52,
    nameTextStyle: { ...AXIS_TEXT, fontWeight: 'bold' },
    axisLabel: { ...AXIS_TEXT, formatter: (v: number) => (isFraction(o) ? `${(v * 100).toFixed(1)}%` : value(v)) },
    splitLine: { lineStyle: { color: '#e9ecef' } },
  };
}

/** The constraints a trial breaks, as its tooltip lists them. */
function brokenLines(t: TrialView): string[] {
  return (t.broken ?? []).map((b) => `breaks ${b.text} (${b.by === null ? 'no value' : `by ${value(b.by)}`})`);
}

function scatterOption(d: DashboardData, pareto: ParetoView, x: number, y: number): { option: ChartOption; caption: string } {
  const metric = d.sweep.metric.name;
  const { objectives } = pareto;
  const at = (t: TrialView, i: number) => objectiveValue(t, pareto, i, metric);
  const completed = d.sweep.trials.filter((t) => t.status === 'completed');
  const plotted = completed.filter((t) => at(t, x) !== null && at(t, y) !== null);
  const last = lastFeasibleFront(d.sweep.trials);
  // The first front drawn last, over the others; infeasible ones first, under everything.
  const rank = (t: TrialView) => ({ infeasible: 0, unranked: 1, later: 2, front: 3 })[frontKind(t)];
  const ordered = [...plotted].sort((a, b) => rank(a) - rank(b) || (b.front ?? 0) - (a.front ?? 0) || a.id - b.id);
  const line = frontLine(d.sweep.trials, pareto, x, y, metric);
  const points: ScatterSeries = {
    type: 'scatter', id: 'trials', name: 'trials', z: 3,
    data: ordered.map((t) => {
      const kind = frontKind(t);
      const colour = frontColour(t, last);
      return {
        name: `trial ${t.id}`, value: [at(t, x)!, at(t, y)!],
        symbolSize: kind === 'front' ? 11 : 8,
        // Infeasible: hollow and grey.
        itemStyle: kind === 'infeasible'
          ? { color: '#fff', borderColor: INFEASIBLE_COLOUR, borderWidth: 1.5, opacity: 1 }
          : { color: colour, borderColor: kind === 'front' ? '#a33c00' : '#fff', borderWidth: 1, opacity: kind === 'front' ? 1 : 0.85 },
      };
    }),
    emphasis: { scale: 1.4 },
    tooltip: {
      formatter: (p: unknown) => {
        const t = ordered[(p as { dataIndex: number }).dataIndex];
        return tooltipBox(`trial ${t.id} · ${frontText(t)}`,
          ...objectives.map((o, i) => `${o.name}: ${formatMetric(o.name, at(t, i))}`), ...brokenLines(t));
      },
    },
  };
  const option: ChartOption = {
    animation: false,
    grid: { left: 72, right: 20, top: 16, bottom: 48 },
    tooltip: { ...TOOLTIP, trigger: 'item' },
    xAxis: objectiveAxis(objectives[x], 'x'),
    yAxis: objectiveAxis(objectives[y], 'y'),
    series: [
      {
        type: 'line', id: 'front', name: 'first front', step: 'end', silent: true, z: 2, showSymbol: false,
        data: line.map((p) => ({ name: `trial ${p.id}`, value: [...p.point] })),
        lineStyle: { color: FRONT_COLOUR, width: 2 }, itemStyle: { color: FRONT_COLOUR },
        tooltip: { show: false },
      },
      points,
    ],
  };
  const missing = completed.length - plotted.length;
  const infeasible = plotted.filter((t) => frontKind(t) === 'infeasible').length;
  const caption = [
    `${plotted.length} completed ${plotted.length === 1 ? 'trial' : 'trials'}, the first front's ${line.length} in orange joined by its step line`,
    objectives.length > 2 ? `(with ${objectives.length} objectives a first-front trial may look beaten here by one better in the objectives shown: it is better in another)` : '',
    last > 1 ? 'later fronts fade from blue to pale' : '',
    infeasible > 0 ? `${infeasible} infeasible (hollow, grey)` : '',
    missing > 0 ? `${missing} without a value of ${objectives[x].name} or ${objectives[y].name}, not drawn` : '',
  ].filter((s) => s !== '').join('; ') + '.';
  return { option, caption };
}

function hypervolumeOption(pareto: ParetoView): { option: ChartOption; caption: string } {
  const hv = pareto.hypervolume;
  if (!hv) return { option: { series: [] }, caption: `No hypervolume yet: ${pareto.hypervolumeNote ?? 'no completed feasible trial'}.` };
  const text = (v: number) => value(v);
  const option: ChartOption = {
    animation: false,
    grid: { left: 64, right: 20, top: 16, bottom: 48 },
    tooltip: { ...TOOLTIP, trigger: 'item' },
    xAxis: {
      type: 'value', name: 'trials completed, in the order they finished', nameLocation: 'middle', nameGap: 28, minInterval: 1,
      min: 1, max: Math.max(1, hv.steps.length), axisLabel: AXIS_TEXT, nameTextStyle: AXIS_TEXT,
    },
    yAxis: {
      type: 'value', name: 'hypervolume', nameLocation: 'middle', nameGap: 48, scale: false, nameTextStyle: AXIS_TEXT,
      axisLabel: { ...AXIS_TEXT, formatter: text }, splitLine: { lineStyle: { color: '#e9ecef' } },
    },
    series: [{
      type: 'line', id: 'hypervolume', name: 'hypervolume', step: 'end', showSymbol: true, symbolSize: 4,
      data: hv.steps.map((s, k) => ({ name: `trial ${s.trialId}`, value: [k + 1, s.hypervolume] })),
      lineStyle: { color: TEXT_COLOUR, width: 2 }, itemStyle: { color: TEXT_COLOUR },
      tooltip: {
        formatter: (p: unknown) => {
          const k = (p as { dataIndex: number }).dataIndex;
          return tooltipBox(`after trial ${hv.steps[k].trialId}`, `${k + 1} of ${hv.steps.length} completed`, `hypervolume ${text(hv.steps[k].hypervolume)}`);
        },
      },
    }],
  };
  return { option, caption: hypervolumeCaption(pareto, hv) };
}

/** What the chart measures, against which reference point, and where it ended. */
function hypervolumeCaption(pareto: ParetoView, hv: HypervolumeView): string {
  const feasible = hv.feasible;
  // To 4 significant digits (an accuracy as a percentage): the registry's formats round seconds to tenths.
  const reference = pareto.objectives.map((o, i) => `${o.name} ${isFraction(o) ? formatMetric(o.name, hv.reference[i]) : value(hv.reference[i])}`).join(', ');
  const last = hv.steps[hv.steps.length - 1];
  return [
    `The hypervolume of the first front of the trials completed so far${pareto.constraints.length > 0 ? ' (those that meet the constraints)' : ''}: the region of objective space they dominate, up to the reference point.`,
    `Reference point: ${reference}, Optuna's rule (each objective 10% past its worst value among the ${feasible} completed feasible ${feasible === 1 ? 'trial' : 'trials'}), fixed for the whole chart.`,
    last ? `After ${hv.steps.length} ${hv.steps.length === 1 ? 'trial' : 'trials'}: ${value(last.hypervolume)}.` : '',
  ].filter((s) => s !== '').join(' ');
}
