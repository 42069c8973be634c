import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CLASS_NAMES } from '../data/fashion-mnist.js';
import { Option } from 'commander';
import { UserError } from '../errors.js';
import type { Store, SweepRow, TrialRow } from '../store/store.js';
import { trialDir } from '../sweep/run-sweep.js';
import { MODEL_FILES } from '../train/model-format.js';
import { dbOption, defineCommand, type Io } from './command.js';
import { findSweep, openReadonly } from './inspect.js';

type ExportOptions = { db: string; out: string };

export const exportCommand = defineCommand<ExportOptions>({
  name: 'export',
  summary: "write a completed trial's model (TensorFlow.js layers format) and card.json",
  args: ['<trial|sweep>'],
  options: [dbOption(), new Option('--out <dir>', 'where to write model.json, weights.bin and card.json').makeOptionMandatory()],
  example: 'sweep export dropout --out best-model',
  action: ([ref], opts, io) => exportTrial(ref, opts, io),
});

/** A trial by id, or a sweep's best completed trial by the sweep's name. */
export function resolveTrial(store: Store, ref: string): { trial: TrialRow; sweep: SweepRow } {
  if (/^\d+$/.test(ref)) {
    const trial = store.trial(Number(ref));
    if (!trial) throw new UserError(`no trial ${ref} in ${store.path}`);
    return { trial, sweep: store.sweepById(trial.sweep_id)! };
  }
  const sweep = findSweep(store, ref);
  const trial = store.trials(sweep.id).find((t) => t.status === 'completed');
  if (!trial) throw new UserError(`sweep "${sweep.name}" has no completed trial yet`);
  return { trial, sweep };
}

/**
 * `sweep export`: writes a completed trial's trained model in the TensorFlow.js layers
 * format (model.json + weights.bin, loadable by tf.loadLayersModel in Node and browsers)
 * and a card.json with its configuration, metrics, dataset checksums and versions.
 */
export function exportTrial(ref: string, values: ExportOptions, { out }: Io): number {
  const store = openReadonly(values.db);
  try {
    const { trial, sweep } = resolveTrial(store, ref);
    if (trial.status !== 'completed') throw new UserError(`trial ${trial.id} is ${trial.status}, not completed: nothing to export`);
    const model = join(trialDir(dirname(values.db), sweep.name, trial.config_id), 'model');
    if (!existsSync(join(model, MODEL_FILES[0]))) {
      throw new UserError(`trial ${trial.id}: no saved model in ${model} (trials completed before models were kept have none; \`sweep repro ${trial.id}\` trains it again)`);
    }
    mkdirSync(values.out, { recursive: true });
    for (const f of MODEL_FILES) copyFileSync(join(model, f), join(values.out, f));
    const card = {
      sweep: sweep.name, trial: trial.id, configId: trial.config_id, config: JSON.parse(trial.config_json),
      seed: trial.seed, data: JSON.parse(trial.data_json), backend: trial.backend,
      metrics: {
        valAccuracy: trial.val_accuracy, valLoss: trial.val_loss, testAccuracy: trial.test_accuracy, testLoss: trial.test_loss,
        epochs: store.epochs(trial.id),
      },
      params: trial.params, weightsSha256: trial.weights_sha256,
      environment: trial.env_json ? JSON.parse(trial.env_json) : null,
      input: { shape: [28, 28, 1], pixels: 'grayscale byte / 255' },
      classes: CLASS_NAMES,
    };
    writeFileSync(join(values.out, 'card.json'), `${JSON.stringify(card, null, 2)}\n`);
    out(`exported trial ${trial.id} of sweep ${sweep.name} (test accuracy ${((trial.test_accuracy ?? 0) * 100).toFixed(2)}%) to ${values.out}: ${[...MODEL_FILES, 'card.json'].join(', ')}`);
    return 0;
  } finally {
    store.close();
  }
}
