/**
 * The database schema, as migrations applied in order, written once for every backend over
 * `SchemaTypes`, the words a dialect spells its own way. Each backend records how many have run
 * (SQLite in `PRAGMA user_version`, PostgreSQL in `sweep_schema`), so both have the same version
 * numbers and the same tables, columns (in the same order) and views, and docs/database.md's
 * queries run unchanged on either. Table, column and view names are a user interface (people
 * write SQL against them): add, never rename. docs/database.md describes each one.
 *
 * Migrations are history: databases were made by them, SQLite keeps each CREATE's text verbatim,
 * and PostgreSQL databases exist at every version. So never edit one (append another), and write
 * each out in full, never derived from the hyperparameter registry (which will grow);
 * test/store/migrations.test.ts holds them to their texts as first written, and
 * test/spec/hyperparameters.test.ts the result to the registry.
 */
import { BUILT_IN_METRICS } from '../metrics/registry.js';

/** What a dialect spells its own way in the schema's DDL. */
export type SchemaTypes = {
  readonly integer: string;
  readonly real: string;
  readonly text: string;
  readonly blob: string;
  /** An integer primary key that numbers new rows itself. */
  readonly rowId: string;
  /** After a table's closing parenthesis (SQLite's `WITHOUT ROWID`), or nothing. */
  readonly withoutRowid: string;
  /** Descending with NULLs last, as SQLite always sorts them. */
  readonly descNullsLast: string;
  /** A text literal that unions and compares with the text columns. */
  readonly literal: (text: string) => string;
  /** DDL run first, at v1: functions users' queries need that the engine lacks, or nothing. */
  readonly functions: string;
  /** v2's indexes for the claim's scan and an owner's heartbeat, where the engine gains from them, or nothing. */
  readonly claimIndexes: string;
  /** A statement storing a blob column uncompressed (weights hardly compress), or nothing. */
  readonly uncompressed: (table: string, column: string) => string;
  /** Whether a CHECK constraint can be replaced in place; otherwise v5 rebuilds `trials`. */
  readonly altersConstraints: boolean;
};

/** SQLite's spelling: `MIGRATIONS`, as SQLite runs them, is the text its databases keep. */
export const SQLITE_TYPES: SchemaTypes = {
  integer: 'INTEGER', real: 'REAL', text: 'TEXT', blob: 'BLOB', rowId: 'INTEGER PRIMARY KEY', withoutRowid: ' WITHOUT ROWID',
  descNullsLast: 'DESC', literal: (s) => `'${s}'`, functions: '', claimIndexes: '', uncompressed: () => '', altersConstraints: false,
};

// The hyperparameter columns the views list, as each version had them.
const V1_COLUMNS = `t.model, t.epochs, t.activation, t.units, t.dropout, t.filters, t.kernel_size, t.pooling,
         t.optimizer, t.learning_rate, t.batch_size`;
const V6_COLUMNS = `${V1_COLUMNS}, t.label_smoothing`;
const V7_COLUMNS = `${V6_COLUMNS}, t.batch_norm, t.augment, t.schedule, t.weight_decay, t.blocks, t.head`;
const V13_COLUMNS = `${V6_COLUMNS}, t.batch_norm, t.precise_bn, t.augment, t.schedule, t.weight_decay, t.blocks, t.head`;

// How `leaderboard` ranked before v8: on val_loss (lowest first) or val_accuracy.
const V1_RANK = (t: SchemaTypes) => `CASE s.metric WHEN 'val_loss' THEN -t.val_loss ELSE t.val_accuracy END ${t.descNullsLast}`;

const leaderboard = (columns: string, rank: string, extra = '') => `
  CREATE VIEW leaderboard AS
  SELECT s.name AS sweep,
         RANK() OVER (PARTITION BY t.sweep_id
                      ORDER BY ${rank}) AS rank,
         t.id AS trial_id, t.config_id,
         ${columns},
         t.val_accuracy, t.val_loss, t.test_accuracy, t.test_loss,
         t.params, t.seconds, t.backend, t.finished_at${extra}
  FROM trials t JOIN sweeps s ON s.id = t.sweep_id
  WHERE t.status = 'completed';`;

const otherViews = (columns: string) => `
  CREATE VIEW best_per_sweep AS
  SELECT * FROM leaderboard WHERE rank = 1;

  CREATE VIEW learning_curves AS
  SELECT s.name AS sweep, t.id AS trial_id, t.config_id, t.status,
         ${columns},
         e.epoch, e.loss, e.accuracy, e.val_loss, e.val_accuracy, e.seconds
  FROM epochs e JOIN trials t ON t.id = e.trial_id JOIN sweeps s ON s.id = t.sweep_id;`;

/** The three views over `columns`, ranked by `rank`, made again (a view's columns cannot be inserted in place). */
const views = (columns: string, rank: string, extra = '') => `${leaderboard(columns, rank, extra)}
${otherViews(columns)}`;

const DROP_VIEWS = `
  DROP VIEW learning_curves;
  DROP VIEW best_per_sweep;
  DROP VIEW leaderboard;`;

const STATUSES = `'pending', 'running', 'completed', 'failed', 'interrupted'`;

/** `trials` as v1 made it, under `name`, with the statuses allowed and the columns later versions add before its UNIQUE. */
const trialsTable = (t: SchemaTypes, name: string, statuses: string, later = '') => `
  CREATE TABLE ${name} (
    id             ${t.rowId},
    sweep_id       ${t.integer} NOT NULL REFERENCES sweeps(id),
    config_id      ${t.text} NOT NULL,
    config_json    ${t.text} NOT NULL,
    data_json      ${t.text} NOT NULL,
    status         ${t.text} NOT NULL DEFAULT 'pending'
                   CHECK (status IN (${statuses})),
    seed           ${t.integer} NOT NULL,
    model          ${t.text} NOT NULL,
    epochs         ${t.integer} NOT NULL,
    activation     ${t.text} NOT NULL,
    units          ${t.text} NOT NULL,
    dropout        ${t.real} NOT NULL,
    filters        ${t.text},
    kernel_size    ${t.integer},
    pooling        ${t.text},
    optimizer      ${t.text} NOT NULL,
    learning_rate  ${t.real} NOT NULL,
    batch_size     ${t.integer} NOT NULL,
    backend        ${t.text},
    started_at     ${t.text},
    finished_at    ${t.text},
    epochs_done    ${t.integer} NOT NULL DEFAULT 0,
    val_accuracy   ${t.real},
    val_loss       ${t.real},
    test_accuracy  ${t.real},
    test_loss      ${t.real},
    params         ${t.integer},
    seconds        ${t.real},
    error          ${t.text},${later}
    UNIQUE (sweep_id, config_id)
  );`;

const v1 = (t: SchemaTypes) => `${t.functions}
  CREATE TABLE sweeps (
    id          ${t.rowId},
    name        ${t.text} NOT NULL UNIQUE,
    metric      ${t.text} NOT NULL,
    seed        ${t.integer} NOT NULL,
    spec_path   ${t.text},
    spec_yaml   ${t.text} NOT NULL,
    created_at  ${t.text} NOT NULL,
    updated_at  ${t.text} NOT NULL
  );
${trialsTable(t, 'trials', STATUSES)}
  CREATE INDEX trials_status ON trials (sweep_id, status);

  CREATE TABLE epochs (
    trial_id      ${t.integer} NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
    epoch         ${t.integer} NOT NULL CHECK (epoch >= 1),
    loss          ${t.real},
    accuracy      ${t.real},
    val_loss      ${t.real},
    val_accuracy  ${t.real},
    seconds       ${t.real},
    PRIMARY KEY (trial_id, epoch)
  )${t.withoutRowid};
${leaderboard(V1_COLUMNS, V1_RANK(t))}
  `;

// v2: leases, so that several processes (on several hosts) can share a sweep and a dead one's trials are re-run.
const v2 = (t: SchemaTypes) => `
  ALTER TABLE trials ADD COLUMN attempts ${t.integer} NOT NULL DEFAULT 0;
  ALTER TABLE trials ADD COLUMN owner ${t.text};
  ALTER TABLE trials ADD COLUMN heartbeat_at ${t.text};
  ALTER TABLE trials ADD COLUMN resumed_from ${t.integer};
  UPDATE trials SET status = 'interrupted' WHERE status = 'running';
  ${t.claimIndexes}`;

// v3: what reproducing a trial needs, and views for the common questions.
const v3 = (t: SchemaTypes) => `
  ALTER TABLE trials ADD COLUMN weights_sha256 ${t.text};
  ALTER TABLE trials ADD COLUMN env_json ${t.text};
  ALTER TABLE trials ADD COLUMN repro_of ${t.integer} REFERENCES trials(id);
${otherViews(V1_COLUMNS)}
  `;

// v4: checkpoints and trained models in the database, where every worker (on any host) reads them.
const v4 = (t: SchemaTypes) => `
  CREATE TABLE checkpoints (
    trial_id  ${t.integer} PRIMARY KEY REFERENCES trials(id) ON DELETE CASCADE,
    epoch     ${t.integer} NOT NULL,
    data      ${t.blob} NOT NULL
  );
  CREATE TABLE models (
    trial_id    ${t.integer} PRIMARY KEY REFERENCES trials(id) ON DELETE CASCADE,
    model_json  ${t.text} NOT NULL,
    weights     ${t.blob} NOT NULL
  );
  ${t.uncompressed('checkpoints', 'data')}
  ${t.uncompressed('models', 'weights')}
  `;

// v5: early stopping and search. A trial may end 'pruned'; each has a number (its order in the
// sweep) and what the search strategy saw when it proposed it; every early-stopping decision is
// kept. Where a CHECK constraint cannot be replaced (SQLite), the table is rebuilt as
// sqlite.org/lang_altertable.html describes (the runner turns foreign keys off around migrations,
// so dropping the old table cascades nothing), its views with it.
const v5 = (t: SchemaTypes) => `${t.altersConstraints ? `
  ALTER TABLE trials DROP CONSTRAINT trials_status_check;
  ALTER TABLE trials ADD CONSTRAINT trials_status_check
    CHECK (status IN (${STATUSES}, 'pruned'));
  ALTER TABLE trials ADD COLUMN number ${t.integer};
  UPDATE trials t SET number = n.number
    FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY sweep_id ORDER BY id) - 1 AS number FROM trials) n
    WHERE n.id = t.id;
  ALTER TABLE trials ALTER COLUMN number SET NOT NULL;
  ALTER TABLE trials ADD COLUMN search_json ${t.text};
  CREATE UNIQUE INDEX trials_number ON trials (sweep_id, number);
` : `${DROP_VIEWS}
${trialsTable(t, 'trials_v5', `${STATUSES}, 'pruned'`, `
    attempts       ${t.integer} NOT NULL DEFAULT 0,
    owner          ${t.text},
    heartbeat_at   ${t.text},
    resumed_from   ${t.integer},
    weights_sha256 ${t.text},
    env_json       ${t.text},
    repro_of       ${t.integer} REFERENCES trials(id),
    number         ${t.integer} NOT NULL,
    search_json    ${t.text},`)}
  INSERT INTO trials_v5
  SELECT *, ROW_NUMBER() OVER (PARTITION BY sweep_id ORDER BY id) - 1, NULL FROM trials;
  DROP TABLE trials;
  ALTER TABLE trials_v5 RENAME TO trials;
  CREATE INDEX trials_status ON trials (sweep_id, status);
  CREATE UNIQUE INDEX trials_number ON trials (sweep_id, number);
`}
  CREATE TABLE decisions (
    trial_id   ${t.integer} NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
    epoch      ${t.integer} NOT NULL CHECK (epoch >= 1),
    scheduler  ${t.text} NOT NULL,
    bracket    ${t.integer},
    rung       ${t.integer},
    value      ${t.real},
    threshold  ${t.real},
    compared   ${t.text} NOT NULL,
    verdict    ${t.text} NOT NULL CHECK (verdict IN ('continue', 'prune')),
    PRIMARY KEY (trial_id, epoch)
  )${t.withoutRowid};
${t.altersConstraints ? '' : views(V1_COLUMNS, V1_RANK(t))}
  `;

// v6: label smoothing, the first hyperparameter added after sweeps were recorded: earlier
// trials trained without it (0), and the views list it with the others.
const v6 = (t: SchemaTypes) => `
  ALTER TABLE trials ADD COLUMN label_smoothing ${t.real} NOT NULL DEFAULT 0;${DROP_VIEWS}
${views(V6_COLUMNS, V1_RANK(t))}
  `;

// v7: the rest of the model space (batch normalization, augmentation, the learning-rate
// schedule, weight decay, conv blocks and the head). Earlier trials trained without each, and
// their CNNs had one conv per block and a flatten head.
const v7 = (t: SchemaTypes) => `
  ALTER TABLE trials ADD COLUMN batch_norm ${t.integer} NOT NULL DEFAULT 0;
  ALTER TABLE trials ADD COLUMN augment ${t.text} NOT NULL DEFAULT 'none';
  ALTER TABLE trials ADD COLUMN schedule ${t.text} NOT NULL DEFAULT 'constant';
  ALTER TABLE trials ADD COLUMN weight_decay ${t.real} NOT NULL DEFAULT 0;
  ALTER TABLE trials ADD COLUMN blocks ${t.integer};
  ALTER TABLE trials ADD COLUMN head ${t.text};
  UPDATE trials SET blocks = 1, head = 'flatten' WHERE model = 'cnn';${DROP_VIEWS}
${views(V7_COLUMNS, V1_RANK(t))}
  `;

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

// v8: the sweep's goal, each trial's value of the sweep's metric, and parameters and metrics as
// rows (`trial_params`, `trial_metrics`), whatever trained the trial. After it runs, the store
// writes each existing trial's `param_values` from its configuration (sql-store.ts, migrate).
/**
 * v8's `trial_metrics`: every built-in metric from its column, and every reported value; from
 * v11, with the rows of the trial columns `later` versions added, after v8's.
 */
const trialMetricsView = (t: SchemaTypes, later: Record<string, string> = {}) => {
  const epochRows = Object.entries(EPOCH_COLUMNS).map(([name, col]) =>
    `SELECT trial_id, ${t.literal(name)} AS name, epoch AS step, ${col} AS value FROM epochs WHERE ${col} IS NOT NULL`);
  const trialRows = Object.entries({ ...TRIAL_COLUMNS, ...later }).map(([name, col]) =>
    `SELECT id, ${t.literal(name)}, epochs_done, ${col} FROM trials WHERE ${col} IS NOT NULL AND status IN ('completed', 'pruned')`);
  return `  CREATE VIEW trial_metrics AS
  ${[...epochRows, ...trialRows, 'SELECT trial_id, name, step, value FROM reported_metrics WHERE value IS NOT NULL'].join('\n  UNION ALL ')};`;
};

// How `leaderboard` ranks from v8: on each trial's metric_value, by the sweep's goal.
const V8_RANK = `t.metric_value IS NULL, CASE s.goal WHEN 'minimize' THEN t.metric_value ELSE -t.metric_value END`;

const v8 = (t: SchemaTypes) => `
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

${trialMetricsView(t)}

  UPDATE trials SET metric_value = ${METRIC_VALUE_OF('trials')} WHERE status IN ('completed', 'pruned');
${DROP_VIEWS}${views(V7_COLUMNS, V8_RANK, ', t.metric_value')}
  `;

// The hyperparameter columns that were NOT NULL until v9 (v1's and v6-v7's with defaults).
const V9_NULLABLE = ['epochs', 'activation', 'units', 'dropout', 'optimizer', 'learning_rate', 'batch_size',
  'label_smoothing', 'batch_norm', 'augment', 'schedule', 'weight_decay'];

// v9: trials of the user's own code (a program, or an objective module). Such a trial has no
// built-in hyperparameters: its columns are NULL but `model` ('program' or 'objective'), and its
// parameters are rows of `param_values`. Its steps are the code's own, which may count from 0
// (`for epoch in range(n)`): an epoch row may be step 0. Each attempt's stdout and stderr are kept (capped) in
// `trial_logs`, and the sweep records its program's SHA-256. SQLite cannot drop a NOT NULL in
// place: `trials` and `epochs` are rebuilt, with every view over them, as v5 did.
const v9 = (t: SchemaTypes) => `${t.altersConstraints
    ? `${V9_NULLABLE.map((c) => `\n  ALTER TABLE trials ALTER COLUMN ${c} DROP NOT NULL;`).join('')}
  ALTER TABLE epochs DROP CONSTRAINT epochs_epoch_check;
  ALTER TABLE epochs ADD CONSTRAINT epochs_epoch_check CHECK (epoch >= 0);`
    : `${DROP_VIEWS}
  DROP VIEW trial_metrics;
  CREATE TABLE trials_v9 (
    id             ${t.rowId},
    sweep_id       ${t.integer} NOT NULL REFERENCES sweeps(id),
    config_id      ${t.text} NOT NULL,
    config_json    ${t.text} NOT NULL,
    data_json      ${t.text} NOT NULL,
    status         ${t.text} NOT NULL DEFAULT 'pending'
                   CHECK (status IN (${STATUSES}, 'pruned')),
    seed           ${t.integer} NOT NULL,
    model          ${t.text} NOT NULL,
    epochs         ${t.integer},
    activation     ${t.text},
    units          ${t.text},
    dropout        ${t.real},
    filters        ${t.text},
    kernel_size    ${t.integer},
    pooling        ${t.text},
    optimizer      ${t.text},
    learning_rate  ${t.real},
    batch_size     ${t.integer},
    backend        ${t.text},
    started_at     ${t.text},
    finished_at    ${t.text},
    epochs_done    ${t.integer} NOT NULL DEFAULT 0,
    val_accuracy   ${t.real},
    val_loss       ${t.real},
    test_accuracy  ${t.real},
    test_loss      ${t.real},
    params         ${t.integer},
    seconds        ${t.real},
    error          ${t.text},
    attempts       ${t.integer} NOT NULL DEFAULT 0,
    owner          ${t.text},
    heartbeat_at   ${t.text},
    resumed_from   ${t.integer},
    weights_sha256 ${t.text},
    env_json       ${t.text},
    repro_of       ${t.integer} REFERENCES trials(id),
    number         ${t.integer} NOT NULL,
    search_json    ${t.text},
    label_smoothing ${t.real} DEFAULT 0,
    batch_norm     ${t.integer} DEFAULT 0,
    augment        ${t.text} DEFAULT 'none',
    schedule       ${t.text} DEFAULT 'constant',
    weight_decay   ${t.real} DEFAULT 0,
    blocks         ${t.integer},
    head           ${t.text},
    metric_value   ${t.real},
    UNIQUE (sweep_id, config_id)
  );
  INSERT INTO trials_v9 SELECT * FROM trials;
  DROP TABLE trials;
  ALTER TABLE trials_v9 RENAME TO trials;
  CREATE INDEX trials_status ON trials (sweep_id, status);
  CREATE UNIQUE INDEX trials_number ON trials (sweep_id, number);
  CREATE TABLE epochs_v9 (
    trial_id      ${t.integer} NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
    epoch         ${t.integer} NOT NULL CHECK (epoch >= 0),
    loss          ${t.real},
    accuracy      ${t.real},
    val_loss      ${t.real},
    val_accuracy  ${t.real},
    seconds       ${t.real},
    PRIMARY KEY (trial_id, epoch)
  )${t.withoutRowid};
  INSERT INTO epochs_v9 SELECT * FROM epochs;
  DROP TABLE epochs;
  ALTER TABLE epochs_v9 RENAME TO epochs;
${trialMetricsView(t)}
${views(V7_COLUMNS, V8_RANK, ', t.metric_value')}`}
  ALTER TABLE sweeps ADD COLUMN program_sha256 ${t.text};

  CREATE TABLE trial_logs (
    trial_id  ${t.integer} NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
    attempt   ${t.integer} NOT NULL,
    stream    ${t.text} NOT NULL CHECK (stream IN ('stdout', 'stderr')),
    text      ${t.text} NOT NULL,
    bytes     ${t.integer} NOT NULL,
    PRIMARY KEY (trial_id, attempt, stream)
  )${t.withoutRowid};
  `;

// v10: sweeps of several objectives (accuracy against cost) and constraints. A sweep lists its
// objectives in `sweep_objectives` (Optuna's study_directions), every sweep at least its one
// metric; each completed trial keeps its value of each in `trial_objectives`, set when it
// completes from `trial_metrics` as `metric_value` is. Where a sweep has several objectives or
// constraints, the controller ranks its completed trials into Pareto fronts after each one
// completes (src/pareto/), and the store keeps them in `trial_fronts`, shown by the `pareto` view.
const v10 = (t: SchemaTypes) => `
  CREATE TABLE sweep_objectives (
    sweep_id  ${t.integer} NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
    position  ${t.integer} NOT NULL,
    name      ${t.text} NOT NULL,
    goal      ${t.text} NOT NULL CHECK (goal IN ('maximize', 'minimize')),
    PRIMARY KEY (sweep_id, position)
  )${t.withoutRowid};
  INSERT INTO sweep_objectives (sweep_id, position, name, goal) SELECT id, 0, metric, goal FROM sweeps;

  CREATE TABLE trial_objectives (
    trial_id  ${t.integer} NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
    position  ${t.integer} NOT NULL,
    value     ${t.real},
    PRIMARY KEY (trial_id, position)
  )${t.withoutRowid};
  INSERT INTO trial_objectives (trial_id, position, value) SELECT id, 0, metric_value FROM trials WHERE status = 'completed';

  CREATE TABLE trial_fronts (
    trial_id   ${t.integer} PRIMARY KEY REFERENCES trials(id) ON DELETE CASCADE,
    front      ${t.integer} NOT NULL CHECK (front >= 1),
    violation  ${t.real} NOT NULL CHECK (violation >= 0),
    broken     ${t.text}
  );

  CREATE VIEW pareto AS
  SELECT f.trial_id, t.sweep_id, f.front, CASE WHEN f.violation = 0 THEN 1 ELSE 0 END AS feasible, f.violation, f.broken
  FROM trial_fronts f JOIN trials t ON t.id = f.trial_id;
  `;

// Built-in metrics recorded on the trial after v8, each in a column a later migration added.
// History too: a line per migration, never changed after.
const V11_TRIAL_COLUMNS: Record<string, string> = { latency_ms: 'latency_ms' };

// v11: each built-in trial's inference latency (`latency_ms`), measured in its worker after it
// trains, and its rows in `trial_metrics`. The view is made again with v8's rows and the new
// column's (no other view reads it, so dropping it drops nothing else); earlier trials have none.
const v11 = (t: SchemaTypes) => `
  ALTER TABLE trials ADD COLUMN latency_ms ${t.real};
  DROP VIEW trial_metrics;
${trialMetricsView(t, V11_TRIAL_COLUMNS)}
  `;

// v12: a trial may be 'infeasible': its parameters alone break one of the sweep's constraints
// ("dropout >= 0.1"), so it is recorded, with what it breaks in `error`, and never trained. As v5
// and v9 did, SQLite rebuilds `trials` (a CHECK cannot be replaced in place), with every view
// over it; PostgreSQL replaces the constraint.
const v12 = (t: SchemaTypes) => (t.altersConstraints ? `
  ALTER TABLE trials DROP CONSTRAINT trials_status_check;
  ALTER TABLE trials ADD CONSTRAINT trials_status_check
    CHECK (status IN (${STATUSES}, 'pruned', 'infeasible'));
` : `${DROP_VIEWS}
  DROP VIEW trial_metrics;
  DROP VIEW pareto;
  CREATE TABLE trials_v12 (
    id             ${t.rowId},
    sweep_id       ${t.integer} NOT NULL REFERENCES sweeps(id),
    config_id      ${t.text} NOT NULL,
    config_json    ${t.text} NOT NULL,
    data_json      ${t.text} NOT NULL,
    status         ${t.text} NOT NULL DEFAULT 'pending'
                   CHECK (status IN (${STATUSES}, 'pruned', 'infeasible')),
    seed           ${t.integer} NOT NULL,
    model          ${t.text} NOT NULL,
    epochs         ${t.integer},
    activation     ${t.text},
    units          ${t.text},
    dropout        ${t.real},
    filters        ${t.text},
    kernel_size    ${t.integer},
    pooling        ${t.text},
    optimizer      ${t.text},
    learning_rate  ${t.real},
    batch_size     ${t.integer},
    backend        ${t.text},
    started_at     ${t.text},
    finished_at    ${t.text},
    epochs_done    ${t.integer} NOT NULL DEFAULT 0,
    val_accuracy   ${t.real},
    val_loss       ${t.real},
    test_accuracy  ${t.real},
    test_loss      ${t.real},
    params         ${t.integer},
    seconds        ${t.real},
    error          ${t.text},
    attempts       ${t.integer} NOT NULL DEFAULT 0,
    owner          ${t.text},
    heartbeat_at   ${t.text},
    resumed_from   ${t.integer},
    weights_sha256 ${t.text},
    env_json       ${t.text},
    repro_of       ${t.integer} REFERENCES trials(id),
    number         ${t.integer} NOT NULL,
    search_json    ${t.text},
    label_smoothing ${t.real} DEFAULT 0,
    batch_norm     ${t.integer} DEFAULT 0,
    augment        ${t.text} DEFAULT 'none',
    schedule       ${t.text} DEFAULT 'constant',
    weight_decay   ${t.real} DEFAULT 0,
    blocks         ${t.integer},
    head           ${t.text},
    metric_value   ${t.real},
    latency_ms     ${t.real},
    UNIQUE (sweep_id, config_id)
  );
  INSERT INTO trials_v12 SELECT * FROM trials;
  DROP TABLE trials;
  ALTER TABLE trials_v12 RENAME TO trials;
  CREATE INDEX trials_status ON trials (sweep_id, status);
  CREATE UNIQUE INDEX trials_number ON trials (sweep_id, number);
${trialMetricsView(t, V11_TRIAL_COLUMNS)}
${views(V7_COLUMNS, V8_RANK, ', t.metric_value')}
  CREATE VIEW pareto AS
  SELECT f.trial_id, t.sweep_id, f.front, CASE WHEN f.violation = 0 THEN 1 ELSE 0 END AS feasible, f.violation, f.broken
  FROM trial_fronts f JOIN trials t ON t.id = f.trial_id;
`);
// v13: precise BN's batches (`precise_bn`). Every trial recorded before it evaluated on the moving
// averages (0), the user's code's have none (NULL). The store adds their parameter rows (sql-store.ts, migrate).
const v13 = (t: SchemaTypes) => `
  ALTER TABLE trials ADD COLUMN precise_bn ${t.integer};
  UPDATE trials SET precise_bn = 0 WHERE model IN ('ann', 'cnn');${DROP_VIEWS}
${views(V13_COLUMNS, V8_RANK, ', t.metric_value')}
  `;


// v14: where each result came from, and what people said about it. A sweep keeps the
// environment of the run that last recorded it (`env_json`, as a trial's: versions, CPU, the
// spec's git commit and dirt); `tags` labels trials (`sweep tag`), `notes` keeps what people
// wrote about a sweep (trial_id NULL) or one of its trials (`sweep note`), oldest first, and
// `annotation_changes` counts their changes, for live views to notice a removal too. The
// views name the sweep, so that `WHERE sweep = 'x' AND tag = 'baseline'` needs no join.
// Self-contained (no shared fragments), so that it can be renumbered when migrations merge.
const v14 = (t: SchemaTypes) => `
  ALTER TABLE sweeps ADD COLUMN env_json ${t.text};
  ALTER TABLE sweeps ADD COLUMN annotation_changes ${t.integer} NOT NULL DEFAULT 0;

  CREATE TABLE tags (
    trial_id    ${t.integer} NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
    name        ${t.text} NOT NULL,
    created_at  ${t.text} NOT NULL,
    PRIMARY KEY (trial_id, name)
  )${t.withoutRowid};
  CREATE INDEX tags_name ON tags (name);

  CREATE TABLE notes (
    id          ${t.rowId},
    sweep_id    ${t.integer} NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
    trial_id    ${t.integer} REFERENCES trials(id) ON DELETE CASCADE,
    text        ${t.text} NOT NULL,
    created_at  ${t.text} NOT NULL
  );
  CREATE INDEX notes_sweep ON notes (sweep_id, trial_id);

  CREATE VIEW trial_tags AS
  SELECT s.name AS sweep, g.trial_id, g.name AS tag, g.created_at
  FROM tags g JOIN trials t ON t.id = g.trial_id JOIN sweeps s ON s.id = t.sweep_id;

  CREATE VIEW sweep_notes AS
  SELECT s.name AS sweep, n.trial_id, n.text, n.created_at
  FROM notes n JOIN sweeps s ON s.id = n.sweep_id;
  `;

const HISTORY: readonly ((t: SchemaTypes) => string)[] = [v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14];

// Every built-in metric has a column the migrations made: a new one needs a migration (as v11) that adds it.
const RECORDED = new Set([...Object.keys(EPOCH_COLUMNS), ...Object.keys(TRIAL_COLUMNS), ...Object.keys(V11_TRIAL_COLUMNS)]);
const unrecorded = BUILT_IN_METRICS.filter((m) => !RECORDED.has(m.name)).map((m) => m.name);
if (unrecorded.length > 0) throw new Error(`built-in metric ${unrecorded.join(', ')} has no column in schema.ts: add a migration that records it`);

export const SCHEMA_VERSION = HISTORY.length;

/** Every migration, v1 first, as a dialect with these types runs it. */
export function migrations(t: SchemaTypes): string[] {
  return HISTORY.map((m) => m(t));
}

/** The migrations as SQLite runs them. */
export const MIGRATIONS: readonly string[] = migrations(SQLITE_TYPES);
