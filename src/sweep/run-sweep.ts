import { expandGrid, type TrialConfig } from '../grid/expand.js';
import { TrainingPool } from '../pool/pool.js';
import type { BackendChoice, EpochMetrics, SharedDataset, TrialOutcome } from '../pool/protocol.js';
import { splitSizes } from '../data/split.js';
import type { Metric, SweepSpec } from '../spec/schema.js';
import type { Store, TrialSnapshot } from '../store/store.js';

/** What the controller tells its views (the line log now, the live leaderboard later). */
export type SweepEvent =
  | {
      type: 'start'; sweep: string; metric: Metric; total: number; todo: number; done: number; workers: number;
      /** Samples per training epoch, for throughput. */
      trainSamples: number;
      /** Every trial in the grid as recorded so far (earlier runs' results included). */
      trials: TrialSnapshot[];
    }
  | { type: 'trial-start'; trialId: number; config: TrialConfig }
  | { type: 'epoch'; trialId: number; config: TrialConfig; backend: string; metrics: EpochMetrics }
  | {
      type: 'trial-end'; trialId: number; config: TrialConfig; status: 'completed' | 'failed' | 'interrupted';
      outcome?: TrialOutcome; error?: string; best: Best | null;
    }
  | { type: 'end'; summary: SweepResult };

export type Best = { trialId: number; score: number; config: TrialConfig };

export type SweepResult = {
  sweep: string; completed: number; failed: number; interrupted: number; skipped: number;
  seconds: number; best: Best | null;
};

export type RunSweepOptions = {
  readonly spec: SweepSpec;
  readonly specText: string;
  readonly specPath: string | null;
  readonly store: Store;
  readonly dataset: SharedDataset;
  readonly workers: number;
  readonly backend: BackendChoice;
  /** Aborting stops new trials and interrupts running ones; they run again next time. */
  readonly signal?: AbortSignal;
  readonly onEvent?: (e: SweepEvent) => void;
};

/**
 * Runs a sweep: records the spec and its configurations, then trains every one not yet
 * completed on the worker pool, recording each epoch and outcome as it arrives. Only this
 * controller changes a trial's status. A failed trial is recorded and the sweep goes on.
 */
export async function runSweep(o: RunSweepOptions): Promise<SweepResult> {
  const started = performance.now();
  const emit = o.onEvent ?? (() => {});
  const { spec, store } = o;
  const trials = expandGrid(spec);
  const sweepId = store.upsertSweep({
    name: spec.name, metric: spec.metric, seed: spec.seed, specPath: o.specPath, specYaml: o.specText,
  });
  store.addTrials(sweepId, spec.seed, spec.data, trials);
  store.interruptStale(sweepId);

  const inGrid = new Map(trials.map((t, i) => [t.configId, i]));
  const rows = store.trials(sweepId).filter((r) => inGrid.has(r.config_id));
  const todo = rows
    .filter((r) => r.status === 'pending' || r.status === 'interrupted')
    .sort((a, b) => inGrid.get(a.config_id)! - inGrid.get(b.config_id)!);
  const better = (a: number, b: number) => (spec.metric === 'val_loss' ? a < b : a > b);
  const scoreOf = (valAccuracy: number | null, valLoss: number | null) =>
    (spec.metric === 'val_loss' ? valLoss : valAccuracy);
  const bestRow = rows.find((r) => r.status === 'completed');
  let best: Best | null = bestRow
    ? { trialId: bestRow.id, score: scoreOf(bestRow.val_accuracy, bestRow.val_loss)!, config: JSON.parse(bestRow.config_json) }
    : null;

  const result: SweepResult = {
    sweep: spec.name, completed: 0, failed: 0, interrupted: 0, skipped: rows.length - todo.length, seconds: 0, best,
  };
  const workers = Math.max(1, Math.min(o.workers, todo.length));
  emit({
    type: 'start', sweep: spec.name, metric: spec.metric, total: rows.length, todo: todo.length, done: result.skipped,
    workers, trainSamples: splitSizes(spec.data).train,
    trials: store.snapshot(sweepId).filter((t) => inGrid.has(t.configId)),
  });

  if (todo.length > 0 && !o.signal?.aborted) {
    const pool = new TrainingPool({ workers, backend: o.backend, dataset: o.dataset });
    const queue = [...todo];
    const runOne = async (): Promise<void> => {
      for (let row = queue.shift(); row && !o.signal?.aborted; row = queue.shift()) {
        const config = JSON.parse(row.config_json) as TrialConfig;
        const trialId = row.id;
        store.startTrial(trialId);
        emit({ type: 'trial-start', trialId, config });
        try {
          const r = await pool.run(
            { trialId, config, seed: row.seed, data: JSON.parse(row.data_json) },
            (e) => {
              if (e.type !== 'epoch') return;
              store.recordEpoch(trialId, e.metrics, e.backend);
              emit({ type: 'epoch', trialId, config, backend: e.backend, metrics: e.metrics });
            },
            o.signal,
          );
          if (r.ok) {
            store.completeTrial(trialId, r.outcome);
            result.completed++;
            const score = scoreOf(r.outcome.valAccuracy, r.outcome.valLoss)!;
            if (!best || better(score, best.score)) best = { trialId, score, config };
            emit({ type: 'trial-end', trialId, config, status: 'completed', outcome: r.outcome, best });
          } else {
            for (const e of r.epochs) store.recordEpoch(trialId, e);
            store.failTrial(trialId, r.error, r.backend ?? undefined);
            result.failed++;
            emit({ type: 'trial-end', trialId, config, status: 'failed', error: r.error, best });
          }
        } catch (err) {
          if (o.signal?.aborted) {
            store.interruptTrial(trialId);
            result.interrupted++;
            emit({ type: 'trial-end', trialId, config, status: 'interrupted', best });
          } else {
            // The worker itself died (out of memory, a crash in native code): still a failed trial.
            store.failTrial(trialId, `worker died: ${(err as Error).message}`);
            result.failed++;
            emit({ type: 'trial-end', trialId, config, status: 'failed', error: (err as Error).message, best });
          }
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: workers }, runOne));
    } finally {
      await pool.close();
    }
  }
  result.best = best;
  result.seconds = (performance.now() - started) / 1000;
  emit({ type: 'end', summary: result });
  return result;
}
