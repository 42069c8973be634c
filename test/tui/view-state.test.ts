import { describe, expect, it } from 'vitest';
import { best, reduce, stats } from '../../src/tui/view-state.js';
import { runningSweep, VAL_LOSS } from './fixtures.js';

describe('view state', () => {
  it('counts trials by status', () => {
    expect(stats(runningSweep())).toMatchObject({ total: 6, completed: 3, failed: 1, running: 1, pending: 1, elapsed: 60 });
  });

  it('estimates the time left from the measured seconds per epoch', () => {
    // 2 epochs left of the running trial + 3 of the pending one, at 10 s each, on 2 workers.
    expect(stats(runningSweep()).eta).toBe(25);
    // Throughput: the running trial's last epoch took 10 s for 54,000 samples.
    expect(stats(runningSweep()).samplesPerSecond).toBe(5400);
  });

  it('follows trials through start, epochs and end', () => {
    let s = runningSweep();
    s = reduce(s, { type: 'trial-start', trialId: 6, configId: s.trials[5].configId, config: s.trials[5].config });
    s = reduce(s, { type: 'epoch', trialId: 6, config: s.trials[5].config, backend: 'wasm', metrics: { epoch: 1, loss: 0.6, accuracy: 0.8, valLoss: 0.4, valAccuracy: 0.86, seconds: 9 } });
    expect(s.header.backend).toBe('wasm');
    expect(s.trials[5]).toMatchObject({ status: 'running', epochs: [{ epoch: 1, valAccuracy: 0.86 }] });
    const outcome = { backend: 'wasm', valAccuracy: 0.895, valLoss: 0.3, testAccuracy: 0.89, testLoss: 0.31, params: 1, seconds: 30, epochs: s.trials[5].epochs, weightsSha256: 'w' };
    s = reduce(s, { type: 'trial-end', trialId: 6, config: s.trials[5].config, status: 'completed', outcome, best: null });
    expect(best(s)?.id).toBe(6);
    expect(stats(s)).toMatchObject({ completed: 4, pending: 0, running: 1 });
  });

  it('adds a trial proposed while the sweep runs (TPE) as it starts, counts it pruned when stopped early, and counts the plan', () => {
    let s = { ...runningSweep(), planned: 20 };
    const config = s.trials[0].config;
    s = reduce(s, { type: 'trial-start', trialId: 99, configId: 'new', config });
    expect(s.trials.at(-1)).toMatchObject({ id: 99, configId: 'new', status: 'running' });
    s = reduce(s, { type: 'trial-end', trialId: 99, config, status: 'pruned', best: null });
    expect(stats(s)).toMatchObject({ total: 20, pruned: 1 });
  });

  it('ranks by lowest val_loss when that is the metric', () => {
    const s = runningSweep(60_000, VAL_LOSS);
    // Trial 3 has the lowest val loss; trial 2, the best val accuracy, also has the highest
    // loss, so ranking by accuracy or by the highest loss would both pick 2.
    expect(best(s)?.id).toBe(3);
    expect(best(runningSweep())?.id).toBe(2);
  });
});
