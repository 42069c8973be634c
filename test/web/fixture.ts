/**
 * Databases for the dashboard's tests, made the way users make them: a real sweep trained on
 * real data, then one of its trials failed and one left running; and a synthetic grid whose
 * metric is additive in its two hyperparameters, so its importances are known exactly.
 */
import { join } from 'node:path';
import { builtInConfig } from '../../src/spec/code.js';
import { loadFashionMnist } from '../../src/data/fashion-mnist.js';
import { expandGrid } from '../../src/search/grid.js';
import { parseSpec } from '../../src/spec/load-spec.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/store.js';
import { runSweep } from '../../src/sweep/run-sweep.js';
import type { EpochMetrics, TrialOutcome } from '../../src/trial/types.js';

export const REAL = `name: real
seed: 11
data: {validationSplit: 0.2, trainLimit: 600, testLimit: 300}
grid:
  epochs: [3]
  units: [[8], [16]]
  dropout: [0.0, 0.3]
  learningRate: [0.003, 0.0003]
`;

/** Trials in REAL: 8, of which 6 completed, 1 failed and 1 running (1 epoch recorded). */
export const REAL_TRIALS = 8;

/**
 * A SQLite database at `dir/sweeps.db` with sweep `real` (REAL, trained for real, then its
 * trial `failedId` failed and `runningId` running) and sweep `additive` (a complete 3×3 grid
 * over dropout and learning rate whose val_accuracy is A[dropout] + B[learningRate]).
 */
export async function makeFixture(dir: string): Promise<{ db: string; failedId: number; runningId: number }> {
  const db = join(dir, 'sweeps.db');
  const store = await SqliteStore.open(db);
  try {
    const spec = parseSpec(REAL, 'real.yaml');
    await runSweep({
      spec, specText: REAL, specPath: 'real.yaml', store, dataset: await loadFashionMnist(), workers: 2, backend: 'wasm',
    });
    const sweepId = (await store.sweep('real'))!.id;
    const ids = (await store.trials(sweepId)).map((t) => t.id).sort((a, b) => a - b);
    const [failedId, runningId] = [ids[ids.length - 2], ids[ids.length - 1]];
    const configIds = (await store.trials(sweepId)).map((t) => t.configId);
    await store.requeue(failedId);
    const failed = (await store.claimNext(sweepId, 'fixture', configIds))!;
    await store.failTrial(failed, 'training diverged in epoch 1: loss became NaN or infinite', []);
    await store.requeue(runningId);
    const running = (await store.claimNext(sweepId, 'fixture', configIds))!;
    await store.resumeAt(running, [], 'wasm');
    await store.recordEpoch(running, metrics(1, 0.55), 'wasm');
    await addAdditive(store);
    return { db, failedId: failed.trial.id, runningId: running.trial.id };
  } finally {
    await store.close();
  }
}

/** The additive grid's effects: val_accuracy = 0.5 + DROPOUT_EFFECT[i] + LR_EFFECT[j]. */
export const DROPOUT_EFFECT = [0, 0.02, 0.04];
export const LR_EFFECT = [0, 0.06, 0.12];
export const ADDITIVE = `name: additive
seed: 1
grid:
  dropout: [0.0, 0.2, 0.4]
  learningRate: [0.0001, 0.001, 0.01]
`;

/** V_j / V for the additive grid: each main effect's variance over the total (no interaction). */
export function additiveShares(): { dropout: number; learningRate: number } {
  const variance = (xs: number[]) => {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    return xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
  };
  const [vd, vl] = [variance(DROPOUT_EFFECT), variance(LR_EFFECT)];
  return { dropout: vd / (vd + vl), learningRate: vl / (vd + vl) };
}

async function addAdditive(store: Store): Promise<void> {
  const spec = parseSpec(ADDITIVE, 'additive.yaml');
  const sweepId = await store.upsertSweep({ name: 'additive', metric: 'val_accuracy', goal: 'maximize', seed: 1, specPath: 'additive.yaml', specYaml: ADDITIVE });
  const trials = expandGrid(spec);
  await store.addTrials(sweepId, spec.seed, spec.data, trials);
  for (const t of trials) {
    const c = (await store.claimNext(sweepId, 'fixture', [t.configId]))!;
    const i = [0, 0.2, 0.4].indexOf(builtInConfig(t.config).dropout);
    const j = [0.0001, 0.001, 0.01].indexOf(builtInConfig(t.config).learningRate);
    const acc = 0.5 + DROPOUT_EFFECT[i] + LR_EFFECT[j];
    await store.completeTrial(c, outcome(acc), null);
  }
}

function metrics(epoch: number, valAccuracy: number): EpochMetrics {
  return { epoch, loss: 1 / epoch, accuracy: valAccuracy, valLoss: 1 - valAccuracy / 2, valAccuracy, seconds: 0.5 };
}

function outcome(valAccuracy: number): TrialOutcome {
  return {
    backend: 'wasm', valAccuracy, valLoss: 1 - valAccuracy / 2, testAccuracy: valAccuracy - 0.01, testLoss: 0.5,
    params: 1000, seconds: 1, weightsSha256: 'synthetic', epochs: [1, 2].map((e) => metrics(e, valAccuracy - 0.01 * (2 - e))),
  };
}
