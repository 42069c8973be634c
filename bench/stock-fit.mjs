// TensorFlow.js as it ships, for `npm run bench`'s model.fit column and its accuracy check: a
// separate process with the wasm backend's own kernels, `model.fit` and tf.train.adam; none of
// sweep's kernels except, for a CNN, Conv2DBackpropFilter (which the stock backend lacks).
// Usage: node bench/stock-fit.mjs JOB_JSON; prints one JSON line.
//   {"mode": "speed", "config", "steps"} → {"samplesPerSecond"}
//   {"mode": "accuracy", "config", "seed", "data"} → {"testAccuracy", "seconds"}: fit is fed
//   sweep's batches (fit-in-order.mjs); what differs is the loop, the loss and the kernels.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadFashionMnist } from '../dist/data/fashion-mnist.js';
import { registerWasmConvGradients } from '../dist/train/kernels/conv-gradients.js';
import { buildModel } from '../dist/train/model.js';
import { makeSplits } from '../dist/train/tensors.js';
import { fitInSweepOrder } from './fit-in-order.mjs';

const job = JSON.parse(process.argv[2]);
tf.env().set('PROD', true);
if (job.config.model === 'cnn') registerWasmConvGradients({ inputGradient: false });
if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not start');
const dataset = await loadFashionMnist();

const data = job.mode === 'speed'
  ? { validationSplit: 1e-9, trainLimit: job.steps * job.config.batchSize + 1, testLimit: 1 }
  : job.data;
const splits = makeSplits(dataset, data);
const model = buildModel(job.config, job.seed ?? 1, splits.shape, splits.classes);
model.compile({ optimizer: tf.train.adam(job.config.learningRate), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
const y = splits.train.y.cast('float32');
if (job.mode === 'speed') {
  // Warm, as the other columns are timed: one untimed epoch first (its first kernels, JIT, allocations).
  await model.fit(splits.train.x, y, { batchSize: job.config.batchSize, epochs: 1, verbose: 0 });
}
const t = performance.now();
if (job.mode === 'speed') {
  await model.fit(splits.train.x, y, { batchSize: job.config.batchSize, epochs: 1, verbose: 0 });
} else {
  await fitInSweepOrder(model, splits.train.x, y, { seed: job.seed, epochs: job.config.epochs, batchSize: job.config.batchSize });
}
const seconds = (performance.now() - t) / 1000;
if (job.mode === 'speed') {
  console.log(JSON.stringify({ samplesPerSecond: (job.steps * job.config.batchSize) / seconds }));
} else {
  const [, acc] = model.evaluate(splits.test.x, splits.test.y.cast('float32'), { batchSize: 1000 });
  console.log(JSON.stringify({ testAccuracy: (await acc.data())[0], seconds }));
}
