import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { countHits, sparseCrossEntropy } from './loss.js';
import { augmentations, augmentBatch, augmentParams } from './augment.js';
import { applyTraining, buildModel, makeOptimizer, setLearningRate } from './model.js';
import { learningRateAt } from './schedule.js';
import { evaluateDirect, DirectStep } from './direct-step.js';
import { withDefaults } from '../spec/hyperparameters.js';
import { encodeCheckpoint, restoreCheckpoint } from './checkpoint.js';
import { preciseBatchNorm } from './precise-bn.js';
import { PhaseClock } from './epoch-phases.js';
import type { Split, Splits } from './tensors.js';
import type { EpochMetrics, TrialConfig, TrialOutcome } from '../trial/types.js';

const EVAL_BATCH = 1000;
/**
 * The batch model.predict runs inside each of those slices (its default, 32, made the ANN's
 * validation 5–8× slower). Each row's outputs are the same floats whatever the batch: the
 * kernels block over rows, not along the sums.
 */
const PREDICT_BATCH = 256;

export type TrainOptions = {
  readonly config: TrialConfig;
  readonly seed: number;
  readonly splits: Splits;
  readonly backend: string;
  /** Take a checkpoint after each epoch (given to onEpoch), and resume from `from` when it is this configuration's; none: no checkpoints. */
  readonly checkpoint?: { readonly configId: string; readonly from: Uint8Array | null };
  /** Called once training starts, with the epochs a checkpoint restored (none: from scratch). */
  readonly onStart?: (resumed: readonly EpochMetrics[]) => void;
  /**
   * Called after each epoch's metrics are known, with the checkpoint taken after it (none after
   * the last); training waits for its answer, and 'stop' ends it there (early stopping).
   */
  readonly onEpoch?: (m: EpochMetrics, checkpoint: Uint8Array | null) => void | 'stop' | Promise<void | 'stop'>;
};

/** Thrown when `onEpoch` says stop: the trial ends after the last of `epochs`, untested, its model gone. */
export class TrainingStopped extends Error {
  constructor(readonly epochs: readonly EpochMetrics[]) {
    super(`stopped after epoch ${epochs.length}`);
    this.name = 'TrainingStopped';
  }
}

/**
 * Trains one configuration and evaluates it: per-epoch training and validation metrics,
 * then the test set once. Deterministic for a config, seed and backend: seeded weights,
 * seeded dropout, seeded shuffling, augmentation and learning rate a function of the seed and
 * the step (precise BN's batches are the epoch's first); resuming from a checkpoint restores all of these, so a resumed trial ends exactly
 * as an uninterrupted one. A non-finite loss throws.
 */
export async function trainTrial(opts: TrainOptions): Promise<TrialOutcome & { model: tf.LayersModel; resumedFrom: number }> {
  const { seed, splits } = opts;
  // Whole: a caller's configuration may leave the optional keys out, as recorded ones do.
  const config = withDefaults(opts.config);
  const smoothing = config.labelSmoothing;
  const started = performance.now();
  const model = buildModel(config, seed, splits.shape, splits.classes);
  const optimizer = makeOptimizer(config.optimizer, config.learningRate, config.weightDecay);
  let shuffle = shuffleGenerator(seed);
  let order: Int32Array = Int32Array.from({ length: splits.train.count }, (_, i) => i);
  let epochs: EpochMetrics[] = [];
  // Null unless SWEEP_EPOCH_PHASES is set (npm run bench:epochs): where each epoch's seconds go.
  const clock = PhaseClock.fromEnv();
  try {
    const resumed = opts.checkpoint
      ? await restoreCheckpoint(opts.checkpoint.from, opts.checkpoint.configId, model, optimizer, order.length)
      : null;
    if (resumed) {
      order = resumed.order;
      shuffle = seedrandom('', { state: resumed.shuffle });
      epochs = resumed.epochs;
    }
    const resumedFrom = epochs.length;
    opts.onStart?.(epochs.slice());
    for (let epoch = resumedFrom + 1; epoch <= config.epochs; epoch++) {
      const t0 = performance.now();
      clock?.start(t0);
      shuffleInPlace(order, shuffle);
      clock?.lap('shuffle');
      const { loss, accuracy } = await trainEpoch(model, optimizer, splits.train, order, { config, seed, epoch }, clock);
      clock?.lap('steps');
      // Some backends' clip turns NaN probabilities into finite losses, so the weights are checked too.
      if (!Number.isFinite(loss) || !weightsFinite(model)) {
        throw new Error(`training diverged in epoch ${epoch}: ${Number.isFinite(loss) ? 'weights' : 'loss'} became NaN or infinite`);
      }
      clock?.lap('finite');
      // Before every evaluation, so validation, early stopping, the test and the exported model all
      // see the statistics of the weights they judge (precise-bn.ts); the checkpoint keeps them.
      if (config.batchNorm && config.preciseBn > 0) preciseBatchNorm(model, splits.train, order, config.batchSize, config.preciseBn);
      clock?.lap('preciseBn');
      const val = evaluate(model, splits.val, smoothing);
      clock?.lap('validation');
      const m: EpochMetrics = {
        epoch, loss, accuracy, valLoss: val.loss, valAccuracy: val.accuracy, seconds: (performance.now() - t0) / 1000,
      };
      epochs.push(m);
      clock?.write({ model: config.model, batchSize: config.batchSize, epoch, seconds: m.seconds });
      // None after the last epoch: the trained model is kept a moment later, and a kill in
      // between retrains that one epoch, to the same result. (A one-epoch trial takes none.)
      const checkpoint = opts.checkpoint && epoch < config.epochs
        ? await encodeCheckpoint(opts.checkpoint.configId, model, optimizer, { epoch, epochs, order, shuffle: shuffle.state() })
        : null;
      if ((await opts.onEpoch?.(m, checkpoint)) === 'stop') throw new TrainingStopped(epochs);
    }
    const last = epochs[epochs.length - 1];
    const test = evaluate(model, splits.test, smoothing);
    const earlier = epochs.slice(0, resumedFrom).reduce((sum, e) => sum + e.seconds, 0);
    return {
      backend: opts.backend, valAccuracy: last.valAccuracy, valLoss: last.valLoss,
      testAccuracy: test.accuracy, testLoss: test.loss, params: model.countParams(),
      seconds: earlier + (performance.now() - started) / 1000, epochs, model, resumedFrom,
      weightsSha256: weightsHash(model),
    };
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    optimizer.dispose();
  }
}

async function trainEpoch(
  model: tf.LayersModel, optimizer: tf.Optimizer, data: Split, order: Int32Array,
  at: { config: TrialConfig; seed: number; epoch: number }, clock: PhaseClock | null = null,
): Promise<{ loss: number; accuracy: number }> {
  const { config, seed, epoch } = at;
  const { batchSize, labelSmoothing: smoothing } = config;
  const augment = augmentations(config.augment);
  const stepsPerEpoch = Math.ceil(data.count / batchSize);
  const [, height, width] = data.x.shape;
  const schedule = (step: number) => {
    if (config.schedule === 'constant') return;
    setLearningRate(optimizer, learningRateAt(config.schedule, config.learningRate, {
      step: (epoch - 1) * stepsPerEpoch + step, epoch: epoch - 1, stepsPerEpoch, epochs: config.epochs,
    }));
  };
  // The notebook's kinds of ANN and CNN step as direct kernel calls, to the same floats (direct-step.ts).
  const direct = DirectStep.for(model, optimizer, config);
  if (direct !== null) {
    for (let start = 0, step = 0; start < data.count; start += batchSize, step++) {
      schedule(step);
      direct.run(data, order.subarray(start, Math.min(start + batchSize, data.count)));
    }
    const { lossSum, hits } = direct.takeSums();
    return { loss: lossSum / data.count, accuracy: hits / data.count };
  }
  // Sums stay on the backend: one read per epoch instead of a sync per step.
  let lossSum = tf.scalar(0);
  let correct = tf.scalar(0, 'int32');
  for (let start = 0, step = 0; start < data.count; start += batchSize, step++) {
    schedule(step);
    const idx = order.subarray(start, Math.min(start + batchSize, data.count));
    const [nextLoss, nextCorrect] = tf.tidy(() => {
      const g0 = clock === null ? 0 : performance.now();
      const indices = tf.tensor1d(idx, 'int32');
      const gathered = tf.gather(data.x, indices);
      const xb = augment.length === 0 ? gathered
        : augmentBatch(gathered, augmentParams(augment, seed, epoch, start, idx.length, height, width));
      const yb = tf.gather(data.y, indices);
      clock?.add('gather', performance.now() - g0);
      let hits: tf.Tensor | undefined;
      const cost = optimizer.minimize(() => {
        const probs = applyTraining(model, xb) as tf.Tensor2D;
        hits = tf.keep(countHits(probs, yb));
        return sparseCrossEntropy(probs, yb, smoothing);
      }, true)!;
      const out = [tf.add(lossSum, tf.mul(cost, idx.length)), tf.add(correct, hits!)];
      hits!.dispose();
      return out;
    });
    lossSum.dispose();
    correct.dispose();
    lossSum = nextLoss as tf.Scalar;
    correct = nextCorrect as tf.Scalar;
  }
  const [loss, hits] = [(await lossSum.data())[0], (await correct.data())[0]];
  tf.dispose([lossSum, correct]);
  return { loss: loss / data.count, accuracy: hits / data.count };
}

/** Loss and accuracy in inference mode (no dropout), in batches. */
export function evaluate(model: tf.LayersModel, data: Split, smoothing = 0): { loss: number; accuracy: number } {
  // The notebook's kinds of model by direct kernel calls: the same floats as below.
  const direct = evaluateDirect(model, data, EVAL_BATCH, smoothing);
  if (direct !== null) return { loss: direct.loss / data.count, accuracy: direct.hits / data.count };
  let loss = 0;
  let hits = 0;
  for (let start = 0; start < data.count; start += EVAL_BATCH) {
    const size = Math.min(EVAL_BATCH, data.count - start);
    const [l, h] = tf.tidy(() => {
      const xb = data.x.slice(start, size);
      const yb = data.y.slice(start, size);
      const probs = model.predict(xb, { batchSize: PREDICT_BATCH }) as tf.Tensor2D;
      return [
        tf.mul(sparseCrossEntropy(probs, yb, smoothing), size).dataSync()[0],
        countHits(probs, yb).dataSync()[0],
      ];
    });
    loss += l;
    hits += h;
  }
  return { loss: loss / data.count, accuracy: hits / data.count };
}

function weightsHash(model: tf.LayersModel): string {
  const hash = createHash('sha256');
  for (const w of model.weights) {
    const data = w.read().dataSync() as Float32Array;
    hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return hash.digest('hex');
}

function weightsFinite(model: tf.LayersModel): boolean {
  return tf.tidy(() => tf.stack(model.trainableWeights.map((w) => tf.all(tf.isFinite(w.read())))).all().dataSync()[0] === 1);
}

/** The seeded generator that orders a trial's batches, epoch after epoch. */
export function shuffleGenerator(seed: number): seedrandom.StatefulPRNG<seedrandom.State.Arc4> {
  return seedrandom(`shuffle:${seed}`, { state: true });
}

/** Fisher–Yates with a seeded generator (tfjs's own shuffle uses Math.random). */
export function shuffleInPlace(a: Int32Array, rng: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}
