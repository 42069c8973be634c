import { z } from 'zod';

/**
 * The sweep spec's schema: the one place that says which keys a spec may have,
 * which values they take, and their defaults. Code past `spec/` trusts these types.
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

export const METRICS = ['val_accuracy', 'val_loss'] as const;
export type Metric = (typeof METRICS)[number];

type Validation = { valAccuracy: number | null; valLoss: number | null };

/** A result's score under a metric, higher is better: val_accuracy is maximised, val_loss minimised. For ranking only: show `metricValue`. */
export function metricScore(metric: Metric, r: Validation): number {
  return metric === 'val_loss' ? -(r.valLoss ?? Infinity) : r.valAccuracy ?? -Infinity;
}

/** The metric's own value for a result, as recorded (NaN when missing). */
export function metricValue(metric: Metric, r: Validation): number {
  return (metric === 'val_loss' ? r.valLoss : r.valAccuracy) ?? NaN;
}

/** A metric's value as every view prints it: an accuracy as a percentage ("88.92%"), a loss with 4 decimals ("0.3123"); null or NaN as "-". */
export function formatMetric(metric: Metric, value: number | null): string {
  if (value === null || Number.isNaN(value)) return '-';
  return metric === 'val_loss' ? value.toFixed(4) : `${(value * 100).toFixed(2)}%`;
}

// Upper bounds keep a typo (epochs: 70000) from becoming a week of compute or an
// out-of-memory crash deep inside a worker.
const posInt = (max: number) =>
  z.number().gte(1, 'must be a positive integer').lte(max, `must be at most ${max}`).int('must be an integer');

const epochs = posInt(1000);
const width = posInt(65536);
const widths = z.preprocess(
  // `units: [128, 256]` means two one-layer configurations, the common case.
  (v) => (typeof v === 'number' ? [v] : v),
  z.array(width).min(1, 'must list at least one layer width').max(16, 'at most 16 layers'),
);
const dropout = z.number().gte(0, 'must be in [0, 1)').lt(1, 'must be in [0, 1)');
const learningRate = z.number().gt(0, 'must be positive').lte(10, 'must be at most 10');
const batchSize = posInt(60000);
const kernelSize = posInt(28);
const activation = z.enum(ACTIVATIONS, { error: `must be one of ${ACTIVATIONS.join(', ')}` });
const optimizer = z.enum(OPTIMIZERS, { error: `must be one of ${OPTIMIZERS.join(', ')}` });
const pooling = z.enum(POOLINGS, { error: `must be one of ${POOLINGS.join(', ')}` });
const modelKind = z.enum(MODEL_KINDS, { error: `must be one of ${MODEL_KINDS.join(', ')}` });

const list = <T extends z.ZodType>(item: T) =>
  z.array(item, { error: 'must be a list' }).min(1, 'must list at least one value');

/** Keys every model kind understands, as grid lists. */
const commonAxes = {
  epochs: list(epochs).optional(),
  activation: list(activation).optional(),
  units: list(widths).optional(),
  dropout: list(dropout).optional(),
  optimizer: list(optimizer).optional(),
  learningRate: list(learningRate).optional(),
  batchSize: list(batchSize).optional(),
};
/** Keys only a CNN understands. */
const cnnAxes = {
  filters: list(z.array(posInt(1024)).min(1, 'must list at least one conv layer').max(8, 'at most 8 conv layers')).optional(),
  kernelSize: list(kernelSize).optional(),
  pooling: list(pooling).optional(),
};
export const KIND_AXES: Record<ModelKind, readonly string[]> = {
  ann: Object.keys(commonAxes),
  cnn: [...Object.keys(commonAxes), ...Object.keys(cnnAxes)],
};

const annGrid = z.strictObject(commonAxes);
const cnnGrid = z.strictObject({ ...commonAxes, ...cnnAxes });

const modelAxis = z.union([
  list(modelKind),
  z.strictObject({ ann: annGrid.nullish(), cnn: cnnGrid.nullish() })
    .refine((m) => Object.keys(m).length > 0, 'must name at least one model kind'),
]);

const grid = z.strictObject({ ...commonAxes, ...cnnAxes, model: modelAxis.optional() });

const train = z.strictObject({
  optimizer: optimizer.default('adam'),
  learningRate: learningRate.default(0.001),
  batchSize: batchSize.default(32),
});

const data = z.strictObject({
  validationSplit: z.number().gt(0, 'must be in (0, 0.5]').lte(0.5, 'must be in (0, 0.5]').default(0.1),
  trainLimit: posInt(60000).default(60000),
  testLimit: posInt(10000).default(10000),
});

export const specSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_" or "-"'),
  description: z.string().optional(),
  metric: z.enum(METRICS, { error: `must be one of ${METRICS.join(', ')}` }).default('val_accuracy'),
  seed: z.number().int('must be an integer').gte(0, 'must be in [0, 2147483647]').lte(2147483647, 'must be in [0, 2147483647]').default(42),
  data: data.default({ validationSplit: 0.1, trainLimit: 60000, testLimit: 10000 }),
  train: train.default({ optimizer: 'adam', learningRate: 0.001, batchSize: 32 }),
  grid: grid.default({}),
});

/** A validated sweep spec, defaults filled in. */
export type SweepSpec = z.infer<typeof specSchema>;
export type GridSpec = SweepSpec['grid'];
export type DataSettings = SweepSpec['data'];
export type TrainSettings = SweepSpec['train'];
