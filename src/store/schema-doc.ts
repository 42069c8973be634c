/**
 * What every table, view and column of the database means: the single source of truth for
 * `sweep query --schema` and for docs/database.md's schema section.
 *
 * test/store/schema-doc.test.ts checks that these are exactly the tables, views and columns
 * a fresh database has (so a migration that adds a column must document it here), and that
 * docs/database.md holds `renderSchemaDoc()` verbatim between `<!-- schema:start -->` and
 * `<!-- schema:end -->`. After changing this file, regenerate that copy with
 *
 *     npm run build && node scripts/update-schema-doc.mjs
 */
import { BUILT_IN_METRICS } from '../metrics/registry.js';
import { HYPERPARAMETERS, REGISTRY, isOptional, type HyperparameterKey } from '../spec/hyperparameters.js';
import { HYPERPARAMETER_COLUMNS } from './rows.js';

// Hyperparameter columns added after v8's metric_value, each at the table's end when its migration ran.
const LATER: readonly HyperparameterKey[] = ['preciseBn'];

export type ColumnDoc = {
  readonly name: string;
  /** One line, starting lower-case, no final full stop. */
  readonly description: string;
  /**
   * Set on a view's column that repeats the column of the same name of this table or view,
   * with the same meaning; the Markdown lists such columns together, as "as in `trials`".
   */
  readonly sameAs?: string;
};

export type RelationDoc = {
  readonly name: string;
  readonly kind: 'table' | 'view';
  /** One line: what one row is. */
  readonly description: string;
  readonly columns: readonly ColumnDoc[];
};

const col = (name: string, description: string): ColumnDoc => ({ name, description });

const SWEEPS: RelationDoc = {
  name: 'sweeps',
  kind: 'table',
  description: 'one row per sweep name.',
  columns: [
    col('id', 'the sweep\'s id (`trials.sweep_id` refers to it)'),
    col('name', 'the sweep\'s name, from its spec (unique)'),
    col('metric', 'the metric that ranks its trials, such as `val_accuracy` (a name in `trial_metrics`)'),
    col('seed', 'the spec\'s seed'),
    col('spec_path', 'the spec file it was last run from'),
    col('spec_yaml', 'the spec\'s text as last run'),
    col('created_at', 'when it was first run (ISO-8601 UTC)'),
    col('updated_at', 'when it was last run (ISO-8601 UTC)'),
    col('goal', 'which way `metric` is better: `maximize` or `minimize`'),
    col('program_sha256', 'for a sweep of a program: SHA-256 of the program file when the sweep last ran; else NULL'),
    col('env_json', 'where the run that last recorded it ran, as a trial\'s `env_json` (docs/provenance.md); NULL before v14'),
    col('annotation_changes', 'how many times its tags and notes were added or removed: what a live view polls'),
  ],
};

const TRIALS: RelationDoc = {
  name: 'trials',
  kind: 'table',
  description: 'one row per configuration of a sweep, with one column per built-in hyperparameter, so `WHERE dropout > 0.2` needs no JSON functions. A trial of your own code (`model` is `program` or `objective`) has NULL in every other hyperparameter column: its parameters are in `trial_params`.',
  columns: [
    col('id', 'the trial\'s id (the number `sweep show` prints)'),
    col('sweep_id', 'its sweep (`sweeps.id`)'),
    col('config_id', 'the stable hash of its configuration, seed and data settings'),
    col('config_json', 'the full resolved configuration (JSON)'),
    col('data_json', 'the data settings (JSON): the split, and for a dataset other than Fashion-MNIST its name, folder, class names and checksum'),
    col('status', '`pending`, `running`, `completed`, `failed`, `interrupted`, `pruned` (stopped early by the sweep\'s rule, after `epochs_done` epochs) or `infeasible` (its parameters break one of the sweep\'s constraints: never trained, `error` says what it breaks; schema v12)'),
    col('seed', 'the seed its weights, dropout masks and shuffling derive from'),
    ...HYPERPARAMETERS.filter((k) => !isOptional(k)).map((k) => col(REGISTRY[k].column, REGISTRY[k].doc)),
    col('backend', 'the TensorFlow.js backend that actually ran it (`tensorflow`, `wasm`, `cpu`)'),
    col('started_at', 'when its last attempt started (ISO-8601 UTC)'),
    col('finished_at', 'when its last attempt completed, failed or was interrupted (ISO-8601 UTC)'),
    col('epochs_done', 'how many epochs it has finished'),
    col('val_accuracy', 'validation accuracy after the last epoch (of a pruned trial: the epoch it was stopped after)'),
    col('val_loss', 'validation loss after the last epoch (of a pruned trial: the epoch it was stopped after)'),
    col('test_accuracy', 'test accuracy, evaluated once, after training'),
    col('test_loss', 'test loss, evaluated once, after training'),
    col('params', 'how many weights the model has, trainable and non-trainable'),
    col('seconds', 'wall time of its training'),
    col('error', 'why it failed (NULL unless `failed`)'),
    col('attempts', 'how many times it was claimed'),
    col('owner', '`host:pid:start-time` of the process that holds or held it'),
    col('heartbeat_at', 'the owner\'s last sign of life while running (ISO-8601 UTC)'),
    col('resumed_from', 'the epoch of the checkpoint its last attempt resumed from; NULL when it started from scratch'),
    col('weights_sha256', 'SHA-256 of the trained weights, for exact reproduction checks'),
    col('env_json', 'where a completed trial ran (JSON): Node, TensorFlow.js and sweep versions, CPU, kernels, the spec\'s git commit and dirt, the program\'s and the dataset\'s checksums (docs/provenance.md)'),
    col('repro_of', 'for a trial made by `sweep repro`: the id of the trial it reproduces'),
    col('number', 'its number in the sweep: 0, 1, … in the order trials were added (random search\'s trial k is number k)'),
    col('search_json', 'how the search proposed it (TPE: the numbers of the trials it saw, by state), JSON; NULL for grid trials'),
    // Hyperparameters added later are columns added later, at the table's end, in the registry's order.
    ...HYPERPARAMETERS.filter((k) => isOptional(k) && !LATER.includes(k)).map((k) => col(REGISTRY[k].column, REGISTRY[k].doc)),
    // Added at v8, after the hyperparameters above; a hyperparameter added later is a column after it.
    col('metric_value', 'its sweep\'s metric at its last epoch, what it is ranked by (NULL until it completes or is pruned)'),
    // Added at v11.
    col('latency_ms', 'median milliseconds to classify one image with the trained model, measured in its worker after training (`latency_ms` in `trial_metrics`); for your own code, the `latency_ms` it reported; NULL before it completes, and for trials that completed before sweep measured it (schema v11)'),
    // Hyperparameters added after v12, in the order of their migrations.
    ...LATER.map((k) => col(REGISTRY[k].column, `${REGISTRY[k].doc} (schema v13; 0 for trials recorded before it)`)),
  ],
};

const EPOCHS: RelationDoc = {
  name: 'epochs',
  kind: 'table',
  description: 'one row per finished epoch of a trial.',
  columns: [
    col('trial_id', 'its trial (`trials.id`)'),
    col('epoch', 'the epoch, from 1; for your own code, the step it reported (which may start at 0)'),
    col('loss', 'training loss, with dropout active, averaged over the epoch'),
    col('accuracy', 'training accuracy, with dropout active, averaged over the epoch'),
    col('val_loss', 'validation loss after the epoch'),
    col('val_accuracy', 'validation accuracy after the epoch'),
    col('seconds', 'wall time of the epoch, validation included'),
  ],
};

const CHECKPOINTS: RelationDoc = {
  name: 'checkpoints',
  kind: 'table',
  description: "a running (or interrupted) trial's latest checkpoint, written with its epoch's row, dropped when the trial completes.",
  columns: [
    col('trial_id', 'its trial (`trials.id`)'),
    col('epoch', 'the epoch after which it was taken'),
    col('data', 'weights, optimizer state, shuffle order and generator states, in one blob that only sweep reads'),
  ],
};

const MODELS: RelationDoc = {
  name: 'models',
  kind: 'table',
  description: 'the trained model of each completed trial, in the TensorFlow.js layers format (`sweep export` writes it out).',
  columns: [
    col('trial_id', 'its trial (`trials.id`)'),
    col('model_json', 'the text of `model.json`: topology and weights manifest'),
    col('weights', 'the bytes of `weights.bin`'),
  ],
};

const TRIAL_LOGS: RelationDoc = {
  name: 'trial_logs',
  kind: 'table',
  description: 'what each attempt at a program trial wrote on stdout and stderr (`sweep logs TRIAL` prints it).',
  columns: [
    col('trial_id', 'its trial (`trials.id`)'),
    col('attempt', 'the attempt (`trials.attempts` at the time): 1 for the first run'),
    col('stream', '`stdout` or `stderr`'),
    col('text', 'what it wrote, as UTF-8 text; past 512 KiB, its first 64 KiB and last 448 KiB around a line saying how many bytes were left out'),
    col('bytes', 'how many bytes it wrote in all'),
  ],
};

const SWEEP_OBJECTIVES: RelationDoc = {
  name: 'sweep_objectives',
  kind: 'table',
  description: 'one row per objective of a sweep, in order: one for a sweep of one `metric`, two or more for a sweep of several (`metrics:`, such as accuracy against training time).',
  columns: [
    col('sweep_id', 'its sweep (`sweeps.id`)'),
    col('position', 'its place in the spec\'s list, from 0 (the value\'s place in `trial_objectives`)'),
    col('name', 'the metric (a name in `trial_metrics`)'),
    col('goal', '`maximize` or `minimize`'),
  ],
};

const TRIAL_OBJECTIVES: RelationDoc = {
  name: 'trial_objectives',
  kind: 'table',
  description: 'a completed trial\'s value of each objective of its sweep, at its last step.',
  columns: [
    col('trial_id', 'its trial (`trials.id`)'),
    col('position', 'the objective (`sweep_objectives.position`)'),
    col('value', 'the value; NULL where the trial did not report it'),
  ],
};

const TRIAL_FRONTS: RelationDoc = {
  name: 'trial_fronts',
  kind: 'table',
  description: 'the Pareto front of each completed trial of a sweep with several objectives or with constraints, ranked again as each trial completes (read it through `pareto`).',
  columns: [
    col('trial_id', 'its trial (`trials.id`)'),
    col('front', '1 for the first front (no feasible trial is better in every objective), 2 for the next, …; infeasible trials come after every feasible one'),
    col('violation', 'by how much the trial breaks the sweep\'s constraints, summed in their own units; 0: feasible'),
    col('broken', 'the constraints it breaks, as JSON `[{"text": "params <= 200000", "by": 35210}]` (`by` null where the value was missing); NULL where none'),
  ],
};

const DECISIONS: RelationDoc = {
  name: 'decisions',
  kind: 'table',
  description: 'one row per early-stopping decision: after which epoch of which trial, by which rule, and what it was compared with.',
  columns: [
    col('trial_id', 'its trial (`trials.id`)'),
    col('epoch', 'the epoch it followed'),
    col('scheduler', 'the rule: `asha`, `hyperband`, `median` or `wandb-hyperband`'),
    col('bracket', 'the Hyperband bracket of the trial (NULL for other rules)'),
    col('rung', 'the rung (W&B: the band) this epoch is; NULL for the median rule'),
    col('value', 'the trial\'s value judged: the metric after this epoch (median: its best so far)'),
    col('threshold', 'the value it had to reach to continue (NULL when there was nothing to compare with)'),
    col('compared', 'the values it was compared with, as a JSON array (ASHA: those recorded at this rung, itself included)'),
    col('verdict', '`continue` or `prune`'),
  ],
};


const PARAM_VALUES: RelationDoc = {
  name: 'param_values',
  kind: 'table',
  description: 'one row per hyperparameter of each trial; read it through `trial_params`.',
  columns: [
    col('trial_id', 'its trial (`trials.id`)'),
    col('name', 'the hyperparameter: for the built-in models, its column\'s name in `trials` (`learning_rate`); for your own code, the name the spec gives it'),
    col('value', 'its value as text, as its column holds it: lists as JSON (`[256,128]`), booleans as 1 or 0'),
    col('number', 'its value where it is a number (booleans as 1 or 0), else NULL: compare numbers here, not in `value`'),
  ],
};

const REPORTED_METRICS: RelationDoc = {
  name: 'reported_metrics',
  kind: 'table',
  description: 'one row per value a trial reported under a name of its own at a step; read it through `trial_metrics`.',
  columns: [
    col('trial_id', 'its trial (`trials.id`)'),
    col('name', 'the name the trial reported it under'),
    col('step', 'the step (epoch) it was reported at'),
    col('value', 'the value (NULL where it was not a number)'),
  ],
};

const TAGS: RelationDoc = {
  name: 'tags',
  kind: 'table',
  description: 'one row per tag on a trial (`sweep tag`); read it through `trial_tags`.',
  columns: [
    col('trial_id', 'its trial (`trials.id`)'),
    col('name', 'the tag, such as `baseline` (a trial has each at most once; trials share them)'),
    col('created_at', 'when it was tagged (ISO-8601 UTC)'),
  ],
};

const NOTES: RelationDoc = {
  name: 'notes',
  kind: 'table',
  description: 'one row per note on a sweep or one of its trials (`sweep note`); read it through `sweep_notes`.',
  columns: [
    col('id', 'the note\'s id, in the order notes were written'),
    col('sweep_id', 'its sweep (`sweeps.id`)'),
    col('trial_id', 'the trial it is about (`trials.id`), or NULL for a note on the sweep itself'),
    col('text', 'what was written'),
    col('created_at', 'when it was written (ISO-8601 UTC)'),
  ],
};

/** A view's column that means what the column of the same name in `from` means. */
function inherit(from: RelationDoc, name: string): ColumnDoc {
  const c = from.columns.find((x) => x.name === name);
  if (!c) throw new Error(`schema-doc: ${from.name} has no column ${name}`);
  return { name, description: c.description, sameAs: from.name };
}

const LEADERBOARD: RelationDoc = {
  name: 'leaderboard',
  kind: 'view',
  description: 'the completed trials of every sweep, ranked by their sweep\'s metric.',
  columns: [
    col('sweep', 'the sweep\'s name'),
    col('rank', 'its rank in the sweep: 1 = best; ties share a rank'),
    col('trial_id', 'the trial (`trials.id`)'),
    inherit(TRIALS, 'config_id'),
    ...HYPERPARAMETER_COLUMNS.map((h) => inherit(TRIALS, h)),
    ...['val_accuracy', 'val_loss', 'test_accuracy', 'test_loss', 'params', 'seconds', 'backend', 'finished_at', 'metric_value']
      .map((h) => inherit(TRIALS, h)),
  ],
};

const BEST_PER_SWEEP: RelationDoc = {
  name: 'best_per_sweep',
  kind: 'view',
  description: 'the rows of `leaderboard` with rank 1: the best completed trial of each sweep (several when tied).',
  columns: LEADERBOARD.columns.map((c) => inherit(LEADERBOARD, c.name)),
};

const LEARNING_CURVES: RelationDoc = {
  name: 'learning_curves',
  kind: 'view',
  description: 'one row per finished epoch of every trial (whatever its status), with its sweep and hyperparameters beside it.',
  columns: [
    col('sweep', 'the sweep\'s name'),
    col('trial_id', 'the trial (`trials.id`)'),
    inherit(TRIALS, 'config_id'),
    col('status', 'the trial\'s status (filter on `completed` to skip failed and unfinished ones)'),
    ...HYPERPARAMETER_COLUMNS.map((h) => inherit(TRIALS, h)),
    ...['epoch', 'loss', 'accuracy', 'val_loss', 'val_accuracy', 'seconds'].map((h) => inherit(EPOCHS, h)),
  ],
};

const PARETO: RelationDoc = {
  name: 'pareto',
  kind: 'view',
  description: 'the Pareto front of every ranked trial (see `trial_fronts`): `SELECT * FROM pareto WHERE front = 1` is a sweep\'s best trade-offs.',
  columns: [
    col('trial_id', 'its trial (`trials.id`)'),
    col('sweep_id', 'its sweep (`sweeps.id`)'),
    col('front', 'as in `trial_fronts`'),
    col('feasible', '1 where it meets every constraint, else 0'),
    col('violation', 'as in `trial_fronts`'),
    col('broken', 'as in `trial_fronts`'),
  ],
};

const TRIAL_PARAMS: RelationDoc = {
  name: 'trial_params',
  kind: 'view',
  description: 'one row per hyperparameter of every trial, whatever trained it (MLflow\'s `params`): `SELECT name, value FROM trial_params WHERE trial_id = 7`.',
  columns: PARAM_VALUES.columns.map((c) => inherit(PARAM_VALUES, c.name)),
};

const TRIAL_METRICS: RelationDoc = {
  name: 'trial_metrics',
  kind: 'view',
  description: 'one row per value every trial recorded, by name and step (MLflow\'s `metrics`); NULLs left out.',
  columns: [
    col('trial_id', 'the trial (`trials.id`)'),
    col('name', `the metric: ${BUILT_IN_METRICS.map((m) => `\`${m.name}\` (${m.doc})`).join('; ')}; or a name the trial reported`),
    col('step', 'the epoch it was recorded after; a value of the whole trial (test, time, size) is at its last epoch'),
    col('value', 'the value'),
  ],
};

const TRIAL_TAGS: RelationDoc = {
  name: 'trial_tags',
  kind: 'view',
  description: 'one row per tag on every trial, with its sweep\'s name: `SELECT trial_id FROM trial_tags WHERE sweep = \'dropout\' AND tag = \'baseline\'`.',
  columns: [
    col('sweep', 'the sweep\'s name'),
    inherit(TAGS, 'trial_id'),
    col('tag', 'the tag (`tags.name`)'),
    inherit(TAGS, 'created_at'),
  ],
};

const SWEEP_NOTES: RelationDoc = {
  name: 'sweep_notes',
  kind: 'view',
  description: 'one row per note on every sweep and trial, with its sweep\'s name: `SELECT * FROM sweep_notes WHERE sweep = \'dropout\'`.',
  columns: [
    col('sweep', 'the sweep\'s name'),
    ...['trial_id', 'text', 'created_at'].map((c) => inherit(NOTES, c)),
  ],
};

/** Every table and view, in the order docs/database.md describes them. */
export const SCHEMA_DOC: readonly RelationDoc[] = [
  SWEEPS, TRIALS, EPOCHS, CHECKPOINTS, MODELS, DECISIONS, PARAM_VALUES, REPORTED_METRICS, TRIAL_LOGS,
  SWEEP_OBJECTIVES, TRIAL_OBJECTIVES, TRIAL_FRONTS, TAGS, NOTES,
  LEADERBOARD, BEST_PER_SWEEP, LEARNING_CURVES, TRIAL_PARAMS, TRIAL_METRICS, PARETO, TRIAL_TAGS, SWEEP_NOTES,
];

/**
 * The schema as Markdown: per table or view, a bold name line and one bullet per column,
 * except that consecutive columns repeating another relation's share one bullet. No
 * trailing newline.
 */
export function renderSchemaDoc(): string {
  const blocks = SCHEMA_DOC.map((r) => {
    const lines = [`**\`${r.name}\`** (${r.kind}): ${r.description}`];
    for (let i = 0; i < r.columns.length;) {
      const c = r.columns[i];
      if (c.sameAs === undefined) {
        lines.push(`- \`${c.name}\`: ${c.description}.`);
        i++;
        continue;
      }
      let j = i;
      while (j < r.columns.length && r.columns[j].sameAs === c.sameAs) j++;
      const names = r.columns.slice(i, j).map((x) => `\`${x.name}\``).join(', ');
      lines.push(`- ${names}: as in \`${c.sameAs}\`.`);
      i = j;
    }
    return lines.join('\n');
  });
  return blocks.join('\n\n');
}
