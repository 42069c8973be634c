/**
 * Schema version 8, written once for both backends: the sweep's goal, each trial's value of the
 * sweep's metric, and parameters and metrics as rows (`trial_params`, `trial_metrics`), whatever
 * trained the trial. `SchemaTypes` says what the two dialects spell differently.
 */
import { BUILT_IN_METRICS } from '../metrics/registry.js';

/** How a dialect spells a column type, a text literal, and SQLite's rowid-free tables. */
export type SchemaTypes = {
  readonly integer: string;
  readonly real: string;
  readonly text: string;
  /** After a table's closing parenthesis (SQLite's `WITHOUT ROWID`), or nothing. */
  readonly withoutRowid: string;
  /** A text literal that unions and compares with the text columns (PostgreSQL: their "C" collation). */
  readonly literal: (text: string) => string;
};

export const SQLITE_TYPES: SchemaTypes = {
  integer: 'INTEGER', real: 'REAL', text: 'TEXT', withoutRowid: ' WITHOUT ROWID', literal: (s) => `'${s}'`,
};

export const POSTGRES_TYPES: SchemaTypes = {
  integer: 'bigint', real: 'double precision', text: 'text COLLATE "C"', withoutRowid: '',
  literal: (s) => `'${s}'::text COLLATE "C"`,
};

/** The hyperparameter columns the views list at v8 (each as `t.name`): the same on both backends. */
const V8_COLUMNS = `t.model, t.epochs, t.activation, t.units, t.dropout, t.filters, t.kernel_size, t.pooling,
         t.optimizer, t.learning_rate, t.batch_size, t.label_smoothing, t.batch_norm, t.augment, t.schedule, t.weight_decay, t.blocks, t.head`;

// Where each built-in metric is recorded at v8: an epoch's column (step: the epoch), or the trial's
// (step: its last epoch). History: the registry may grow, these lines do not.
const EPOCH_COLUMNS: Record<string, string> = {
  val_accuracy: 'val_accuracy', val_loss: 'val_loss', accuracy: 'accuracy', loss: 'loss', epoch_seconds: 'seconds',
};
const TRIAL_COLUMNS: Record<string, string> = {
  test_accuracy: 'test_accuracy', test_loss: 'test_loss', train_seconds: 'seconds', params: 'params',
};

/**
 * The value of the sweep's metric at the trial `t` ('trials' in an UPDATE) reached last: what
 * `metric_value` holds, and what ranking uses. One definition for the migration and every write.
 */
export const METRIC_VALUE_OF = (t: string) => `(SELECT m.value FROM trial_metrics m JOIN sweeps s ON s.id = ${t}.sweep_id
    WHERE m.trial_id = ${t}.id AND m.name = s.metric AND m.step = ${t}.epochs_done)`;

export function v8(t: SchemaTypes): string {
  const epochRows = Object.entries(EPOCH_COLUMNS).map(([name, col]) =>
    `SELECT trial_id, ${t.literal(name)} AS name, epoch AS step, ${col} AS value FROM epochs WHERE ${col} IS NOT NULL`);
  const trialRows = Object.entries(TRIAL_COLUMNS).map(([name, col]) =>
    `SELECT id, ${t.literal(name)}, epochs_done, ${col} FROM trials WHERE ${col} IS NOT NULL AND status IN ('completed', 'pruned')`);
  if (BUILT_IN_METRICS.some((m) => !(m.name in EPOCH_COLUMNS) && !(m.name in TRIAL_COLUMNS))) {
    throw new Error('a built-in metric has no column in schema-v8.ts: add a migration that records it');
  }
  return `
  ALTER TABLE sweeps ADD COLUMN goal ${t.text} NOT NULL DEFAULT 'maximize' CHECK (goal IN ('maximize', 'minimize'));
  -- Before v8 a sweep ranked on val_accuracy (maximized) or val_loss (minimized).
  UPDATE sweeps SET goal = 'minimize' WHERE metric = 'val_loss';
  ALTER TABLE trials ADD COLUMN metric_value ${t.real};

  CREATE TABLE param_values (
    trial_id  ${t.integer} NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
    name      ${t.text} NOT NULL,
    value     ${t.text} NOT NULL,
    number    ${t.real},
    PRIMARY KEY (trial_id, name)
  )${t.withoutRowid};

  CREATE TABLE reported_metrics (
    trial_id  ${t.integer} NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
    name      ${t.text} NOT NULL,
    step      ${t.integer} NOT NULL,
    value     ${t.real},
    PRIMARY KEY (trial_id, name, step)
  )${t.withoutRowid};

  CREATE VIEW trial_params AS
  SELECT trial_id, name, value, number FROM param_values;

  CREATE VIEW trial_metrics AS
  ${[...epochRows, ...trialRows, 'SELECT trial_id, name, step, value FROM reported_metrics WHERE value IS NOT NULL'].join('\n  UNION ALL ')};

  UPDATE trials SET metric_value = ${METRIC_VALUE_OF('trials')} WHERE status IN ('completed', 'pruned');

  DROP VIEW learning_curves;
  DROP VIEW best_per_sweep;
  DROP VIEW leaderboard;
  CREATE VIEW leaderboard AS
  SELECT s.name AS sweep,
         RANK() OVER (PARTITION BY t.sweep_id
                      ORDER BY t.metric_value IS NULL, CASE s.goal WHEN 'minimize' THEN t.metric_value ELSE -t.metric_value END) AS rank,
         t.id AS trial_id, t.config_id,
         ${V8_COLUMNS},
         t.val_accuracy, t.val_loss, t.test_accuracy, t.test_loss,
         t.params, t.seconds, t.backend, t.finished_at, t.metric_value
  FROM trials t JOIN sweeps s ON s.id = t.sweep_id
  WHERE t.status = 'completed';
  CREATE VIEW best_per_sweep AS
  SELECT * FROM leaderboard WHERE rank = 1;
  CREATE VIEW learning_curves AS
  SELECT s.name AS sweep, t.id AS trial_id, t.config_id, t.status,
         ${V8_COLUMNS},
         e.epoch, e.loss, e.accuracy, e.val_loss, e.val_accuracy, e.seconds
  FROM epochs e JOIN trials t ON t.id = e.trial_id JOIN sweeps s ON s.id = t.sweep_id;
  `;
}
