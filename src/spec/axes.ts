import type { CodeKind } from './code.js';
import { gridEntries, isConditional, isNested, type GridNode } from './conditional.js';
import { REGISTRY, kindKeys, type ModelKind } from './hyperparameters.js';
import { KIND_AXES, type Axis, type BetaRange, type GridSpec, type NormalRange, type Range, type SweepSpec, type Weighted } from './schema.js';

/**
 * Every hyperparameter of one model kind (or every parameter of the user's code), each with its
 * values to try or its range, or conditional or nested (src/spec/conditional.ts).
 */
export type KindAxes = { readonly kind: ModelKind | CodeKind; readonly axes: Readonly<Record<string, GridNode<Axis>>> };

/** Whether an axis is a range (uniform, normal or beta: random search and TPE) rather than values to choose from. */
export function isRange(a: Axis): a is Range | NormalRange | BetaRange {
  return !Array.isArray(a) && !('values' in a);
}

/** Whether an axis lists its values with probabilities (random search and TPE). */
export function isWeighted(a: Axis): a is Weighted {
  return !Array.isArray(a) && 'values' in a;
}

/** The values an axis that is not a range chooses from. */
export function valuesOf(a: readonly unknown[] | Weighted): readonly unknown[] {
  return 'probabilities' in a ? a.values : a;
}

/**
 * Every axis parameter `name` has in a grid, under any choice: its values or its range, and for a
 * conditional parameter its choices as values. A nested parameter has none of its own (its fields
 * have theirs, which are not parameters of the grid).
 */
export function axesNamed(grid: Readonly<Record<string, GridNode<Axis>>>, name: string): Axis[] {
  const out: Axis[] = [];
  for (const e of gridEntries(grid)) {
    if (e.name !== name || e.field) continue;
    if (isConditional(e.node)) out.push(e.node.branches.map((b) => b.choice));
    else if (!isNested(e.node)) out.push(e.node as Axis);
  }
  return out;
}

/**
 * The axes of each model kind in the spec, in the spec's order of kinds: every hyperparameter
 * the kind has, from its default, then the `train:` section, then the grid's shared keys,
 * then the kind's own sub-grid (each later one wins).
 */
export function kindAxes(spec: SweepSpec): KindAxes[] {
  // The user's code is one kind: its parameters, as the spec lists them.
  if (spec.code) return [{ kind: spec.code.kind, axes: spec.code.grid }];
  const { model, ...shared } = spec.grid as GridSpec;
  const kinds: [ModelKind, Record<string, Axis | undefined>][] = model === undefined
    ? [['ann', {}]]
    : Array.isArray(model)
      ? model.map((k) => [k, {}])
      : (Object.entries(model) as [ModelKind, Record<string, Axis | undefined> | null][]).map(([k, sub]) => [k, sub ?? {}]);
  return kinds.map(([kind, sub]) => {
    const axes: Record<string, Axis> = {};
    for (const key of kindKeys(kind)) axes[key] = [REGISTRY[key].default];
    for (const [key, value] of Object.entries(spec.train)) if (value !== undefined) axes[key] = [value];
    for (const [key, values] of Object.entries(shared)) {
      if (values !== undefined && KIND_AXES[kind].includes(key)) axes[key] = values;
    }
    for (const [key, values] of Object.entries(sub)) if (values !== undefined) axes[key] = values;
    return { kind, axes };
  });
}
