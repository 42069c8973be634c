/**
 * The file names of a saved model (TensorFlow.js layers format). Kept apart from
 * `model-files.ts`, which imports tfjs, so that the CLI can name them without loading it.
 */
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
/** Every file a saved model consists of, the topology first. */
export const MODEL_FILES = [MODEL_JSON, WEIGHTS_BIN] as const;
