// Orchestration per trial through the whole pipeline, on any store: five one-epoch full-data
// ANN trials as `sweep run` does them (one worker, checkpoints and saved models in the store).
// Between the first trial's end and the last one's, whatever is not the trials' own in-worker
// time is orchestration (dispatch, the store's writes, events, keeping the model). The first
// trial also pays the worker's one-time start.
import { parseSpec } from '../dist/spec/load-spec.js';
import { runSweep } from '../dist/sweep/run-sweep.js';

/** Runs the five trials into `store` (a fresh one) and measures; `store` is closed after. */
export async function orchestration(store, dataset) {
  const text = 'name: overhead\nseed: 1\ngrid:\n  epochs: [1]\n  dropout: [0.0, 0.1, 0.2, 0.3, 0.4]\n';
  const ends = [];
  const t0 = performance.now();
  await runSweep({
    spec: parseSpec(text, 'overhead.yaml'), specText: text, specPath: null, store, dataset, workers: 1, backend: 'wasm',
    onEvent: (e) => { if (e.type === 'trial-end') ends.push(performance.now()); },
  });
  const trials = (await store.trials((await store.sweep('overhead')).id)).sort((a, b) => a.finishedAt.localeCompare(b.finishedAt));
  await store.close();
  const seconds = trials.map((t) => t.seconds);
  const between = (ends[ends.length - 1] - ends[0]) / 1000;
  const trained = seconds.slice(1).reduce((a, b) => a + b, 0);
  return {
    trials: seconds.length, meanTrialSeconds: seconds.reduce((a, b) => a + b, 0) / seconds.length,
    perTrialOverheadSeconds: (between - trained) / (seconds.length - 1),
    overheadFraction: (between - trained) / trained,
    workerStartSeconds: (ends[0] - t0) / 1000 - seconds[0],
  };
}
