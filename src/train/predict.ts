import * as tf from '@tensorflow/tfjs';
import { loadModel } from './model-files.js';

const BATCH = 1000;
const PIXELS = 28 * 28;

/**
 * Classifies the first `count` 28×28 images (raw bytes, as in the IDX files) with the
 * exported model in `dir`; returns the predicted class of each.
 */
export async function classifyExported(dir: string, images: Uint8Array, count: number): Promise<Uint8Array> {
  const model = await loadModel(dir);
  const predicted = new Uint8Array(count);
  for (let start = 0; start < count; start += BATCH) {
    const n = Math.min(BATCH, count - start);
    const pixels = new Float32Array(n * PIXELS);
    const src = images.subarray(start * PIXELS, (start + n) * PIXELS);
    for (let i = 0; i < pixels.length; i++) pixels[i] = src[i] / 255;
    predicted.set(tf.tidy(() => (model.predict(tf.tensor4d(pixels, [n, 28, 28, 1])) as tf.Tensor).argMax(-1).dataSync()), start);
  }
  model.dispose();
  return predicted;
}
