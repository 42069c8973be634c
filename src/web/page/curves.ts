/**
 * Learning curves: val_accuracy and val_loss by epoch, one line per trial that has epochs
 * (running trials too, so they grow with each live update). The best completed trial is drawn
 * thick and coloured, the rest thin and muted; the table's filter and the parallel brush decide
 * which trials are drawn, and "top k" keeps only the best k of those.
 */
import type { EpochPoint, TrialView } from '../model.js';
import { AXIS_TEXT, BEST_COLOUR, STATUS_COLOUR, TOOLTIP, chartIn, tooltipBox, type Chart, type ChartOption, type LineSeries } from './charts.js';
import { h } from './dom.js';
import { loss, metricOf, metricText, percent, value } from './format.js';
import { topK, type UiState } from './state.js';
import type { View } from './view.js';

type Curve = { readonly id: string; readonly title: string; readonly point: (e: EpochPoint) => number; readonly text: (v: number) => string; readonly percent: boolean };

const ACC: Curve = { id: 'curves-acc', title: 'val_accuracy', point: (e) => e.valAccuracy, text: percent, percent: true };
const LOSS: Curve = { id: 'curves-loss', title: 'val_loss', point: (e) => e.valLoss, text: loss, percent: false };

export type Curves = { readonly acc: Chart; readonly loss: Chart; readonly render: (v: View) => void };

export function mountCurves(section: HTMLElement, act: { readonly state: UiState; readonly update: () => void }): Curves {
  const choices = ([[0, 'all'], [5, 'top 5'], [10, 'top 10']] as const).map(([k, label]) => {
    const input = h('input', { type: 'radio', name: 'topk', value: k, checked: act.state.topK === k });
    input.addEventListener('change', () => { if (input.checked) { act.state.topK = k; act.update(); } });
    return h('label', {}, input, label);
  });
  const caption = h('p', { id: 'curves-caption', class: 'muted' });
  const boxes = [ACC, LOSS].map((c) => h('div', { class: 'chart-box' }, h('h3', {}, c.title), h('div', { id: c.id, class: 'chart' })));
  section.append(
    h('div', { class: 'toolbar' }, h('fieldset', { id: 'topk', class: 'segmented' }, h('legend', {}, 'show'), ...choices), caption),
    h('div', { class: 'pair' }, ...boxes),
  );
  const acc = chartIn(boxes[0].lastElementChild as HTMLElement);
  const lossChart = chartIn(boxes[1].lastElementChild as HTMLElement);
  return {
    acc, loss: lossChart,
    render: (v) => {
      for (const input of choices.map((l) => l.firstElementChild as HTMLInputElement)) input.checked = Number(input.value) === v.state.topK;
      const drawn = topK(v.shown.filter((t) => t.epochs.length > 0), v.state.topK, v.data.sweep.metric);
      acc.setOption(option(ACC, drawn, v.bestId), { notMerge: true });
      lossChart.setOption(option(LOSS, drawn, v.bestId), { notMerge: true });
      const best = v.data.sweep.trials.find((t) => t.id === v.bestId);
      caption.textContent = [
        `${drawn.length} ${drawn.length === 1 ? 'trial' : 'trials'} drawn`,
        best ? `best: trial ${best.id} ${describe(best, v)} (${v.data.sweep.metric.name} ${metricText(v.data.sweep.metric, metricOf(best))})` : 'no completed trial yet',
        best && !drawn.includes(best) ? 'not drawn: filtered out' : '',
      ].filter((s) => s !== '').join(' · ');
    },
  };
}

/** "dropout=0.1 units=128": the trial's swept values. */
function describe(t: TrialView, v: View): string {
  return v.data.sweep.axes.map((a) => `${a.label}=${value(t.values[a.key])}`).join(' ');
}

function option(curve: Curve, trials: readonly TrialView[], bestId: number | null): ChartOption {
  // The best trial last, so that it is drawn over the others.
  const ordered = [...trials.filter((t) => t.id !== bestId), ...trials.filter((t) => t.id === bestId)];
  const series: LineSeries[] = ordered.map((t) => {
    const best = t.id === bestId;
    const colour = best ? BEST_COLOUR : STATUS_COLOUR[t.status] ?? STATUS_COLOUR.completed;
    return {
      type: 'line', id: `trial-${t.id}`, name: `trial ${t.id}`,
      data: t.epochs.map((e) => [e.epoch, curve.point(e)]),
      symbol: 'circle', symbolSize: best ? 5 : 3, showSymbol: true,
      lineStyle: { width: best ? 3 : 1.2, color: colour, opacity: best ? 1 : 0.45, type: t.status === 'running' ? 'dashed' : 'solid' },
      itemStyle: { color: colour, opacity: best ? 1 : 0.45 },
      z: best ? 3 : 2,
      emphasis: { focus: 'series', lineStyle: { width: best ? 3.5 : 2.5, opacity: 1 } },
      tooltip: {
        formatter: (p: unknown) => {
          const [epoch, y] = (p as { value: [number, number] }).value;
          return tooltipBox(`trial ${t.id}${best ? ' (best)' : ''}`, `${t.status}`, `epoch ${epoch}: ${curve.title} ${curve.text(y)}`);
        },
      },
    };
  });
  return {
    animation: false,
    grid: { left: 56, right: 16, top: 16, bottom: 36 },
    tooltip: { ...TOOLTIP, trigger: 'item' },
    xAxis: { type: 'value', name: 'epoch', nameLocation: 'middle', nameGap: 24, minInterval: 1, min: 'dataMin', max: 'dataMax', axisLabel: AXIS_TEXT, nameTextStyle: AXIS_TEXT },
    yAxis: {
      type: 'value', scale: true, axisLabel: { ...AXIS_TEXT, formatter: curve.percent ? (x: number) => `${(x * 100).toFixed(1)}%` : (x: number) => x.toFixed(2) },
      splitLine: { lineStyle: { color: '#e9ecef' } },
    },
    series,
  };
}
