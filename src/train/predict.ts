import * as tf from '@tensorflow/tfjs';
import type { ModelFiles } from '../trial/types.js';
import { decodeModel, loadModel } from './model-files.js';
import { modelInput } from './tensors.js';

const BATCH = 1000;

/**
 * Classifies the first `count` 28×28 images (raw bytes, as in the IDX files) with the
 * exported model in `dir`; returns the predicted class of each.
 */
export async function classifyExported(dir: string, images: Uint8Array, count: number): Promise<Uint8Array> {
  const model = await loadModel(dir);
  const predicted = new Uint8Array(count);
  for (let start = 0; start < count; start += BATCH) {
    const n = Math.min(BATCH, count - start);
    predicted.set(tf.tidy(() => (model.predict(modelInput(images, start, n)) as tf.Tensor).argMax(-1).dataSync()), start);
  }
  model.dispose();
  return predicted;
}

/**
 * Class probabilities (count × 10, row-major) of the first `count` images for a model as the
 * store keeps it (model.json's text and weights.bin's bytes).
 */
export async function probabilities(files: ModelFiles, images: Uint8Array, count: number): Promise<Float32Array> {
  const model = await decodeModel(files);
  const out = new Float32Array(count * 10);
  for (let start = 0; start < count; start += BATCH) {
    const n = Math.min(BATCH, count - start);
    out.set(tf.tidy(() => (model.predict(modelInput(images, start, n)) as tf.Tensor).dataSync() as Float32Array), start * 10);
  }
  model.dispose();
  return out;
}
