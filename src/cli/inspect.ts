import { UserError } from '../errors.js';
import { formatValue, labelOf, paramsOf, plannedSteps, varyingKeys } from '../spec/labels.js';
import { isCodeConfig } from '../spec/code.js';
import { recordedSpec } from '../spec/load-spec.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { dbOption, defineCommand, jsonOption, type Io } from './command.js';
import { formatMetric } from '../metrics/registry.js';
import { bestSpec, specYaml } from '../spec/one-config.js';
import { prunedLine } from '../early-stop/describe.js';
import { formatTable, pct } from './table.js';
import type { SweepRecord } from '../trial/types.js';

type Options = { db: string; json?: boolean };

export const lsCommand = defineCommand<Options>({
  name: 'ls',
  summary: 'list the sweeps with their trial counts and best score',
  args: [],
  options: [dbOption(), jsonOption()],
  example: 'sweep ls --db runs/sweeps.db',
  action: (_args, opts, io) => ls(opts, io),
});

export const showCommand = defineCommand<Options>({
  name: 'show',
  summary: "a sweep's trials ranked by its metric (--json adds every epoch)",
  args: ['<sweep>'],
  options: [dbOption(), jsonOption()],
  example: 'sweep show dropout',
  action: ([sweep], opts, io) => show(sweep, opts, io),
});

export const bestCommand = defineCommand<Options>({
  name: 'best',
  summary: "a sweep's best trial as a runnable one-configuration spec",
  args: ['<sweep>'],
  options: [dbOption(), jsonOption()],
  example: 'sweep best dropout > best.yaml && sweep run best.yaml',
  action: ([sweep], opts, io) => best(sweep, opts, io),
});

/** Opens the store only to look, runs `f` on it, and closes it whatever happens. */
export async function withStore<T>(db: string, f: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(db, { readonly: true });
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
      out(JSON.stringify(trials.map((t) => ({ ...t, epochs: epochs.get(t.id) ?? [] })), null, 2));
      return 0;
    }
    const configs = trials.map((t) => t.config);
    const keys = varyingKeys(configs);
    // The user's code reports its own metrics: the sweep's is its column; sweep's models have their three.
    const code = configs.some(isCodeConfig);
    let rank = 0;
    out(formatTable(
      ['rank', 'trial', 'status', ...keys.map(labelOf), ...(code ? [sweep.metric] : ['val_acc', 'val_loss', 'test_acc']), code ? 'steps' : 'epochs', 'seconds', 'backend'],
      trials.map((t, i) => [
        t.status === 'completed' ? ++rank : null, t.id, t.status, ...keys.map((k) => formatValue(paramsOf(configs[i])[k])),
        ...(code ? [formatMetric(sweep.metric, t.metricValue)] : [pct(t.valAccuracy), t.valLoss?.toFixed(4) ?? null, pct(t.testAccuracy)]),
        `${t.epochsDone}/${plannedSteps(configs[i]) ?? '?'}`, t.seconds?.toFixed(1) ?? null, t.backend,
      ]),
    ));
    const failed = trials.filter((t) => t.status === 'failed');
    for (const t of failed) out(`trial ${t.id} failed: ${t.error}`);
    const decisions = trials.some((t) => t.status === 'pruned') ? await store.decisions(sweep.id) : [];
    for (const d of decisions.filter((x) => x.verdict === 'prune')) out(`trial ${d.trialId} ${prunedLine(d, sweep.metric)}`);
    return 0;
  });
}

/** `sweep best SWEEP`: the best trial as a runnable one-configuration spec (YAML on stdout). */
export function best(name: string, values: Options, { out }: Io): Promise<number> {
  return withStore(values.db, async (store) => {
    const sweep = await findSweep(store, name);
    const top = (await store.trials(sweep.id)).find((t) => t.status === 'completed');
    if (!top) throw new UserError(`sweep "${sweep.name}" has no completed trial yet`);
    const spec = bestSpec(sweep, top.seed, top.data, top.config, recordedSpec(sweep)?.code);
    if (values.json) {
      out(JSON.stringify({
        sweep: sweep.name, trial: top.id, configId: top.configId, metric: sweep.metric,
        valAccuracy: top.valAccuracy, valLoss: top.valLoss, testAccuracy: top.testAccuracy, testLoss: top.testLoss, spec,
      }, null, 2));
      return 0;
    }
    const scores = isCodeConfig(top.config) ? `${sweep.metric} ${formatMetric(sweep.metric, top.metricValue)}`
      : `val_accuracy ${pct(top.valAccuracy)}%, test_accuracy ${pct(top.testAccuracy)}%`;
    out(`# The best trial (${top.id}, config ${top.configId}) of sweep "${sweep.name}": ${scores}.`);
    out(specYaml(spec));
    return 0;
  });
}
