import type { DataSettings } from '../spec/schema.js';

/** Fashion-MNIST's split sizes. */
export const TRAIN_IMAGES_COUNT = 60000;
export const TEST_IMAGES_COUNT = 10000;

/**
 * How many images train, validate and test under these settings: the first `trainLimit`
 * training images, of which the last `validationSplit` fraction validates.
 */
export function splitSizes(data: DataSettings, available = { train: TRAIN_IMAGES_COUNT, test: TEST_IMAGES_COUNT }) {
  const trainCount = Math.min(data.trainLimit, available.train);
  const val = Math.max(1, Math.floor(trainCount * data.validationSplit));
  return { train: trainCount - val, val, test: Math.min(data.testLimit, available.test) };
}
