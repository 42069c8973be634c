import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadFashionMnist, type FashionMnist } from '../../src/data/fashion-mnist.js';
import { parseSpec } from '../../src/spec/load-spec.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/store.js';
import type { SweepEvent } from '../../src/sweep/events.js';
import { runSweep, type RunSweepOptions } from '../../src/sweep/run-sweep.js';
import { tempDir } from '../temp-dir.js';

let dataset: FashionMnist;
beforeAll(async () => {
  dataset = await loadFashionMnist();
});

const TEXT = `name: small
seed: 5
data: {validationSplit: 0.2, trainLimit: 1000, testLimit: 300}
grid:
  epochs: [2]
  model:
    ann: {units: [[16]], dropout: [0.0, 0.2]}
    cnn: {filters: [[4, 4, 4, 4, 4, 4]], units: [[8]]}
`;

function sweep(store: Store, text = TEXT, events: SweepEvent[] = [], signal?: AbortSignal, more: Partial<RunSweepOptions> = {}) {
  return runSweep({
    spec: parseSpec(text, 'small.yaml'), specText: text, specPath: 'small.yaml', store, dataset,
    workers: 2, backend: 'wasm', signal, checkpoints: false, onEvent: (e) => events.push(e), ...more,
  });
}
const newStore = () => SqliteStore.open(join(tempDir('sweep-run-'), 'sweeps.db'));
/** Rows of a read-only query, as objects. */
async function select(store: Store, sql: string): Promise<Record<string, unknown>[]> {
  const { columns, rows } = await store.query(sql);
  return rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])));
}
/** The first column of every row. */
const column = async (store: Store, sql: string) => (await select(store, sql)).map((r) => Object.values(r)[0]);

describe('runSweep', () => {
  it('trains every configuration through the pool into SQLite; a failing one is a row, not a crash', async () => {
    const store = await newStore();
    const events: SweepEvent[] = [];
    const result = await sweep(store, TEXT, events);
    expect(result).toMatchObject({ completed: 2, failed: 1, interrupted: 0, skipped: 0 });

    const rows = await select(store, 'SELECT model, dropout, status, backend, epochs_done, error FROM trials ORDER BY id');
    expect(rows).toEqual([
      { model: 'ann', dropout: 0, status: 'completed', backend: 'wasm', epochs_done: 2, error: null },
      { model: 'ann', dropout: 0.2, status: 'completed', backend: 'wasm', epochs_done: 2, error: null },
      { model: 'cnn', dropout: 0.2, status: 'failed', backend: 'wasm', epochs_done: 0, error: expect.stringContaining('too small to pool') },
    ]);
    expect(await column(store, 'SELECT COUNT(*) FROM epochs')).toEqual([4]);
    const board = await select(store, `SELECT dropout, val_accuracy, test_accuracy FROM leaderboard WHERE sweep = 'small' ORDER BY rank`) as { val_accuracy: number }[];
    expect(board).toHaveLength(2);
    expect(board[0].val_accuracy).toBeGreaterThanOrEqual(board[1].val_accuracy);
    expect(result.best?.score).toBe(board[0].val_accuracy);

    // Every epoch reached the view, and each trial ended once.
    expect(events.filter((e) => e.type === 'epoch')).toHaveLength(4);
    expect(events.filter((e) => e.type === 'trial-end').map((e) => e.type === 'trial-end' && e.status).sort())
      .toEqual(['completed', 'completed', 'failed']);

    // Re-running the spec continues the sweep: nothing completed is trained again.
    const again = await sweep(store);
    expect(again).toMatchObject({ completed: 0, skipped: 3 });
    // A grown grid trains only the new configuration, under the same sweep.
    const grown = await sweep(store, TEXT.replace('[0.0, 0.2]', '[0.0, 0.2, 0.4]'));
    expect(grown).toMatchObject({ completed: 1, skipped: 3 });
    expect(await column(store, 'SELECT COUNT(*) FROM sweeps')).toEqual([1]);
    await store.close();
  });

  it('records identical metrics when the same sweep runs again elsewhere, whichever worker ran what', async () => {
    const text = TEXT.replace(/  model:[\s\S]*/, '  units: [[16]]\n  dropout: [0.1, 0.3]\n');
    const metrics = async () => {
      const store = await newStore();
      await sweep(store, text);
      const rows = await select(store,
        `SELECT t.config_id, e.epoch, e.loss, e.accuracy, e.val_loss, e.val_accuracy, t.test_accuracy
         FROM epochs e JOIN trials t ON t.id = e.trial_id ORDER BY t.config_id, e.epoch`);
      await store.close();
      return rows;
    };
    const first = await metrics();
    expect(first).toHaveLength(4);
    expect(await metrics()).toEqual(first);
  });

  it('stops when aborted: running trials are interrupted and run again next time', async () => {
    const text = TEXT.replace('epochs: [2]', 'epochs: [50]');
    const store2 = await newStore();
    const stop2 = new AbortController();
    const r2 = await runSweep({
      spec: parseSpec(text, 's.yaml'), specText: text, specPath: null, store: store2, dataset, workers: 1,
      backend: 'wasm', signal: stop2.signal, checkpoints: false, onEvent: (e) => { if (e.type === 'epoch') stop2.abort(); },
    });
    expect(r2).toMatchObject({ completed: 0, interrupted: 1 });
    expect(await column(store2, 'SELECT status FROM trials ORDER BY id')).toEqual(['interrupted', 'pending', 'pending']);
    await store2.close();
  });

  it('records a model too big for memory as a failed trial, and goes on', async () => {
    const store = await newStore();
    const text = TEXT.replace(/  model:[\s\S]*/, '  model:\n    ann: {units: [[16]]}\n    cnn: {filters: [[1024]], pooling: [none], units: [[65536]]}\n');
    expect(await sweep(store, text)).toMatchObject({ completed: 1, failed: 1 });
    expect((await column(store, `SELECT error FROM trials WHERE status = 'failed'`))[0]).toMatch(/^out of memory: /);
    await store.close();
  });

  it('records a trial whose worker dies (its heap limit hit) as failed', async () => {
    const store = await newStore();
    const text = TEXT.replace(/  model:[\s\S]*/, '  units: [[16]]\n');
    expect(await sweep(store, text, [], undefined, { workerHeapMb: 4 })).toMatchObject({ completed: 0, failed: 1 });
    expect((await select(store, `SELECT status, error FROM trials`))[0]).toMatchObject({ status: 'failed', error: expect.stringMatching(/^worker died: /) });
    await store.close();
  });

  it('re-queues failed trials on request, and reports trials the spec no longer has', async () => {
    const store = await newStore();
    await sweep(store);
    const again = await sweep(store, TEXT, [], undefined, { retryFailed: true });
    expect(again).toMatchObject({ completed: 0, failed: 1, skipped: 2 });
    expect(await column(store, `SELECT attempts FROM trials WHERE model = 'cnn'`)).toEqual([2]);
    const events: SweepEvent[] = [];
    const shrunk = await sweep(store, TEXT.replace('[0.0, 0.2]', '[0.0]'), events);
    expect(shrunk).toMatchObject({ notInGrid: 1, skipped: 2 });
    expect(events[0]).toMatchObject({ type: 'start', total: 2, notInGrid: 1 });
    await store.close();
  });
});

describe('runSweep with search and early stopping', () => {
  const ASHA = `name: asha
seed: 7
data: {validationSplit: 0.2, trainLimit: 1000, testLimit: 200}
search:
  earlyStopping: {type: asha, reductionFactor: 2}
grid:
  epochs: [4]
  units: [[16]]
  learningRate: [0.00003, 0.0003, 0.003]
  dropout: [0.0, 0.5]
`;
  type Decision = { trial_id: number; epoch: number; rung: number; value: number; threshold: number; compared: string; verdict: string };

  it('ASHA on one worker: rungs at epochs 1 and 2, each decision compared with exactly the values recorded before it, pruned trials stop there', async () => {
    const store = await newStore();
    const events: SweepEvent[] = [];
    const result = await sweep(store, ASHA, events, undefined, { workers: 1 });
    expect(result.completed + result.pruned).toBe(6);
    expect(result.pruned).toBeGreaterThan(0);
    const trials = await select(store, 'SELECT id, status, epochs_done, test_accuracy FROM trials ORDER BY id') as
      { id: number; status: string; epochs_done: number; test_accuracy: number | null }[];
    const decisions = await select(store, 'SELECT * FROM decisions ORDER BY trial_id, epoch') as Decision[];
    // Rung k at epoch 1·2^k; the last epoch (4) is never decided, a trial that reaches it completes.
    expect(new Set(decisions.map((d) => `${d.epoch}:${d.rung}`))).toEqual(new Set(['1:0', '2:1']));
    const rungValues = new Map<number, number[]>();
    for (const d of decisions) {
      // One worker: every earlier trial's value at this rung was recorded before, and nothing else.
      const before = rungValues.get(d.rung) ?? [];
      expect(JSON.parse(d.compared).sort()).toEqual([...before, d.value].sort());
      const n = before.length + 1;
      const top = [...before, d.value].sort((a, b) => b - a).slice(0, Math.max(1, Math.floor(n / 2)));
      expect(d.verdict).toBe(d.value >= top[top.length - 1] ? 'continue' : 'prune');
      rungValues.set(d.rung, [...before, d.value]);
    }
    for (const t of trials) {
      const prune = decisions.find((d) => d.trial_id === t.id && d.verdict === 'prune');
      if (prune) expect(t).toMatchObject({ status: 'pruned', epochs_done: prune.epoch, test_accuracy: null });
      else expect(t).toMatchObject({ status: 'completed', epochs_done: 4 });
    }
    expect(result.epochsTrained).toBe(trials.reduce((sum, t) => sum + t.epochs_done, 0));
    expect(result.epochsTrained).toBeLessThan(24);
    expect(events.filter((e) => e.type === 'trial-end' && e.status === 'pruned')).toHaveLength(result.pruned);
    // docs/search.md's audit query answers, one row per decision.
    const audit = readFileSync('docs/search.md', 'utf8').match(/```sql\n([\s\S]*?)```/)![1].replace("'search'", "'asha'");
    expect((await store.query(audit)).rows).toHaveLength(decisions.length);
    await store.close();
  });

  it('Hyperband: every decision names its trial\'s bracket and compares only with that bracket\'s values at the rung', async () => {
    const store = await newStore();
    const text = ASHA.replace('{type: asha, reductionFactor: 2}', '{type: hyperband, reductionFactor: 2}');
    const result = await sweep(store, text, [], undefined, { workers: 1 });
    expect(result.completed + result.pruned).toBe(6);
    const decisions = await select(store, 'SELECT * FROM decisions ORDER BY trial_id, epoch') as (Decision & { bracket: number; scheduler: string })[];
    expect(decisions.length).toBeGreaterThan(0);
    expect(decisions.every((d) => d.scheduler === 'hyperband' && d.bracket !== null)).toBe(true);
    for (const d of decisions) {
      // One worker: what it was compared with is exactly the earlier values of its own bracket at its rung, and its own.
      const earlier = decisions.filter((x) => x.trial_id < d.trial_id && x.bracket === d.bracket && x.rung === d.rung).map((x) => x.value);
      expect(JSON.parse(d.compared).sort()).toEqual([...earlier, d.value].sort());
    }
    // A trial keeps one bracket throughout.
    for (const id of new Set(decisions.map((d) => d.trial_id))) expect(new Set(decisions.filter((d) => d.trial_id === id).map((d) => d.bracket)).size).toBe(1);
    await store.close();
  });

  it('median: nothing is pruned before the start-up trials completed; after, exactly the trials whose best is below the completed ones\' median', async () => {
    const store = await newStore();
    const text = ASHA.replace('{type: asha, reductionFactor: 2}', '{type: median, startupTrials: 2}');
    await sweep(store, text, [], undefined, { workers: 1 });
    const decisions = await select(store, 'SELECT trial_id, epoch, value, threshold, verdict, compared FROM decisions ORDER BY trial_id, epoch') as
      { trial_id: number; epoch: number; value: number; threshold: number | null; verdict: string; compared: string }[];
    // Trials 1 and 2 run before two trials completed: never pruned, nothing compared.
    expect(decisions.filter((d) => d.trial_id <= 2).every((d) => d.verdict === 'continue' && d.threshold === null)).toBe(true);
    const judged = decisions.filter((d) => d.threshold !== null);
    expect(judged.length).toBeGreaterThan(0);
    for (const d of judged) {
      const sorted = (JSON.parse(d.compared) as number[]).sort((a, b) => a - b);
      const mid = sorted.length / 2;
      const median = sorted.length % 2 ? sorted[Math.floor(mid)] : (sorted[mid - 1] + sorted[mid]) / 2;
      expect(d.threshold).toBeCloseTo(median, 12);
      expect(d.verdict).toBe(d.value < median ? 'prune' : 'continue');
    }
    await store.close();
  });

  it('patience, a rule the controller never names: on a val_loss sweep each trial stops on its own history, lower being better', async () => {
    const store = await newStore();
    const text = `${ASHA.replace('{type: asha, reductionFactor: 2}', '{type: patience, patience: 0}')}metric: val_loss\n`;
    const result = await sweep(store, text, [], undefined, { workers: 1 });
    expect(result.completed + result.pruned).toBe(6);
    const curves = await select(store, 'SELECT trial_id, epoch, val_loss FROM epochs ORDER BY trial_id, epoch') as { trial_id: number; epoch: number; val_loss: number }[];
    const decisions = await select(store, 'SELECT trial_id, epoch, scheduler, verdict FROM decisions ORDER BY trial_id, epoch') as
      { trial_id: number; epoch: number; scheduler: string; verdict: string }[];
    expect(decisions.length).toBeGreaterThan(0);
    for (const d of decisions) {
      // Patience 0: prune exactly where the loss did not fall below its best so far.
      const losses = curves.filter((c) => c.trial_id === d.trial_id && c.epoch <= d.epoch).map((c) => c.val_loss);
      const best = Math.min(...losses.slice(0, -1));
      expect(d.scheduler).toBe('patience');
      expect(d.verdict).toBe(d.epoch > 1 && !(losses[losses.length - 1] < best) ? 'prune' : 'continue');
    }
    // Ranked by the lowest val_loss: the leaderboard's best is the smallest loss.
    const board = await column(store, `SELECT val_loss FROM leaderboard WHERE sweep = 'asha' ORDER BY rank`) as number[];
    expect(board).toEqual([...board].sort((x, y) => x - y));
    expect(result.best?.value).toBe(board[0]);
    await store.close();
  });

  it('random search: trial k is numbered k and records it; the same spec samples the same trials in any database', async () => {
    const text = `name: random
seed: 3
data: {validationSplit: 0.2, trainLimit: 500, testLimit: 100}
search: {method: random, trials: 4}
grid:
  epochs: [1]
  units: [[8], [16]]
  learningRate: {min: 0.0001, max: 0.01, log: true}
`;
    const configs = async () => {
      const store = await newStore();
      await sweep(store, text);
      const rows = await select(store, 'SELECT number, search_json, config_json, status FROM trials ORDER BY number');
      await store.close();
      return rows;
    };
    const first = await configs();
    expect(first.map((r) => [r.number, JSON.parse(r.search_json as string).k, r.status])).toEqual([0, 1, 2, 3].map((k) => [k, k, 'completed']));
    expect(new Set(first.map((r) => r.config_json)).size).toBe(4);
    expect(await configs()).toEqual(first);
  });

  it('TPE proposes from what it saw, records it, and proposes the same trials from the same results', async () => {
    const text = `name: tpe
seed: 9
data: {validationSplit: 0.2, trainLimit: 300, testLimit: 100}
search: {method: tpe, trials: 14}
grid:
  epochs: [1]
  units: [[4]]
  learningRate: {min: 0.00001, max: 0.1, log: true}
`;
    const run = async () => {
      const store = await newStore();
      const events: SweepEvent[] = [];
      const r = await sweep(store, text, events, undefined, { workers: 1 });
      const rows = await select(store, 'SELECT number, search_json, learning_rate FROM trials ORDER BY number') as
        { number: number; search_json: string; learning_rate: number }[];
      await store.close();
      return { r, rows, starts: events.filter((e) => e.type === 'start') };
    };
    const a = await run();
    expect(a.r.completed).toBe(14);
    expect(a.starts[0]).toMatchObject({ total: 14, todo: 14 });
    // The sweep is deterministic with parallelism 4: trial k may depend on trials 0…k−4 alone. TPE
    // models once 10 are in (its start-up trials), so trials 0-12 are random search's (trial 12 could
    // see 9 at most) and saw nothing; trial 13 saw 0-9 complete and 10-12 as running, whatever they did meanwhile.
    expect(JSON.parse(a.rows[12].search_json)).toMatchObject({ method: 'tpe', k: 12, complete: [], pruned: [], running: [...Array(12).keys()] });
    expect(JSON.parse(a.rows[13].search_json)).toMatchObject({ method: 'tpe', k: 13, complete: [...Array(10).keys()], pruned: [], running: [10, 11, 12] });
    expect((await run()).rows).toEqual(a.rows);
  });
});
