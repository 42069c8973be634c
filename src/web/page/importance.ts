/**
 * Importance: how much of the metric's variance each swept hyperparameter explains, labelled by
 * how it was computed (exact ANOVA on a complete grid, a named estimate, or none and why), with
 * the interactions' share shown openly; then each hyperparameter's marginal means (small
 * multiples) and the two most important ones' joint means as a heat map.
 */
import type { DashboardData, Importance, Marginal, PairMeans } from '../model.js';
import { AXIS_TEXT, BEST_COLOUR, TOOLTIP, chartIn, dispose, tooltipBox, type Chart } from './charts.js';
import { paint } from './colour.js';
import { h, replace } from './dom.js';
import { goalNote, isFraction, metricText, quality, type Objective } from './format.js';

export type ImportanceView = {
  /** The marginal-means charts, one per hyperparameter, by key. */
  readonly marginals: ReadonlyMap<string, Chart>;
  readonly render: (data: DashboardData) => void;
};

export function mountImportance(section: HTMLElement): ImportanceView {
  const kind = h('p', { id: 'importance-kind' });
  const bars = h('div', { id: 'importance-bars', class: 'bars' });
  const multiples = h('div', { id: 'marginals', class: 'multiples' });
  const pair = h('div', { id: 'pair' });
  const marginalsTitle = h('h3', {}, 'Marginal means');
  section.append(kind, bars, marginalsTitle, multiples, pair);
  const charts = new Map<string, Chart>();

  return {
    marginals: charts,
    render: (d) => {
      const imp = d.sweep.importance;
      const label = (key: string) => d.sweep.axes.find((a) => a.key === key)?.label ?? key;
      section.setAttribute('data-importance-kind', imp.kind);
      replace(kind, ...kindText(imp));
      renderBars(bars, imp, label);
      const marginals = imp.kind === 'none' ? [] : imp.marginals;
      renderMarginals(multiples, charts, marginals, d.sweep.metric, label);
      marginalsTitle.hidden = marginals.length === 0;
      marginalsTitle.textContent = `Mean ${d.sweep.metric.name} at each value${goalNote(d.sweep.metric.goal)}`;
      renderPair(pair, imp.kind === 'none' ? null : imp.pair, d.sweep.metric, label);
    },
  };
}

function kindText(imp: Importance): (string | Node)[] {
  switch (imp.kind) {
    case 'anova':
      return [h('strong', {}, 'Exact functional ANOVA'), ' over a complete grid: each bar is the share of the metric\'s variance that hyperparameter explains on its own; what no single one explains is the interactions\' share.'];
    case 'estimate':
      return [h('strong', {}, `Estimate (${imp.method})`), `: ${imp.reason}`];
    case 'none':
      return [h('strong', {}, 'No importance yet'), `: ${imp.reason}`];
  }
}

const pct = (share: number) => `${(share * 100).toFixed(share > 0 && share < 0.01 ? 1 : 0)}%`;

function renderBars(el: HTMLElement, imp: Importance, label: (key: string) => string): void {
  if (imp.kind === 'none') return void replace(el);
  const parts = [...imp.parts].sort((a, b) => b.share - a.share);
  const bar = (share: number, attrs: Record<string, string | number | true>, name: string, text: string) => {
    const fill = h('div', { class: 'bar-fill' });
    fill.style.width = `${Math.max(0, Math.min(1, share)) * 100}%`;
    return h('div', { class: 'bar-row', 'data-share': share, ...attrs },
      h('span', { class: 'bar-label' }, name), h('div', { class: 'bar-track' }, fill), h('span', { class: 'bar-value' }, text));
  };
  replace(el,
    ...parts.map((p) => bar(p.share, { 'data-importance-key': p.key }, label(p.key), pct(p.share))),
    imp.kind === 'anova' ? bar(imp.interaction, { 'data-importance-interaction': true, class: 'bar-row interaction' }, 'interactions', `interactions: ${pct(imp.interaction)}`) : null,
  );
}

function renderMarginals(el: HTMLElement, charts: Map<string, Chart>, marginals: readonly Marginal[], metric: Objective, label: (key: string) => string): void {
  const keys = new Set(marginals.map((m) => m.key));
  for (const [key, chart] of charts) {
    if (!keys.has(key)) { dispose(chart); charts.delete(key); }
  }
  // Keep each chart's box (and its chart) across renders; put them in the marginals' order.
  const boxes = new Map([...el.children].map((c) => [c.getAttribute('data-key') ?? '', c as HTMLElement]));
  replace(el, ...marginals.map((m) => boxes.get(m.key) ?? h('div', { class: 'multiple', 'data-key': m.key },
    h('h4', {}, label(m.key)), h('div', { class: 'chart chart-small', id: `marginal-${m.key}` }))));
  for (const m of marginals) {
    const box = el.querySelector<HTMLElement>(`.multiple[data-key="${CSS.escape(m.key)}"] .chart`)!;
    let chart = charts.get(m.key);
    if (!chart) { chart = chartIn(box); charts.set(m.key, chart); }
    chart.setOption({
      animation: false,
      grid: { left: 48, right: 10, top: 10, bottom: 28 },
      tooltip: {
        ...TOOLTIP, trigger: 'item',
        formatter: (p: unknown) => {
          const l = m.levels[(p as { dataIndex: number }).dataIndex];
          return tooltipBox(`${label(m.key)} = ${l.value}`, `mean ${metric.name} ${metricText(metric, l.mean)}`, `over ${l.n} ${l.n === 1 ? 'trial' : 'trials'}`);
        },
      },
      xAxis: { type: 'category', data: m.levels.map((l) => l.value), axisLabel: { ...AXIS_TEXT, hideOverlap: true } },
      yAxis: {
        type: 'value', scale: true, splitNumber: 3, splitLine: { lineStyle: { color: '#e9ecef' } },
        axisLabel: { ...AXIS_TEXT, formatter: (x: number) => (isFraction(metric) ? `${(x * 100).toFixed(1)}%` : x.toFixed(3)) },
      },
      series: [{ type: 'line', data: m.levels.map((l) => l.mean), symbolSize: 6, lineStyle: { color: BEST_COLOUR, width: 2 }, itemStyle: { color: BEST_COLOUR } }],
    }, { notMerge: true });
  }
}

/** The joint means as an HTML heat map: cells shaded from worse (light) to better (dark), the text in each. */
function renderPair(el: HTMLElement, pair: PairMeans | null, metric: Objective, label: (key: string) => string): void {
  if (!pair) return void replace(el);
  const means = pair.means.flat().filter((v): v is number => v !== null);
  const [lo, hi] = [Math.min(...means), Math.max(...means)];
  const q = (v: number) => quality(metric, v, lo, hi);
  const cell = (v: number | null) => {
    const td = h('td', { class: v === null ? 'empty' : 'num', title: v === null ? 'no completed trial' : null }, v === null ? '–' : metricText(metric, v));
    if (v !== null) paint(td, q(v));
    return td;
  };
  replace(el,
    h('h3', {}, `Mean ${metric.name} by ${label(pair.x)} and ${label(pair.y)}`),
    h('table', { class: 'heatmap', id: 'pair-heatmap' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'corner' }, `${label(pair.y)} \\ ${label(pair.x)}`), ...pair.xLevels.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, ...pair.yLevels.map((y, j) => h('tr', {}, h('th', { scope: 'row' }, y), ...pair.xLevels.map((_, i) => cell(pair.means[i][j]))))),
    ),
  );
}
