/**
 * The typed boundary between the main thread and the objective worker (worker.ts): the task,
 * the reports and verdicts on its port, and the result. What the user's module sees is
 * `TrialHandle` (examples/tfjs/train.mjs; docs/programs.md).
 */
import type { MessagePort } from 'node:worker_threads';
import type { TrialLogs } from '../types.js';

/** One trial of the objective: the module (a file path, JavaScript), its parameters, and its port. */
export type ObjectiveTask = {
  readonly module: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly trial: { readonly id: number; readonly number: number; readonly sweep: string; readonly dir: string };
  readonly port: MessagePort;
};

/** Posted by `trial.report`: a step and every value it has so far. */
export type StepReport = { readonly type: 'report'; readonly step: number; readonly values: Readonly<Record<string, number>> };

/** The main thread's answer to each report, once its verdict (if any) is in. */
export type StepVerdict = { readonly type: 'verdict'; readonly stop: boolean };

/** How `train()` ended: returned, or threw (or was not there), with what the module printed. */
export type ObjectiveResult = ({ readonly ok: true } | { readonly ok: false; readonly error: string }) & { readonly logs: TrialLogs };

/** The `trial` the user's `train(params, trial)` gets. */
export type TrialHandle = {
  readonly id: number;
  readonly number: number;
  readonly sweep: string;
  /** The trial's own folder, kept across its attempts: for checkpoints. */
  readonly dir: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** Reports a step's metrics; resolves once the sweep's early-stopping rule has judged it. */
  report(step: number, metrics: Readonly<Record<string, number>>): Promise<void>;
  /** True once the rule stopped the trial: return from train(). */
  readonly shouldStop: boolean;
};
