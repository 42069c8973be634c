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
