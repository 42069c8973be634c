import { formatMetric } from '../metrics/registry.js';

/** A decision as recorded, enough to say it in words. */
type Decided = {
  readonly epoch: number; readonly scheduler: string; readonly rung: number | null; readonly bracket: number | null;
  readonly value: number; readonly threshold: number | null;
};

/** "pruned after epoch 3 (asha rung 1: val_accuracy 85.10% short of 86.02%)". */
export function prunedLine(d: Decided | undefined, metric: string): string {
  if (!d) return 'pruned';
  const where = d.rung === null ? d.scheduler : `${d.scheduler} rung ${d.rung}${d.bracket === null ? '' : ` of bracket ${d.bracket}`}`;
  const short = d.threshold === null ? '' : ` short of ${formatMetric(metric, d.threshold)}`;
  return `pruned after epoch ${d.epoch} (${where}: ${metric} ${formatMetric(metric, d.value)}${short})`;
}
