import type { CodeKind } from './code.js';
import { gridEntries, isConditional, isNested, type GridNode } from './conditional.js';
import { kindKeys, specDefault, type ModelKind } from './hyperparameters.js';
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
 * The combinations of values that `keys` take together across a grid's configurations (the
 * listed values, with or without probabilities; ranges are no combinations and are skipped),
 * without expanding the other keys: a conditional parameter's choices each bring their own.
 */
export function combinations(grid: Readonly<Record<string, GridNode<Axis>>>, keys: readonly string[]): Record<string, unknown>[] {
  let out: Record<string, unknown>[] = [{}];
  for (const [key, node] of Object.entries(grid)) {
    let options: Record<string, unknown>[];
    if (isConditional(node)) {
      const seen = new Set<string>();
      // Choices that bring the same combinations (none of `keys`, most often) count once.
      options = node.branches
        .flatMap((b) => combinations(b.grid, keys).map((c) => (keys.includes(key) ? { [key]: b.choice, ...c } : c)))
        .filter((o) => !seen.has(JSON.stringify(o)) && !!seen.add(JSON.stringify(o)));
    }
    else if (!isNested(node) && keys.includes(key) && !isRange(node as Axis)) options = valuesOf(node as readonly unknown[] | Weighted).map((v) => ({ [key]: v }));
    else continue;
    out = out.flatMap((c) => options.map((o) => ({ ...c, ...o })));
  }
  return out;
}

/**
 * The axes of each model kind in the spec, in the spec's order of kinds: every hyperparameter
 * the kind has, from its default for specs (`specDefault`), then the `train:` section, then the grid's shared keys,
 * then the kind's own sub-grid (each later one wins; a key of the kind's sub-grid wins under the
 * shared keys' choices too). A hyperparameter that a choice names is that choice's: every choice
 * of that parent gets it, with its own axis where it gives one and the axis it would otherwise
 * have where not (see CONDITIONAL_KEYS). Keys the kind does not have are left out, under choices too.
 */
export function kindAxes(spec: SweepSpec): KindAxes[] {
  // The user's code is one kind: its parameters, as the spec lists them.
  if (spec.code) return [{ kind: spec.code.kind, axes: spec.code.grid }];
  const { model, ...shared } = spec.grid as GridSpec;
  const kinds: [ModelKind, Record<string, GridNode<Axis> | undefined>][] = model === undefined
    ? [['ann', {}]]
    : Array.isArray(model)
      ? model.map((k) => [k, {}])
      : (Object.entries(model) as [ModelKind, Record<string, GridNode<Axis> | undefined> | null][]).map(([k, sub]) => [k, sub ?? {}]);
  return kinds.map(([kind, sub]) => {
    const own = (key: string) => KIND_AXES[kind].includes(key);
    const overridden = new Set(Object.keys(sub).filter((k) => sub[k] !== undefined));
    const axes: Record<string, GridNode<Axis>> = {};
    for (const key of kindKeys(kind)) axes[key] = [specDefault(key)];
    for (const [key, value] of Object.entries(spec.train)) if (value !== undefined) axes[key] = [value];
    for (const [key, values] of Object.entries(shared)) {
      if (values !== undefined && own(key) && !overridden.has(key)) axes[key] = forKind(values, (k) => own(k) && !overridden.has(k));
    }
    for (const [key, values] of Object.entries(sub)) if (values !== undefined) axes[key] = forKind(values, own);
    return { kind, axes: lifted(axes) };
  });
}

/** A grid entry with only the keys `keep` accepts under its choices. */
function forKind(node: GridNode<Axis>, keep: (key: string) => boolean): GridNode<Axis> {
  if (!isConditional(node)) return node;
  return {
    branches: node.branches.map((b) => ({
      choice: b.choice,
      grid: Object.fromEntries(Object.entries(b.grid).filter(([k]) => keep(k)).map(([k, n]) => [k, forKind(n, keep)])),
    })),
  };
}

/**
 * A level with every key a choice names moved under that parameter's choices: into each choice,
 * with the choice's own axis where it gives one, else the level's (a hyperparameter every
 * configuration has). The same for each choice's own level.
 */
function lifted(level: Readonly<Record<string, GridNode<Axis>>>): Record<string, GridNode<Axis>> {
  const out: Record<string, GridNode<Axis>> = { ...level };
  for (const [key, node] of Object.entries(level)) {
    if (!isConditional(node)) continue;
    const named = [...new Set(node.branches.flatMap((b) => Object.keys(b.grid)))];
    out[key] = {
      branches: node.branches.map((b) => ({
        choice: b.choice,
        grid: lifted({ ...Object.fromEntries(named.filter((k) => !(k in b.grid) && k in level).map((k) => [k, level[k]])), ...b.grid }),
      })),
    };
    for (const k of named) delete out[k];
  }
  return out;
}
