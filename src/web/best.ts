/**
 * The best trial up close: its model (from the store) on the test images it was evaluated on,
 * as a confusion matrix and the pictures it gets most wrong. Loads the dataset and tfjs only
 * when first asked, and remembers each trial's answer.
 */
import { testSetReport } from '../analysis/confusion.js';
import { CLASS_NAMES, loadFashionMnist, type FashionMnist } from '../data/fashion-mnist.js';
import { bestSpec, specYaml } from '../spec/one-config.js';
import type { Store } from '../store/store.js';
import type { SweepRecord, TrialRecord } from '../trial/types.js';
import type { BestView } from './model.js';

/** How many of the most confidently wrong test images the page shows. */
const WRONG = 12;
const PIXELS = 28 * 28;

/** A function that builds a completed trial's BestView, or undefined where its model was not kept. */
export function bestAnalyzer(store: Store, dataDir: string | undefined): (trial: TrialRecord, sweep: SweepRecord) => Promise<BestView | undefined> {
  let dataset: Promise<FashionMnist> | undefined;
  const done = new Map<string, BestView | undefined>();
  return async (trial, sweep) => {
    const key = `${trial.id}:${trial.weightsSha256}`;
    if (done.has(key)) return done.get(key);
    const files = await store.model(trial.id);
    let view: BestView | undefined;
    if (files) {
      dataset ??= loadFashionMnist({ dir: dataDir });
      const { test } = await dataset;
      const { initBackend } = await import('../train/backend.js');
      const { probabilities } = await import('../train/predict.js');
      await initBackend('auto');
      const count = Math.min(trial.data.testLimit, test.count);
      const p = await probabilities(files, test.images, count);
      const r = testSetReport(test.labels, p, count, CLASS_NAMES.length, WRONG);
      view = {
        trialId: trial.id, classNames: CLASS_NAMES, confusion: r.confusion,
        wrong: r.wrong.map((w) => ({
          ...w, pixels: Buffer.from(test.images.subarray(w.index * PIXELS, (w.index + 1) * PIXELS)).toString('base64'),
        })),
        spec: specYaml(bestSpec(sweep, trial.seed, trial.data, trial.config)),
      };
    }
    done.set(key, view);
    return view;
  };
}
