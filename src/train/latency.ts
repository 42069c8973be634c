/**
 * `latency_ms`: how long a trained model takes to classify one image, measured the same way for
 * every trial, in the worker that trained it, on the backend and kernels it trained on.
 *
 * One call is what a program serving the model does for one request: the image's bytes made
 * the model's input (`modelInput`, as training and `sweep predict` make theirs), `model.predict`
 * on a batch of 1, the class read back. The model's floats are not touched and nothing is drawn
 * from any generator (dropout is off outside training), so measuring changes no trial's weights
 * or metrics.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageShape, Split } from '../data/dataset.js';
import { modelInput } from './tensors.js';

/** Calls before timing: the first builds the backend's operators and caches for a batch of 1. */
export const LATENCY_WARMUP = 20;
/**
 * Calls before timing the first model of its kind (its layers' classes) in a thread: V8 compiles
 * tfjs's code for these calls as they recur, and until it has the same model classifies 2–6×
 * slower. On the 2-core machine a fresh thread's first ANN took 500–700 calls to come down to
 * 0.065–0.08 ms, its first CNN about 100. With 20, the first trial of each worker of a sweep
 * measured 0.15 ms where the same model later measured 0.08; with 500, still 0.08–0.10 against 0.06.
 */
export const LATENCY_FIRST_WARMUP = 1000;
/** Timed calls: the median of these is the trial's latency. */
export const LATENCY_CALLS = 200;
/** The images classified, in turn: the first of the test set, the same for every trial. */
export const LATENCY_IMAGES = 10;

/** The kinds of model this thread has measured (see LATENCY_FIRST_WARMUP). */
const warmedUp = new Set<string>();

/**
 * The median milliseconds `model` takes to classify one of the first `LATENCY_IMAGES` images of
 * `images` (bytes, each of `shape`), over `LATENCY_CALLS` calls after the warm-up (untimed:
 * `LATENCY_FIRST_WARMUP` calls for the first model of its kind in this thread, `LATENCY_WARMUP`
 * after), so that every trial is timed on code already compiled; null where there is no image to
 * classify. `now` is the clock (milliseconds).
 */
export function measureLatency(
  model: tf.LayersModel, images: Split, shape: ImageShape, now: () => number = () => performance.now(),
): number | null {
  const count = Math.min(LATENCY_IMAGES, images.count);
  if (count === 0) return null;
  const classify = (i: number) => {
    const x = modelInput(images.images, i % count, 1, shape);
    const predicted = tf.tidy(() => (model.predict(x) as tf.Tensor).argMax(-1));
    predicted.dataSync();
    tf.dispose([x, predicted]);
  };
  const kind = [...new Set(model.layers.map((l) => l.getClassName()))].sort().join(',');
  const warmup = warmedUp.has(kind) ? LATENCY_WARMUP : LATENCY_FIRST_WARMUP;
  for (let i = 0; i < warmup; i++) classify(i);
  warmedUp.add(kind);
  const times = new Float64Array(LATENCY_CALLS);
  for (let i = 0; i < LATENCY_CALLS; i++) {
    const t0 = now();
    classify(i);
    times[i] = now() - t0;
  }
  return median(times);
}

/** The middle value of `xs` (the mean of the two middle ones for an even count). */
export function median(xs: Float64Array): number {
  const sorted = Float64Array.from(xs).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
