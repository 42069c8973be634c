/**
 * The best trial up close: its model (from the store) on the test images it was evaluated on,
 * as a confusion matrix and the pictures it gets most wrong. Loads the dataset and tfjs only
 * when first asked, and remembers each trial's answer.
 */
import { testSetReport } from '../analysis/confusion.js';
import { datasetOpener } from '../data/registry.js';
import { UserError } from '../errors.js';
import { bestSpec, specYaml } from '../spec/one-config.js';
import type { Store } from '../store/store.js';
import type { SweepRecord, TrialRecord } from '../trial/types.js';
import type { BestView } from './model.js';

/** How many of the most confidently wrong test images the page shows. */
const WRONG = 12;

/**
 * A function that builds a completed trial's BestView, or undefined where its model was not kept or
 * its data cannot be had as it recorded it (moved, changed): `warn` hears why, once a trial.
 */
export function bestAnalyzer(
  store: Store, dataDir: string | undefined, warn: (line: string) => void = () => {},
): (trial: TrialRecord, sweep: SweepRecord) => Promise<BestView | undefined> {
  // Each trial's dataset, as the trial recorded it (where it lies, its checksum), opened once.
  const open = datasetOpener({ dataDir });
  const done = new Map<string, BestView | undefined>();
  return async (trial, sweep) => {
    const key = `${trial.id}:${trial.weightsSha256}`;
    if (done.has(key)) return done.get(key);
    const files = await store.model(trial.id);
    let view: BestView | undefined;
    const dataset = files && await open(trial.data).catch((err: unknown) => {
      // The page is still worth having without this view; our bugs still surface.
      if (!(err instanceof UserError)) throw err;
      warn(`${err.message}: trial ${trial.id}'s test-set view is left out`);
      return undefined;
    });
    if (files && dataset) {
      const { test, shape, classes: names } = dataset;
      const { initBackend } = await import('../train/backend.js');
      const { probabilities } = await import('../train/predict.js');
      await initBackend('auto');
      const count = Math.min(trial.data.testLimit ?? test.count, test.count);
      const p = await probabilities(files, test.images, count, shape);
      const r = testSetReport(test.labels, p, count, names.length, WRONG);
      const pixels = shape[0] * shape[1] * shape[2];
      view = {
        trialId: trial.id, classNames: names, shape, confusion: r.confusion,
        wrong: r.wrong.map((w) => ({
          ...w, pixels: Buffer.from(test.images.subarray(w.index * pixels, (w.index + 1) * pixels)).toString('base64'),
        })),
        spec: specYaml(bestSpec(sweep, trial.seed, trial.data, trial.config)),
      };
    }
    done.set(key, view);
    return view;
  };
}
