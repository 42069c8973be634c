/**
 * A spec's `constraints:`, such as `params <= 200000` or `latency_ms <= 1.0`: a bound on a
 * metric or on a parameter. A trial that breaks one is kept and recorded infeasible, with by
 * how much; infeasible trials never enter the first front (src/pareto/).
 *
 * As Optuna's `constraints_func` (optuna/samplers/nsgaii/_constraints_evaluation.py), a
 * constraint is met at its bound, a broken one counts by how far it is past it, and a trial's
 * violation is the sum over its constraints, in their own units.
 */

/** One parsed constraint: `name op bound`. */
export type Constraint = {
  /** As written in the spec, for messages and views. */
  readonly text: string;
  /** A metric's name, or a parameter's (a hyperparameter, or one of the user's code). */
  readonly name: string;
  readonly op: '<=' | '>=';
  readonly bound: number;
};

const FORM = /^\s*([A-Za-z_][A-Za-z0-9_.:/-]*)\s*(<=|>=|<|>|==|=)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$/;

/** `text` as a Constraint, or why it is not one. */
export function parseConstraint(text: string): Constraint | { readonly problem: string } {
  const m = FORM.exec(text);
  if (!m) return { problem: `"${text}" is not a constraint: write NAME <= NUMBER or NAME >= NUMBER, e.g. "params <= 200000"` };
  const [, name, op, bound] = m;
  if (op === '<' || op === '>') return { problem: `"${text}": write ${op}= (a constraint is met at its bound, as Optuna's are)` };
  if (op === '=' || op === '==') return { problem: `"${text}": a constraint is a bound, <= or >=; to fix a parameter, give it one value in the grid` };
  return { text: text.trim(), name, op: op as Constraint['op'], bound: Number(bound) };
}

/** By how much `value` breaks `c`: 0 where it is met; Infinity where the value is missing or not a number. */
export function violationOf(c: Constraint, value: number | undefined): number {
  if (value === undefined || Number.isNaN(value)) return Infinity;
  return Math.max(0, c.op === '<=' ? value - c.bound : c.bound - value);
}

/** The constraints a trial breaks, each with by how much, and their sum (0: feasible). */
export function evaluateConstraints(
  constraints: readonly Constraint[], valueOf: (name: string) => number | undefined,
): { readonly violation: number; readonly broken: readonly { readonly text: string; readonly by: number }[] } {
  const broken = constraints.map((c) => ({ text: c.text, by: violationOf(c, valueOf(c.name)) })).filter((b) => b.by > 0);
  return { violation: broken.reduce((sum, b) => sum + b.by, 0), broken };
}
