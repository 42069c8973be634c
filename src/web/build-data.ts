/**
 * The dashboard's data for one sweep, read from the store: the one code path behind both
 * `sweep report` and `sweep serve`. Reads only.
 */
import { importance } from '../analysis/importance.js';
import { formatValue, labelOf, paramsOf, varyingKeys } from '../spec/labels.js';
import { axesNamed, isRange, kindAxes, valuesOf } from '../spec/axes.js';
import { recordedSpec } from '../spec/load-spec.js';
import type { Axis } from '../spec/schema.js';
import type { Store } from '../store/store.js';
import { prunedLine } from '../early-stop/describe.js';
import type { AnyConfig, SweepRecord, TrialRecord } from '../trial/types.js';
import { epochValues } from '../metrics/registry.js';
import { isCodeConfig } from '../spec/code.js';
import type { SweepSpec } from '../spec/schema.js';
import { hasFronts } from '../sweep/fronts.js';
import { hypervolumeHistory } from '../pareto/history.js';
import { minimized } from '../pareto/minimized.js';
import type { Axis as AxisView, BestView, DashboardData, ParetoView, SweepView, TrialView } from './model.js';

export type BuildOptions = {
  /** Served live: where the page's event stream is. */
  readonly live: DashboardData['live'];
  /** The link to another sweep's page (serve), or none (a report shows one sweep). */
  readonly href: (sweep: string) => string;
  /** The best trial's test-set analysis; undefined: none (no model kept, or no data to test on). */
  readonly best?: (trial: TrialRecord, sweep: SweepRecord) => Promise<BestView | undefined>;
};

/** Everything the page shows for sweep `name`; a UserError-free read (the caller checked the sweep exists). */
export async function buildDashboard(store: Store, record: SweepRecord, o: BuildOptions): Promise<DashboardData> {
  const [summaries, snapshot, records, decisions, annotations] = await Promise.all([
    store.sweeps(), store.snapshot(record.id), store.trials(record.id), store.decisions(record.id), store.annotations(record.id),
  ]);
  const notesOf = new Map<number, string[]>();
  for (const n of annotations.notes) if (n.trialId !== null) notesOf.set(n.trialId, [...(notesOf.get(n.trialId) ?? []), n.text]);
  const spec = recordedSpec(record);
  const byId = new Map(records.map((r) => [r.id, r]));
  const keys = varyingKeys(snapshot.map((t) => t.config));
  // Each key's axes in the spec (one per model kind that has it): its listed values, or its range.
  const kinds = spec ? kindAxes(spec) : [];
  const specAxes = (k: string) => kinds.flatMap((kind) => axesNamed(kind.axes, k));
  const axes = keys.map((k) => axisOf(k, snapshot.map((t) => t.config), specAxes(k)));
  const numeric = new Set(axes.filter((a) => a.type !== 'category').map((a) => a.key));
  const axisValue = (c: AnyConfig, k: string): number | string | null => {
    const v = paramsOf(c)[k];
    if (v === undefined) return null;
    return numeric.has(k) ? (v as number) : formatValue(v);
  };
  const pruneOf = new Map(decisions.filter((d) => d.verdict === 'prune').map((d) => [d.trialId, prunedLine(d, record.metric)]));
  const metric = { name: record.metric, goal: record.goal };
  const pareto = spec && hasFronts(spec) ? spec : undefined;

  const trials: TrialView[] = snapshot.map((t) => ({
    id: t.id, number: byId.get(t.id)?.number ?? 0, status: t.status,
    values: Object.fromEntries(keys.map((k) => [k, axisValue(t.config, k)])),
    config: paramsOf(t.config), valAccuracy: t.valAccuracy, valLoss: t.valLoss, testAccuracy: t.testAccuracy,
    latencyMs: byId.get(t.id)?.latencyMs ?? null, seconds: t.seconds, error: t.error, epochs: t.epochs, pruned: pruneOf.get(t.id) ?? null,
    metricValue: t.metricValue,
    ...(pareto ? paretoFields(byId.get(t.id)) : {}),
    ...(t.tags ? { tags: t.tags } : {}),
    ...(notesOf.has(t.id) ? { notes: notesOf.get(t.id)! } : {}),
  }));

  const completed = trials.filter((t) => t.status === 'completed');
  const levels = Object.fromEntries(keys.flatMap((k) => {
    const listed = gridLevels(specAxes(k));
    return listed ? [[k, listed]] : [];
  }));
  // Of a sweep ranked into fronts, the best by its metric among the feasible first front (an infeasible trial is nobody's best).
  const top = (pareto && records.find((r) => r.status === 'completed' && r.front === 1 && r.violation === 0))
    || records.find((r) => r.status === 'completed');
  const code = spec?.code !== undefined || snapshot.some((t) => isCodeConfig(t.config));
  // The names recorded at steps, the sweep's metric first (a step's own time is not a curve).
  const recorded = new Set(snapshot.flatMap((t) => t.epochs.flatMap((e) => Object.keys(epochValues(e)))));
  recorded.delete('epoch_seconds');
  const metrics = [...new Set([record.metric, ...[...recorded].sort()])].filter((m) => m === record.metric || recorded.has(m));
  const view: SweepView = {
    name: record.name, metric, code, metrics,
    method: spec?.search.method ?? 'grid', earlyStopping: spec?.search.earlyStopping?.type ?? null,
    axes, trials,
    importance: importance(
      completed.map((t) => ({ values: t.values, value: t.metricValue ?? NaN })), keys, levels,
    ),
    best: top && o.best && !isCodeConfig(top.config) ? (await o.best(top, record)) ?? null : null,
    bestNote: top && isCodeConfig(top.config)
      ? `Trial ${top.id} ran your ${top.config.model}: sweep keeps no model of it, so there is no confusion matrix or test images here (what it saved is in its trial folder).`
      : null,
    ...(pareto ? { pareto: paretoView(pareto, records) } : {}),
    notes: annotations.notes.filter((n) => n.trialId === null).map(({ text, createdAt }) => ({ text, createdAt })),
  };
  return {
    generatedAt: new Date().toISOString(), source: store.location, live: o.live,
    sweeps: summaries.map((s) => ({ name: s.name, href: o.href(s.name), total: s.total, completed: s.completed })),
    sweep: view,
  };
}

/** A trial's objectives and front as the page takes them (where the store has them: a completed, ranked trial). */
function paretoFields(r: TrialRecord | undefined): Partial<TrialView> {
  if (!r) return {};
  return {
    ...(r.objectiveValues ? { objectiveValues: r.objectiveValues } : {}),
    // JSON has no Infinity: a violation without limit (a bounded value missing) goes as null.
    ...(r.front !== undefined ? { front: r.front, violation: Number.isFinite(r.violation) ? r.violation! : null, broken: r.broken ?? [] } : {}),
  };
}

/**
 * The sweep's objectives and constraints, and the hypervolume of its feasible first front after
 * each completed trial, in the order they finished, against Optuna's reference point over every
 * completed feasible trial (src/pareto/history.ts).
 */
function paretoView(spec: Pick<SweepSpec, 'objectives' | 'constraints'>, records: readonly TrialRecord[]): ParetoView {
  const finished = (r: TrialRecord) => (r.finishedAt === null ? Infinity : Date.parse(r.finishedAt));
  const done = records.filter((r) => r.status === 'completed' && r.objectiveValues !== undefined)
    .sort((a, b) => finished(a) - finished(b) || a.number - b.number);
  // A trial completed but not ranked yet (the ranking follows its completion) is feasible where there is nothing to break.
  const points = done.map((r) => ({
    values: spec.objectives.map((o, i) => minimized(o.goal, r.objectiveValues![i])),
    feasible: r.violation === 0 || (r.front === undefined && spec.constraints.length === 0),
  }));
  const history = hypervolumeHistory(points);
  const reference = history.reference;
  return {
    objectives: spec.objectives.map((o) => ({ name: o.name, goal: o.goal })),
    constraints: spec.constraints.map((c) => c.text),
    hypervolume: reference === null ? null : {
      // Back in each objective's own units: a maximised objective was negated.
      reference: spec.objectives.map((o, i) => (o.goal === 'maximize' ? -reference[i] : reference[i])),
      feasible: points.filter((p) => p.feasible).length,
      steps: done.map((r, k) => ({ trialId: r.id, hypervolume: history.hypervolumes[k] })),
    },
    hypervolumeNote: reference !== null ? null
      : done.length === 0 ? 'no trial has completed yet'
        : spec.constraints.length > 0 ? 'no completed trial meets the constraints yet'
          : 'no completed trial has a value of every objective yet',
  };
}

/**
 * A swept hyperparameter's axis: numbers on a value axis (log for a log range, or a learning
 * rate spanning a factor of 10 or more), anything else (lists, names) as categories, every level
 * the spec's grid lists included. Trials that lack the key are not counted: they have no value there.
 */
function axisOf(key: string, configs: readonly AnyConfig[], specAxes: readonly Axis[]): AxisView {
  // A trial without the key (a conditional parameter under another choice) has no point on its axis.
  const values = configs.map((c) => paramsOf(c)[key]).filter((v) => v !== undefined);
  const label = labelOf(key);
  if (values.length > 0 && values.every((v) => typeof v === 'number')) {
    const nums = values as number[];
    const wide = Math.min(...nums) > 0 && Math.max(...nums) / Math.min(...nums) >= 10;
    const logRange = specAxes.some((a) => isRange(a) && 'log' in a && a.log);
    return { key, label, type: logRange || (key === 'learningRate' && wide) ? 'log' : 'value' };
  }
  const listed = specAxes.flatMap((a) => (isRange(a) ? [] : valuesOf(a).map(formatValue)));
  const seen = values.map((v) => formatValue(v));
  const categories = [...new Set([...listed, ...seen])].sort(byNumberThenText);
  return { key, label, type: 'category', categories };
}

/** The levels a key's grid lists, as the trials' values read as text (`String(value)`); undefined for a range or no spec. */
function gridLevels(specAxes: readonly Axis[]): string[] | undefined {
  if (specAxes.length === 0 || specAxes.some(isRange)) return undefined;
  const text = (v: unknown) => (typeof v === 'number' ? String(v) : formatValue(v));
  return [...new Set(specAxes.flatMap((a) => valuesOf(a as readonly unknown[]).map(text)))];
}

/** "64" before "128" before "256-128" before "relu": numeric prefixes in order, then text. */
function byNumberThenText(a: string, b: string): number {
  const [x, y] = [parseFloat(a), parseFloat(b)];
  if (!Number.isNaN(x) && !Number.isNaN(y) && x !== y) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}
