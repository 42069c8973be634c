import { appendFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';

/**
 * Where an epoch's recorded seconds go, for `npm run bench:epochs` (docs/speed.md): with
 * SWEEP_EPOCH_PHASES=FILE set, each epoch `trainTrial` runs appends one JSON line to FILE: the
 * epoch's seconds as recorded, the milliseconds of each phase inside them (shuffle, the training
 * steps and, within them, the batches' gathers, the finite-weights check, precise BN,
 * validation), and the process's memory after it. Unset, nothing is timed or written: the
 * clock is null and every call on it is skipped. It reads clocks only, so trials compute the
 * same floats with it on.
 */
export type EpochPhases = {
  readonly model: string;
  readonly batchSize: number;
  readonly epoch: number;
  /** The epoch's seconds as the trial records them. */
  readonly seconds: number;
  /** Milliseconds per phase; `gather` is part of `steps`. */
  readonly ms: Readonly<Record<string, number>>;
  readonly memory: MemorySnapshot;
};

export type MemorySnapshot = {
  /** The process's resident set now and its peak so far, bytes (every thread's, the worker's included). */
  readonly rss: number;
  readonly maxRss: number;
  /** V8's heap: reserved and in use; the memory of ArrayBuffers outside it, bytes (this thread). */
  readonly heapTotal: number;
  readonly heapUsed: number;
  readonly external: number;
  /** The wasm backend's memory, bytes (it grows, never shrinks); 0 on another backend. */
  readonly wasmBytes: number;
  /** tfjs's live tensors and their bytes. */
  readonly tensors: number;
  readonly tensorBytes: number;
};

export function memorySnapshot(): MemorySnapshot {
  const usage = process.memoryUsage();
  const backend = tf.getBackend() === 'wasm' ? (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }) : null;
  const memory = tf.memory();
  return {
    rss: usage.rss, maxRss: process.resourceUsage().maxRSS * 1024, heapTotal: usage.heapTotal, heapUsed: usage.heapUsed, external: usage.external,
    wasmBytes: backend?.wasm?.HEAPU8?.byteLength ?? 0, tensors: memory.numTensors, tensorBytes: memory.numBytes,
  };
}

export class PhaseClock {
  private readonly ms: Record<string, number> = {};
  private last = 0;

  private constructor(private readonly file: string) {}

  /** A clock where SWEEP_EPOCH_PHASES names a file, else null. */
  static fromEnv(): PhaseClock | null {
    const file = process.env.SWEEP_EPOCH_PHASES;
    return file ? new PhaseClock(file) : null;
  }

  /** Starts an epoch's phases at `now` (the epoch's own start). */
  start(now: number): void {
    for (const k of Object.keys(this.ms)) delete this.ms[k];
    this.last = now;
  }

  /** Ends phase `name` now: the time since the previous lap (or the start) is its. */
  lap(name: string): void {
    const now = performance.now();
    this.add(name, now - this.last);
    this.last = now;
  }

  /** Adds `ms` to phase `name` without ending a lap (a part of another phase). */
  add(name: string, ms: number): void {
    this.ms[name] = (this.ms[name] ?? 0) + ms;
  }

  write(at: { model: string; batchSize: number; epoch: number; seconds: number }): void {
    const line: EpochPhases = { ...at, ms: { ...this.ms }, memory: memorySnapshot() };
    appendFileSync(this.file, `${JSON.stringify(line)}\n`);
  }
}
