import type { AnyConfig, Trial } from '../trial/types.js';
import { CODE_KINDS, type CodeKind } from '../spec/code.js';
import { configId } from '../spec/config-id.js';
import { isRange, kindAxes } from '../spec/axes.js';
import type { DataSettings, ModelKind, SweepSpec } from '../spec/schema.js';

type Lists = Record<string, readonly unknown[]>;

/** The grid's lists per model kind (a range, or probabilities, here is a spec bug that load-spec refuses first). */
function kindLists(spec: SweepSpec): { kind: ModelKind | CodeKind; axes: Lists }[] {
  return kindAxes(spec).map(({ kind, axes }) => {
    for (const [key, a] of Object.entries(axes)) {
      if (!Array.isArray(a)) throw new Error(`grid search over ${isRange(a) ? 'a range' : 'probabilities'} (${key}): the spec should have been refused`);
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
      const values = Object.fromEntries(keys.map((k, i) => [k, axes[k][index[i]]]));
      // The user's code takes its parameters apart from the kind: any name is free, `model` too.
      const config = ((CODE_KINDS as readonly string[]).includes(kind) ? { model: kind, params: values } : { model: kind, ...values }) as AnyConfig;
      const trial = { configId: configId(config, spec.seed, spec.data), config };
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
