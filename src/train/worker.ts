/**
 * The piscina worker: trains one trial per task. The backend starts once per worker
 * and the float tensors are built once per data setting; the raw bytes are the main
 * thread's SharedArrayBuffers, never copied per trial.
 */
import { workerData } from 'node:worker_threads';
import type { TrainResult, TrainTask, Verdict, WorkerEvent, WorkerInit } from '../pool/protocol.js';
import { initBackend } from './backend.js';
import { disposeSplits, makeSplits, type Splits } from './tensors.js';
import { encodeModel } from './model-files.js';
import { measureLatency } from './latency.js';
import { TrainingStopped, trainTrial } from './train.js';
import type { EpochMetrics } from '../trial/types.js';

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
  // Verdicts arrive on the port, in epoch order, each after the epoch it answers was posted.
  const verdicts = new Map<number, (stop: boolean) => void>();
  task.port.on('message', (v: Verdict) => verdicts.get(v.epoch)?.(v.stop));
  const awaitVerdict = (epoch: number) => new Promise<boolean>((resolve) => verdicts.set(epoch, resolve));
  try {
    backend ??= initBackend(init.backend);
    name = await backend;
    const trained = await trainTrial({
      config: task.config, seed: task.seed, splits: splitsFor(task.data), backend: name,
      checkpoint: task.keep ? { configId: task.configId, from: task.resumeFrom } : undefined,
      onStart: (resumed) => post({ type: 'started', trialId: task.trialId, backend: name!, resumedFrom: resumed.length, epochs: [...resumed] }),
      onEpoch: async (metrics, checkpoint) => {
        epochs.push(metrics);
        const awaitsVerdict = task.verdictAfter.includes(metrics.epoch);
        const stop = awaitsVerdict ? awaitVerdict(metrics.epoch) : Promise.resolve(false);
        post({ type: 'epoch', trialId: task.trialId, backend: name!, metrics, checkpoint, awaitsVerdict });
        return (await stop) ? 'stop' : undefined;
      },
    });
    const { model, resumedFrom: _, ...trainedOutcome } = trained;
    // After the training time was taken: classifying does not count as training, and changes nothing trained.
    const latencyMs = measureLatency(model, init.dataset.test, init.dataset.shape);
    const outcome = latencyMs === null ? trainedOutcome : { ...trainedOutcome, latencyMs };
    // The trained model goes to the store, in the layers format that tf.loadLayersModel
    // reads in Node and in browsers (`sweep export` hands it out).
    const files = task.keep ? await encodeModel(model) : null;
    model.dispose();
    return { ok: true, outcome, model: files };
  } catch (err) {
    if (err instanceof TrainingStopped) return { ok: 'stopped', backend: name!, epochs: [...err.epochs] };
    const message = (err as Error).message ?? String(err);
    // A model too big to allocate is the user's configuration, not our bug: say so plainly.
    const oom = err instanceof RangeError && /array length|allocation failed|memory/i.test(message);
    return { ok: false, error: oom ? `out of memory: ${message}` : message, backend: name, epochs };
  } finally {
    task.port.close();
  }
}
