import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { loadFashionMnist, type FashionMnist } from '../../src/data/fashion-mnist.js';
import { initBackend } from '../../src/train/backend.js';
import { saveModel } from '../../src/train/model-files.js';
import { classifyExported } from '../../src/train/predict.js';
import { disposeSplits, makeSplits, modelInput } from '../../src/train/tensors.js';
import { tempDir } from '../temp-dir.js';

let data: FashionMnist;
beforeAll(async () => {
  await initBackend('wasm');
  data = await loadFashionMnist({ cacheDir: tempDir() });
});

describe('model input', () => {
  it('is the same tensor in prediction as in training, for the same images', async () => {
    const count = 1500; // two of prediction's batches
    const splits = makeSplits(data, { validationSplit: 0.5, trainLimit: 2, testLimit: count });
    const dir = tempDir('sweep-model-');
    const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 10 })] });
    await saveModel(model, dir);
    model.dispose();

    // What the exported model is given, copied out before prediction disposes it.
    const seen: { shape: number[]; values: Float32Array }[] = [];
    const predict = tf.LayersModel.prototype.predict;
    const spy = vi.spyOn(tf.LayersModel.prototype, 'predict').mockImplementation(function (this: tf.LayersModel, x, args) {
      seen.push({ shape: (x as tf.Tensor).shape, values: (x as tf.Tensor).dataSync().slice() as Float32Array });
      return predict.call(this, x, args);
    });
    try {
      expect((await classifyExported(dir, data.test.images, count, data.shape)).predicted).toHaveLength(count);
    } finally {
      spy.mockRestore();
    }

    expect(seen.map((s) => s.shape)).toEqual([[1000, 28, 28, 1], [500, 28, 28, 1]]);
    const predicted = new Float32Array(count * 784);
    predicted.set(seen[0].values);
    predicted.set(seen[1].values, seen[0].values.length);
    const trained = splits.test.x.dataSync();
    expect(splits.test.x.shape).toEqual([count, 28, 28, 1]);
    expect(predicted.findIndex((v, i) => v !== trained[i])).toBe(-1);
    // Both are the bytes scaled to [0, 1].
    const bytes = data.test.images.subarray(0, count * 784);
    expect(trained.findIndex((v, i) => v !== Math.fround(bytes[i] / 255))).toBe(-1);
    disposeSplits(splits);
  });

  it("is built in the wasm backend's memory with the floats the cpu backend gets, and freed with the tensor", async () => {
    const [start, count] = [123, 321];
    const before = tf.memory();
    const buffers = tf.engine().backend.numDataIds();
    const onWasm = modelInput(data.train.images, start, count, data.shape);
    expect(tf.memory().numTensors).toBe(before.numTensors + 1);
    expect(tf.memory().numBytes).toBe(before.numBytes + count * 784 * 4);
    const wasmValues = onWasm.dataSync().slice();
    expect(onWasm.shape).toEqual([count, 28, 28, 1]);
    onWasm.dispose();
    expect(tf.memory().numBytes).toBe(before.numBytes);
    expect(tf.engine().backend.numDataIds()).toBe(buffers);
    expect(tf.getBackend()).toBe('wasm');
    await tf.setBackend('cpu');
    try {
      const onCpu = modelInput(data.train.images, start, count, data.shape);
      const bits = (v: Float32Array) => new Uint32Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
      expect(bits(onCpu.dataSync() as Float32Array)).toEqual(bits(wasmValues as Float32Array));
      onCpu.dispose();
      expect(modelInput(data.train.images, 0, 0, data.shape).shape).toEqual([0, 28, 28, 1]);
    } finally {
      await tf.setBackend('wasm');
    }
    expect(modelInput(data.train.images, 0, 0, data.shape).shape).toEqual([0, 28, 28, 1]);
  });
});
