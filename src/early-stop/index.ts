import { asha } from './asha.js';
import { hyperband } from './hyperband.js';
import { median } from './median.js';
import type { EarlyStopping, Scheduler } from './scheduler.js';
import { wandbHyperband } from './wandb-hyperband.js';

export { asha, hyperband, median, wandbHyperband };

/** The scheduler for a validated early-stopping spec; Hyperband's maxEpochs defaults to the space's longest trial. */
export function makeScheduler(s: EarlyStopping, spaceMaxEpochs: number): Scheduler {
  switch (s.type) {
    case 'asha':
      return asha(s);
    case 'hyperband':
      return hyperband({ minEpochs: s.minEpochs, maxEpochs: s.maxEpochs ?? spaceMaxEpochs, reductionFactor: s.reductionFactor });
    case 'median':
      return median(s);
    case 'wandb-hyperband':
      return wandbHyperband(s);
  }
}
