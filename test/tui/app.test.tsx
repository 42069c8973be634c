import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/tui/app.js';
import { Leaderboard } from '../../src/tui/leaderboard.js';
import { createViewStore } from '../../src/tui/view-store.js';
import { reduce, type ViewState } from '../../src/tui/view-state.js';
import { runningSweep, trial } from './fixtures.js';

const tick = () => new Promise((r) => setTimeout(r, 30));
let instances: { unmount: () => void }[] = [];
afterEach(() => {
  for (const i of instances) i.unmount();
  instances = [];
});

function show(state: ViewState) {
  const store = createViewStore(state, 0);
  const calls: string[] = [];
  const app = render(<App store={store} onQuit={() => calls.push('quit')} onInterrupt={() => calls.push('interrupt')} />);
  instances.push(app);
  return { ...app, store, calls, frame: () => app.lastFrame() ?? '' };
}

/** Leaderboard rows: lines that start with a rank. */
const boardRows = (frame: string) => frame.split('\n').filter((l) => /^ *\d+ +\d+ +0\.\d|^ *\d+ +\d+ +0 /.test(l));

describe('App', () => {
  it('shows the header, progress, running trials, the leaderboard ranked, and the failure', () => {
    const f = show(runningSweep()).frame();
    expect(f).toContain('sweep dropout  ·  spec sweeps/dropout.yaml  ·  backend auto  ·  workers 2  ·  db runs/sweeps.db');
    expect(f).toMatch(/4\/6 trials +\(3 completed, 1 failed, 1 running, 1 pending\)/);
    expect(f).toMatch(/elapsed 1m00s +· +ETA 25s +· +5,400 samples\/s/);
    expect(f).toMatch(/trial 5 +dropout=0\.4 +epoch 1\/3 .* loss 1\.0000 +val 85\.00%/);
    // Only dropout varies, so it is the only hyperparameter column; best (trial 2) first.
    expect(f).toMatch(/#▼ +trial +dropout +val_acc +test_acc +epochs +time +val_acc by epoch/);
    expect(boardRows(f).map((l) => l.trim().split(/ +/).slice(0, 4))).toEqual([
      ['1', '2', '0.1', '88.90%'], ['2', '3', '0.2', '88.40%'], ['3', '1', '0', '88.10%'],
    ]);
    expect(f).toContain('1 failed · latest: trial 4: training diverged in epoch 2: loss became NaN or infinite');
    expect(f).toContain('q stop  ·  ↑↓/j k scroll  ·  s sort (score)');
  });

  it('re-orders the leaderboard as trials finish', async () => {
    const app = show(runningSweep());
    const outcome = { backend: 'wasm', valAccuracy: 0.9, valLoss: 0.1, testAccuracy: 0.88, testLoss: 0.3, params: 1, seconds: 30, epochs: [], weightsSha256: 'w' };
    app.store.dispatch({ type: 'trial-end', trialId: 5, config: app.store.getState().trials[4].config, status: 'completed', outcome, best: null });
    await tick();
    expect(boardRows(app.frame()).map((l) => l.trim().split(/ +/)[1])).toEqual(['5', '2', '3', '1']);
  });

  it('sorts by the next column on s, scrolls on j/k, and stops on q or Ctrl-C', async () => {
    const app = show(runningSweep());
    await tick();
    app.stdin.write('s');
    await tick();
    expect(app.frame()).toMatch(/val_acc▼/);
    expect(app.frame()).toContain('s sort (val_acc)');
    app.stdin.write('q');
    app.stdin.write('\x03');
    await tick();
    expect(app.calls).toEqual(['quit', 'interrupt']);
  });

  it('fits a small terminal: "+N more", scrolling, and lines cut to the width on resize', async () => {
    const many = reduce(runningSweep(), {
      type: 'start', sweep: 'dropout', metric: 'val_accuracy', total: 30, todo: 0, done: 30, notInGrid: 0, workers: 2, trainSamples: 54000,
      trials: Array.from({ length: 30 }, (_, i) => trial(i + 1, 'completed', i / 100, 0.8 + i / 1000)),
    });
    const app = show(many);
    Object.defineProperty(app.stdout, 'rows', { value: 16, configurable: true });
    Object.defineProperty(app.stdout, 'columns', { value: 40, configurable: true });
    app.stdout.emit('resize');
    await tick();
    const lines = app.frame().split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(39);
    expect(app.frame()).toMatch(/\+\d+ more +↑↓ scroll/);
    expect(app.frame()).not.toContain('val_acc by epoch');
    const top = boardRows(app.frame())[0];
    app.stdin.write('j');
    await tick();
    expect(boardRows(app.frame())[0]).not.toBe(top);
    expect(app.frame()).toMatch(/\(1 above\)/);
  });

  it('ends with the final leaderboard, the best configuration and how to reproduce it', async () => {
    const app = show(runningSweep());
    app.store.dispatch({ type: 'end', summary: { sweep: 'dropout', completed: 3, failed: 1, interrupted: 1, skipped: 0, notInGrid: 0, seconds: 125, best: null } }, true);
    await tick();
    const f = app.frame();
    expect(f).toContain('sweep dropout stopped after 2m05s: 3 completed, 1 failed, 1 interrupted, 0 done before');
    expect(f).toContain('best: trial 2  dropout=0.1  val 88.90%  test 88.40%');
    expect(f).toContain('reproduce: sweep best dropout > best.yaml && sweep run best.yaml');
    expect(f).not.toContain('q stop');
  });
});

describe('Leaderboard', () => {
  it('cuts every line to a narrow width and drops the sparkline first', () => {
    const ranked = [trial(2, 'completed', 0.1, 0.889), trial(1, 'completed', 0, 0.881)];
    const f = render(<Leaderboard ranked={ranked} keys={['dropout']} sort="score" offset={0} width={30} height={5} />).lastFrame() ?? '';
    expect(f.split('\n').every((l) => l.length <= 30)).toBe(true);
    expect(f).toMatch(/…/);
    expect(f).not.toMatch(/[▁▂▃▄▅▆▇█]/);
    const wide = render(<Leaderboard ranked={ranked} keys={['dropout']} sort="score" offset={0} width={120} height={5} />).lastFrame() ?? '';
    expect(wide).toMatch(/ 1 +2 +0\.1 +88\.90% +88\.40% +3 +31s +[▁-█]{3}/);
  });
});
