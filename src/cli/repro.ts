import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { openDataset } from '../data/registry.js';
import { UserError } from '../errors.js';
import { codeFile, isCodeConfig } from '../spec/code.js';
import { recordedSpec } from '../spec/load-spec.js';
import { epochValues } from '../metrics/registry.js';
import { specSchema } from '../spec/schema.js';
import { openStore } from '../store/open.js';
import { currentEnvironment, environmentDiff, trialEnvironment, type Environment } from '../sweep/environment.js';
import { resolveSpec } from '../sweep/resolve-spec.js';
import { runSweep } from '../sweep/run-sweep.js';
import { trialsFolder, type Io } from './command.js';
import type { ReproOptions } from './commands.js';
import { resolveTrial } from './export.js';
import { bestSpec } from '../spec/one-config.js';
import { progressLog } from './progress-log.js';
import type { Store } from '../store/store.js';
import type { EpochMetrics, SweepRecord, TrialRecord } from '../trial/types.js';
import { checkCode } from '../trial/check-code.js';
import { programSha256 } from '../trial/program/runner.js';
import { checkTfjsVersions } from '../train/tfjs-version.js';

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
    if (isCodeConfig(config)) return await reproCode(original, sweep, store, values, out);
    // The data the trial recorded (where it lay, and its checksum, which the data found must match).
    const dataset = await openDataset(original.data, { dataDir: values.data, log: out });
    const now = await currentEnvironment(dataset.files, sweep.specPath);
    out(`reproducing trial ${original.id} of sweep ${sweep.name} (config ${original.configId}, backend ${original.backend})`);
    compareEnvironment(original, now, out);

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
    const recorded = original.environment as Environment | null;
    const sameSetting = recorded !== null && environmentDiff(recorded, now, 'arithmetic').length === 0 && copy.backend === original.backend;
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

/**
 * Says in one line, before anything trains, whether where the trial ran differs from here (versions,
 * CPU, kernels, the spec's git state, the code's and data's checksums): a difference explains a
 * result that moves.
 */
function compareEnvironment(original: TrialRecord, now: Environment, out: (line: string) => void): void {
  const recorded = original.environment as Environment | null;
  const differences = recorded
    ? environmentDiff(recorded, trialEnvironment(now, original.backend ?? 'wasm'))
    : [`no environment recorded for trial ${original.id}`];
  out(differences.length
    ? `environment differs: ${differences.join('; ')}`
    : `environment: the same as trial ${original.id}'s (versions, CPU, kernels, the spec's commit, code and data checksums)`);
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

/**
 * `sweep repro` on a trial of the user's code (a program, an objective module): runs it again
 * with the same parameters, in a fresh trial folder (sweep `<name>~repro`), and compares every
 * value it reported at every step. Exit 0 only where all came out the same: code that seeds its
 * generators reproduces; code that does not is shown by how much it moved.
 */
async function reproCode(original: TrialRecord, sweep: SweepRecord, store: Store, values: ReproOptions, out: (line: string) => void): Promise<number> {
  const recorded = recordedSpec(sweep);
  if (!recorded?.code) throw new UserError(`trial ${original.id}: the spec recorded with sweep ${sweep.name} names no code of yours to run`);
  const name = `${sweep.name}~repro`;
  const spec = { ...specSchema.parse({ ...bestSpec(sweep, original.seed, original.data, original.config, recorded.code), name: 'repro' }), name };
  const specDir = dirname(resolve(sweep.specPath ?? '.'));
  await checkCode(spec.code!, specDir, isCodeConfig(original.config) ? original.config.params : {});
  const program = resolve(specDir, codeFile(spec.code!));
  const now = { ...await currentEnvironment({}, sweep.specPath), program: programSha256(program) };
  out(`reproducing trial ${original.id} of sweep ${sweep.name}: ${program} with its parameters`);
  // A trial recorded before trials kept their code's hash has its sweep's.
  const ran = original.environment && { program: sweep.programSha256 ?? undefined, ...original.environment };
  compareEnvironment({ ...original, environment: ran }, now, out);
  // From scratch: an earlier reproduction's record and folder go.
  const trialsDir = trialsFolder(values.db, name);
  const reproSweep = await store.sweep(name);
  const earlier = reproSweep && (await store.trials(reproSweep.id)).find((t) => t.configId === original.configId);
  if (earlier) await store.requeue(earlier.id);
  rmSync(join(trialsDir, original.configId), { recursive: true, force: true });
  const result = await runSweep({
    spec, specText: stringify(spec), specPath: sweep.specPath, store, code: { specDir, trialsDir, warn: out }, workers: 1, backend: 'auto',
    environment: now, onEvent: progressLog(out, [], spec.metric.name),
  });
  const copy = (await store.trials((await store.sweep(name))!.id)).find((t) => t.configId === original.configId)!;
  if (result.completed !== 1) throw new UserError(`the reproduction did not complete: trial ${copy.id} ${copy.status}${copy.error ? ` (${copy.error})` : ''}`);
  await store.markReproduction(copy.id, original.id);
  const diffs = compareReports(await store.epochs(original.id), await store.epochs(copy.id));
  if (diffs.length === 0) {
    out(`reproduced exactly: trial ${copy.id} matches trial ${original.id} in every value at every step`);
    return 0;
  }
  for (const d of diffs) out(`  ${d}`);
  out(`NOT reproduced: trial ${copy.id} differs from trial ${original.id} (does the program seed its random generators?)`);
  return 1;
}

/** Where two runs' records differ: a step one lacks, or each metric's largest difference over the steps. */
function compareReports(a: readonly EpochMetrics[], b: readonly EpochMetrics[]): string[] {
  // Its own time aside: no run takes the same time twice.
  const values = (e: EpochMetrics): Record<string, number> => {
    const { epoch_seconds: _, ...v } = epochValues(e);
    return v;
  };
  const steps = (x: readonly EpochMetrics[]) => x.map((e) => e.epoch).join(',');
  if (steps(a) !== steps(b)) return [`steps differ: ${steps(a) || 'none'} then, ${steps(b) || 'none'} now`];
  const worst = new Map<string, number>();
  a.forEach((e, i) => {
    const [x, y] = [values(e), values(b[i])];
    for (const name of new Set([...Object.keys(x), ...Object.keys(y)])) {
      const [u, v] = [x[name], y[name]];
      const same = Object.is(u, v) || (Number.isNaN(u ?? NaN) && Number.isNaN(v ?? NaN));
      if (!same) worst.set(name, Math.max(worst.get(name) ?? 0, Math.abs((u ?? NaN) - (v ?? NaN)) || Infinity));
    }
  });
  return [...worst].map(([name, d]) => `${name}: max difference ${Number.isFinite(d) ? d.toExponential(2) : 'one run has none'}`);
}
