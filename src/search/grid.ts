import type { AnyConfig, Trial } from '../trial/types.js';
import { CODE_KINDS, type CodeKind } from '../spec/code.js';
import { configId } from '../spec/config-id.js';
import { settled } from '../spec/hyperparameters.js';
import { isRange, kindAxes } from '../spec/axes.js';
import { isConditional, isNested, type GridNode } from '../spec/conditional.js';
import type { Axis, ModelKind, SweepSpec } from '../spec/schema.js';

type Grid = Readonly<Record<string, GridNode<Axis>>>;

/** The grid per model kind; a range, or probabilities, is a spec bug here that load-spec refuses first. */
function kindGrids(spec: SweepSpec): { kind: ModelKind | CodeKind; axes: Grid }[] {
  return kindAxes(spec).map(({ kind, axes }) => ({ kind, axes: checked(axes) }));
}

function checked(grid: Grid): Grid {
  for (const [key, node] of Object.entries(grid)) {
    if (isConditional(node)) node.branches.forEach((b) => checked(b.grid));
    else if (isNested(node)) checked(node.parameters);
    else if (!Array.isArray(node)) throw new Error(`grid search over ${isRange(node as Axis) ? 'a range' : 'probabilities'} (${key}): the spec should have been refused`);
  }
  return grid;
}

/** How many configurations a grid describes: the product over its keys; a conditional parameter counts each choice's own configurations. */
function count(grid: Grid): number {
  return Object.values(grid).reduce((n, node) => n * (isConditional(node)
    ? node.branches.reduce((sum, b) => sum + count(b.grid), 0)
    : isNested(node) ? count(node.parameters) : (node as readonly unknown[]).length), 1);
}

/** How many configurations the spec describes, without building them. */
export function countConfigs(spec: SweepSpec): number {
  return kindGrids(spec).reduce((sum, { axes }) => sum + count(axes), 0);
}

/**
 * A grid's configurations as values by key: the cartesian product over its sorted keys, the last
 * varying fastest. A conditional parameter's options are its choices in the spec's order, each with
 * every configuration of the parameters under it; a nested one's, every configuration of its fields
 * as one mapping. Keys come out sorted.
 */
function expand(grid: Grid): Record<string, unknown>[] {
  const keys = Object.keys(grid).sort();
  const options = keys.map((k): Record<string, unknown>[] => {
    const node = grid[k];
    if (isConditional(node)) return node.branches.flatMap((b) => expand(b.grid).map((sub) => ({ [k]: b.choice, ...sub })));
    if (isNested(node)) return expand(node.parameters).map((sub) => ({ [k]: sub }));
    return (node as readonly unknown[]).map((v) => ({ [k]: v }));
  });
  if (options.some((o) => o.length === 0)) return [];
  const out: Record<string, unknown>[] = [];
  const index = keys.map(() => 0);
  for (;;) {
    const merged: Record<string, unknown> = Object.assign({}, ...options.map((o, i) => o[index[i]]));
    out.push(Object.fromEntries(Object.keys(merged).sort().map((k) => [k, merged[k]])));
    let i = keys.length - 1;
    while (i >= 0 && ++index[i] === options[i].length) index[i--] = 0;
    if (i < 0) break;
  }
  return out;
}

/**
 * Expands the grid into configurations: model kinds in the spec's order, then the
 * cartesian product over sorted keys (the last key varies fastest), so the same spec
 * always gives the same list. A conditional parameter takes its choices in the spec's order, each
 * with the product of the parameters under it. Duplicates (the same value listed twice) appear once.
 */
export function expandGrid(spec: SweepSpec): Trial[] {
  const out: Trial[] = [];
  const seen = new Set<string>();
  for (const { kind, axes } of kindGrids(spec)) {
    for (const values of expand(axes)) {
      // The user's code takes its parameters apart from the kind: any name is free, `model` too.
      const config = ((CODE_KINDS as readonly string[]).includes(kind) ? { model: kind, params: values } : settled({ model: kind, ...values })) as AnyConfig;
      const trial = { configId: configId(config, spec.seed, spec.data), config };
      if (!seen.has(trial.configId)) {
        seen.add(trial.configId);
        out.push(trial);
      }
    }
  }
  return out;
}
