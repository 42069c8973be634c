/**
 * What trains a claimed trial, whatever it is: the worker pool (sweep's built-in models), a
 * child process (a program), or a module in the worker (an objective). Each reports as the
 * worker does (src/pool/protocol.ts): a start with the epochs it resumes after, each epoch as it
 * ends (waiting for a verdict where the early-stopping rule decides), and a result.
 */
import type { TrainResult, Verdict, WorkerEvent } from '../pool/protocol.js';
import type { EpochMetrics, TrialRecord } from './types.js';

/** One claimed trial to train. */
export type RunJob = {
  readonly trial: TrialRecord;
  /** Take a checkpoint after each epoch and keep the trained model (built-in models). */
  readonly keep: boolean;
  /** The trial's last checkpoint, to resume from (built-in models); null: from scratch. */
  readonly resumeFrom: Uint8Array | null;
  /** The epochs an earlier attempt recorded (the user's code resumes from its own folder; these stay recorded). */
  readonly recorded: readonly EpochMetrics[];
  /** Whether the sweep's early-stopping rule decides after `epoch`: the trial then waits for a verdict. */
  readonly decidesAfter: (epoch: number) => boolean;
};

export interface TrialRunner {
  /** Trains the job's trial; `onEvent` sees its progress and answers a verdict through `reply`. Rejects only where the runner itself broke. */
  run(job: RunJob, onEvent: (e: WorkerEvent, reply: (v: Verdict) => void) => void, signal: AbortSignal): Promise<TrainResult>;
  close(): Promise<void>;
}
