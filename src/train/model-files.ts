import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { MODEL_JSON, WEIGHTS_BIN } from './model-format.js';

/**
 * Saves a model as `model.json` + `weights.bin` in `dir`: the TensorFlow.js layers format
 * (plain tfjs in Node has no file:// handler, so this writes what `model.save` would).
 */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const weights = new Uint8Array(artifacts.weightData as ArrayBuffer);
    writeFileSync(join(dir, `${WEIGHTS_BIN}.tmp`), weights);
    const json = {
      modelTopology: artifacts.modelTopology,
      format: 'layers-model',
      generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
      convertedBy: null,
      weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs }],
    };
    writeFileSync(join(dir, `${MODEL_JSON}.tmp`), JSON.stringify(json));
    renameSync(join(dir, `${WEIGHTS_BIN}.tmp`), join(dir, WEIGHTS_BIN));
    renameSync(join(dir, `${MODEL_JSON}.tmp`), join(dir, MODEL_JSON));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } };
  }));
}

/** Loads a model saved by `saveModel` (or any single-file layers model) from `dir`. */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  const json = JSON.parse(readFileSync(join(dir, MODEL_JSON), 'utf8')) as {
    modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const data = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p)))));
  return tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology, weightSpecs: specs,
    weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer,
  }));
}
