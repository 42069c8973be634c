// model.fit fed sweep's batches: each epoch's images in the order sweep's training loop draws
// for that seed (shuffle: false), so both see the same batches and the same dropout masks.
import * as tf from '@tensorflow/tfjs';
import { shuffleGenerator, shuffleInPlace } from '../dist/train/train.js';

/** Trains a compiled `model` on float images `x` and float labels `y`, `epochs` epochs. */
export async function fitInSweepOrder(model, x, y, { seed, epochs, batchSize }) {
  const shuffle = shuffleGenerator(seed);
  const order = Int32Array.from({ length: x.shape[0] }, (_, i) => i);
  for (let epoch = 0; epoch < epochs; epoch++) {
    shuffleInPlace(order, shuffle);
    const idx = tf.tensor1d(order, 'int32');
    const [xs, ys] = [tf.gather(x, idx), tf.gather(y, idx)];
    await model.fit(xs, ys, { batchSize, epochs: 1, shuffle: false, verbose: 0 });
    tf.dispose([idx, xs, ys]);
  }
}
