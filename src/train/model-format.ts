import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelFiles } from '../trial/types.js';

/**
 * The file names of a saved model (TensorFlow.js layers format), and writing them. Kept
 * apart from `model-files.ts`, which imports tfjs, so that the CLI can do both without loading it.
 */
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
/** Every file a saved model consists of, the topology first. */
export const MODEL_FILES = [MODEL_JSON, WEIGHTS_BIN] as const;

/** Writes a model's files into `dir`, each renamed into place whole, the topology last. */
export function writeModelFiles(dir: string, files: ModelFiles): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${WEIGHTS_BIN}.tmp`), files.weights);
  writeFileSync(join(dir, `${MODEL_JSON}.tmp`), files.modelJson);
  renameSync(join(dir, `${WEIGHTS_BIN}.tmp`), join(dir, WEIGHTS_BIN));
  renameSync(join(dir, `${MODEL_JSON}.tmp`), join(dir, MODEL_JSON));
}

type Topology = { modelTopology?: { config?: { layers?: { config?: { batch_input_shape?: (number | null)[] } }[] } } };

/** The images a saved model takes, [height, width, channels] (its first layer's batch_input_shape less the batch), read without tfjs. */
export function modelInputShape(modelJson: string): number[] | undefined {
  const layers = (JSON.parse(modelJson) as Topology).modelTopology?.config?.layers ?? [];
  return layers.find((l) => l.config?.batch_input_shape)?.config?.batch_input_shape?.slice(1) as number[] | undefined;
}
