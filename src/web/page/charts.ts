/**
 * ECharts, imported piecemeal: only the line, scatter and parallel charts, their grid, parallel and
 * tooltip components, and the SVG renderer (no WebGL: headless Chromium runs with
 * --disable-gpu). Everything else in ECharts stays out of the bundle.
 */
import * as echarts from 'echarts/core';
import { LineChart, ParallelChart, ScatterChart } from 'echarts/charts';
import type { LineSeriesOption, ParallelSeriesOption, ScatterSeriesOption } from 'echarts/charts';
import { GridComponent, ParallelComponent, TooltipComponent } from 'echarts/components';
import type { GridComponentOption, ParallelComponentOption, TooltipComponentOption } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';
import { h } from './dom.js';

echarts.use([LineChart, ParallelChart, ScatterChart, GridComponent, ParallelComponent, TooltipComponent, SVGRenderer]);

export type Chart = echarts.ECharts;
// ParallelComponentOption stays out of ComposeOption: its parallelAxis dependency has no
// mainType in ECharts' typings, which turns every option key into a parallelAxis (ECharts 6.1).
export type ChartOption = echarts.ComposeOption<LineSeriesOption | ParallelSeriesOption | ScatterSeriesOption | GridComponentOption | TooltipComponentOption> & {
  parallel?: ParallelComponentOption;
  parallelAxis?: Record<string, unknown>[];
};
export type LineSeries = LineSeriesOption;
export type ScatterSeries = ScatterSeriesOption;

/** The colours every view uses for a trial's status (page.css has the same ones for the table). */
export const STATUS_COLOUR: Readonly<Record<string, string>> = {
  completed: '#5f6b7a', failed: '#c92a2a', pruned: '#e67700', running: '#1971c2', pending: '#868e96', interrupted: '#7048e8',
};
/** The best trial's colour, everywhere. */
export const BEST_COLOUR = '#e8590c';
export const TEXT_COLOUR = '#343a40';

const charts = new Set<Chart>();

/** An ECharts instance in `el`, rendered as SVG and resized with the window. */
export function chartIn(el: HTMLElement): Chart {
  const chart = echarts.init(el, null, { renderer: 'svg' });
  charts.add(chart);
  return chart;
}

/** Disposes of a chart made by chartIn (a view that draws a different number of charts). */
export function dispose(chart: Chart): void {
  charts.delete(chart);
  chart.dispose();
}

let resizeQueued = false;
window.addEventListener('resize', () => {
  if (resizeQueued) return;
  resizeQueued = true;
  requestAnimationFrame(() => {
    resizeQueued = false;
    for (const c of charts) c.resize();
  });
});

/**
 * A tooltip's content as DOM, not HTML text: ECharts writes a string tooltip with innerHTML,
 * and its default markup carries style attributes, which the page's CSP forbids. With
 * `confine: true` ECharts adds no arrow (whose markup has them too).
 */
export function tooltipBox(title: string, ...lines: string[]): HTMLElement {
  return h('div', { class: 'tip' }, h('strong', {}, title), ...lines.map((l) => h('div', {}, l)));
}

/** The tooltip settings every chart uses; `formatter` builds its content with tooltipBox. */
export const TOOLTIP: TooltipComponentOption = { confine: true, transitionDuration: 0, className: 'chart-tip', borderWidth: 1, padding: [6, 8] };

/** Axis styling shared by the line charts. */
export const AXIS_TEXT = { color: TEXT_COLOUR, fontSize: 11 };
