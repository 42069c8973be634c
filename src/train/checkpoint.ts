import * as tf from '@tensorflow/tfjs';
import type seedrandom from 'seedrandom';
import { SeededDropout } from './seeded-dropout.js';
import { betaPowers } from './tfjs-internals.js';
import type { EpochMetrics } from '../trial/types.js';

/** Everything besides the weights that training needs to go on exactly as if never stopped. */
export type TrainingState = {
  epoch: number;
  epochs: EpochMetrics[];
  order: Int32Array;
  shuffle: seedrandom.State.Arc4;
};

type Meta = {
  version: 1;
  configId: string;
  epoch: number;
  epochs: EpochMetrics[];
  shuffle: seedrandom.State.Arc4;
  dropout: seedrandom.State.Arc4[];
  /** Adam's running beta powers, restored as they were rather than recomputed from the step count. */
  accBeta: number[] | null;
  modelSpecs: tf.io.WeightsManifestEntry[];
  optimizerSpecs: tf.io.WeightsManifestEntry[];
  modelBytes: number;
  optimizerBytes: number;
};

/**
 * Encodes the model's weights, the optimizer's state and the generators' states after an
 * epoch as one blob: a 4-byte length, the JSON that describes it, then the weights, the
 * optimizer's slots and the shuffle order. The store keeps it with the epoch's row, in one
 * transaction, so a kill leaves the previous epoch and its checkpoint or the new ones.
 */
export async function encodeCheckpoint(
  configId: string, model: tf.LayersModel, optimizer: tf.Optimizer, state: TrainingState,
): Promise<Uint8Array> {
  // By position: layer names carry a per-process counter, so they differ after a restart.
  const modelWeights = await tf.io.encodeWeights(model.weights.map((w, i) => ({ name: `w${i}`, tensor: w.read() })));
  const slots = await optimizer.getWeights();
  const optimizerWeights = await tf.io.encodeWeights(slots).finally(() => {
    // getWeights makes a scalar of the step count beside the slots' own variables: one tensor a
    // checkpoint, that is an epoch, kept until the worker exits unless disposed here.
    tf.dispose(slots.filter((s) => !(s.tensor instanceof tf.Variable)).map((s) => s.tensor));
  });
  const adam = betaPowers(optimizer);
  const parts = [modelWeights.data, optimizerWeights.data].map((d) => new Uint8Array(d as ArrayBuffer));
  const meta: Meta = {
    version: 1, configId, epoch: state.epoch, epochs: state.epochs, shuffle: state.shuffle,
    dropout: dropoutLayers(model).map((l) => l.rngState()),
    accBeta: adam ? [adam.accBeta1.dataSync()[0], adam.accBeta2.dataSync()[0]] : null,
    modelSpecs: modelWeights.specs, optimizerSpecs: optimizerWeights.specs,
    modelBytes: parts[0].byteLength, optimizerBytes: parts[1].byteLength,
  };
  const json = Buffer.from(JSON.stringify(meta));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.byteLength);
  const order = new Uint8Array(state.order.buffer, state.order.byteOffset, state.order.byteLength);
  return new Uint8Array(Buffer.concat([length, json, ...parts, order]));
}

/**
 * Restores a checkpoint blob into a freshly built model and optimizer; null (touching
 * neither) when there is none, or it belongs to another configuration or data split, or
 * cannot be read: training then starts from scratch.
 */
export async function restoreCheckpoint(
  blob: Uint8Array | null, configId: string, model: tf.LayersModel, optimizer: tf.Optimizer, trainCount: number,
): Promise<TrainingState | null> {
  if (!blob || blob.byteLength < 4) return null;
  let meta: Meta;
  let bytes: Buffer;
  try {
    const all = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
    const length = all.readUInt32LE(0);
    meta = JSON.parse(all.subarray(4, 4 + length).toString('utf8')) as Meta;
    if (meta.version !== 1 || meta.configId !== configId) return null;
    bytes = all.subarray(4 + length);
  } catch {
    return null;
  }
  const slice = (start: number, length: number) =>
    bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + start + length) as ArrayBuffer;
  const orderBytes = bytes.byteLength - meta.modelBytes - meta.optimizerBytes;
  if (orderBytes !== trainCount * 4) return null;
  const weights = tf.io.decodeWeights(slice(0, meta.modelBytes), meta.modelSpecs);
  model.setWeights(model.weights.map((_w, i) => weights[`w${i}`]));
  tf.dispose(Object.values(weights));
  const opt = tf.io.decodeWeights(slice(meta.modelBytes, meta.optimizerBytes), meta.optimizerSpecs);
  await optimizer.setWeights(meta.optimizerSpecs.map((s) => ({ name: s.name, tensor: opt[s.name] })));
  tf.dispose(Object.values(opt));
  const adam = betaPowers(optimizer);
  if (meta.accBeta && adam) {
    adam.accBeta1.assign(tf.scalar(meta.accBeta[0]));
    adam.accBeta2.assign(tf.scalar(meta.accBeta[1]));
  }
  dropoutLayers(model).forEach((l, i) => l.restoreRng(meta.dropout[i]));
  return {
    epoch: meta.epoch, epochs: meta.epochs, shuffle: meta.shuffle,
    order: new Int32Array(slice(meta.modelBytes + meta.optimizerBytes, orderBytes)),
  };
}

function dropoutLayers(model: tf.LayersModel): SeededDropout[] {
  return model.layers.filter((l): l is SeededDropout => l instanceof SeededDropout);
}
