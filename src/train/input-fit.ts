import type { ImageShape } from '../data/dataset.js';
import type { TrialConfig } from '../trial/types.js';

/**
 * Why a model of this configuration cannot take images of this shape, or undefined where it can:
 * a CNN halves the images at each conv block's pooling, and a block needs at least 2×2 to pool.
 * buildModel throws it; `sweep run` checks a spec's models with it before anything trains.
 */
export function inputProblem(config: Pick<TrialConfig, 'model' | 'filters' | 'pooling'>, shape: ImageShape): string | undefined {
  if (config.model !== 'cnn' || config.pooling === 'none') return undefined;
  let [height, width] = shape;
  for (let block = 1; block <= (config.filters ?? []).length; block++) {
    if (height < 2 || width < 2) {
      return `the CNN's conv block ${block} has a ${height}×${width} input: too small to pool; use fewer conv layers or pooling: none`;
    }
    height = Math.floor(height / 2);
    width = Math.floor(width / 2);
  }
  return undefined;
}
