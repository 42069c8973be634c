/**
 * Two trials side by side (picked with the table's compare boxes): their configurations, the
 * differences highlighted, their results, and their val_accuracy curves overlaid (a sweep of the
 * user's code: its metric's).
 */
import type { TrialView } from '../model.js';
import { AXIS_TEXT, TOOLTIP, chartIn, tooltipBox, type Chart, type LineSeries } from './charts.js';
import { h, replace } from './dom.js';
import { duration, loss, metricOf, metricText, percent, value } from './format.js';
import { epochValue, formatMetric, metricDef } from '../../metrics/registry.js';
import type { View } from './view.js';

const COLOURS = ['#1971c2', '#e8590c'] as const;

export function mountCompare(section: HTMLElement, act: { readonly clear: () => void }): { readonly chart: Chart; readonly render: (v: View) => void } {
  const intro = h('p', { class: 'muted' });
  const clear = h('button', { type: 'button', id: 'clear-compare' }, 'clear');
  clear.addEventListener('click', () => act.clear());
  const table = h('div', { id: 'compare-table' });
  const chartEl = h('div', { id: 'compare-chart', class: 'chart' });
  const title = h('h3', {}, 'val_accuracy');
  section.append(h('div', { class: 'toolbar' }, intro, clear), h('div', { class: 'pair' }, table, h('div', { class: 'chart-box' }, title, chartEl)));
  // Always laid out (an empty chart until trials are picked): ECharts cannot size a hidden box.
  const chart = chartIn(chartEl);
  return {
    chart,
    render: (v) => {
      const picked = v.state.compare.map((id) => v.data.sweep.trials.find((t) => t.id === id)).filter((t): t is TrialView => t !== undefined);
      intro.textContent = picked.length === 2
        ? `Trial ${picked[0].id} and trial ${picked[1].id}; differences highlighted.`
        : picked.length === 1
          ? `Trial ${picked[0].id}: tick one more trial's compare box in the table.`
          : 'Tick two trials\' compare boxes in the table to see them side by side.';
      clear.hidden = picked.length === 0;
      const { code, metric } = v.data.sweep;
      // The curve compared: sweep's models' validation accuracy; the user's code's own metric.
      const name = code ? metric.name : 'val_accuracy';
      const text = (x: number) => formatMetric(name, x);
      const isPercent = metricDef(name).format === 'percent';
      title.textContent = name;
      replace(table, picked.length > 0 ? sideBySide(picked, v) : null);
      chart.setOption({
        animation: false,
        grid: { left: 56, right: 16, top: 16, bottom: 36 },
        tooltip: {
          ...TOOLTIP, trigger: 'axis',
          formatter: (p: unknown) => {
            const items = p as { seriesName: string; value: [number, number] }[];
            return tooltipBox(`${code ? 'step' : 'epoch'} ${items[0]?.value[0] ?? ''}`, ...items.map((it) => `${it.seriesName}: ${text(it.value[1])}`));
          },
        },
        xAxis: { type: 'value', name: code ? 'step' : 'epoch', nameLocation: 'middle', nameGap: 24, minInterval: 1, min: 'dataMin', max: 'dataMax', axisLabel: AXIS_TEXT, nameTextStyle: AXIS_TEXT },
        yAxis: { type: 'value', scale: true, splitLine: { lineStyle: { color: '#e9ecef' } }, axisLabel: { ...AXIS_TEXT, formatter: isPercent ? (x: number) => `${(x * 100).toFixed(1)}%` : (x: number) => x.toFixed(2) } },
        series: picked.map((t, i): LineSeries => ({
          type: 'line', id: `compare-${t.id}`, name: `trial ${t.id}`, data: t.epochs.map((e) => [e.epoch, epochValue(name, e)]),
          symbolSize: 5, lineStyle: { color: COLOURS[i], width: 2 }, itemStyle: { color: COLOURS[i] },
        })),
      }, { notMerge: true });
    },
  };
}

/** One row per configuration key either trial has (then the results): a row whose values differ is marked. */
function sideBySide(trials: readonly TrialView[], v: View): HTMLTableElement {
  const keys = [...new Set(trials.flatMap((t) => Object.keys(t.config)))];
  const { code, metric } = v.data.sweep;
  const results: [string, (t: TrialView) => string][] = code
    ? [['status', (t) => t.status], [metric.name, (t) => metricText(metric, metricOf(t))], ['steps', (t) => String(t.epochs.length)], ['seconds', (t) => duration(t.seconds)]]
    : [
      ['status', (t) => t.status], ['val_acc', (t) => percent(t.valAccuracy)], ['val_loss', (t) => loss(t.valLoss)],
      ['test_acc', (t) => percent(t.testAccuracy)], ['latency', (t) => formatMetric('latency_ms', t.latencyMs)],
      ['epochs', (t) => String(t.epochs.length)], ['seconds', (t) => duration(t.seconds)],
    ];
  const row = (name: string, cells: readonly string[], diff: boolean) =>
    h('tr', { class: diff ? 'diff' : null }, h('th', { scope: 'row' }, name), ...cells.map((c) => h('td', {}, c)));
  return h('table', { class: 'compare' },
    h('thead', {}, h('tr', {}, h('th', {}), ...trials.map((t, i) => {
      const th = h('th', { scope: 'col' }, `trial ${t.id}`);
      th.style.color = COLOURS[i];
      return th;
    }))),
    h('tbody', {},
      ...keys.map((k) => {
        const cells = trials.map((t) => (k in t.config ? value(t.config[k]) : '-'));
        return row(k, cells, trials.length === 2 && JSON.stringify(trials[0].config[k]) !== JSON.stringify(trials[1].config[k]));
      }),
      ...results.map(([name, f]) => row(name, trials.map(f), false)),
    ),
  );
}
