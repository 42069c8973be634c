/** What the controller tells its views (the line log, the live screen), and what a run returns. */
import type { Objective } from '../metrics/registry.js';
import type { EpochDecision } from '../store/store.js';
import type { AnyConfig, EpochMetrics, NoteRecord, TrialOutcome, TrialSnapshot } from '../trial/types.js';

export type SweepEvent =
  | {
      type: 'start'; sweep: string; metric: Objective; total: number; todo: number; done: number; notInGrid: number; workers: number;
      /** Samples per training epoch, for throughput. */
      trainSamples: number;
      /** Every trial in the grid as recorded so far (earlier runs' results included). */
      trials: TrialSnapshot[];
      /** What people wrote about the sweep and its trials (`sweep note`), oldest first. */
      notes?: readonly NoteRecord[];
    }
  | { type: 'trial-start'; trialId: number; configId: string; config: AnyConfig }
  | { type: 'epoch'; trialId: number; config: AnyConfig; backend: string; metrics: EpochMetrics }
  | {
      type: 'trial-end'; trialId: number; config: AnyConfig; status: 'completed' | 'failed' | 'interrupted' | 'pruned' | 'infeasible';
      outcome?: TrialOutcome; error?: string; best: Best | null;
      /** Interrupted because another worker took the trial over (this one's lease expired): nothing of this attempt was kept. */
      lost?: true;
      /** Pruned: the decision that stopped it, after `epoch`. */
      pruned?: EpochDecision & { epoch: number };
    }
  /** A sweep of several objectives or with constraints, its completed trials ranked again (after each completes): every ranked trial's front. */
  | { type: 'fronts'; fronts: readonly { readonly trialId: number; readonly front: number; readonly feasible: boolean }[] }
  | { type: 'end'; summary: SweepResult };

/** The best trial so far: `score` ranks (higher is better), `value` is the metric as recorded (a loss stays a loss). */
export type Best = { trialId: number; score: number; value: number; config: AnyConfig };

export type SweepResult = {
  sweep: string; completed: number; failed: number; interrupted: number;
  /** Trials stopped early by the sweep's rule (they count as done). */
  pruned: number;
  /** Trials of the sweep recorded infeasible (their parameters break a constraint): never trained, done. */
  infeasible: number;
  /** Epochs this run trained (resumed trials: only the epochs after their checkpoint). */
  epochsTrained: number;
  /**
   * Seconds this run's workers spent waiting for earlier trials (a deterministic sweep's proposals
   * and verdicts, src/sweep/wakeup.ts), summed over workers: what determinism cost it.
   */
  waitedSeconds: number;
  /** Trials of the grid done (completed, failed or pruned) before this run. */
  skipped: number;
  /** Trials recorded for this sweep whose configuration the spec no longer has: kept, not run. */
  notInGrid: number;
  seconds: number; best: Best | null;
  /**
   * Set where this run stopped because its first trials all failed (W&B's agent stops so after
   * 5): how many. Their trials are recorded failed; the rest wait, pending.
   */
  gaveUpAfter?: number;
  /** A fork's trials carried from the sweep it came from (`sweep run --fork`), where there were any. */
  carried?: number;
  /** Set where a completed trial reached the spec's `metric.target` (now or before this run): no more trials were started. */
  reachedTarget?: { readonly trialId: number; readonly value: number };
};
