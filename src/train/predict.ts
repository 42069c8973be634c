import * as tf from '@tensorflow/tfjs';
import type { ImageShape } from '../data/dataset.js';
import { UserError } from '../errors.js';
import type { ModelFiles } from '../trial/types.js';
import { decodeModel, loadModel } from './model-files.js';
import { modelInput } from './tensors.js';

const BATCH = 1000;

/** Refuses images the model was not built for: its input shape is [batch, …shape]. */
function checkInput(model: tf.LayersModel, shape: ImageShape, where: string): void {
  const takes = model.inputs[0].shape.slice(1);
  if (takes.length !== shape.length || takes.some((d, i) => d !== shape[i])) {
    throw new UserError(`${where}: the model takes ${takes.join('×')} images, not the ${shape.join('×')} images given`);
  }
}

/**
 * Classifies the first `count` images (raw bytes, each of `shape`, as in the IDX files) with the
 * exported model in `dir`: the predicted class of each, and how many classes the model has.
 * Images of another shape than the model's are a UserError.
 */
export async function classifyExported(
  dir: string, images: Uint8Array, count: number, shape: ImageShape,
): Promise<{ predicted: Uint8Array; classes: number }> {
  const model = await loadModel(dir);
  try {
    checkInput(model, shape, dir);
    const predicted = new Uint8Array(count);
    for (let start = 0; start < count; start += BATCH) {
      const n = Math.min(BATCH, count - start);
      predicted.set(tf.tidy(() => (model.predict(modelInput(images, start, n, shape)) as tf.Tensor).argMax(-1).dataSync()), start);
    }
    return { predicted, classes: model.outputs[0].shape[1]! };
  } finally {
    model.dispose();
  }
}

/**
 * Class probabilities (count × classes, row-major) of the first `count` images (each of `shape`)
 * for a model as the store keeps it (model.json's text and weights.bin's bytes).
 */
export async function probabilities(files: ModelFiles, images: Uint8Array, count: number, shape: ImageShape): Promise<Float32Array> {
  const model = await decodeModel(files);
  try {
    checkInput(model, shape, 'the stored model');
    const classes = model.outputs[0].shape[1]!;
    const out = new Float32Array(count * classes);
    for (let start = 0; start < count; start += BATCH) {
      const n = Math.min(BATCH, count - start);
      out.set(tf.tidy(() => (model.predict(modelInput(images, start, n, shape)) as tf.Tensor).dataSync() as Float32Array), start * classes);
    }
    return out;
  } finally {
    model.dispose();
  }
}
