import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { DatasetArrays, ImageShape } from '../data/dataset.js';
import { splitSizes } from '../data/split.js';
import type { DataSettings } from '../spec/schema.js';

/** Float images (N×height×width×channels, in [0, 1]) and int32 labels, resident on the backend. */
export type Split = { readonly x: tf.Tensor4D; readonly y: tf.Tensor1D; readonly count: number };
/** The three splits, with the image shape and class count the model is built for. */
export type Splits = {
  readonly train: Split; readonly val: Split; readonly test: Split;
  readonly shape: ImageShape; readonly classes: number;
};

/** Each byte's float, byte / 255 rounded to float32, looked up rather than divided. */
const UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/**
 * The model's input for images start … start+count-1 of raw bytes (each of `shape`, 0-255): N×shape floats in [0, 1].
 * Training and prediction both build theirs here, so the two cannot preprocess differently.
 * On wasm the floats are written straight into the backend's memory: a JavaScript array first,
 * then its copy, touched twice as many fresh pages, which cost more than the conversion (for a
 * worker's 60,000 training images, 1.5 s against 0.5 s on the 2-core machine).
 */
export function modelInput(images: Uint8Array, start: number, count: number, image: ImageShape): tf.Tensor4D {
  const shape: [number, number, number, number] = [count, ...image];
  const pixels = image[0] * image[1] * image[2];
  const src = images.subarray(start * pixels, (start + count) * pixels);
  const fill = (pixels: Float32Array) => {
    for (let i = 0; i < pixels.length; i++) pixels[i] = UNIT[src[i]];
  };
  if (tf.getBackend() === 'wasm' && count > 0) {
    const backend = tf.backend() as BackendWasm;
    const info = backend.makeOutput(shape, 'float32');
    fill(backend.typedArrayFromHeap(info) as Float32Array);
    return tf.engine().makeTensorFromTensorInfo(info, backend) as tf.Tensor4D;
  }
  const floats = new Float32Array(count * pixels);
  fill(floats);
  return tf.tensor4d(floats, shape);
}

/**
 * The train/validation/test tensors for a data setting: the first `trainLimit` training
 * images, of which the last `validationSplit` fraction validates (as Keras's
 * validation_split does, so every trial and seed sees the same split), and the first
 * `testLimit` test images.
 */
export function makeSplits(dataset: DatasetArrays, data: DataSettings): Splits {
  const n = splitSizes(data, { train: dataset.train.count, test: dataset.test.count });
  if (n.train < 1) throw new Error(`trainLimit ${data.trainLimit} leaves no training images after the validation split`);
  const { shape } = dataset;
  return {
    train: toTensors(dataset.train.images, dataset.train.labels, 0, n.train, shape),
    val: toTensors(dataset.train.images, dataset.train.labels, n.train, n.val, shape),
    test: toTensors(dataset.test.images, dataset.test.labels, 0, n.test, shape),
    shape,
    classes: dataset.classes.length,
  };
}

function toTensors(images: Uint8Array, labels: Uint8Array, start: number, count: number, shape: ImageShape): Split {
  return {
    x: modelInput(images, start, count, shape),
    y: tf.tensor1d(Int32Array.from(labels.subarray(start, start + count)), 'int32'),
    count,
  };
}

export function disposeSplits(s: Splits): void {
  for (const split of [s.train, s.val, s.test]) tf.dispose([split.x, split.y]);
}
