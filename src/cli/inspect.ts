import { UserError } from '../errors.js';
import { formatValue, labelOf, paramsOf, plannedSteps, varyingKeys } from '../spec/labels.js';
import { isCodeConfig } from '../spec/code.js';
import { recordedSpec } from '../spec/load-spec.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import type { Io } from './command.js';
import type { InspectOptions as Options } from './commands.js';
import { formatMetric } from '../metrics/registry.js';
import { bestSpec, specYaml } from '../spec/one-config.js';
import { prunedLine } from '../early-stop/describe.js';
import { formatTable, pct } from './table.js';
import type { NoteRecord, SweepRecord, TrialRecord } from '../trial/types.js';
import type { SweepSpec } from '../spec/schema.js';
import { hasFronts } from '../sweep/fronts.js';
import { describeEnvironment, environmentDiff, trialEnvironment, type Environment } from '../sweep/environment.js';

/**
 * Opens the store only to look (or, `{ existing: true }`, to write to a database that is there
 * already, never making one), runs `f` on it, and closes it whatever happens.
 */
export async function withStore<T>(db: string, f: (store: Store) => Promise<T>, open: { readonly?: boolean; existing?: boolean } = { readonly: true }): Promise<T> {
  const store = await openStore(db, open);
  try {
    return await f(store);
  } finally {
    await store.close();
  }
}

/** The sweep with this name, or a UserError naming the ones there are. */
export async function findSweep(store: Store, name: string): Promise<SweepRecord> {
  const sweep = await store.sweep(name);
  if (!sweep) {
    const names = (await store.sweeps()).map((s) => s.name);
    throw new UserError(`no sweep named "${name}" in ${store.location}${names.length ? ` (there are: ${names.join(', ')})` : ''}`);
  }
  return sweep;
}

/** `sweep ls`: every sweep with its trial counts and best score. */
export function ls(values: Options, { out }: Io): Promise<number> {
  return withStore(values.db, async (store) => {
    const rows = await store.sweeps();
    if (values.json) out(JSON.stringify(rows, null, 2));
    else if (rows.length === 0) out(`no sweeps in ${values.db}`);
    else out(formatTable(
      ['sweep', 'trials', 'completed', 'pruned', 'failed', 'running', 'pending', 'metric', 'best', 'updated'],
      rows.map((s) => [s.name, s.total, s.completed, s.pruned, s.failed, s.running, s.pending, s.metric,
        formatMetric(s.metric, s.best), s.updatedAt]),
    ));
    return 0;
  });
}

/** `sweep show SWEEP`: its trials ranked by the sweep's metric, as a table or JSON. */
export function show(name: string, values: Options, { out }: Io): Promise<number> {
  return withStore(values.db, async (store) => {
    const sweep = await findSweep(store, name);
    const trials = await store.trials(sweep.id);
    if (values.json) {
      const epochs = new Map((await store.snapshot(sweep.id)).map((t) => [t.id, t.epochs]));
      const { tags, notes } = await store.annotations(sweep.id);
      out(JSON.stringify(trials.map((t) => ({
        ...t, epochs: epochs.get(t.id) ?? [],
        tags: tags.filter((g) => g.trialId === t.id).map((g) => g.name),
        notes: notes.filter((n) => n.trialId === t.id).map(({ text, createdAt }) => ({ text, createdAt })),
      })), null, 2));
      return 0;
    }
    const { tags, notes } = await store.annotations(sweep.id);
    const tagsOf = new Map<number, string[]>();
    for (const g of tags) tagsOf.set(g.trialId, [...(tagsOf.get(g.trialId) ?? []), g.name]);
    const tagCell = (t: TrialRecord) => tagsOf.get(t.id)?.join(', ') ?? null;
    const spec = recordedSpec(sweep);
    if (spec && hasFronts(spec)) showFronts(spec, trials, out, tagsOf.size > 0 ? tagCell : undefined);
    else showRanked(sweep, trials, out, tagsOf.size > 0 ? tagCell : undefined);
    if (!spec || !hasFronts(spec)) {
      const decisions = trials.some((t) => t.status === 'pruned') ? await store.decisions(sweep.id) : [];
      for (const d of decisions.filter((x) => x.verdict === 'prune')) out(`trial ${d.trialId} ${prunedLine(d, sweep.metric)}`);
    }
    for (const n of notes) out(noteLine(n));
    for (const line of provenanceLines(sweep, trials)) out(line);
    return 0;
  });
}

/** A note as `sweep show` and `sweep note` print it: when, on what, and its text on one line. */
export function noteLine(n: NoteRecord): string {
  const when = n.createdAt.slice(0, 16).replace('T', ' ');
  return `note ${when}${n.trialId === null ? '' : ` on trial ${n.trialId}`}: ${n.text.replace(/\r?\n/g, ' ⏎ ')}`;
}

/**
 * Where the sweep's results came from: the environment its last run recorded (else its best
 * trial's), in a few lines, then, in a line each, the completed trials recorded otherwise (an
 * earlier run, another worker's host).
 */
function provenanceLines(sweep: SweepRecord, trials: readonly TrialRecord[]): string[] {
  const done = trials.filter((t) => t.status === 'completed' && t.environment);
  const base = (sweep.environment ?? done[0]?.environment) as Environment | undefined;
  if (!base) return [];
  const lines = [`recorded ${sweep.environment ? 'by its last run' : `with trial ${done[0].id}`}:`, ...describeEnvironment(base).map((l) => `  ${l}`)];
  for (const t of done) {
    // A trial's kernels are its backend's: compared with what the sweep's would be on that backend.
    const differences = environmentDiff(trialEnvironment(base, t.backend ?? 'wasm'), t.environment as Environment);
    if (differences.length > 0) lines.push(`trial ${t.id} differs: ${differences.join('; ')}`);
  }
  return lines;
}

/** `sweep show`'s table of a sweep of one objective: completed trials ranked, then the rest; failures below. */
function showRanked(sweep: SweepRecord, trials: readonly TrialRecord[], out: (line: string) => void, tagCell?: (t: TrialRecord) => string | null): void {
  const configs = trials.map((t) => t.config);
  const keys = varyingKeys(configs);
  // The user's code reports its own metrics: the sweep's is its column; sweep's models have their three.
  const code = configs.some(isCodeConfig);
  let rank = 0;
  out(formatTable(
    ['rank', 'trial', 'status', ...keys.map(labelOf), ...(code ? [sweep.metric] : ['val_acc', 'val_loss', 'test_acc', 'latency']), code ? 'steps' : 'epochs', 'seconds', 'backend', ...(tagCell ? ['tags'] : [])],
    trials.map((t, i) => [
      t.status === 'completed' ? ++rank : null, t.id, t.status, ...keys.map((k) => formatValue(paramsOf(configs[i])[k])),
      ...(code ? [formatMetric(sweep.metric, t.metricValue)]
        : [pct(t.valAccuracy), t.valLoss?.toFixed(4) ?? null, pct(t.testAccuracy), t.latencyMs === null ? null : formatMetric('latency_ms', t.latencyMs)]),
      `${t.epochsDone}/${plannedSteps(configs[i]) ?? '?'}`, t.seconds?.toFixed(1) ?? null, t.backend, ...(tagCell ? [tagCell(t)] : []),
    ]),
  ));
  const failed = trials.filter((t) => t.status === 'failed');
  for (const t of failed) out(`trial ${t.id} failed: ${t.error}`);
  notTrained(trials, out);
}

/**
 * `sweep show` of a sweep of several objectives or with constraints: its completed trials by
 * front (the first front's marked `*`), each objective's value, then the rest; below, the
 * first front in a line, and the constraints each infeasible trial breaks.
 */
function showFronts(spec: SweepSpec, trials: readonly TrialRecord[], out: (line: string) => void, tagCell?: (t: TrialRecord) => string | null): number {
  const order = [...trials].sort((a, b) => (a.front ?? Infinity) - (b.front ?? Infinity) || 0);
  const configs = order.map((t) => t.config);
  const keys = varyingKeys(configs);
  const arrow = (goal: string) => (goal === 'maximize' ? '↑' : '↓');
  // The built-in models' latency beside the objectives, where it is not one: what each choice costs to serve.
  const latency = spec.code === undefined && !spec.objectives.some((o) => o.name === 'latency_ms');
  out(formatTable(
    ['front', 'trial', 'status', ...keys.map(labelOf), ...spec.objectives.map((o) => `${o.name} ${arrow(o.goal)}`), ...(latency ? ['latency'] : []), 'steps', 'seconds', ...(tagCell ? ['tags'] : [])],
    order.map((t, i) => [
      t.front === undefined ? null : `${t.front}${t.front === 1 && t.violation === 0 ? ' *' : ''}`, t.id, t.status,
      ...keys.map((k) => formatValue(paramsOf(configs[i])[k])),
      ...spec.objectives.map((o, j) => (t.objectiveValues ? formatMetric(o.name, t.objectiveValues[j]) : null)),
      ...(latency ? [t.latencyMs === null ? null : formatMetric('latency_ms', t.latencyMs)] : []),
      `${t.epochsDone}/${plannedSteps(configs[i]) ?? '?'}`, t.seconds?.toFixed(1) ?? null, ...(tagCell ? [tagCell(t)] : []),
    ]),
  ));
  const first = order.filter((t) => t.front === 1 && t.violation === 0);
  out(first.length > 0
    ? `first front: ${first.length} ${first.length === 1 ? 'trial' : 'trials'} (${first.map((t) => t.id).join(', ')}), none better in every objective${spec.constraints.length > 0 ? ' among those that meet the constraints' : ''}`
    : 'first front: none yet (no completed trial meets the constraints)');
  for (const t of order.filter((x) => (x.violation ?? 0) > 0)) {
    out(`trial ${t.id} infeasible: ${(t.broken ?? []).map((b) => `${b.text} (${b.by === null ? 'no value' : `by ${formatValue(Math.abs(b.by) >= 1000 ? Math.round(b.by) : Number(b.by.toPrecision(4)))}`})`).join(', ')}`);
  }
  for (const t of order.filter((x) => x.status === 'failed')) out(`trial ${t.id} failed: ${t.error}`);
  notTrained(order, out);
  return 0;
}

/** A line for each trial recorded infeasible, never trained: what its parameters break. */
function notTrained(trials: readonly TrialRecord[], out: (line: string) => void): void {
  for (const t of trials.filter((x) => x.status === 'infeasible')) out(`trial ${t.id} infeasible, ${t.error}`);
}

/** `sweep best SWEEP`: the best trial as a runnable one-configuration spec (YAML on stdout). */
export function best(name: string, values: Options, { out }: Io): Promise<number> {
  return withStore(values.db, async (store) => {
    const sweep = await findSweep(store, name);
    const trials = await store.trials(sweep.id);
    const recorded = recordedSpec(sweep);
    let top = trials.find((t) => t.status === 'completed');
    if (values.trial !== undefined) {
      top = trials.find((t) => t.id === values.trial);
      if (!top || top.status !== 'completed') {
        throw new UserError(`sweep "${sweep.name}" has no completed trial ${values.trial}${top ? ` (it is ${top.status})` : ''}`);
      }
    } else if (recorded && hasFronts(recorded) && top) {
      // Of several objectives, the best is the front: the user chooses the trade-off.
      const first = trials.filter((t) => t.front === 1 && t.violation === 0).map((t) => t.id);
      throw new UserError(`sweep "${sweep.name}" ranks on ${recorded.objectives.map((o) => o.name).join(' and ')}${recorded.constraints.length > 0 ? ' under constraints' : ''}: its best is a front, trials ${first.join(', ') || 'none yet'} (\`sweep show ${sweep.name}\`); name one with --trial N`);
    }
    if (!top) throw new UserError(`sweep "${sweep.name}" has no completed trial yet`);
    const spec = bestSpec(sweep, top.seed, top.data, top.config, recorded?.code);
    if (values.json) {
      out(JSON.stringify({
        sweep: sweep.name, trial: top.id, configId: top.configId, metric: sweep.metric,
        valAccuracy: top.valAccuracy, valLoss: top.valLoss, testAccuracy: top.testAccuracy, testLoss: top.testLoss, spec,
      }, null, 2));
      return 0;
    }
    const scores = isCodeConfig(top.config) ? `${sweep.metric} ${formatMetric(sweep.metric, top.metricValue)}`
      : `val_accuracy ${pct(top.valAccuracy)}%, test_accuracy ${pct(top.testAccuracy)}%`;
    out(`# ${values.trial === undefined ? 'The best trial' : 'Trial'} (${top.id}, config ${top.configId}) of sweep "${sweep.name}": ${scores}.`);
    out(specYaml(spec));
    return 0;
  });
}
