/**
 * The trial table: one row per trial the filter and the brush let through (a row filtered out
 * is not in the DOM), swept hyperparameters first, then status and results. Clicking a header
 * sorts; the text box filters; a row's box picks it for comparison.
 */
import type { SweepView, TrialView } from '../model.js';
import { byId, h, reconcile, replace } from './dom.js';
import { bestFirstDirection, duration, metricOf, value } from './format.js';
import { formatMetric, isBuiltInMetric, type Goal } from '../../metrics/registry.js';
import { objectiveValue, onFirstFront } from './fronts.js';
import type { View } from './view.js';
import { brushed, toggleCompare, type UiState } from './state.js';

export type Column = {
  readonly key: string;
  readonly label: string;
  /** A title for the header: what the column holds. */
  readonly title: string;
  readonly numeric: boolean;
  /** The value sorted on and exported: a number, text, or null (always sorted last). */
  readonly raw: (t: TrialView) => number | string | null;
  /** The cell's text. */
  readonly text: (t: TrialView) => string;
  /** What sorting compares, where it differs from `raw` (a category's position in the axis). */
  readonly order?: (t: TrialView) => number | string | null;
  /** A metric's column: a first click sorts it best first. */
  readonly metric?: true;
  /** An objective's column: which way is best (the spec's goal, for a metric the registry may not know). */
  readonly goal?: Goal;
};

// A running trial is the one to watch; a failed one sorts to the end of the list.
const STATUS_ORDER = ['running', 'completed', 'pruned', 'interrupted', 'pending', 'failed', 'infeasible'];

/** The table's columns, in order: the swept hyperparameters (as axes label them), then status and results, then the trial's id. */
export function columns(sweep: SweepView): Column[] {
  const axes: Column[] = sweep.axes.map((a) => ({
    key: `hp:${a.key}`, label: a.label, title: `${a.label} (swept)`, numeric: a.type !== 'category',
    raw: (t) => t.values[a.key] ?? null,
    text: (t) => value(t.values[a.key]),
    order: a.type === 'category'
      ? (t) => { const i = (a.categories ?? []).indexOf(String(t.values[a.key])); return i < 0 ? null : i; }
      : undefined,
  }));
  const num = (f: (t: TrialView) => number | null) => (t: TrialView) => { const v = f(t); return v === null || Number.isNaN(v) ? null : v; };
  const builtIn = sweep.code ? [] : [
    metricColumn('val_accuracy', 'val_acc', 'validation accuracy (last epoch)', (t) => t.valAccuracy),
    metricColumn('val_loss', 'val_loss', 'validation loss (last epoch)', (t) => t.valLoss),
    metricColumn('test_accuracy', 'test_acc', 'test accuracy (completed trials)', (t) => t.testAccuracy),
    metricColumn('latency_ms', 'latency', 'median time to classify one image (completed trials)', (t) => t.latencyMs),
  ];
  return [
    ...axes,
    {
      key: 'status', label: 'status', title: 'completed, running, pruned, interrupted, pending or failed', numeric: false,
      raw: (t) => t.status, text: (t) => t.status, order: (t) => STATUS_ORDER.indexOf(t.status),
    },
    ...(sweep.pareto ? paretoColumns(sweep, new Set(builtIn.map((c) => c.key))) : []),
    // The sweep's metric has a column of its own where it is not one of the built-in ones below; the
    // user's code has only its own (a sweep ranked into fronts: its objectives' columns, above).
    ...((isBuiltInMetric(sweep.metric.name) && !sweep.code) || sweep.pareto ? [] : [metricColumn(sweep.metric.name, sweep.metric.name, 'the sweep\'s metric', metricOf)]),
    ...builtIn,
    sweep.code
      ? { key: 'epochs', label: 'steps', title: 'steps reported', numeric: true, raw: (t) => t.epochs.length, text: (t) => String(t.epochs.length) }
      : { key: 'epochs', label: 'epochs', title: 'epochs trained', numeric: true, raw: (t) => t.epochs.length, text: (t) => String(t.epochs.length) },
    { key: 'seconds', label: 'seconds', title: 'training time', numeric: true, raw: num((t) => t.seconds), text: (t) => duration(t.seconds) },
    // Where any trial has a tag or a note: the tags, and a mark whose hover shows the notes (the filter reads both).
    ...(sweep.trials.some((t) => t.tags || t.notes) ? [{
      key: 'tags', label: 'tags', title: 'its tags (sweep tag); ✎: it has notes (sweep note)', numeric: false,
      raw: (t: TrialView) => t.tags?.join(' ') ?? null,
      text: (t: TrialView) => `${t.tags?.join(', ') ?? ''}${t.notes ? `${t.tags ? ' ' : ''}✎` : ''}`,
    } satisfies Column] : []),
    // A trial's id is what the CLI calls it ("trial 12", `sweep repro 12`); TrialView.number is only its place in the sweep.
    { key: 'trial', label: 'trial', title: 'the trial\'s id, as the CLI names it', numeric: true, raw: (t) => t.id, text: (t) => String(t.id) },
  ];
}

/** A metric's column: its value as the registry formats it, sorted best first on a first click. */
function metricColumn(key: string, label: string, title: string, read: (t: TrialView) => number | null): Column {
  const raw = (t: TrialView) => { const v = read(t); return v === null || Number.isNaN(v) ? null : v; };
  return { key, label, title, numeric: true, raw, text: (t) => formatMetric(key, raw(t)), metric: true };
}

/**
 * A sweep ranked into fronts: its front (infeasible trials said so), each objective not already
 * a column (`shown`: sweep's models' val_acc and val_loss), and, under constraints, each trial's summed violation.
 */
function paretoColumns(sweep: SweepView, shown: ReadonlySet<string>): Column[] {
  const pareto = sweep.pareto!;
  const front: Column = {
    key: 'front', label: 'front', numeric: true,
    title: `its Pareto front: 1 is the first, none better in every objective${pareto.constraints.length > 0 ? '; infeasible trials come after every feasible front' : ''}`,
    raw: (t) => t.front ?? null,
    text: (t) => (t.front === undefined ? '-' : t.violation === 0 ? String(t.front) : `${t.front} infeasible`),
  };
  const objectives = pareto.objectives.flatMap((o, i): Column[] => {
    if (shown.has(o.name)) return [];
    const column = metricColumn(o.name, o.name, `objective ${i + 1} of ${pareto.objectives.length}, ${o.goal}d`, (t) => objectiveValue(t, pareto, i, sweep.metric.name));
    return [{ ...column, goal: o.goal }];
  });
  const violation: Column[] = pareto.constraints.length === 0 ? [] : [{
    key: 'violation', label: 'violation', numeric: true, title: `by how much it breaks ${pareto.constraints.join(', ')} (summed; 0: it meets them)`,
    raw: (t) => (t.front === undefined ? null : t.violation ?? Infinity),
    text: (t) => (t.front === undefined ? '-' : t.violation === null ? 'no value' : value(t.violation)),
  }];
  return [front, ...objectives, ...violation];
}

/** The trials in the table's order: by the sort column (nulls last either way), ties by trial id. */
export function sortTrials(trials: readonly TrialView[], cols: readonly Column[], sort: UiState['sort']): TrialView[] {
  const col = cols.find((c) => c.key === sort.key) ?? cols.find((c) => c.key === 'trial')!;
  const key = col.order ?? col.raw;
  return [...trials].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    if (x === null || y === null) return x === y ? a.id - b.id : x === null ? 1 : -1;
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
    return c * sort.dir || a.id - b.id;
  });
}

export type TableActions = {
  readonly state: UiState;
  /** Re-renders the views after a change to the state. */
  readonly update: () => void;
  /** Downloads the rows shown as CSV. */
  readonly exportCsv: () => void;
  /** Removes every brushed interval from the parallel chart. */
  readonly clearBrush: () => void;
};

/** Creates the table's toolbar and table in `section`; returns how to render it. */
export function mountTable(section: HTMLElement, act: TableActions): { render: (v: View) => void } {
  const filter = h('input', {
    id: 'filter', type: 'search', placeholder: 'filter: relu 0.2 failed…', 'aria-label': 'filter trials', autocomplete: 'off', spellcheck: 'false',
  });
  filter.value = act.state.filter;
  filter.addEventListener('input', () => { act.state.filter = filter.value; act.update(); });
  const clear = h('button', { id: 'clear-brush', type: 'button', hidden: true }, 'clear brush');
  clear.addEventListener('click', () => act.clearBrush());
  const exportButton = h('button', { id: 'export-csv', type: 'button', title: 'the rows shown, every column' }, 'Export CSV');
  exportButton.addEventListener('click', () => act.exportCsv());
  const table = h('table', { id: 'trials' }, h('thead'), h('tbody'));
  // The columns last rendered, for the header's clicks.
  let shownColumns: readonly Column[] = [];
  let shownMetric: SweepView['metric'] | undefined;
  const columnFor = (key: string) => shownColumns.find((c) => c.key === key);
  section.append(
    h('div', { class: 'toolbar' }, filter, h('span', { id: 'trial-count', class: 'muted', 'aria-live': 'polite' }), clear, exportButton),
    h('div', { class: 'table-wrap' }, table),
  );
  table.tHead!.addEventListener('click', (e) => {
    const th = (e.target as Element).closest('th[data-key]');
    if (!th) return;
    const key = th.getAttribute('data-key')!;
    const { sort } = act.state;
    // A first click puts a metric best first (the registry's goal), other results largest first, and
    // hyperparameters, status and trial ids in ascending order; a second click reverses.
    const col = columnFor(key);
    const first = col?.goal ? (col.goal === 'minimize' ? 1 : -1)
      : col?.metric ? bestFirstDirection(key, shownMetric)
        : key === 'trial' || key === 'status' || key === 'front' || key === 'violation' || key.startsWith('hp:') ? 1 : -1;
    act.state.sort = sort.key === key ? { key, dir: sort.dir === 1 ? -1 : 1 } : { key, dir: first };
    act.update();
    table.tHead!.querySelector<HTMLButtonElement>(`th[data-key="${CSS.escape(key)}"] button`)?.focus();
  });
  table.tBodies[0].addEventListener('change', (e) => {
    const box = e.target as HTMLInputElement;
    if (!box.matches('input[data-compare]')) return;
    act.state.compare = toggleCompare(act.state.compare, Number(box.getAttribute('data-compare')), box.checked);
    act.update();
  });
  return {
    render: (v) => {
      const cols = columns(v.data.sweep);
      shownColumns = cols;
      shownMetric = v.data.sweep.metric;
      renderHead(table.tHead!, cols, v.state.sort);
      const body = table.tBodies[0];
      // A row whose markup has not changed is kept, not replaced (see reconcile).
      const old = new Map([...body.rows].map((r) => [r.getAttribute('data-trial-id'), r]));
      const rows = v.shown.map((t) => {
        const fresh = row(t, cols, v);
        const prev = old.get(String(t.id));
        return prev && prev.outerHTML === fresh.outerHTML ? prev : fresh;
      });
      reconcile(body, rows.length > 0 ? rows : [h('tr', { class: 'empty' }, h('td', { colspan: cols.length + 1 }, 'no trial matches'))]);
      for (const box of body.querySelectorAll<HTMLInputElement>('input[data-compare]')) {
        box.checked = v.state.compare.includes(Number(box.getAttribute('data-compare')));
      }
      const total = v.data.sweep.trials.length;
      byId('trial-count').textContent = v.shown.length === total ? `${total} trials` : `${v.shown.length} of ${total} trials shown`;
      clear.hidden = !brushed(v.state.brush);
    },
  };
}

function renderHead(thead: HTMLTableSectionElement, cols: readonly Column[], sort: UiState['sort']): void {
  const focused = document.activeElement?.closest('th')?.getAttribute('data-key');
  replace(thead, h('tr', {},
    ...cols.map((c) => {
      const on = c.key === sort.key;
      return h('th', {
        'data-key': c.key, class: c.numeric ? 'num' : null, title: c.title, scope: 'col',
        'aria-sort': on ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none',
      }, h('button', { type: 'button' }, c.label, h('span', { class: 'sort', 'aria-hidden': 'true' }, on ? (sort.dir === 1 ? '▲' : '▼') : '')));
    }),
    h('th', { scope: 'col', title: 'pick two trials to compare them' }, 'compare'),
  ));
  if (focused) thead.querySelector<HTMLButtonElement>(`th[data-key="${CSS.escape(focused)}"] button`)?.focus();
}

function row(t: TrialView, cols: readonly Column[], v: View): HTMLTableRowElement {
  const best = t.id === v.bestId;
  const broken = (t.broken ?? []).map((b) => `${b.text} (${b.by === null ? 'no value' : `by ${value(b.by)}`})`);
  const tr = h('tr', {
    'data-trial-id': t.id, 'data-status': t.status,
    class: `status-${t.status}${best ? ' best' : ''}${onFirstFront(t) ? ' front-first' : ''}${broken.length > 0 ? ' infeasible' : ''}`,
    title: t.pruned ?? (t.error ? `failed: ${t.error}` : broken.length > 0 ? `infeasible: breaks ${broken.join(', ')}` : null),
  });
  for (const c of cols) {
    if (c.key === 'status') tr.append(h('td', { class: 'status-cell' }, statusCell(t)));
    else if (c.key === 'tags') tr.append(h('td', { class: 'tags-cell', title: t.notes ? t.notes.join('\n') : null }, c.text(t)));
    else tr.append(h('td', { class: c.numeric ? 'num' : null }, c.text(t), c.key === 'trial' && best ? h('span', { class: 'best-mark', title: 'best completed trial' }, ' ★') : null));
  }
  tr.append(h('td', { class: 'compare-cell' }, h('input', {
    // Its `checked` is set as a property after rendering, so that the markup does not depend on it.
    type: 'checkbox', 'data-compare': t.id, 'aria-label': `compare trial ${t.id}`,
  })));
  return tr;
}

/** The status as a badge; a failed trial's error under it; a pruned trial's reason on hover (the row's title). */
function statusCell(t: TrialView): DocumentFragment {
  const f = document.createDocumentFragment();
  f.append(h('span', { class: `badge badge-${t.status}`, title: t.pruned ?? t.error ?? null }, t.status));
  if (t.status === 'failed' && t.error) f.append(h('div', { class: 'error', title: t.error }, t.error));
  return f;
}
