/**
 * The dashboard page: reads the sweep's data from the page (#sweep-data), renders every view,
 * and, when served live, re-renders on each server-sent `data` event, keeping what the reader
 * chose (sort, filter, brush, top k, compared trials). Views are one per file; this file lays
 * them out and decides what re-renders when.
 */
import type { DashboardData } from '../model.js';
import { mountBest } from './best.js';
import type { Chart } from './charts.js';
import { mountCompare } from './compare.js';
import { download, toCsv } from './csv.js';
import { mountCurves } from './curves.js';
import { h } from './dom.js';
import { mountHeader } from './header.js';
import { mountImportance } from './importance.js';
import { mountParallel } from './parallel.js';
import { mountPareto, type ParetoSection } from './pareto.js';
import { bestTrialId, inBrush, initialState, matchesFilter } from './state.js';
import { columns, mountTable, sortTrials } from './table.js';
import type { View } from './view.js';

/** What tests read after each render (window.__sweep). */
export type SweepHandle = {
  readonly data: DashboardData;
  /**
   * Every chart on the page, flat (each value an ECharts instance): curvesAcc, curvesLoss,
   * parallel, compare, `marginal:<key>` for each hyperparameter's marginal means, and, for a
   * sweep ranked into fronts, pareto (the scatter) and hypervolume.
   */
  readonly charts: { readonly curvesAcc: Chart; readonly curvesLoss: Chart; readonly parallel: Chart; readonly compare: Chart } & Readonly<Record<string, Chart>>;
  /** Increases by one with every render (a live update, or a change the reader made). */
  readonly version: number;
};

declare global {
  interface Window { __sweep?: SweepHandle }
}

function readData(): DashboardData {
  const text = document.getElementById('sweep-data')?.textContent;
  if (!text) throw new Error('this page has no sweep data (#sweep-data)');
  return JSON.parse(text) as DashboardData;
}

function section(id: string, title: string, ...rest: HTMLElement[]): HTMLElement {
  return h('section', { id }, h('h2', {}, title), ...rest);
}

function start(): void {
  let data = readData();
  const state = initialState(data);
  let version = 0;

  const header = h('header', { id: 'header' });
  const sections = {
    table: section('table-section', 'Trials'),
    curves: section('curves-section', 'Learning curves'),
    parallel: section('parallel-section', 'Parallel coordinates'),
    importance: section('importance', 'Importance'),
    best: section('best', 'Best trial'),
    compare: section('compare', 'Compare two trials'),
  };
  document.body.replaceChildren(header, h('main', {}, ...Object.values(sections)));

  const head = mountHeader(header);
  const parallel = mountParallel(sections.parallel, { state, onBrush: () => renderChoices() });
  const table = mountTable(sections.table, {
    state, update: () => renderChoices(), clearBrush: () => parallel.clearBrush(),
    exportCsv: () => download(`${data.sweep.name}-trials.csv`, toCsv(data.sweep, view().shown)),
  });
  const curves = mountCurves(sections.curves, { state, update: () => renderChoices() });
  const importance = mountImportance(sections.importance);
  const best = mountBest(sections.best);
  const compare = mountCompare(sections.compare, { clear: () => { state.compare = []; renderChoices(); } });
  // A sweep ranked into fronts gets its section after the table's, made when its data first has one.
  let pareto: { readonly section: HTMLElement; readonly view: ParetoSection } | undefined;

  /** The trials the table shows, and the rest every view derives from the data and the state. */
  function view(): View {
    const labels = new Map(data.sweep.axes.map((a) => [a.key, a.label]));
    const shown = data.sweep.trials.filter((t) => matchesFilter(t, labels, state.filter) && inBrush(t, state.brush, parallel.coordinate));
    return { data, state, shown: sortTrials(shown, columns(data.sweep), state.sort), bestId: bestTrialId(data) };
  }

  /** After the reader changes a choice: the views that depend on choices. */
  function renderChoices(): void {
    const v = view();
    table.render(v);
    curves.render(v);
    compare.render(v);
    window.__sweep = {
      data,
      charts: {
        curvesAcc: curves.acc, curvesLoss: curves.loss, parallel: parallel.chart, compare: compare.chart,
        ...Object.fromEntries([...importance.marginals].map(([key, chart]) => [`marginal:${key}`, chart])),
        ...(pareto && !pareto.section.hidden ? { pareto: pareto.view.scatter, hypervolume: pareto.view.hypervolume } : {}),
      },
      version: ++version,
    };
    document.body.dataset.state = 'ready';
  }

  /** After new data: every view. */
  function renderAll(): void {
    // A compared trial that is gone (a sweep rewritten under the server) is dropped.
    state.compare = state.compare.filter((id) => data.sweep.trials.some((t) => t.id === id));
    head.render(data);
    renderPareto();
    parallel.render(data);
    importance.render(data);
    best.render(data);
    renderChoices();
  }

  /** The Pareto section: shown (and made, the first time) for a sweep ranked into fronts, hidden for any other. */
  function renderPareto(): void {
    if (!data.sweep.pareto) {
      if (pareto) pareto.section.hidden = true;
      return;
    }
    if (!pareto) {
      const el = section('pareto-section', 'Pareto front');
      sections.table.after(el);
      pareto = { section: el, view: mountPareto(el, { state }) };
    }
    pareto.section.hidden = false;
    pareto.view.render(data);
  }

  renderAll();

  if (data.live) {
    head.setLive('connecting');
    const events = new EventSource(data.live.events);
    events.addEventListener('open', () => head.setLive('live'));
    events.addEventListener('error', () => head.setLive(events.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting'));
    events.addEventListener('data', (e) => {
      data = JSON.parse((e as MessageEvent<string>).data) as DashboardData;
      renderAll();
    });
  }
}

try {
  start();
} catch (e) {
  document.body.dataset.state = 'error';
  document.body.replaceChildren(h('p', { class: 'fatal' }, `The dashboard could not be shown: ${e instanceof Error ? e.message : String(e)}`));
  throw e;
}
