import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describeDataset } from '../data/registry.js';
import { UserError } from '../errors.js';
import { isCodeConfig } from '../spec/code.js';
import { recordedSpec } from '../spec/load-spec.js';
import { hasFronts } from '../sweep/fronts.js';
import { isPostgresUrl } from '../store/open.js';
import type { Store } from '../store/store.js';
import type { SweepRecord, TrialRecord } from '../trial/types.js';
import { MODEL_FILES, MODEL_JSON, modelInputShape, writeModelFiles } from '../train/model-format.js';
import type { Io } from './command.js';
import type { ExportOptions } from './commands.js';
import { findSweep, withStore } from './inspect.js';

/**
 * A trial by id, or a sweep's best completed trial by the sweep's name. A sweep ranked into
 * fronts (several objectives, or constraints) has no one best: the user names the trial.
 */
export async function resolveTrial(store: Store, ref: string): Promise<{ trial: TrialRecord; sweep: SweepRecord }> {
  if (/^\d+$/.test(ref)) {
    const trial = await store.trial(Number(ref));
    if (!trial) throw new UserError(`no trial ${ref} in ${store.location}`);
    return { trial, sweep: (await store.sweepById(trial.sweepId))! };
  }
  const sweep = await findSweep(store, ref);
  const trials = await store.trials(sweep.id);
  const spec = recordedSpec(sweep);
  if (spec && hasFronts(spec)) {
    const first = trials.filter((t) => t.front === 1 && t.violation === 0).map((t) => t.id);
    throw new UserError(`sweep "${sweep.name}" ranks on ${spec.objectives.map((o) => o.name).join(' and ')}${spec.constraints.length > 0 ? ' under constraints' : ''}, so it has no one best trial: name one by its id, such as one of its first front (${first.join(', ') || 'none yet'}; \`sweep show ${sweep.name}\`)`);
  }
  const trial = trials.find((t) => t.status === 'completed');
  if (!trial) throw new UserError(`sweep "${sweep.name}" has no completed trial yet`);
  return { trial, sweep };
}

/**
 * `sweep export`: writes a completed trial's trained model in the TensorFlow.js layers
 * format (model.json + weights.bin, loadable by tf.loadLayersModel in Node and browsers)
 * and a card.json with its configuration, its data settings (which name its dataset), metrics,
 * dataset checksums, versions, and the input shape and class names the model takes.
 */
export function exportTrial(ref: string, values: ExportOptions, { out }: Io): Promise<number> {
  return withStore(values.db, async (store) => {
    const { trial, sweep } = await resolveTrial(store, ref);
    if (trial.status !== 'completed') throw new UserError(`trial ${trial.id} is ${trial.status}, not completed: nothing to export`);
    if (isCodeConfig(trial.config)) {
      throw new UserError(`trial ${trial.id} ran your ${trial.config.model}: sweep keeps no model of it to export (what it saved is in its trial folder, SWEEP_TRIAL_DIR)`);
    }
    // Its class names as the trial recorded them (Fashion-MNIST's are fixed), known before anything is written.
    const classes = trial.data.classes ?? (await describeDataset(trial.data)).classes;
    const model = await store.model(trial.id);
    const legacy = legacyModelDir(values.db, sweep.name, trial.configId);
    if (model) writeModelFiles(values.out, model);
    else if (legacy) {
      mkdirSync(values.out, { recursive: true });
      for (const f of MODEL_FILES) copyFileSync(join(legacy, f), join(values.out, f));
    } else {
      throw new UserError(`trial ${trial.id}: no saved model (trials completed before models were kept have none; \`sweep repro ${trial.id}\` trains it again)`);
    }
    // The shape of the trial's images, as its model was built for them: the data need not be here.
    const shape = modelInputShape(readFileSync(join(values.out, MODEL_JSON), 'utf8'));
    const card = {
      sweep: sweep.name, trial: trial.id, configId: trial.configId, config: trial.config,
      seed: trial.seed, data: trial.data, backend: trial.backend,
      metrics: {
        valAccuracy: trial.valAccuracy, valLoss: trial.valLoss, testAccuracy: trial.testAccuracy, testLoss: trial.testLoss,
        epochs: await store.epochs(trial.id),
      },
      params: trial.params, weightsSha256: trial.weightsSha256,
      environment: trial.environment,
      input: { shape, pixels: shape?.[2] === 1 ? 'grayscale byte / 255' : 'byte / 255, channels last' },
      classes,
    };
    writeFileSync(join(values.out, 'card.json'), `${JSON.stringify(card, null, 2)}\n`);
    out(`exported trial ${trial.id} of sweep ${sweep.name} (test accuracy ${((trial.testAccuracy ?? 0) * 100).toFixed(2)}%) to ${values.out}: ${[...MODEL_FILES, 'card.json'].join(', ')}`);
    return 0;
  });
}

/**
 * Before schema v4 a completed trial's model was a folder beside a SQLite database,
 * `runs/<sweep>/<config id>/model/`: where it still is, export hands it out.
 */
function legacyModelDir(db: string, sweep: string, configId: string): string | null {
  if (isPostgresUrl(db) || db === ':memory:') return null;
  const dir = join(dirname(db), sweep, configId, 'model');
  return existsSync(join(dir, MODEL_JSON)) ? dir : null;
}
