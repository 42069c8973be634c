import type { DataSettings } from './settings.js';

/**
 * How many images train, validate and test under these settings: the first `trainLimit`
 * training images (all where it is absent), of which the last `validationSplit` fraction
 * validates, and the first `testLimit` test images. Settings resolved against their dataset
 * (src/sweep/resolve-spec.ts) have limits within it, so they need no `available`.
 */
export function splitSizes(data: DataSettings, available = { train: Infinity, test: Infinity }) {
  const trainCount = Math.min(data.trainLimit ?? available.train, available.train);
  const val = Math.max(1, Math.floor(trainCount * data.validationSplit));
  return { train: trainCount - val, val, test: Math.min(data.testLimit ?? available.test, available.test) };
}
