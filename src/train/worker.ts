/**
 * The piscina worker: trains one trial per task. The backend starts once per worker
 * and the float tensors are built once per data setting; the raw bytes are the main
 * thread's SharedArrayBuffers, never copied per trial.
 */
import { workerData } from 'node:worker_threads';
import type { TrainResult, TrainTask, WorkerEvent, WorkerInit } from '../pool/protocol.js';
import { initBackend } from './backend.js';
import { disposeSplits, makeSplits, type Splits } from './tensors.js';
import { encodeModel } from './model-files.js';
import { trainTrial } from './train.js';
import type { EpochMetrics } from '../types.js';

const init = workerData as WorkerInit;
let backend: Promise<string> | undefined;
let cached: { key: string; splits: Splits } | undefined;

function splitsFor(data: TrainTask['data']): Splits {
  const key = JSON.stringify(data);
  if (cached?.key !== key) {
    if (cached) disposeSplits(cached.splits);
    cached = { key, splits: makeSplits(init.dataset, data) };
  }
  return cached.splits;
}

export default async function train(task: TrainTask): Promise<TrainResult> {
  const post = (e: WorkerEvent) => task.port.postMessage(e);
  const epochs: EpochMetrics[] = [];
  let name: string | null = null;
  try {
    backend ??= initBackend(init.backend);
    name = await backend;
    const { model, resumedFrom: _, ...outcome } = await trainTrial({
      config: task.config, seed: task.seed, splits: splitsFor(task.data), backend: name,
      checkpoint: task.keep ? { configId: task.configId, from: task.resumeFrom } : undefined,
      onStart: (resumed) => post({ type: 'started', trialId: task.trialId, backend: name!, resumedFrom: resumed.length, epochs: [...resumed] }),
      onEpoch: (metrics, checkpoint) => {
        epochs.push(metrics);
        post({ type: 'epoch', trialId: task.trialId, backend: name!, metrics, checkpoint });
      },
    });
    // The trained model goes to the store, in the layers format that tf.loadLayersModel
    // reads in Node and in browsers (`sweep export` hands it out).
    const files = task.keep ? await encodeModel(model) : null;
    model.dispose();
    return { ok: true, outcome, model: files };
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    // A model too big to allocate is the user's configuration, not our bug: say so plainly.
    const oom = err instanceof RangeError && /array length|allocation failed|memory/i.test(message);
    return { ok: false, error: oom ? `out of memory: ${message}` : message, backend: name, epochs };
  } finally {
    task.port.close();
  }
}
