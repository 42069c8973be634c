import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { datasetArrays, type DatasetArrays } from '../data/dataset.js';
import { isCodeConfig } from '../spec/code.js';
import type { RunJob, TrialRunner } from '../trial/runner.js';
import { workerFile } from '../worker-file.js';
import type { BackendChoice, TrainResult, TrainTask, Verdict, WorkerEvent, WorkerInit } from './protocol.js';


export type PoolOptions = {
  readonly workers: number;
  readonly backend: BackendChoice;
  readonly dataset: DatasetArrays;
  /** Each worker's JS heap limit. */
  readonly heapLimitMb?: number;
};

/** A pool of training workers for sweep's built-in models; each keeps its backend and tensors between trials. */
export class TrainingPool implements TrialRunner {
  private readonly piscina: Piscina;

  constructor(options: PoolOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw new RangeError('options.workers must be a positive integer');
    }
    const init: WorkerInit = { dataset: datasetArrays(options.dataset), backend: options.backend };
    this.piscina = new Piscina({
      filename: workerFile(import.meta.url, '../train/worker.js'),
      minThreads: options.workers,
      maxThreads: options.workers,
      // Each worker runs one trial at a time: two on one thread would only interleave.
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
      workerData: init,
      // A runaway trial kills its worker (recorded as a failed trial), not the machine.
      // Tensors live outside this heap (wasm memory, typed arrays); this bounds the JS side.
      resourceLimits: { maxOldGenerationSizeMb: options.heapLimitMb ?? 4096 },
    });
  }

  /**
   * Trains one trial on the next free worker; `onEvent` sees its progress, and answers an
   * epoch that awaits a verdict through `reply`. Resolves with the result (a failed or stopped
   * trial included); rejects only if the worker itself died.
   */
  async run(
    job: RunJob, onEvent: (e: WorkerEvent, reply: (v: Verdict) => void) => void, signal?: AbortSignal,
  ): Promise<TrainResult> {
    const { trial } = job;
    const config = trial.config;
    if (isCodeConfig(config)) throw new Error(`trial ${trial.id} runs the user's code, not a model the pool trains`);
    const task: Omit<TrainTask, 'port'> = {
      trialId: trial.id, configId: trial.configId, config, seed: trial.seed, data: trial.data, keep: job.keep,
      resumeFrom: job.resumeFrom,
      // The worker waits for a verdict after these epochs; never after the last, which completes the trial.
      verdictAfter: Array.from({ length: config.epochs - 1 }, (_, i) => i + 1).filter(job.decidesAfter),
    };
    const { port1, port2 } = new MessageChannel();
    const reply = (v: Verdict) => port1.postMessage(v);
    port1.on('message', (e: WorkerEvent) => onEvent(e, reply));
    try {
      return await this.piscina.run({ ...task, port: port2 }, { transferList: [port2], signal });
    } finally {
      // Events posted just before the result may still be queued on the port.
      await new Promise((resolve) => setImmediate(resolve));
      port1.close();
    }
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
