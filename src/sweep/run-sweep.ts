import { join } from 'node:path';
import { expandGrid, type TrialConfig } from '../grid/expand.js';
import { TrainingPool } from '../pool/pool.js';
import type { BackendChoice, EpochMetrics, SharedDataset, TrialOutcome } from '../pool/protocol.js';
import { splitSizes } from '../data/split.js';
import { failpoint } from '../failpoint.js';
import { metricScore, metricValue, type Metric, type SweepSpec } from '../spec/schema.js';
import type { Store, TrialSnapshot } from '../store/store.js';
import type { Environment } from './environment.js';
import { ownerAlive, ownerToken } from './owner.js';

/** What the controller tells its views (the line log now, the live leaderboard later). */
export type SweepEvent =
  | {
      type: 'start'; sweep: string; metric: Metric; total: number; todo: number; done: number; notInGrid: number; workers: number;
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

/** The best trial so far: `score` ranks (higher is better), `value` is the metric as recorded (a loss stays a loss). */
export type Best = { trialId: number; score: number; value: number; config: TrialConfig };

export type SweepResult = {
  sweep: string; completed: number; failed: number; interrupted: number;
  /** Trials of the grid done (completed or failed) before this run. */
  skipped: number;
  /** Trials recorded for this sweep whose configuration the spec no longer has: kept, not run. */
  notInGrid: number;
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
  /** Where trials keep their folders (checkpoints): `<artifactsDir>/<sweep>/<config id>/`. Null: none. */
  readonly artifactsDir: string | null;
  /** Each worker's JS heap limit; past it the worker dies and its trial fails. */
  readonly workerHeapMb?: number;
  /** Recorded with each completed trial, for `sweep repro`. */
  readonly environment?: Environment;
  /** Re-queue the sweep's failed trials first. */
  readonly retryFailed?: boolean;
  /** Aborting stops new trials and interrupts running ones; they run again next time. */
  readonly signal?: AbortSignal;
  readonly onEvent?: (e: SweepEvent) => void;
};

/**
 * A trial's folder (its checkpoint, then its trained model): `<artifactsDir>/<sweep>/<config id>/`,
 * where `artifactsDir` is the database's directory.
 */
export function trialDir(artifactsDir: string, sweep: string, configId: string): string {
  return join(artifactsDir, sweep, configId);
}

/** A trial whose owner sent no heartbeat for this long is taken to be dead. */
export const LEASE_MS = 60_000;
const HEARTBEAT_MS = 5_000;

/**
 * Runs a sweep: records the spec and its configurations, then claims and trains every one
 * not yet completed on the worker pool, recording each epoch and outcome as it arrives.
 * Only this controller changes a trial's status. Claims are atomic, so several processes
 * can share one sweep; trials of a dead process are re-queued and resume from their last
 * checkpoint. A failed trial is recorded and the sweep goes on.
 */
export async function runSweep(o: RunSweepOptions): Promise<SweepResult> {
  const started = performance.now();
  const emit = o.onEvent ?? (() => {});
  const { spec, store } = o;
  const owner = ownerToken();
  const trials = expandGrid(spec);
  const sweepId = store.upsertSweep({
    name: spec.name, metric: spec.metric, seed: spec.seed, specPath: o.specPath, specYaml: o.specText,
  });
  store.addTrials(sweepId, spec.seed, spec.data, trials);
  if (o.retryFailed) store.retryFailed(sweepId);
  store.releaseDead(sweepId, ownerAlive, LEASE_MS);

  const inGrid = new Set(trials.map((t) => t.configId));
  const all = store.trials(sweepId);
  const rows = all.filter((r) => inGrid.has(r.config_id));
  const todo = rows.filter((r) => r.status === 'pending' || r.status === 'interrupted').length;
  const bestRow = rows.find((r) => r.status === 'completed');
  let best: Best | null = bestRow
    ? bestOf(spec.metric, bestRow.id, { valAccuracy: bestRow.val_accuracy, valLoss: bestRow.val_loss }, JSON.parse(bestRow.config_json))
    : null;

  const result: SweepResult = {
    sweep: spec.name, completed: 0, failed: 0, interrupted: 0,
    skipped: rows.filter((r) => r.status === 'completed' || r.status === 'failed').length,
    notInGrid: all.length - rows.length, seconds: 0, best,
  };
  const workers = Math.max(1, Math.min(o.workers, todo));
  emit({
    type: 'start', sweep: spec.name, metric: spec.metric, total: rows.length, todo, done: result.skipped,
    notInGrid: result.notInGrid, workers, trainSamples: splitSizes(spec.data).train,
    trials: store.snapshot(sweepId).filter((t) => inGrid.has(t.configId)),
  });

  // The user's stop, or a write that failed (disk full): either way no new trial starts.
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  o.signal?.addEventListener('abort', onAbort);
  if (o.signal?.aborted) stop.abort();
  let fatal: unknown;
  const fail = (err: unknown) => {
    fatal ??= err;
    stop.abort();
  };
  if (todo > 0 && !stop.signal.aborted) {
    const pool = new TrainingPool({ workers, backend: o.backend, dataset: o.dataset, heapLimitMb: o.workerHeapMb });
    const heartbeat = setInterval(() => {
      try { store.heartbeat(owner); } catch { /* a busy database: the next beat will do */ }
    }, HEARTBEAT_MS);
    const runOne = async (): Promise<void> => {
      while (!stop.signal.aborted) {
        // Crash point before each claim; the first is at startup: the sweep and its trials recorded, none claimed.
        failpoint('before-claim');
        const row = store.claimNext(sweepId, owner, (id) => inGrid.has(id), ownerAlive, LEASE_MS);
        if (!row) return;
        const config = JSON.parse(row.config_json) as TrialConfig;
        const trialId = row.id;
        emit({ type: 'trial-start', trialId, config });
        try {
          const r = await pool.run(
            {
              trialId, configId: row.config_id, config, seed: row.seed, data: JSON.parse(row.data_json),
              checkpointDir: o.artifactsDir ? trialDir(o.artifactsDir, spec.name, row.config_id) : null,
            },
            (e) => {
              try {
                if (e.type === 'started') {
                  store.resumeAt(trialId, e.epochs, e.backend);
                } else {
                  store.recordEpoch(trialId, e.metrics, e.backend);
                  emit({ type: 'epoch', trialId, config, backend: e.backend, metrics: e.metrics });
                  // Crash point mid-epoch: this epoch is committed, the worker is training the next.
                  failpoint('epoch-recorded');
                }
              } catch (err) {
                fail(err);
              }
            },
            stop.signal,
          );
          if (r.ok) {
            store.completeTrial(trialId, r.outcome, o.environment ?? null);
            result.completed++;
            const candidate = bestOf(spec.metric, trialId, r.outcome, config);
            if (!best || candidate.score > best.score) best = candidate;
            emit({ type: 'trial-end', trialId, config, status: 'completed', outcome: r.outcome, best });
          } else {
            store.failTrial(trialId, r.error, r.epochs, r.backend ?? undefined);
            result.failed++;
            emit({ type: 'trial-end', trialId, config, status: 'failed', error: r.error, best });
          }
        } catch (err) {
          if (stop.signal.aborted) {
            if (!fatal) store.interruptTrial(trialId);
            result.interrupted++;
            emit({ type: 'trial-end', trialId, config, status: 'interrupted', best });
          } else {
            // The worker itself died (out of memory, a crash in native code): still a failed trial.
            store.failTrial(trialId, `worker died: ${(err as Error).message}`, []);
            result.failed++;
            emit({ type: 'trial-end', trialId, config, status: 'failed', error: (err as Error).message, best });
          }
        }
      }
    };
    await Promise.all(Array.from({ length: workers }, () => runOne().catch(fail)));
    clearInterval(heartbeat);
    await pool.close();
    // Trials a failed write left claimed go back to the queue.
    if (fatal) try { store.releaseOwned(owner); } catch { /* the database is what failed */ }
  }
  o.signal?.removeEventListener('abort', onAbort);
  if (fatal) throw fatal;
  result.best = best;
  result.seconds = (performance.now() - started) / 1000;
  emit({ type: 'end', summary: result });
  return result;
}

function bestOf(metric: Metric, trialId: number, r: { valAccuracy: number | null; valLoss: number | null }, config: TrialConfig): Best {
  return { trialId, score: metricScore(metric, r), value: metricValue(metric, r), config };
}
