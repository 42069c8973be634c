// The notebook's ANN in TensorFlow.js, as an objective module: sweep imports this file in its
// worker threads and calls train(params, trial) once per trial, with no process per trial.
// trial.report(epoch, metrics) resolves once the sweep's early-stopping rule has judged the
// epoch; trial.shouldStop then says whether to return. The trial's folder (trial.dir) keeps
// its weights after each epoch, so a trial that sweep re-runs after a crash goes on from there.
//
//   sweep run examples/tfjs/sweep.yaml
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

const DATA = new URL('../../data/fashion-mnist/', import.meta.url);
await tf.setBackend('wasm');

/** An IDX file (gzipped) as its bytes after the header; read once per worker thread. */
const files = new Map();
function idx(name) {
  if (!files.has(name)) {
    const raw = gunzipSync(readFileSync(new URL(name, DATA)));
    files.set(name, raw.subarray(4 + 4 * raw[3]));
  }
  return files.get(name);
}

/** The first `limit` training images and the last tenth (Keras's validation_split), as tensors. */
function load(limit) {
  const images = idx('train-images-idx3-ubyte.gz');
  const labels = idx('train-labels-idx1-ubyte.gz');
  const held = labels.length / 10;
  const take = (from, n) => ({
    x: tf.tensor2d(Float32Array.from(images.subarray(from * 784, (from + n) * 784), (v) => v / 255), [n, 784]),
    y: tf.oneHot(tf.tensor1d(Int32Array.from(labels.subarray(from, from + n)), 'int32'), 10),
  });
  return { train: take(0, Math.min(limit, labels.length - held)), val: take(labels.length - held, Math.min(held, Math.ceil(limit / 9))) };
}

/** A seeded generator (mulberry32): the same shuffles every run of a trial. */
function generator(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function train(params, trial) {
  const { epochs = 5, units = 128, activation = 'relu', dropout = 0.2, learning_rate = 0.001, batch_size = 32, limit = 6000, seed = 42 } = params;
  const data = load(limit);
  const init = (s) => tf.initializers.glorotUniform({ seed: seed + s });
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [784], units, activation, kernelInitializer: init(1) }),
      // Not seeded: tfjs's dropout with a seed draws the same mask at every step.
      tf.layers.dropout({ rate: dropout }),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(2) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(learning_rate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });

  // After a crash: the weights of the last epoch this trial finished, from its folder.
  const saved = join(trial.dir, 'weights.json');
  let start = 1;
  if (existsSync(saved)) {
    const { epoch, weights } = JSON.parse(readFileSync(saved, 'utf8'));
    model.setWeights(weights.map((w) => tf.tensor(w.values, w.shape)));
    start = epoch + 1;
  }
  const random = generator(seed);
  try {
    for (let epoch = start; epoch <= epochs; epoch++) {
      // The epoch's order, shuffled by the seeded generator (fit's own shuffle is not seeded).
      const order = Array.from({ length: data.train.x.shape[0] }, (_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      const indices = tf.tensor1d(Int32Array.from(order), 'int32');
      const x = tf.gather(data.train.x, indices);
      const y = tf.gather(data.train.y, indices);
      const h = await model.fit(x, y, { epochs: 1, batchSize: batch_size, shuffle: false, validationData: [data.val.x, data.val.y], verbose: 0 });
      tf.dispose([indices, x, y]);
      const last = (k) => h.history[k][0];
      writeFileSync(saved, JSON.stringify({ epoch, weights: model.getWeights().map((w) => ({ shape: w.shape, values: Array.from(w.dataSync()) })) }));
      await trial.report(epoch, { loss: last('loss'), accuracy: last('acc'), val_loss: last('val_loss'), val_accuracy: last('val_acc') });
      if (trial.shouldStop) return;
    }
  } finally {
    model.dispose();
    tf.dispose([data.train.x, data.train.y, data.val.x, data.val.y]);
  }
}
