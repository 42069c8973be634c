import type { Trial, TrialConfig } from '../trial/types.js';
import { configId } from '../spec/config-id.js';
import { isRange, kindAxes } from '../spec/axes.js';
import type { DataSettings, ModelKind, SweepSpec } from '../spec/schema.js';

type Lists = Record<string, readonly unknown[]>;

/** The grid's lists per model kind (a range here is a spec bug that load-spec refuses first). */
function kindLists(spec: SweepSpec): { kind: ModelKind; axes: Lists }[] {
  return kindAxes(spec).map(({ kind, axes }) => {
    for (const [key, a] of Object.entries(axes)) {
      if (isRange(a)) throw new Error(`grid search over a range (${key}): the spec should have been refused`);
    }
    return { kind, axes: axes as Lists };
  });
}

/** How many configurations the spec describes, without building them. */
export function countConfigs(spec: SweepSpec): number {
  return kindLists(spec).reduce((sum, { axes }) => sum + Object.values(axes).reduce((n, v) => n * v.length, 1), 0);
}

/**
 * Expands the grid into configurations: model kinds in the spec's order, then the
 * cartesian product over sorted keys (the last key varies fastest), so the same spec
 * always gives the same list. Duplicates (the same value listed twice) appear once.
 */
export function expandGrid(spec: SweepSpec): Trial[] {
  const out: Trial[] = [];
  const seen = new Set<string>();
  for (const { kind, axes } of kindLists(spec)) {
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
