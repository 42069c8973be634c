import type { SweepEvent } from '../sweep/events.js';
import { describeConfig } from '../spec/labels.js';
import { pct } from './table.js';
import { formatMetric } from '../metrics/registry.js';
import { prunedLine } from '../early-stop/describe.js';
import type { TrialConfig } from '../trial/types.js';

/**
 * The plain view of a running sweep: one line per finished epoch and trial, with the
 * running best. Readable in log files and CI.
 */
export function progressLog(write: (line: string) => void, keys: readonly (keyof TrialConfig)[], metric: string) {
  let done = 0;
  let total = 0;
  const name = (id: number, c: TrialConfig) => `trial ${id}${keys.length ? ` [${describeConfig(c, keys)}]` : ''}`;
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
        write(`${name(e.trialId, e.config)} epoch ${m.epoch}/${e.config.epochs}: loss ${m.loss.toFixed(4)} acc ${pct(m.accuracy)}% val_loss ${m.valLoss.toFixed(4)} val_acc ${pct(m.valAccuracy)}% (${m.seconds.toFixed(1)}s, ${e.backend})`);
        break;
      }
      case 'trial-end': {
        done += e.status === 'interrupted' ? 0 : 1;
        const what = e.status === 'completed'
          ? `completed: val_acc ${pct(e.outcome!.valAccuracy)}% test_acc ${pct(e.outcome!.testAccuracy)}% in ${e.outcome!.seconds.toFixed(1)}s`
          : e.status === 'failed' ? `FAILED: ${e.error}`
            : e.status === 'pruned' ? prunedLine(e.pruned, metric) : 'interrupted';
        const best = e.best ? `; best: trial ${e.best.trialId} ${metric} ${formatMetric(metric, e.best.value)}` : '';
        write(`${name(e.trialId, e.config)} ${what} [${done}/${total}]${best}`);
        break;
      }
      case 'end': {
        const s = e.summary;
        const pruned = s.pruned ? `, ${s.pruned} pruned` : '';
        write(`sweep ${s.sweep} finished in ${s.seconds.toFixed(1)}s: ${s.completed} completed${pruned}, ${s.failed} failed, ${s.interrupted} interrupted, ${s.skipped} already done; ${s.epochsTrained} epochs trained`);
        break;
      }
    }
  };
}
