import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInConfig } from '../../src/spec/code.js';
import { expandGrid } from '../../src/search/grid.js';
import { parseSpec } from '../../src/spec/load-spec.js';
import { loadFashionMnist } from '../../src/data/fashion-mnist.js';
import { initBackend } from '../../src/train/backend.js';
import { PhaseClock, type EpochPhases } from '../../src/train/epoch-phases.js';
import { disposeSplits, makeSplits, type Splits } from '../../src/train/tensors.js';
import { trainTrial } from '../../src/train/train.js';

let splits: Splits;
let backend: string;
const dir = mkdtempSync(join(tmpdir(), 'sweep-phases-'));

beforeAll(async () => {
  backend = await initBackend('wasm');
  splits = makeSplits(await loadFashionMnist(), { validationSplit: 0.2, trainLimit: 800, testLimit: 200 });
});
afterAll(() => {
  disposeSplits(splits);
  rmSync(dir, { recursive: true, force: true });
});

const config = (grid: string) => builtInConfig(expandGrid(parseSpec(`name: t\ngrid:\n${grid}`, 't.yaml'))[0].config);
const ANN = config('  epochs: [2]\n  units: [[32]]\n  dropout: [0.2]\n');
const CNN = config('  epochs: [2]\n  dropout: [0.2]\n  model:\n    cnn: {filters: [[4, 8]], kernelSize: [3], units: [[16]]}\n');
// Batch normalization is not of the direct step's kind: this CNN trains through tfjs's tape.
const BN_CNN = config('  epochs: [2]\n  dropout: [0.2]\n  model:\n    cnn: {filters: [[4, 8]], kernelSize: [3], units: [[16]], batchNorm: [true]}\n');

/** Trains `c` with SWEEP_EPOCH_PHASES set to a fresh file (or unset: null): the outcome and the lines written. */
async function train(c: typeof ANN, file: string | null) {
  if (file) process.env.SWEEP_EPOCH_PHASES = file;
  try {
    const { model, ...outcome } = await trainTrial({ config: c, seed: 3, splits, backend });
    model.dispose();
    const lines = file ? readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as EpochPhases) : [];
    return { outcome, lines };
  } finally {
    delete process.env.SWEEP_EPOCH_PHASES;
  }
}

describe('SWEEP_EPOCH_PHASES', () => {
  it('is off unless set', () => {
    delete process.env.SWEEP_EPOCH_PHASES;
    expect(PhaseClock.fromEnv()).toBeNull();
  });

  for (const [name, c, viaTape] of [['the direct ANN step', ANN, false], ['the direct CNN step', CNN, false], ['a CNN with batch normalization through tfjs', BN_CNN, true]] as const) {
    it(`writes each epoch of ${name}: its recorded seconds, split into phases, and the memory after it; the same floats as without`, async () => {
      const file = join(dir, `${name.replace(/\W+/g, '-')}.jsonl`);
      const on = await train(c, file);
      const off = await train(c, null);
      expect(on.outcome.weightsSha256).toBe(off.outcome.weightsSha256);
      expect(on.outcome.epochs.map(({ seconds: _, ...m }) => m)).toEqual(off.outcome.epochs.map(({ seconds: _, ...m }) => m));
      expect(on.lines.map((l) => [l.model, l.batchSize, l.epoch, l.seconds])).toEqual(on.outcome.epochs.map((e) => [c.model, c.batchSize, e.epoch, e.seconds]));
      for (const l of on.lines) {
        expect(Object.keys(l.ms).sort()).toEqual([...(viaTape ? ['gather'] : []), 'finite', 'preciseBn', 'shuffle', 'steps', 'validation'].sort());
        // The laps run from the epoch's start to its validation's end, which is where its seconds
        // end too, a statement later (where a busy machine may take the core away for a while).
        const laps = l.ms.shuffle + l.ms.steps + l.ms.finite + l.ms.preciseBn + l.ms.validation;
        expect(laps).toBeLessThanOrEqual(l.seconds * 1000 + 1e-6);
        expect(laps).toBeGreaterThan(l.seconds * 1000 - 50);
        if (viaTape) expect(l.ms.gather).toBeLessThan(l.ms.steps);
        expect(l.memory.rss).toBeGreaterThan(0);
        expect(l.memory.maxRss).toBeGreaterThanOrEqual(l.memory.rss);
        expect(l.memory.wasmBytes).toBeGreaterThan(0);
        expect(l.memory.tensors).toBeGreaterThan(0);
      }
    });
  }
});
