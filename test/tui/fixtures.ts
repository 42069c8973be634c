import { DEFAULT_OBJECTIVE, trialValue, type Objective } from '../../src/metrics/registry.js';
import { initialState, reduce, type ViewState } from '../../src/tui/view-state.js';
import type { TrialConfig, TrialSnapshot } from '../../src/trial/types.js';

const CONFIG: TrialConfig = {
  model: 'ann', epochs: 3, activation: 'relu', units: [128], dropout: 0.2, optimizer: 'adam', learningRate: 0.001, batchSize: 32, labelSmoothing: 0, batchNorm: false, preciseBn: 0, augment: 'none', schedule: 'constant', weightDecay: 0,
};

/**
 * A trial with `done` epochs whose val accuracy climbs to `val` and whose val loss falls to
 * `valLoss` (by default 1 - `val`, which ranks as the accuracy does: pass a loss to tell them apart).
 */
export function trial(
  id: number, status: TrialSnapshot['status'], dropout: number, val: number | null, done = 3, error: string | null = null,
  valLoss = 1 - (val ?? 0),
): TrialSnapshot {
  const epochs = Array.from({ length: done }, (_, i) => ({
    epoch: i + 1, loss: 1 / (i + 1), accuracy: 0.8, valLoss: valLoss + 0.02 * (done - 1 - i),
    valAccuracy: (val ?? 0.8) - 0.02 * (done - 1 - i), seconds: 10,
  }));
  return {
    id, configId: `c${id}`, config: { ...CONFIG, dropout }, status, backend: 'wasm', epochs,
    valAccuracy: status === 'completed' ? val : null, valLoss: status === 'completed' ? valLoss : null,
    testAccuracy: status === 'completed' ? (val ?? 0) - 0.005 : null, seconds: status === 'completed' ? 31 : null,
    startedAt: status === 'pending' ? null : '2026-11-25T12:00:00.000Z', error,
    metricValue: status === 'completed' ? val : null,
  };
}

/**
 * A view of a running sweep: three completed, one failed, one running, one pending.
 *
 * The completed trials' val losses rank them differently from their val accuracies:
 * by accuracy 2, 3, 1; by lowest loss 3, 1, 2; by highest loss 2, 1, 3. So a view that
 * ranks a val_loss sweep by accuracy, or by the highest loss, shows another order and
 * another best than the right one.
 */
/** The view of that sweep ranked on `metric`: the store gives each trial its value of the sweep's metric. */
export const VAL_LOSS: Objective = { name: 'val_loss', goal: 'minimize' };
export function runningSweep(now = 60_000, metric: Objective = DEFAULT_OBJECTIVE): ViewState {
  const s = initialState({ sweep: 'dropout', specPath: 'sweeps/dropout.yaml', dbPath: 'runs/sweeps.db', backend: 'auto', workers: 2, mode: 'run' }, 0);
  return reduce(reduce(s, {
    type: 'start', sweep: 'dropout', metric, total: 6, todo: 6, done: 0, notInGrid: 0, workers: 2, trainSamples: 54000,
    trials: [
      trial(1, 'completed', 0.0, 0.881, 3, null, 0.32),
      trial(2, 'completed', 0.1, 0.889, 3, null, 0.34),
      trial(3, 'completed', 0.2, 0.884, 3, null, 0.30),
      trial(4, 'failed', 0.3, null, 1, 'training diverged in epoch 2: loss became NaN or infinite'),
      trial(5, 'running', 0.4, 0.85, 1),
      trial(6, 'pending', 0.5, null, 0),
    ].map((t) => ({ ...t, metricValue: t.status === 'completed' ? trialValue(metric.name, t) : null })),
  }), { type: 'tick', now });
}
