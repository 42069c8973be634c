/**
 * The database schema, as migrations applied in order; `PRAGMA user_version` says how
 * many have run. Table, column and view names are a user interface (people write SQL
 * against them): add, never rename. docs/database.md describes each one. Migrations are
 * history, written out in full, never derived from the hyperparameter registry (which will
 * grow); test/spec/hyperparameters.test.ts holds the result to the registry.
 */

import { SQLITE_TYPES, v8 } from './schema-v8.js';

/** The views over the hyperparameter columns listed (each migration keeps its own list: history does not change). */
const views = (columns: string) => `
  CREATE VIEW leaderboard AS
  SELECT s.name AS sweep,
         RANK() OVER (PARTITION BY t.sweep_id
                      ORDER BY CASE s.metric WHEN 'val_loss' THEN -t.val_loss ELSE t.val_accuracy END DESC) AS rank,
         t.id AS trial_id, t.config_id,
         ${columns},
         t.val_accuracy, t.val_loss, t.test_accuracy, t.test_loss,
         t.params, t.seconds, t.backend, t.finished_at
  FROM trials t JOIN sweeps s ON s.id = t.sweep_id
  WHERE t.status = 'completed';

  CREATE VIEW best_per_sweep AS
  SELECT * FROM leaderboard WHERE rank = 1;

  CREATE VIEW learning_curves AS
  SELECT s.name AS sweep, t.id AS trial_id, t.config_id, t.status,
         ${columns},
         e.epoch, e.loss, e.accuracy, e.val_loss, e.val_accuracy, e.seconds
  FROM epochs e JOIN trials t ON t.id = e.trial_id JOIN sweeps s ON s.id = t.sweep_id;
`;

const V5_COLUMNS = `t.model, t.epochs, t.activation, t.units, t.dropout, t.filters, t.kernel_size, t.pooling,
         t.optimizer, t.learning_rate, t.batch_size`;

const V7_COLUMNS = 't.batch_norm, t.augment, t.schedule, t.weight_decay, t.blocks, t.head';
const V7_ADD = `
  ALTER TABLE trials ADD COLUMN batch_norm INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE trials ADD COLUMN augment TEXT NOT NULL DEFAULT 'none';
  ALTER TABLE trials ADD COLUMN schedule TEXT NOT NULL DEFAULT 'constant';
  ALTER TABLE trials ADD COLUMN weight_decay REAL NOT NULL DEFAULT 0;
  ALTER TABLE trials ADD COLUMN blocks INTEGER;
  ALTER TABLE trials ADD COLUMN head TEXT;
  UPDATE trials SET blocks = 1, head = 'flatten' WHERE model = 'cnn';`;

export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE sweeps (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    metric      TEXT NOT NULL,
    seed        INTEGER NOT NULL,
    spec_path   TEXT,
    spec_yaml   TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
  );

  CREATE TABLE trials (
    id             INTEGER PRIMARY KEY,
    sweep_id       INTEGER NOT NULL REFERENCES sweeps(id),
    config_id      TEXT NOT NULL,
    config_json    TEXT NOT NULL,
    data_json      TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'running', 'completed', 'failed', 'interrupted')),
    seed           INTEGER NOT NULL,
    model          TEXT NOT NULL,
    epochs         INTEGER NOT NULL,
    activation     TEXT NOT NULL,
    units          TEXT NOT NULL,
    dropout        REAL NOT NULL,
    filters        TEXT,
    kernel_size    INTEGER,
    pooling        TEXT,
    optimizer      TEXT NOT NULL,
    learning_rate  REAL NOT NULL,
    batch_size     INTEGER NOT NULL,
    backend        TEXT,
    started_at     TEXT,
    finished_at    TEXT,
    epochs_done    INTEGER NOT NULL DEFAULT 0,
    val_accuracy   REAL,
    val_loss       REAL,
    test_accuracy  REAL,
    test_loss      REAL,
    params         INTEGER,
    seconds        REAL,
    error          TEXT,
    UNIQUE (sweep_id, config_id)
  );
  CREATE INDEX trials_status ON trials (sweep_id, status);

  CREATE TABLE epochs (
    trial_id      INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
    epoch         INTEGER NOT NULL CHECK (epoch >= 1),
    loss          REAL,
    accuracy      REAL,
    val_loss      REAL,
    val_accuracy  REAL,
    seconds       REAL,
    PRIMARY KEY (trial_id, epoch)
  ) WITHOUT ROWID;

  CREATE VIEW leaderboard AS
  SELECT s.name AS sweep,
         RANK() OVER (PARTITION BY t.sweep_id
                      ORDER BY CASE s.metric WHEN 'val_loss' THEN -t.val_loss ELSE t.val_accuracy END DESC) AS rank,
         t.id AS trial_id, t.config_id,
         t.model, t.epochs, t.activation, t.units, t.dropout, t.filters, t.kernel_size, t.pooling,
         t.optimizer, t.learning_rate, t.batch_size,
         t.val_accuracy, t.val_loss, t.test_accuracy, t.test_loss,
         t.params, t.seconds, t.backend, t.finished_at
  FROM trials t JOIN sweeps s ON s.id = t.sweep_id
  WHERE t.status = 'completed';
  `,
  // v2: leases, so that two processes can share a sweep and a dead one's trials are re-run.
  `
  ALTER TABLE trials ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE trials ADD COLUMN owner TEXT;
  ALTER TABLE trials ADD COLUMN heartbeat_at TEXT;
  ALTER TABLE trials ADD COLUMN resumed_from INTEGER;
  UPDATE trials SET status = 'interrupted' WHERE status = 'running';
  `,
  // v3: what reproducing a trial needs, and views for the common questions.
  `
  ALTER TABLE trials ADD COLUMN weights_sha256 TEXT;
  ALTER TABLE trials ADD COLUMN env_json TEXT;
  ALTER TABLE trials ADD COLUMN repro_of INTEGER REFERENCES trials(id);

  CREATE VIEW best_per_sweep AS
  SELECT * FROM leaderboard WHERE rank = 1;

  CREATE VIEW learning_curves AS
  SELECT s.name AS sweep, t.id AS trial_id, t.config_id, t.status,
         t.model, t.epochs, t.activation, t.units, t.dropout, t.filters, t.kernel_size, t.pooling,
         t.optimizer, t.learning_rate, t.batch_size,
         e.epoch, e.loss, e.accuracy, e.val_loss, e.val_accuracy, e.seconds
  FROM epochs e JOIN trials t ON t.id = e.trial_id JOIN sweeps s ON s.id = t.sweep_id;
  `,
  // v4: checkpoints and trained models in the database, where every worker (on any host) reads them.
  `
  CREATE TABLE checkpoints (
    trial_id  INTEGER PRIMARY KEY REFERENCES trials(id) ON DELETE CASCADE,
    epoch     INTEGER NOT NULL,
    data      BLOB NOT NULL
  );
  CREATE TABLE models (
    trial_id    INTEGER PRIMARY KEY REFERENCES trials(id) ON DELETE CASCADE,
    model_json  TEXT NOT NULL,
    weights     BLOB NOT NULL
  );
  `,
  // v5: early stopping and search. A trial may end 'pruned'; each has a number (its order in
  // the sweep) and what the search strategy saw when it proposed it; every early-stopping
  // decision is kept. SQLite cannot change a CHECK constraint in place, so the table is
  // rebuilt as sqlite.org/lang_altertable.html describes (the runner turns foreign keys off
  // around migrations, so dropping the old table cascades nothing), its views with it.
  `
  DROP VIEW learning_curves;
  DROP VIEW best_per_sweep;
  DROP VIEW leaderboard;

  CREATE TABLE trials_v5 (
    id             INTEGER PRIMARY KEY,
    sweep_id       INTEGER NOT NULL REFERENCES sweeps(id),
    config_id      TEXT NOT NULL,
    config_json    TEXT NOT NULL,
    data_json      TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'running', 'completed', 'failed', 'interrupted', 'pruned')),
    seed           INTEGER NOT NULL,
    model          TEXT NOT NULL,
    epochs         INTEGER NOT NULL,
    activation     TEXT NOT NULL,
    units          TEXT NOT NULL,
    dropout        REAL NOT NULL,
    filters        TEXT,
    kernel_size    INTEGER,
    pooling        TEXT,
    optimizer      TEXT NOT NULL,
    learning_rate  REAL NOT NULL,
    batch_size     INTEGER NOT NULL,
    backend        TEXT,
    started_at     TEXT,
    finished_at    TEXT,
    epochs_done    INTEGER NOT NULL DEFAULT 0,
    val_accuracy   REAL,
    val_loss       REAL,
    test_accuracy  REAL,
    test_loss      REAL,
    params         INTEGER,
    seconds        REAL,
    error          TEXT,
    attempts       INTEGER NOT NULL DEFAULT 0,
    owner          TEXT,
    heartbeat_at   TEXT,
    resumed_from   INTEGER,
    weights_sha256 TEXT,
    env_json       TEXT,
    repro_of       INTEGER REFERENCES trials(id),
    number         INTEGER NOT NULL,
    search_json    TEXT,
    UNIQUE (sweep_id, config_id)
  );
  INSERT INTO trials_v5
  SELECT *, ROW_NUMBER() OVER (PARTITION BY sweep_id ORDER BY id) - 1, NULL FROM trials;
  DROP TABLE trials;
  ALTER TABLE trials_v5 RENAME TO trials;
  CREATE INDEX trials_status ON trials (sweep_id, status);
  CREATE UNIQUE INDEX trials_number ON trials (sweep_id, number);

  CREATE TABLE decisions (
    trial_id   INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
    epoch      INTEGER NOT NULL CHECK (epoch >= 1),
    scheduler  TEXT NOT NULL,
    bracket    INTEGER,
    rung       INTEGER,
    value      REAL,
    threshold  REAL,
    compared   TEXT NOT NULL,
    verdict    TEXT NOT NULL CHECK (verdict IN ('continue', 'prune')),
    PRIMARY KEY (trial_id, epoch)
  ) WITHOUT ROWID;

  ${views(V5_COLUMNS)}
  `,
  // v6: label smoothing, the first hyperparameter added after sweeps were recorded: earlier
  // trials trained without it (0), and the views list it with the others.
  `
  ALTER TABLE trials ADD COLUMN label_smoothing REAL NOT NULL DEFAULT 0;
  DROP VIEW learning_curves;
  DROP VIEW best_per_sweep;
  DROP VIEW leaderboard;
  ${views(`${V5_COLUMNS}, t.label_smoothing`)}
  `,
  // v7: the rest of the model space (batch normalization, augmentation, the learning-rate
  // schedule, weight decay, conv blocks and the head). Earlier trials trained without each, and
  // their CNNs had one conv per block and a flatten head.
  `
  ${V7_ADD}
  DROP VIEW learning_curves;
  DROP VIEW best_per_sweep;
  DROP VIEW leaderboard;
  ${views(`${V5_COLUMNS}, t.label_smoothing, ${V7_COLUMNS}`)}
  `,
  // v8: metrics and parameters as data (schema-v8.ts, the same on both backends). After it runs, the
  // store writes each existing trial's `param_values` from its configuration (backfillParams).
  v8(SQLITE_TYPES),
];

export const SCHEMA_VERSION = MIGRATIONS.length;
