import { stringify } from 'yaml';
import { openDataset } from '../data/registry.js';
import { UserError } from '../errors.js';
import { specSchema } from '../spec/schema.js';
import { openStore } from '../store/open.js';
import { currentEnvironment, environmentDiff, type Environment } from '../sweep/environment.js';
import { resolveSpec } from '../sweep/resolve-spec.js';
import { runSweep } from '../sweep/run-sweep.js';
import { dataOption, dbOption, defineCommand, type Io } from './command.js';
import { resolveTrial } from './export.js';
import { bestSpec } from '../spec/one-config.js';
import { progressLog } from './progress-log.js';
import type { EpochMetrics } from '../trial/types.js';
import { checkTfjsVersions } from '../train/tfjs-version.js';

type ReproOptions = { db: string; data?: string };

export const reproCommand = defineCommand<ReproOptions>({
  name: 'repro',
  summary: "train a completed trial again from scratch and compare every epoch and the weights",
  args: ['<trial|sweep>'],
  options: [dbOption(), dataOption()],
  example: 'sweep repro dropout',
  action: ([ref], opts, io) => repro(ref, opts, io),
});

/**
 * On another backend or library version, float rounding differs from the first step and
 * compounds, so exact equality cannot be asked. The bound must stay well under the gaps a
 * sweep ranks by: the dropout sweep's five rates span 1.8 points of validation accuracy
 * (87.10–88.92%), so we accept at most half a point.
 */
export const ACCURACY_TOLERANCE = 0.005;

/**
 * `sweep repro TRIAL|SWEEP`: trains a trial's configuration again from scratch, in a new
 * trial row (sweep `<name>~repro`) linked to the original, and compares every epoch's
 * metrics and the final weights. Exit 0 only when it reproduced.
 */
export async function repro(ref: string, values: ReproOptions, { out }: Io): Promise<number> {
  checkTfjsVersions();
  const store = await openStore(values.db);
  try {
    const { trial: original, sweep } = await resolveTrial(store, ref);
    if (original.status !== 'completed') throw new UserError(`trial ${original.id} is ${original.status}: only completed trials can be reproduced`);
    const config = original.config;
    // The data the trial recorded (where it lay, and its checksum, which the data found must match).
    const dataset = await openDataset(original.data, { dataDir: values.data, log: out });
    const now = currentEnvironment(dataset.files);
    const recorded = original.environment as Environment | null;
    const differences = recorded ? environmentDiff(recorded, now) : ['no environment recorded for the original'];
    out(`reproducing trial ${original.id} of sweep ${sweep.name} (config ${original.configId}, backend ${original.backend})`);
    out(differences.length ? `environment differs: ${differences.join('; ')}` : 'environment: same Node, TensorFlow.js, sweep and dataset checksums');

    const name = `${sweep.name}~repro`;
    const written = { ...specSchema.parse({ ...bestSpec(sweep, original.seed, original.data, config), name: 'repro' }), name };
    const spec = resolveSpec(written, dataset, `trial ${original.id}`);
    // Always from scratch: an earlier reproduction of this configuration is reset, its checkpoint and model dropped.
    const reproSweep = await store.sweep(name);
    const earlier = reproSweep && (await store.trials(reproSweep.id)).find((t) => t.configId === original.configId);
    if (earlier) await store.requeue(earlier.id);
    const backend = original.backend === 'tensorflow' ? 'node' : original.backend === 'cpu' ? 'cpu' : 'wasm';
    const result = await runSweep({
      spec, specText: stringify(spec), specPath: null, store, dataset, workers: 1, backend,
      environment: now, onEvent: progressLog(out, [], spec.metric.name),
    });
    if (result.completed !== 1) throw new UserError(`the reproduction did not complete (${result.failed} failed, ${result.interrupted} interrupted)`);
    const copy = (await store.trials((await store.sweep(name))!.id)).find((t) => t.configId === original.configId)!;
    await store.markReproduction(copy.id, original.id);

    const report = compare(await store.epochs(original.id), await store.epochs(copy.id), original, copy);
    const exact = report.every((r) => r.diff === 0) && original.weightsSha256 !== null && original.weightsSha256 === copy.weightsSha256;
    if (exact) {
      out(`reproduced exactly: trial ${copy.id} matches trial ${original.id} in all ${config.epochs} epochs' metrics, the test metrics, and the weights' SHA-256 (${copy.weightsSha256!.slice(0, 16)}…)`);
      return 0;
    }
    for (const r of report.filter((x) => x.diff !== 0)) out(`  ${r.metric}: max difference ${r.diff.toExponential(2)}`);
    if (original.weightsSha256 !== copy.weightsSha256) out(`  weights differ (SHA-256 ${original.weightsSha256?.slice(0, 16) ?? '-'}… vs ${copy.weightsSha256?.slice(0, 16)}…)`);
    const sameSetting = differences.length === 0 && copy.backend === original.backend;
    const accuracyDiff = Math.max(...report.filter((r) => r.metric.includes('accuracy')).map((r) => r.diff));
    if (!sameSetting && accuracyDiff <= ACCURACY_TOLERANCE) {
      out(`reproduced within tolerance: accuracies within ${(accuracyDiff * 100).toFixed(2)} points (tolerance ${ACCURACY_TOLERANCE * 100}) on a different backend or environment`);
      return 0;
    }
    out(sameSetting
      ? 'NOT reproduced: same backend, versions and data, yet different results'
      : `NOT reproduced: accuracies differ by up to ${(accuracyDiff * 100).toFixed(2)} points, beyond the ${ACCURACY_TOLERANCE * 100}-point tolerance`);
    return 1;
  } finally {
    await store.close();
  }
}

function compare(a: EpochMetrics[], b: EpochMetrics[], ta: { testAccuracy: number | null; testLoss: number | null }, tb: typeof ta) {
  const keys = ['loss', 'accuracy', 'valLoss', 'valAccuracy'] as const;
  const per = keys.map((k) => ({
    metric: `epoch ${k}`,
    diff: a.length !== b.length ? Infinity : Math.max(0, ...a.map((e, i) => Math.abs(e[k] - b[i][k]))),
  }));
  return [
    ...per,
    { metric: 'test accuracy', diff: Math.abs((ta.testAccuracy ?? NaN) - (tb.testAccuracy ?? NaN)) },
    { metric: 'test loss', diff: Math.abs((ta.testLoss ?? NaN) - (tb.testLoss ?? NaN)) },
  ];
}
