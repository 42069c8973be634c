import { z } from 'zod';

/**
 * Every hyperparameter, declared once: its key in specs, the model kinds that have it, the
 * values it takes, its default, its column in the database, its short label and its line in
 * the schema doc. The spec schema, the grid, the search space, the labels, the store's
 * columns and docs/database.md are all derived from this table; test/spec/hyperparameters.test.ts
 * holds the migrations to it. To add one: add an entry here (with `optional: true`) and a
 * migration adding its column with the default for trials recorded before it; the tests say
 * what else is missing.
 */

export const ACTIVATIONS = [
  'relu', 'tanh', 'sigmoid', 'elu', 'selu', 'leaky_relu', 'relu6',
  'softplus', 'softsign', 'swish', 'mish', 'gelu', 'hard_sigmoid', 'linear',
] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export const MODEL_KINDS = ['ann', 'cnn'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

// Each can save and restore its state (tfjs's adamax cannot), so any trial can resume from a checkpoint.
export const OPTIMIZERS = ['adam', 'sgd', 'rmsprop', 'adagrad'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export const POOLINGS = ['max', 'avg', 'none'] as const;
export type Pooling = (typeof POOLINGS)[number];

export const SCHEDULES = ['constant', 'cosine', 'step', 'onecycle'] as const;
export type Schedule = (typeof SCHEDULES)[number];

export const HEADS = ['flatten', 'gap'] as const;
export type Head = (typeof HEADS)[number];

/** The augmentations `augment` combines with `+`, in the order they apply to an image. */
export const AUGMENTATIONS = ['shift', 'flip', 'erase'] as const;
export type Augmentation = (typeof AUGMENTATIONS)[number];

// `none`, or augmentations joined by `+` in any order: kept in canonical order (shift, flip,
// erase), so `flip+shift` and `shift+flip` are one configuration with one id.
const augment = z.string().transform((text, ctx) => {
  if (text === 'none') return text;
  const parts = text.split('+');
  const bad = parts.find((p) => !(AUGMENTATIONS as readonly string[]).includes(p));
  if (bad !== undefined || new Set(parts).size !== parts.length) {
    ctx.addIssue({ code: 'custom', message: `must be none, or ${AUGMENTATIONS.join(', ')} joined by + (such as shift+flip)` });
    return z.NEVER;
  }
  return AUGMENTATIONS.filter((a) => parts.includes(a)).join('+');
});

// Upper bounds keep a typo (epochs: 70000) from becoming a week of compute or an
// out-of-memory crash deep inside a worker.
export const posInt = (max: number) =>
  z.number().gte(1, 'must be a positive integer').lte(max, `must be at most ${max}`).int('must be an integer');

const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `must be one of ${values.join(', ')}` });

const BOTH = ['ann', 'cnn'] as const;
const CNN = ['cnn'] as const;

type Entry = {
  /** The model kinds that have it; a configuration of another kind leaves it out. */
  readonly kinds: readonly ModelKind[];
  /**
   * Added after sweeps were recorded: a configuration's id is hashed without it where it has its
   * default (`canonicalConfig`), so every configuration that does not use it keeps the id it
   * always had; configurations recorded before it are read with its default (`withDefaults`).
   */
  readonly optional?: true;
  /**
   * Where set, the value a configuration a spec writes takes where the spec does not set it, and
   * `default` is only the value of configurations recorded before the key existed (and of those it
   * does not apply to): new trials get the new behaviour, recorded ones still train as they did.
   */
  readonly specDefault?: unknown;
  /**
   * A boolean hyperparameter without which this one changes nothing: a configuration where that is
   * false takes `default`, so its id, its row and its label stay what they were before this key.
   */
  readonly requires?: string;
  /** One value, validated. */
  readonly value: z.ZodType;
  /** Whether a spec may give it a range (`{min, max, log}`) for random search and TPE, and of which numbers. */
  readonly range: 'int' | 'float' | null;
  /** Its value where a spec does not set it: the notebook's model, and a small two-conv CNN. */
  readonly default: unknown;
  /** Whether the spec's `train:` section may fix it for every model kind (a grid or space key still wins). */
  readonly train: boolean;
  /** Its column in `trials` and the views, and the column's SQL type (lists are JSON text). */
  readonly column: string;
  readonly sql: 'INTEGER' | 'REAL' | 'TEXT';
  /** Its short name in tables and log lines. */
  readonly label: string;
  /** The column's line in docs/database.md: starts lower-case, no final full stop. */
  readonly doc: string;
};

const widths = z.preprocess(
  // `units: [128, 256]` means two one-layer configurations, the common case.
  (v) => (typeof v === 'number' ? [v] : v),
  z.array(posInt(65536)).min(1, 'must list at least one layer width').max(16, 'at most 16 layers'),
);

/** The registry, in the order tables and columns show the hyperparameters (`model` first). */
export const REGISTRY = {
  model: {
    kinds: BOTH, value: oneOf(MODEL_KINDS), range: null, default: 'ann', train: false,
    column: 'model', sql: 'TEXT', label: 'model', doc: 'the kind of model, `ann` or `cnn`; `program` or `objective` for a trial of your own code',
  },
  epochs: {
    kinds: BOTH, value: posInt(1000), range: 'int', default: 7, train: false,
    column: 'epochs', sql: 'INTEGER', label: 'epochs', doc: 'how many epochs it trains (unless stopped early)',
  },
  activation: {
    kinds: BOTH, value: oneOf(ACTIVATIONS), range: null, default: 'relu', train: false,
    column: 'activation', sql: 'TEXT', label: 'activation', doc: 'the hidden layers\' activation, such as `relu`',
  },
  units: {
    kinds: BOTH, value: widths, range: null, default: [128], train: false,
    column: 'units', sql: 'TEXT', label: 'units', doc: 'the hidden Dense widths, as JSON text such as `[256,128]`',
  },
  dropout: {
    kinds: BOTH, value: z.number().gte(0, 'must be in [0, 1)').lt(1, 'must be in [0, 1)'), range: 'float', default: 0.2,
    train: false, column: 'dropout', sql: 'REAL', label: 'dropout', doc: 'the dropout rate after each hidden Dense layer',
  },
  filters: {
    kinds: CNN, value: z.array(posInt(1024)).min(1, 'must list at least one conv layer').max(8, 'at most 8 conv layers'),
    range: null, default: [32, 64], train: false,
    column: 'filters', sql: 'TEXT', label: 'filters', doc: 'the conv-layer filters, as JSON text such as `[32,64]` (CNN only, else NULL)',
  },
  kernelSize: {
    kinds: CNN, value: posInt(28), range: 'int', default: 3, train: false,
    column: 'kernel_size', sql: 'INTEGER', label: 'kernel', doc: 'the conv kernel size (CNN only, else NULL)',
  },
  pooling: {
    kinds: CNN, value: oneOf(POOLINGS), range: null, default: 'max', train: false,
    column: 'pooling', sql: 'TEXT', label: 'pool', doc: '`max`, `avg` or `none` (CNN only, else NULL)',
  },
  optimizer: {
    kinds: BOTH, value: oneOf(OPTIMIZERS), range: null, default: 'adam', train: true,
    column: 'optimizer', sql: 'TEXT', label: 'optimizer', doc: '`adam`, `sgd`, `rmsprop` or `adagrad`',
  },
  learningRate: {
    kinds: BOTH, value: z.number().gt(0, 'must be positive').lte(10, 'must be at most 10'), range: 'float', default: 0.001,
    train: true, column: 'learning_rate', sql: 'REAL', label: 'lr', doc: 'the optimizer\'s learning rate',
  },
  batchSize: {
    kinds: BOTH, value: posInt(60000), range: 'int', default: 32, train: true,
    column: 'batch_size', sql: 'INTEGER', label: 'batch', doc: 'examples per training step',
  },
  labelSmoothing: {
    kinds: BOTH, optional: true, value: z.number().gte(0, 'must be in [0, 1)').lt(1, 'must be in [0, 1)'), range: 'float',
    default: 0, train: true, column: 'label_smoothing', sql: 'REAL', label: 'smooth',
    doc: 'label smoothing ε of the training loss, as Keras applies it (0: none)',
  },
  batchNorm: {
    kinds: BOTH, optional: true, value: z.boolean({ error: 'must be true or false' }), range: null, default: false, train: true,
    column: 'batch_norm', sql: 'INTEGER', label: 'bn',
    doc: '1 where batch normalization follows each conv and hidden Dense layer, else 0',
  },
  preciseBn: {
    // Recorded trials trained on the moving averages (0); a spec's batch-norm configurations get
    // fvcore's and detectron2's 200 batches (src/train/precise-bn.ts, docs/model-space.md).
    kinds: BOTH, optional: true, value: z.number().int('must be an integer').gte(0, 'must be at least 0').lte(10_000, 'must be at most 10000'),
    range: null, default: 0, specDefault: 200, requires: 'batchNorm', train: true,
    column: 'precise_bn', sql: 'INTEGER', label: 'pbn',
    doc: 'training batches batch normalization\'s statistics are recomputed over before each evaluation (precise BN); 0: the moving averages',
  },
  augment: {
    kinds: BOTH, optional: true, value: augment, range: null, default: 'none', train: true,
    column: 'augment', sql: 'TEXT', label: 'augment',
    doc: 'the training images\' seeded augmentation: `none`, or `shift`, `flip`, `erase` joined by `+`',
  },
  schedule: {
    kinds: BOTH, optional: true, value: oneOf(SCHEDULES), range: null, default: 'constant', train: true,
    column: 'schedule', sql: 'TEXT', label: 'schedule',
    doc: 'the learning-rate schedule: `constant`, `cosine`, `step` or `onecycle`',
  },
  weightDecay: {
    kinds: BOTH, optional: true, value: z.number().gte(0, 'must be in [0, 1)').lt(1, 'must be in [0, 1)'), range: 'float',
    default: 0, train: true, column: 'weight_decay', sql: 'REAL', label: 'wd',
    doc: 'decoupled weight decay of the kernels, as AdamW applies it (0: none)',
  },
  blocks: {
    kinds: CNN, optional: true, value: posInt(4), range: 'int', default: 1, train: false,
    column: 'blocks', sql: 'INTEGER', label: 'blocks', doc: 'conv layers per block before each pooling (CNN only, else NULL)',
  },
  head: {
    kinds: CNN, optional: true, value: oneOf(HEADS), range: null, default: 'flatten', train: false,
    column: 'head', sql: 'TEXT', label: 'head',
    doc: 'what follows the convs: `flatten` or `gap`, global average pooling (CNN only, else NULL)',
  },
} as const satisfies Record<string, Entry>;

type Registry = typeof REGISTRY;
export type HyperparameterKey = keyof Registry;
type ValueOf<K extends HyperparameterKey> = K extends 'model' ? ModelKind : z.output<Registry[K]['value']>;
type Shared = { [K in HyperparameterKey as 'ann' extends Registry[K]['kinds'][number] ? K : never]: ValueOf<K> };
type KindOnly = { [K in HyperparameterKey as 'ann' extends Registry[K]['kinds'][number] ? never : K]?: ValueOf<K> };

/** One fully resolved configuration: everything that decides what is trained (kind-only keys absent elsewhere). */
export type TrialConfig = Shared & KindOnly;

/** The hyperparameters in table order. */
export const HYPERPARAMETERS = Object.keys(REGISTRY) as HyperparameterKey[];

/** A hyperparameter's registry entry. */
export function hyperparameter(key: HyperparameterKey): Entry {
  return REGISTRY[key];
}

/** The hyperparameters a model kind has, `model` itself excluded, in table order. */
export function kindKeys(kind: ModelKind): HyperparameterKey[] {
  return HYPERPARAMETERS.filter((k) => k !== 'model' && (REGISTRY[k].kinds as readonly ModelKind[]).includes(kind));
}

/** The keys the spec's `train:` section may fix. */
export const TRAIN_KEYS = HYPERPARAMETERS.filter((k) => REGISTRY[k].train);

/** Whether `key` is left out of a configuration where it has its default (see Entry.optional). */
export function isOptional(key: HyperparameterKey): boolean {
  return (REGISTRY[key] as Entry).optional === true;
}

/** The value a spec's configuration takes where the spec does not set `key` (see Entry.specDefault). */
export function specDefault(key: HyperparameterKey): unknown {
  const e = REGISTRY[key] as Entry;
  return 'specDefault' in e ? e.specDefault : e.default;
}

/** Whether `key` can change what `config` trains: false where the hyperparameter it requires is off. */
export function applies(config: Readonly<Record<string, unknown>>, key: HyperparameterKey): boolean {
  const { requires } = REGISTRY[key] as Entry;
  return requires === undefined || config[requires] === true;
}

/** A configuration as a spec makes it: each key that does not apply to it at its `default` (see Entry.requires). */
export function settled<T extends Record<string, unknown>>(config: T): T {
  const off = HYPERPARAMETERS.filter((k) => k in config && !applies(config, k) && JSON.stringify(config[k]) !== JSON.stringify(REGISTRY[k].default));
  return off.length === 0 ? config : { ...config, ...Object.fromEntries(off.map((k) => [k, REGISTRY[k].default])) };
}

/** A configuration as its id hashes it: optional keys at their default left out, as configurations recorded before them had. */
export function canonicalConfig<T extends Record<string, unknown>>(config: T): T {
  return Object.fromEntries(Object.entries(config).filter(([k, v]) =>
    !(k in REGISTRY && isOptional(k as HyperparameterKey) && JSON.stringify(v) === JSON.stringify(REGISTRY[k as HyperparameterKey].default)))) as T;
}

/** A configuration as recorded, whole: the optional keys it was recorded without, at their default. */
export function withDefaults(config: TrialConfig): TrialConfig {
  const missing = kindKeys(config.model).filter((k) => isOptional(k) && !(k in config));
  return missing.length === 0 ? config : { ...Object.fromEntries(missing.map((k) => [k, REGISTRY[k].default])), ...config } as TrialConfig;
}

/** A configuration's value for its column: lists as JSON text, booleans as 1 or 0, a key its kind lacks as NULL. */
export function columnValue(config: TrialConfig, key: HyperparameterKey): string | number | null {
  const v = (config as Record<string, unknown>)[key];
  if (v === undefined) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return Array.isArray(v) ? JSON.stringify(v) : (v as string | number);
}
