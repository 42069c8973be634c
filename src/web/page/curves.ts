/**
 * Learning curves: val_accuracy and val_loss by epoch (a sweep of the user's code: its metric and
 * the next metric it reported, by step), one line per trial that has epochs
 * (running trials too, so they grow with each live update). The best completed trial is drawn
 * thick and coloured, the rest thin and muted; the table's filter and the parallel brush decide
 * which trials are drawn, and "top k" keeps only the best k of those.
 */
import type { EpochPoint, TrialView } from '../model.js';
import { AXIS_TEXT, BEST_COLOUR, STATUS_COLOUR, TOOLTIP, chartIn, tooltipBox, type Chart, type ChartOption, type LineSeries } from './charts.js';
import { h } from './dom.js';
import { metricOf, metricText, value } from './format.js';
import { epochValue, formatMetric, metricDef } from '../../metrics/registry.js';
import { topK, type UiState } from './state.js';
import type { View } from './view.js';

type Curve = { readonly id: string; readonly title: string; readonly point: (e: EpochPoint) => number; readonly text: (v: number) => string; readonly percent: boolean };

const IDS = ['curves-acc', 'curves-loss'] as const;

/** A metric's curve, in the chart with `id`: its value at each step, as the registry reads and prints it. */
function curveOf(id: string, name: string): Curve {
  return { id, title: name, point: (e) => epochValue(name, e), text: (x) => formatMetric(name, x), percent: metricDef(name).format === 'percent' };
}

/** The two metrics drawn: sweep's models' validation accuracy and loss; the user's code's metric and the next it reported. */
function curvesOf(v: View): Curve[] {
  const names = v.data.sweep.code ? v.data.sweep.metrics.slice(0, 2) : ['val_accuracy', 'val_loss'];
  return names.map((name, i) => curveOf(IDS[i], name));
}

export type Curves = { readonly acc: Chart; readonly loss: Chart; readonly render: (v: View) => void };

export function mountCurves(section: HTMLElement, act: { readonly state: UiState; readonly update: () => void }): Curves {
  const choices = ([[0, 'all'], [5, 'top 5'], [10, 'top 10']] as const).map(([k, label]) => {
    const input = h('input', { type: 'radio', name: 'topk', value: k, checked: act.state.topK === k });
    input.addEventListener('change', () => { if (input.checked) { act.state.topK = k; act.update(); } });
    return h('label', {}, input, label);
  });
  const caption = h('p', { id: 'curves-caption', class: 'muted' });
  const boxes = IDS.map((id) => h('div', { class: 'chart-box' }, h('h3', {}), h('div', { id, class: 'chart' })));
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
      const curves = curvesOf(v);
      [acc, lossChart].forEach((chart, i) => {
        const curve = curves[i];
        // A program that reports one metric has one curve: the second box stays empty, titled so.
        boxes[i].firstElementChild!.textContent = curve?.title ?? 'no other metric reported';
        chart.setOption(curve ? option(curve, drawn, v.bestId, v.data.sweep.code ? 'step' : 'epoch') : { series: [] }, { notMerge: true });
      });
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

function option(curve: Curve, trials: readonly TrialView[], bestId: number | null, stepWord: string): ChartOption {
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
          return tooltipBox(`trial ${t.id}${best ? ' (best)' : ''}`, `${t.status}`, `${stepWord} ${epoch}: ${curve.title} ${curve.text(y)}`);
        },
      },
    };
  });
  return {
    animation: false,
    grid: { left: 56, right: 16, top: 16, bottom: 36 },
    tooltip: { ...TOOLTIP, trigger: 'item' },
    xAxis: { type: 'value', name: stepWord, nameLocation: 'middle', nameGap: 24, minInterval: 1, min: 'dataMin', max: 'dataMax', axisLabel: AXIS_TEXT, nameTextStyle: AXIS_TEXT },
    yAxis: {
      type: 'value', scale: true, axisLabel: { ...AXIS_TEXT, formatter: curve.percent ? (x: number) => `${(x * 100).toFixed(1)}%` : (x: number) => x.toFixed(2) },
      splitLine: { lineStyle: { color: '#e9ecef' } },
    },
    series,
  };
}
