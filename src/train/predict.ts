import * as tf from '@tensorflow/tfjs';
import { loadModel } from './model-files.js';

const BATCH = 1000;
const PIXELS = 28 * 28;

export type Evaluation = { count: number; accuracy: number; confusion: number[][] };

/**
 * Classifies `count` 28×28 images (raw bytes, as in the IDX files) with the exported model
 * in `dir`; returns the accuracy and the confusion matrix (rows: true class, columns: predicted).
 */
export async function evaluateExported(dir: string, images: Uint8Array, labels: Uint8Array, count: number): Promise<Evaluation> {
  const model = await loadModel(dir);
  const classes = (model.outputs[0].shape[1] as number) ?? 10;
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let hits = 0;
  for (let start = 0; start < count; start += BATCH) {
    const n = Math.min(BATCH, count - start);
    const pixels = new Float32Array(n * PIXELS);
    const src = images.subarray(start * PIXELS, (start + n) * PIXELS);
    for (let i = 0; i < pixels.length; i++) pixels[i] = src[i] / 255;
    const predicted = tf.tidy(() => (model.predict(tf.tensor4d(pixels, [n, 28, 28, 1])) as tf.Tensor).argMax(-1).dataSync());
    for (let i = 0; i < n; i++) {
      const truth = labels[start + i];
      confusion[truth][predicted[i]]++;
      if (truth === predicted[i]) hits++;
    }
  }
  model.dispose();
  return { count, accuracy: hits / count, confusion };
}
