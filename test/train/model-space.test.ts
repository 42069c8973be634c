import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInConfig } from '../../src/spec/code.js';
import { loadFashionMnist } from '../../src/data/fashion-mnist.js';
import { expandGrid } from '../../src/search/grid.js';
import { parseSpec } from '../../src/spec/load-spec.js';
import { initBackend } from '../../src/train/backend.js';
import { disposeSplits, makeSplits, type Splits } from '../../src/train/tensors.js';
import { trainTrial } from '../../src/train/train.js';

// 6,000 training images (the first 6,666, less 666 for validation) and 2,000 test images.
let splits: Splits;
let backend: string;
beforeAll(async () => {
  backend = await initBackend('wasm');
  splits = makeSplits(await loadFashionMnist(), { validationSplit: 0.1, trainLimit: 6666, testLimit: 2000 });
});
afterAll(() => disposeSplits(splits));

const CNN = 'filters: [[8, 16]], units: [[64]], epochs: [10], batchSize: [64], learningRate: [0.003]';

async function testAccuracy(extra: string): Promise<number> {
  const [trial] = expandGrid(parseSpec(`name: m\ngrid:\n  model:\n    cnn: {${CNN}${extra}}\n`, 'm.yaml'));
  const { model, ...o } = await trainTrial({ config: builtInConfig(trial.config), seed: 1, splits, backend });
  model.dispose();
  return o.testAccuracy;
}

describe('the model space', () => {
  // Measured here: 87.05% without, 88.15% with (and with seed 2 on 6,001 images: 87.9% and 88.7%). Each run is
  // deterministic, so this compares the same two numbers every time.
  it('a short CNN with batch normalization, shifts and a cosine schedule beats the same CNN without them on 6,000 images', async () => {
    expect(splits.train.count).toBe(6000);
    const plain = await testAccuracy('');
    const better = await testAccuracy(', batchNorm: [true], augment: [shift], schedule: [cosine]');
    expect(plain).toBeGreaterThan(0.8);
    expect(better).toBeGreaterThan(plain + 0.005);
  }, 300_000);
});
