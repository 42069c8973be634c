/**
 * The typed boundary between the main thread and the training workers: what a task
 * carries in, what a worker reports while it trains, and what it returns.
 */
import type { MessagePort } from 'node:worker_threads';
import type { DatasetArrays } from '../data/dataset.js';
import type { DataSettings } from '../spec/schema.js';
import type { EpochMetrics, ModelFiles, TrialConfig, TrialLogs, TrialOutcome } from '../trial/types.js';

export type BackendChoice = 'auto' | 'node' | 'wasm' | 'cpu';
export const BACKENDS: readonly BackendChoice[] = ['auto', 'node', 'wasm', 'cpu'];

/** Given to each worker once, at its start: the dataset's bytes are shared, not copied, and its shape and classes build the models. */
export type WorkerInit = { readonly dataset: DatasetArrays; readonly backend: BackendChoice };

/** One trial to train. `port` is transferred; the worker posts WorkerEvents on it. */
export type TrainTask = {
  readonly trialId: number;
  readonly configId: string;
  readonly config: TrialConfig;
  /** Take a checkpoint after each epoch and keep the trained model; false: neither. */
  readonly keep: boolean;
  /** The trial's last checkpoint (the store's), to resume from; null: from scratch. */
  readonly resumeFrom: Uint8Array | null;
  readonly seed: number;
  readonly data: DataSettings;
  /**
   * The epochs after which the controller decides, by the sweep's early-stopping rule, whether
   * the trial goes on: after each, the worker waits on `port` for a Verdict before training on.
   */
  readonly verdictAfter: readonly number[];
  readonly port: MessagePort;
};

/** The controller's answer after an epoch listed in `verdictAfter`: stop (pruned) or go on. */
export type Verdict = { readonly type: 'verdict'; readonly epoch: number; readonly stop: boolean };

export type WorkerEvent =
  | { type: 'started'; trialId: number; backend: string; resumedFrom: number; epochs: EpochMetrics[] }
  | {
      type: 'epoch'; trialId: number; backend: string; metrics: EpochMetrics; checkpoint: Uint8Array | null;
      /** The worker waits for a Verdict on this epoch before it trains the next. */
      awaitsVerdict: boolean;
    };

/** A trial that failed inside training comes back as data, not as a rejected task. */
export type TrainResult = (
  | { ok: true; outcome: TrialOutcome; model: ModelFiles | null }
  /** Stopped by a Verdict after its last epoch in `epochs`: no test evaluation, no model. */
  | { ok: 'stopped'; backend: string; epochs: EpochMetrics[] }
  | { ok: false; error: string; backend: string | null; epochs: EpochMetrics[] }
) & {
  /** What a program wrote on stdout and stderr (a program's trials only). */
  logs?: TrialLogs;
};
