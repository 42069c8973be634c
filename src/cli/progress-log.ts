import type { SweepEvent } from '../sweep/events.js';
import { describeConfig, plannedSteps } from '../spec/labels.js';
import { isCodeConfig } from '../spec/code.js';
import { pct } from './table.js';
import { epochValues, formatMetric, outcomeValue } from '../metrics/registry.js';
import { prunedLine } from '../early-stop/describe.js';
import type { AnyConfig, EpochMetrics } from '../trial/types.js';

/**
 * The plain view of a running sweep: one line per finished epoch and trial, with the
 * running best. Readable in log files and CI.
 */
export function progressLog(write: (line: string) => void, keys: readonly string[], metric: string) {
  let done = 0;
  let total = 0;
  const name = (id: number, c: AnyConfig) => `trial ${id}${keys.length ? ` [${describeConfig(c, keys)}]` : ''}`;
  return (e: SweepEvent): void => {
    switch (e.type) {
      case 'start':
        done = e.done;
        total = e.total;
        write(`sweep ${e.sweep}: ${e.total} configurations, ${e.done} already done, ${e.todo} to train on ${e.workers} worker${e.workers === 1 ? '' : 's'}`);
        if (e.notInGrid > 0) write(`sweep ${e.sweep}: ${e.notInGrid} trial${e.notInGrid === 1 ? '' : 's'} of configurations no longer in the spec kept in the database, not run`);
        break;
      case 'trial-start':
        write(`${name(e.trialId, e.config)} started`);
        break;
      case 'epoch': {
        const m = e.metrics;
        const code = isCodeConfig(e.config);
        write(`${name(e.trialId, e.config)} ${code ? 'step' : 'epoch'} ${m.epoch}/${plannedSteps(e.config) ?? '?'}: ${code ? reported(m) : builtIn(m)} (${m.seconds.toFixed(1)}s, ${e.backend})`);
        break;
      }
      case 'trial-end': {
        done += e.status === 'interrupted' ? 0 : 1;
        const scores = e.outcome && (isCodeConfig(e.config)
          ? `${metric} ${formatMetric(metric, outcomeValue(metric, e.outcome))}`
          : `val_acc ${pct(e.outcome.valAccuracy)}% test_acc ${pct(e.outcome.testAccuracy)}%`);
        const what = e.status === 'completed'
          ? `completed: ${scores} in ${e.outcome!.seconds.toFixed(1)}s`
          : e.status === 'failed' ? `FAILED: ${e.error}`
            : e.status === 'infeasible' ? `infeasible, ${e.error}`
              : e.status === 'pruned' ? prunedLine(e.pruned, metric) : 'interrupted';
        const best = e.best ? `; best: trial ${e.best.trialId} ${metric} ${formatMetric(metric, e.best.value)}` : '';
        write(`${name(e.trialId, e.config)} ${what} [${done}/${total}]${best}`);
        break;
      }
      case 'end': {
        const s = e.summary;
        const pruned = `${s.pruned ? `, ${s.pruned} pruned` : ''}${s.infeasible ? `, ${s.infeasible} infeasible (not trained)` : ''}`;
        write(`sweep ${s.sweep} finished in ${s.seconds.toFixed(1)}s: ${s.completed} completed${pruned}, ${s.failed} failed, ${s.interrupted} interrupted, ${s.skipped} already done; ${s.epochsTrained} epochs trained${s.waitedSeconds >= 0.05 ? `; workers waited ${s.waitedSeconds.toFixed(1)}s for earlier trials (deterministic)` : ''}`);
        break;
      }
    }
  };
}

/** A built-in model's epoch: its four metrics. */
function builtIn(m: EpochMetrics): string {
  return `loss ${m.loss.toFixed(4)} acc ${pct(m.accuracy)}% val_loss ${m.valLoss.toFixed(4)} val_acc ${pct(m.valAccuracy)}%`;
}

/** A step of the user's code: what it reported, as the registry formats each (its own time aside: the line ends with it). */
function reported(m: EpochMetrics): string {
  const { epoch_seconds: _, ...values } = epochValues(m);
  return Object.entries(values).map(([k, v]) => `${k} ${formatMetric(k, v)}`).join(' ');
}
