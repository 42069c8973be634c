import type { Schedule } from '../spec/hyperparameters.js';

/** Where training is: the step about to run (from 0), its epoch (from 0), and the whole run's size. */
export type StepPosition = {
  readonly step: number;
  readonly epoch: number;
  readonly stepsPerEpoch: number;
  readonly epochs: number;
};

// OneCycle as PyTorch's OneCycleLR has it by default: warm up from max/25 over the first 30% of
// the steps, then anneal to max/25/1e4, both halves along a cosine.
const ONECYCLE_PCT_START = 0.3;
const ONECYCLE_DIV = 25;
const ONECYCLE_FINAL_DIV = 1e4;

const annealCos = (start: number, end: number, pct: number) => end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);

/**
 * The learning rate for a step under `schedule`, with `base` the configuration's rate (the peak
 * for onecycle). A pure function of the position, so a resumed trial needs no schedule state:
 * - constant: base;
 * - cosine: base·½(1 + cos(π·step/steps)), per step, to 0 at the end (Keras's CosineDecay);
 * - step: base, ×0.1 from the epoch at half the epochs, ×0.01 from three quarters (MultiStepLR);
 * - onecycle: PyTorch's OneCycleLR defaults (warm-up 30%, div 25, final div 1e4, cosine).
 */
export function learningRateAt(schedule: Schedule, base: number, at: StepPosition): number {
  const total = at.stepsPerEpoch * at.epochs;
  switch (schedule) {
    case 'constant':
      return base;
    case 'cosine':
      return base * 0.5 * (1 + Math.cos((Math.PI * at.step) / total));
    case 'step': {
      const passed = (at.epoch >= Math.floor(at.epochs * 0.5) ? 1 : 0) + (at.epoch >= Math.floor(at.epochs * 0.75) ? 1 : 0);
      return base * 0.1 ** (at.epochs < 2 ? 0 : passed);
    }
    case 'onecycle': {
      const initial = base / ONECYCLE_DIV;
      const final = initial / ONECYCLE_FINAL_DIV;
      const warmEnd = ONECYCLE_PCT_START * total - 1;
      if (at.step <= warmEnd) return annealCos(initial, base, warmEnd <= 0 ? 1 : at.step / warmEnd);
      const span = total - 1 - warmEnd;
      return annealCos(base, final, span <= 0 ? 1 : Math.min(1, (at.step - warmEnd) / span));
    }
  }
}
