/**
 * The tally of one run of a sweep: counts, the best trial so far, and the events the views
 * receive. It decides nothing; the controller tells it what happened.
 */
import { score, type Objective } from '../metrics/registry.js';
import type { AnyConfig, EpochMetrics, TrialRecord } from '../trial/types.js';
import type { Best, SweepEvent, SweepResult } from './events.js';
import type { TrialEnd } from './trial-run.js';

export class Tally {
  readonly result: SweepResult;
  private best: Best | null;

  /** `best`: the best trial recorded before this run (its value of the sweep's metric), or null. */
  constructor(
    private readonly metric: Objective,
    private readonly emit: (e: SweepEvent) => void,
    start: { sweep: string; skipped: number; infeasible?: number; notInGrid: number; best: { trialId: number; value: number; config: AnyConfig } | null },
  ) {
    this.best = start.best && { ...start.best, score: score(metric.goal, start.best.value) };
    this.result = {
      sweep: start.sweep, completed: 0, failed: 0, interrupted: 0, pruned: 0, infeasible: start.infeasible ?? 0, epochsTrained: 0, waitedSeconds: 0,
      skipped: start.skipped, notInGrid: start.notInGrid, seconds: 0, best: this.best,
    };
  }

  started(trial: TrialRecord): void {
    this.emit({ type: 'trial-start', trialId: trial.id, configId: trial.configId, config: trial.config });
  }

  /** An epoch the store kept. */
  epoch(trial: TrialRecord, backend: string, metrics: EpochMetrics): void {
    this.result.epochsTrained++;
    this.emit({ type: 'epoch', trialId: trial.id, config: trial.config, backend, metrics });
  }

  /** How a trial's attempt ended; a completed one may be the new best. */
  ended(trial: TrialRecord, end: TrialEnd): void {
    const { id: trialId, config } = trial;
    switch (end.status) {
      case 'completed': {
        this.result.completed++;
        const candidate = { trialId, score: score(this.metric.goal, end.value), value: end.value, config };
        if (!this.best || candidate.score > this.best.score) this.best = candidate;
        this.emit({ type: 'trial-end', trialId, config, status: 'completed', outcome: end.outcome, best: this.best });
        return;
      }
      case 'failed':
        this.result.failed++;
        this.emit({ type: 'trial-end', trialId, config, status: 'failed', error: end.error, best: this.best });
        return;
      case 'pruned':
        this.result.pruned++;
        this.emit({ type: 'trial-end', trialId, config, status: 'pruned', best: this.best, pruned: end.decision });
        return;
      case 'interrupted':
        // A trial that gave way (a deterministic sweep's) is queued again, not stopped.
        if (!end.gaveWay) this.result.interrupted++;
        this.emit({ type: 'trial-end', trialId, config, status: 'interrupted', best: this.best, ...(end.lost ? { lost: true } : {}) });
    }
  }

  /** A proposal recorded infeasible (its parameters break a constraint): never trained. */
  infeasible(trial: TrialRecord): void {
    this.result.infeasible++;
    this.emit({ type: 'trial-end', trialId: trial.id, config: trial.config, status: 'infeasible', error: trial.error ?? undefined, best: this.best });
  }

  /** The run's result, its time taken and its workers' time waiting; the views' last event. */
  finish(seconds: number, waitedSeconds = 0): SweepResult {
    this.result.best = this.best;
    this.result.seconds = seconds;
    this.result.waitedSeconds = waitedSeconds;
    this.emit({ type: 'end', summary: this.result });
    return this.result;
  }
}
