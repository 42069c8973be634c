// One timing of the training path of the checkout at ROOT (its built dist/), as its command line
// would run it: `node bench/train-probe.mjs ROOT CONFIG_JSON STEPS` prints samples/s of one
// epoch of STEPS batches (after a warm-up epoch), on the wasm backend. Used by compare-commits.mjs.
import { existsSync } from 'node:fs';

const [root, configJson, stepsArg] = process.argv.slice(2);
// First, as that revision's command line does (relaxed SIMD on before any WebAssembly compiles).
if (existsSync(`${root}/dist/cli/startup.js`)) await import(`${root}/dist/cli/startup.js`);
const { loadFashionMnist } = await import(`${root}/dist/data/fashion-mnist.js`);
const { initBackend } = await import(`${root}/dist/train/backend.js`);
const { makeSplits } = await import(`${root}/dist/train/tensors.js`);
const { trainTrial } = await import(`${root}/dist/train/train.js`);

await initBackend('wasm');
const dataset = await loadFashionMnist();
const steps = Number(stepsArg);
// Every key spelled out: revisions before trainTrial filled the optional ones need them all.
const config = {
  epochs: 1, activation: 'relu', dropout: 0.2, optimizer: 'adam', learningRate: 0.001, augment: 'none',
  schedule: 'constant', batchNorm: false, weightDecay: 0, labelSmoothing: 0, blocks: 1, head: 'flatten',
  ...JSON.parse(configJson),
};
const splits = makeSplits(dataset, { validationSplit: 1e-9, trainLimit: steps * config.batchSize + 1, testLimit: 1 });
for (let warm = 0; warm < 2; warm++) {
  const { model, epochs } = await trainTrial({ config, seed: 1, splits, backend: 'wasm' });
  model.dispose();
  if (warm === 1) console.log(Math.round((steps * config.batchSize) / epochs[0].seconds));
}
