import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../src/tui/app.js';
import { Leaderboard } from '../../src/tui/leaderboard.js';
import { createViewStore } from '../../src/tui/view-store.js';
import { reduce, type ViewState } from '../../src/tui/view-state.js';
import { DEFAULT_OBJECTIVE } from '../../src/metrics/registry.js';
import { runningSweep, trial, VAL_LOSS } from './fixtures.js';

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

/**
 * Waits, polling the latest frame, until `check` passes: a store update reaches the screen
 * after the store notifies and React commits, so there is no fixed delay to wait instead.
 * Bounded: a frame that never comes fails with `check`'s own message after 5 s.
 */
const frameWhere = (check: () => void) => vi.waitFor(check, { timeout: 5_000, interval: 5 });

/**
 * Waits until the App listens for keys: Ink attaches its stdin 'readable' listener in the
 * same effect pass as useInput's handler, after the first render. A key written before
 * then is lost.
 */
const keysReady = (app: ReturnType<typeof show>) =>
  vi.waitFor(() => expect(app.stdin.listenerCount('readable')).toBeGreaterThan(0), { timeout: 5_000, interval: 5 });

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

  it('counts a pruned trial apart and says why the rule stopped it', async () => {
    const app = show(runningSweep());
    const config = app.store.getState().trials[4].config;
    app.store.dispatch({
      type: 'trial-end', trialId: 5, config, status: 'pruned', best: null,
      pruned: { epoch: 1, scheduler: 'asha', rung: 0, bracket: null, value: 0.85, threshold: 0.881, compared: [0.85, 0.881], verdict: 'prune' },
    });
    await frameWhere(() => expect(app.frame()).toContain('1 pruned · latest: trial 5 pruned after epoch 1 (asha rung 0: val_accuracy 85.00% short of 88.10%)'));
    expect(app.frame()).toMatch(/5\/6 trials +\(3 completed, 1 pruned, 1 failed, 0 running, 1 pending\)/);
  });

  it('re-orders the leaderboard as trials finish', async () => {
    const app = show(runningSweep());
    const outcome = { backend: 'wasm', valAccuracy: 0.9, valLoss: 0.1, testAccuracy: 0.88, testLoss: 0.3, params: 1, seconds: 30, epochs: [], weightsSha256: 'w' };
    app.store.dispatch({ type: 'trial-end', trialId: 5, config: app.store.getState().trials[4].config, status: 'completed', outcome, best: null });
    await frameWhere(() => expect(boardRows(app.frame()).map((l) => l.trim().split(/ +/)[1])).toEqual(['5', '2', '3', '1']));
  });

  it('sorts by the next column on s, scrolls on j/k, and stops on q or Ctrl-C', async () => {
    // A val_loss sweep: the fixtures' losses rank the trials 3, 1, 2 and their val accuracies
    // 2, 3, 1, so sorting by val_acc visibly moves the rows.
    const app = show(runningSweep(60_000, VAL_LOSS));
    const rankAndTrial = () => boardRows(app.frame()).map((l) => l.trim().split(/ +/).slice(0, 2));
    expect(app.frame()).toMatch(/#▼ +trial/);
    expect(rankAndTrial()).toEqual([['1', '3'], ['2', '1'], ['3', '2']]);
    await keysReady(app);
    app.stdin.write('s');
    // Rows by val accuracy, best first; each keeps its rank under the sweep's metric.
    await frameWhere(() => expect(rankAndTrial()).toEqual([['3', '2'], ['1', '3'], ['2', '1']]));
    expect(app.frame()).toMatch(/val_acc▼/);
    expect(app.frame()).not.toMatch(/#▼/);
    expect(app.frame()).toContain('s sort (val_acc)');
    app.stdin.write('q');
    app.stdin.write('\x03');
    await frameWhere(() => expect(app.calls).toEqual(['quit', 'interrupt']));
  });

  it('fits a small terminal: "+N more", scrolling, and lines cut to the width on resize', async () => {
    const many = reduce(runningSweep(), {
      type: 'start', sweep: 'dropout', metric: DEFAULT_OBJECTIVE, total: 30, todo: 0, done: 30, notInGrid: 0, workers: 2, trainSamples: 54000,
      trials: Array.from({ length: 30 }, (_, i) => trial(i + 1, 'completed', i / 100, 0.8 + i / 1000)),
    });
    const app = show(many);
    Object.defineProperty(app.stdout, 'rows', { value: 16, configurable: true });
    Object.defineProperty(app.stdout, 'columns', { value: 40, configurable: true });
    app.stdout.emit('resize');
    // The frame at the new size: every line cut to the width, the sparkline dropped first.
    await frameWhere(() => {
      expect(Math.max(...app.frame().split('\n').map((l) => l.length))).toBeLessThanOrEqual(39);
      expect(app.frame()).not.toContain('val_acc by epoch');
    });
    expect(app.frame()).toMatch(/\+\d+ more +↑↓ scroll/);
    const top = boardRows(app.frame())[0];
    await keysReady(app);
    app.stdin.write('j');
    await frameWhere(() => expect(app.frame()).toMatch(/\(1 above\)/));
    expect(boardRows(app.frame())[0]).not.toBe(top);
  });

  it('ends with the final leaderboard, the best configuration and how to reproduce it', async () => {
    const app = show(runningSweep());
    app.store.dispatch({ type: 'end', summary: { sweep: 'dropout', completed: 3, failed: 1, interrupted: 1, pruned: 0, infeasible: 0, waitedSeconds: 0, epochsTrained: 12, skipped: 0, notInGrid: 0, seconds: 125, best: null } }, true);
    await frameWhere(() => expect(app.frame()).toContain('sweep dropout stopped after'));
    const f = app.frame();
    expect(f).toContain('sweep dropout stopped after 2m05s: 3 completed, 1 failed, 1 interrupted, 0 done before');
    expect(f).toContain('best: trial 2  dropout=0.1  val 88.90%  test 88.40%');
    expect(f).toContain('reproduce: sweep best dropout > best.yaml && sweep run best.yaml');
    expect(f).not.toContain('q stop');
  });
});

describe('tags and notes', () => {
  it('shows the latest notes under the header, and the tags in a column before the sparkline', () => {
    const base = runningSweep();
    const trials = base.trials.map((t) => (t.id === 3 ? { ...t, tags: ['baseline', 'wide'] } : t));
    const notes = [
      { trialId: null, text: 'first try', createdAt: '2026-11-25T12:00:00.000Z' },
      { trialId: null, text: 'tried wider layers', createdAt: '2026-11-25T12:01:00.000Z' },
      { trialId: 3, text: 'the one\nto beat', createdAt: '2026-11-25T12:02:00.000Z' },
    ];
    const f = show({ ...base, trials, notes }).frame();
    const lines = f.split('\n');
    expect(lines[1]).toBe('note: tried wider layers  (+1 earlier)');
    expect(lines[2]).toBe('note on trial 3: the one ⏎ to beat');
    expect(f).toMatch(/#▼ +trial +dropout +val_acc +test_acc +epochs +time +tags +val_acc by epoch/);
    expect(boardRows(f).find((l) => /^ *2 +3 /.test(l))).toMatch(/ baseline,wide +\S/);
    // Without tags or notes, neither takes room.
    const plain = show(base).frame();
    expect(plain).not.toMatch(/tags|note/);
  });
});

describe('Leaderboard', () => {
  it('cuts every line to a narrow width and drops the sparkline first', () => {
    const ranked = [trial(2, 'completed', 0.1, 0.889), trial(1, 'completed', 0, 0.881)];
    const f = render(<Leaderboard ranked={ranked} keys={['dropout']} metric={{ name: 'val_accuracy', goal: 'maximize' }} sort="score" offset={0} width={30} height={5} />).lastFrame() ?? '';
    expect(f.split('\n').every((l) => l.length <= 30)).toBe(true);
    expect(f).toMatch(/…/);
    expect(f).not.toMatch(/[▁▂▃▄▅▆▇█]/);
    const wide = render(<Leaderboard ranked={ranked} keys={['dropout']} metric={{ name: 'val_accuracy', goal: 'maximize' }} sort="score" offset={0} width={120} height={5} />).lastFrame() ?? '';
    expect(wide).toMatch(/ 1 +2 +0\.1 +88\.90% +88\.40% +3 +31s +[▁-█]{3}/);
  });
});

describe('a sweep ranked into Pareto fronts', () => {
  it('ranks by front, then by the metric; shows each trial\'s front, the first marked, and follows the controller\'s re-ranking', async () => {
    // By val_acc alone: 2, 3, 1. Ranked into fronts (say, against training time): 1 and 3 on the first, 2 infeasible.
    const app = show(reduce(runningSweep(), { type: 'fronts', fronts: [
      { trialId: 1, front: 1, feasible: true }, { trialId: 3, front: 1, feasible: true }, { trialId: 2, front: 2, feasible: false },
    ] }));
    const rows = () => app.frame().split('\n').filter((l) => /^ *\d+ +(\*|✗)?\d+ +\d+ +0/.test(l)).map((l) => l.trim().split(/ +/).slice(0, 3));
    expect(app.frame()).toMatch(/#▼ +front +trial +dropout +val_acc/);
    expect(rows()).toEqual([['1', '*1', '3'], ['2', '*1', '1'], ['3', '✗2', '2']]);
    // Trial 2 comes onto the first front when the controller ranks again.
    app.store.dispatch({ type: 'fronts', fronts: [
      { trialId: 1, front: 1, feasible: true }, { trialId: 3, front: 2, feasible: true }, { trialId: 2, front: 1, feasible: true },
    ] });
    await frameWhere(() => expect(rows()).toEqual([['1', '*1', '2'], ['2', '*1', '1'], ['3', '2', '3']]));
  });

  it('a sweep of one metric shows no front column', () => {
    expect(show(runningSweep()).frame()).not.toMatch(/front/);
  });
});
