/**
 * latency_ms (src/train/latency.ts): what is timed, and that timing it changes nothing a trial
 * records, neither the trained model's nor the next trial's in the same worker.
 */
import { builtInConfig } from '../../src/spec/code.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetArrays } from '../../src/data/dataset.js';
import { loadFashionMnist } from '../../src/data/fashion-mnist.js';
import { expandGrid } from '../../src/search/grid.js';
import { parseSpec } from '../../src/spec/load-spec.js';
import { initBackend } from '../../src/train/backend.js';
import { LATENCY_CALLS, LATENCY_FIRST_WARMUP, LATENCY_WARMUP, measureLatency, median } from '../../src/train/latency.js';
import { disposeSplits, makeSplits, type Splits } from '../../src/train/tensors.js';
import { evaluate, trainTrial } from '../../src/train/train.js';
import type { TrialConfig } from '../../src/trial/types.js';

let dataset: DatasetArrays;
let splits: Splits;
let backend: string;

beforeAll(async () => {
  backend = await initBackend('wasm');
  dataset = await loadFashionMnist();
  splits = makeSplits(dataset, { validationSplit: 0.2, trainLimit: 640, testLimit: 200 });
});
afterAll(() => disposeSplits(splits));

const config = (grid: string): TrialConfig =>
  builtInConfig(expandGrid(parseSpec(`name: t\ngrid:\n${grid}`, 't.yaml'))[0].config);
const ANN = config('  epochs: [1]\n  units: [[32]]\n  dropout: [0.2]\n');
const CNN = config('  epochs: [1]\n  model:\n    cnn:\n      filters: [[4, 8]]\n      units: [[16]]\n');

describe('measureLatency', () => {
  it('is the median of the timed calls, after the warm-up ones, on the clock given', async () => {
    const { model } = await trainTrial({ config: ANN, seed: 1, splits, backend });
    // Each timed call reads the clock twice; call i takes (i * 37) mod 200 + 1 ms: 1 … 200 in another order.
    let reads = 0;
    let t = 0;
    const now = () => (reads++ % 2 === 0 ? t : (t += ((reads >> 1) * 37) % LATENCY_CALLS + 1));
    expect(measureLatency(model, dataset.test, dataset.shape, now)).toBe(100.5);
    expect(reads).toBe(2 * LATENCY_CALLS);
    model.dispose();
  });

  it('warms up longer for the first model of its kind in a thread, so that it is timed on compiled code as later ones are', async () => {
    // Batch normalization: layers no other test here measures.
    const c = config('  epochs: [1]\n  units: [[16]]\n  batchNorm: [true]\n');
    const calls = async () => {
      const { model } = await trainTrial({ config: c, seed: 2, splits, backend });
      let n = 0;
      const predict = model.predict.bind(model);
      model.predict = (...args: Parameters<typeof predict>) => { n++; return predict(...args); };
      measureLatency(model, dataset.test, dataset.shape);
      model.dispose();
      return n;
    };
    expect([await calls(), await calls()]).toEqual([LATENCY_FIRST_WARMUP + LATENCY_CALLS, LATENCY_WARMUP + LATENCY_CALLS]);
  });

  it('is null where there is no image to classify', async () => {
    const { model } = await trainTrial({ config: ANN, seed: 1, splits, backend });
    expect(measureLatency(model, { ...dataset.test, count: 0 }, dataset.shape)).toBeNull();
    model.dispose();
  });

  it.each([['an ANN', ANN], ['a CNN', CNN]])('changes nothing of %s, nor of the next trial the worker trains', async (_, c) => {
    const alone = await trainTrial({ config: c, seed: 4, splits, backend });
    const before = evaluate(alone.model, splits.test);
    const ms = measureLatency(alone.model, dataset.test, dataset.shape)!;
    expect(ms).toBeGreaterThan(0);
    // The model's predictions are what they were, and the next trial trains to the same bits.
    expect(evaluate(alone.model, splits.test)).toEqual(before);
    alone.model.dispose();
    const next = await trainTrial({ config: c, seed: 4, splits, backend });
    next.model.dispose();
    expect(next.weightsSha256).toBe(alone.weightsSha256);
    expect(next.epochs.map(({ seconds: _s, ...e }) => e)).toEqual(alone.epochs.map(({ seconds: _s, ...e }) => e));
  });
});

describe('median', () => {
  it.each([[[3], 3], [[2, 1], 1.5], [[5, 1, 3], 3], [[4, 1, 3, 2], 2.5]])('of %j is %d', (xs, m) => {
    expect(median(Float64Array.from(xs))).toBe(m);
  });
});
