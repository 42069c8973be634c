/**
 * Parameters under parameters: a grid entry may be a conditional parameter, whose choices each
 * bring parameters of their own (Optuna's define-by-run `if optimizer == "adam": beta1 = ...`,
 * written as data), or a nested one, a mapping whose fields are parameters (W&B's `parameters:`
 * inside a parameter, which the trial gets as one mapping).
 *
 * ```yaml
 * grid:
 *   optimizer:                 # conditional: optimizer is adam or sgd
 *     adam: {beta1: [0.9, 0.95]}   # beta1 exists only where optimizer is adam
 *     sgd: {}                  # a choice may bring nothing (or null)
 *   betas:
 *     parameters: {b1: [0.9], b2: [0.999]}   # nested: betas = {b1: …, b2: …}
 * ```
 *
 * How a mapping reads: with the key `parameters`, nested; else, where any of its values is a
 * mapping, or null beside a key no leaf has, conditional (a choice maps to its parameters); else a
 * leaf's own form (a range, a normal, a beta, values with probabilities). Ranges and the like have
 * numbers and lists for values, never mappings, so no spec that was valid before reads otherwise now.
 */
import { z } from 'zod';

/** A parameter that exists only under a parent's choice: the parent's choices, in the spec's order, each with the grid it brings. */
export type Conditional<A> = { readonly branches: readonly Branch<A>[] };
/** One choice of a conditional parameter and the parameters that exist under it (maybe none). */
export type Branch<A> = { readonly choice: string; readonly grid: Readonly<Record<string, GridNode<A>>> };
/** A mapping-valued parameter (W&B's nested `parameters:`): each field drawn as a parameter of its own, the trial given them as one mapping. */
export type Nested<A> = { readonly parameters: Readonly<Record<string, GridNode<A>>> };
/** A grid entry: a leaf axis `A` (values, a range, …), a conditional parameter, or a nested one. */
export type GridNode<A> = A | Conditional<A> | Nested<A>;

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Whether a validated grid entry is a conditional parameter. */
export function isConditional<A>(n: GridNode<A>): n is Conditional<A> {
  return isMapping(n) && 'branches' in n && Array.isArray((n as { branches: unknown }).branches);
}

/** Whether a validated grid entry is a nested (mapping-valued) parameter. */
export function isNested<A>(n: GridNode<A>): n is Nested<A> {
  return isMapping(n) && 'parameters' in n && isMapping((n as { parameters: unknown }).parameters);
}

/** A leaf axis: neither conditional nor nested. */
export function isLeaf<A>(n: GridNode<A>): n is A {
  return !isConditional(n) && !isNested(n);
}

// The keys of a leaf's own forms: a range, a normal, a beta, values with probabilities.
const LEAF_KEYS = new Set(['min', 'max', 'log', 'step', 'type', 'mu', 'sigma', 'a', 'b', 'values', 'probabilities']);

/**
 * Which form a raw grid entry has (see the file's comment). A null among a leaf's own keys alone
 * (`{min: 0, max: }`, a value left out) is a leaf with a mistake, for its schema to name.
 */
export function rawForm(v: unknown): 'nested' | 'conditional' | 'leaf' {
  if (!isMapping(v)) return 'leaf';
  if ('parameters' in v) return 'nested';
  if (Object.values(v).some(isMapping)) return 'conditional';
  const leafKeys = Object.keys(v).every((k) => LEAF_KEYS.has(k));
  return !leafKeys && Object.values(v).some((x) => x === null) ? 'conditional' : 'leaf';
}

/**
 * The schema of a conditional parameter: each choice (a key of the mapping; `choice` validates it
 * and may rewrite it, as `augment` puts its parts in order) to null or `{}` for no parameters, or to
 * the grid `grid` validates. Returns the choices in the spec's order.
 */
export function conditionalSchema<A>(
  grid: z.ZodType<Readonly<Record<string, GridNode<A>>>>, choice: z.ZodType<string> = z.string(),
): z.ZodType<Conditional<A>> {
  return z.record(z.string(), z.unknown()).transform((m, ctx) => {
    const branches: Branch<A>[] = [];
    const seen = new Map<string, string>();
    for (const [key, value] of Object.entries(m)) {
      const name = choice.safeParse(key);
      if (!name.success) {
        // Pointed at the choice's name (load-spec.ts reads atKey on custom issues).
        for (const issue of name.error.issues) ctx.addIssue({ code: 'custom', path: [key], params: { atKey: true }, message: issue.message });
        continue;
      }
      const before = seen.get(name.data);
      if (before !== undefined) {
        ctx.addIssue({ code: 'custom', path: [key], params: { atKey: true }, message: `is ${name.data}, as "${before}" is: give each choice once` });
        continue;
      }
      seen.set(name.data, key);
      if (key === 'parameters') {
        ctx.addIssue({ code: 'custom', path: [key], params: { atKey: true }, message: '`parameters` makes a nested parameter (W&B\'s), not a choice: name this choice otherwise' });
        continue;
      }
      if (value !== null && !isMapping(value)) {
        ctx.addIssue({ code: 'custom', path: [key], message: `must be the parameters that exist where this is ${name.data} (a mapping), or null for none` });
        continue;
      }
      const sub = grid.safeParse(value ?? {});
      if (!sub.success) {
        for (const issue of sub.error.issues) ctx.addIssue({ ...issue, path: [key, ...issue.path] } as Parameters<typeof ctx.addIssue>[0]);
        continue;
      }
      branches.push({ choice: name.data, grid: sub.data });
    }
    return { branches };
  }) as unknown as z.ZodType<Conditional<A>>;
}

/**
 * Where two parameters of one grid could both be set in one configuration under the same name:
 * a name at one level and again under a choice of a parameter of that level, under choices of
 * two different parameters (their branches combine), or under a choice of itself. The same name
 * under two choices of one parent is fine: only one of them is ever taken. Each problem is the raw
 * path of the later occurrence and what it clashes with; `at` is the grid's own path (['grid']).
 * Names inside a nested parameter are its own.
 */
export function nameClashes<A>(grid: Readonly<Record<string, GridNode<A>>>, at: readonly PropertyKey[]): { path: PropertyKey[]; problem: string }[] {
  const problems: { path: PropertyKey[]; problem: string }[] = [];
  // Every name a level's entry can set, with where: the entry itself, and any name under its choices.
  const names = (key: string, node: GridNode<A>, path: PropertyKey[]): Map<string, PropertyKey[]> => {
    const out = new Map<string, PropertyKey[]>([[key, path]]);
    if (!isConditional(node)) return out;
    for (const b of node.branches) {
      for (const [k, n] of Object.entries(b.grid)) {
        for (const [name, where] of names(k, n, [...path, b.choice, k])) {
          if (name === key) problems.push({ path: where, problem: `${name} is the parameter it is under: name it otherwise` });
          else if (!out.has(name)) out.set(name, where);
        }
      }
    }
    return out;
  };
  const owner = new Map<string, PropertyKey[]>();
  for (const [key, node] of Object.entries(grid)) {
    for (const [name, where] of names(key, node, [...at, key])) {
      const before = owner.get(name);
      if (before === undefined) {
        owner.set(name, where);
        continue;
      }
      const [first, second] = before.length <= where.length ? [before, where] : [where, before];
      problems.push({
        path: second,
        problem: first.length === at.length + 1
          ? `${name} is also a parameter of every configuration (${dotted(first)}): a parameter is either conditional or not`
          : `${name} is also under ${dotted(first.slice(0, -1))}: a configuration could have both, as the choices of different parameters combine`,
      });
    }
  }
  // Within each choice, the same rules again, and each nested parameter's names among themselves.
  for (const [key, node] of Object.entries(grid)) {
    if (isConditional(node)) for (const b of node.branches) problems.push(...nameClashes(b.grid, [...at, key, b.choice]));
    if (isNested(node)) problems.push(...nameClashes(node.parameters, [...at, key, 'parameters']));
  }
  return problems;
}

const dotted = (path: readonly PropertyKey[]) => path.map(String).join('.');

/**
 * Every entry of a grid with its raw path (as the spec writes it): depth first, each conditional's
 * choices in the spec's order, nested fields under `parameters`. `conditional`: it sits under a
 * choice; `field`: it is a field of a nested parameter, not a parameter of the grid's own.
 */
export function* gridEntries<A>(
  grid: Readonly<Record<string, GridNode<A>>>, at: readonly PropertyKey[] = [], under = false, field = false,
): Generator<{ readonly name: string; readonly node: GridNode<A>; readonly path: readonly PropertyKey[]; readonly conditional: boolean; readonly field: boolean }> {
  for (const [name, node] of Object.entries(grid)) {
    yield { name, node, path: [...at, name], conditional: under, field };
    if (isConditional(node)) for (const b of node.branches) yield* gridEntries(b.grid, [...at, name, b.choice], true, field);
    if (isNested(node)) yield* gridEntries(node.parameters, [...at, name, 'parameters'], under, true);
  }
}

/** The grid with each leaf replaced by `f(leaf, raw path)`, conditionals and nested parameters kept. */
export function mapLeaves<A, B>(
  grid: Readonly<Record<string, GridNode<A>>>, f: (leaf: A, path: readonly PropertyKey[]) => B, at: readonly PropertyKey[] = [],
): Record<string, GridNode<B>> {
  return Object.fromEntries(Object.entries(grid).map(([name, node]): [string, GridNode<B>] => {
    const path = [...at, name];
    if (isConditional(node)) {
      return [name, { branches: node.branches.map((b) => ({ choice: b.choice, grid: mapLeaves(b.grid, f, [...path, b.choice]) })) }];
    }
    if (isNested(node)) return [name, { parameters: mapLeaves(node.parameters, f, [...path, 'parameters']) }];
    return [name, f(node as A, path)];
  }));
}
