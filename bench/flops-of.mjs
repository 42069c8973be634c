// A bench case's FLOPs per training sample (src/train/flops.ts), counted on its model as built:
// shared by npm run bench (train-speed.mjs) and npm run bench:epochs (epoch-speed.mjs).
import { trainingFlops } from '../dist/train/flops.js';
import { buildModel } from '../dist/train/model.js';

/** `config`'s TrainingFlops for `dataset`'s image shape and classes. */
export function flopsOf(dataset, config) {
  const model = buildModel(config, 1, dataset.shape, dataset.classes.length);
  const flops = trainingFlops(model);
  model.dispose();
  return flops;
}
