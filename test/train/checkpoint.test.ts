import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFashionMnist } from '../../src/data/fashion-mnist.js';
import { expandGrid } from '../../src/grid/expand.js';
import { parseSpec } from '../../src/spec/load-spec.js';
import { initBackend } from '../../src/train/backend.js';
import { disposeSplits, makeSplits, type Splits } from '../../src/train/tensors.js';
import { trainTrial } from '../../src/train/train.js';
import { tempDir } from '../temp-dir.js';
import type { TrialConfig } from '../../src/types.js';

let splits: Splits;
let backend: string;
beforeAll(async () => {
  backend = await initBackend('wasm');
  splits = makeSplits(await loadFashionMnist(), { validationSplit: 0.2, trainLimit: 1000, testLimit: 300 });
});
afterAll(() => disposeSplits(splits));

const config = (optimizer: string): TrialConfig =>
  expandGrid(parseSpec(`name: c\ntrain: {optimizer: ${optimizer}}\ngrid:\n  epochs: [4]\n  units: [[24, 12]]\n  dropout: [0.3]\n`, 'c.yaml'))[0].config;

async function train(c: TrialConfig, dir?: string, killAfter?: number) {
  const { model, ...o } = await trainTrial({
    config: c, seed: 9, splits, backend,
    checkpoint: dir ? { dir, configId: 'cfg' } : undefined,
    onEpoch: (m) => {
      // Stands in for a kill: the epoch and its checkpoint are saved, then training stops.
      if (m.epoch === killAfter) throw new Error('killed');
    },
  });
  model.dispose();
  return o;
}
const metrics = (o: { epochs: { seconds: number }[]; testAccuracy: number; testLoss: number }) =>
  ({ epochs: o.epochs.map(({ seconds: _, ...m }) => m), test: [o.testAccuracy, o.testLoss] });

describe('checkpoints', () => {
  // Weights, optimizer state, shuffling and dropout generators are all restored.
  it.each(['adam', 'sgd', 'rmsprop', 'adagrad'])('a trial resumed from a checkpoint ends exactly as an uninterrupted one (%s)', async (optimizer) => {
    const c = config(optimizer);
    const whole = await train(c);
    const dir = tempDir('sweep-ckpt-');
    await expect(train(c, dir, 2)).rejects.toThrow('killed');
    const resumed = await train(c, dir);
    expect(resumed.resumedFrom).toBe(2);
    expect(metrics(resumed)).toEqual(metrics(whole));
  });

  it('keeps one checkpoint, and ignores one of another configuration or a damaged one', async () => {
    const c = config('adam');
    const dir = tempDir('sweep-ckpt-');
    await expect(train(c, dir, 3)).rejects.toThrow('killed');
    expect(readdirSync(dir).sort()).toEqual(['checkpoint-3.bin', 'checkpoint.json']);
    const other = await trainTrial({ config: c, seed: 9, splits, backend, checkpoint: { dir, configId: 'another' } });
    other.model.dispose();
    expect(other.resumedFrom).toBe(0);
    writeFileSync(join(dir, 'checkpoint-3.bin'), 'truncated');
    expect((await train(c, dir)).resumedFrom).toBe(0);
    expect(existsSync(join(dir, 'checkpoint-4.bin'))).toBe(true);
  });
});
