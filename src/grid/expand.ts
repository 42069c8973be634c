import { createHash } from 'node:crypto';
import type { Trial, TrialConfig } from '../types.js';
import { KIND_AXES, type DataSettings, type GridSpec, type ModelKind, type SweepSpec } from '../spec/schema.js';

/** Hyperparameters a configuration has, in the order tables show them. */
export const HYPERPARAMETERS = [
  'model', 'epochs', 'activation', 'units', 'dropout', 'filters', 'kernelSize', 'pooling',
  'optimizer', 'learningRate', 'batchSize',
] as const satisfies readonly (keyof TrialConfig)[];

// The notebook's model, and a small two-conv network for the CNN.
const KIND_DEFAULTS: Record<ModelKind, Partial<TrialConfig>> = {
  ann: { epochs: 7, activation: 'relu', units: [128], dropout: 0.2 },
  cnn: { epochs: 7, activation: 'relu', units: [128], dropout: 0.2, filters: [32, 64], kernelSize: 3, pooling: 'max' },
};

type Axes = Record<string, readonly unknown[]>;

/** The axes of each model kind in the grid: defaults, then fixed train settings, then grid lists. */
function kindAxes(spec: SweepSpec): { kind: ModelKind; axes: Axes }[] {
  const { model, ...shared } = spec.grid as GridSpec;
  const kinds: [ModelKind, Axes][] = model === undefined
    ? [['ann', {}]]
    : Array.isArray(model)
      ? model.map((k) => [k, {}])
      : (Object.entries(model) as [ModelKind, Axes | null | undefined][]).map(([k, sub]) => [k, sub ?? {}]);
  return kinds.map(([kind, sub]) => {
    const axes: Axes = {};
    for (const [key, value] of Object.entries(KIND_DEFAULTS[kind])) axes[key] = [value];
    for (const [key, value] of Object.entries(spec.train)) axes[key] = [value];
    for (const [key, values] of Object.entries(shared)) {
      if (values !== undefined && KIND_AXES[kind].includes(key)) axes[key] = values as unknown[];
    }
    for (const [key, values] of Object.entries(sub)) if (values !== undefined) axes[key] = values;
    return { kind, axes };
  });
}

/** How many configurations the spec describes, without building them. */
export function countConfigs(spec: SweepSpec): number {
  return kindAxes(spec).reduce((sum, { axes }) => sum + Object.values(axes).reduce((n, v) => n * v.length, 1), 0);
}

/**
 * Expands the grid into configurations: model kinds in the spec's order, then the
 * cartesian product over sorted keys (the last key varies fastest), so the same spec
 * always gives the same list. Duplicates (the same value listed twice) appear once.
 */
export function expandGrid(spec: SweepSpec): Trial[] {
  const out: Trial[] = [];
  const seen = new Set<string>();
  for (const { kind, axes } of kindAxes(spec)) {
    const keys = Object.keys(axes).sort();
    const index = keys.map(() => 0);
    for (;;) {
      const config = { model: kind } as Record<string, unknown>;
      keys.forEach((k, i) => { config[k] = axes[k][index[i]]; });
      const trial = { configId: configId(config as TrialConfig, spec.seed, spec.data), config: config as TrialConfig };
      if (!seen.has(trial.configId)) {
        seen.add(trial.configId);
        out.push(trial);
      }
      let i = keys.length - 1;
      while (i >= 0 && ++index[i] === axes[keys[i]].length) index[i--] = 0;
      if (i < 0) break;
    }
  }
  return out;
}

/** A stable id for a configuration trained with a seed on a data split. */
export function configId(config: TrialConfig, seed: number, data: DataSettings): string {
  return createHash('sha256').update(canonicalJson({ config, seed, data })).digest('hex').slice(0, 16);
}

/** JSON with object keys sorted at every depth, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** The hyperparameters whose values differ across these configurations, in table order. */
export function varyingKeys(configs: readonly TrialConfig[]): (keyof TrialConfig)[] {
  return HYPERPARAMETERS.filter((key) => new Set(configs.map((c) => JSON.stringify(c[key]))).size > 1);
}
