/**
 * The constraints that bound parameters alone ("dropout >= 0.1", "learning_rate <= 0.01"): a
 * configuration is checked against them before it trains, and one that breaks any is recorded
 * 'infeasible' and never trained (src/store/, v12). The other constraints bound metrics, known
 * only once a trial has trained (src/sweep/fronts.ts).
 *
 * A parameter the configuration does not have meets its bound: a CNN's kernel_size in an ANN,
 * or a conditional parameter under another choice, as fronts.ts ranks them.
 */
import { isCodeConfig, type AnyConfig } from './code.js';
import { gridEntries } from './conditional.js';
import { evaluateConstraints, type Constraint } from './constraints.js';
import { REGISTRY, withDefaults } from './hyperparameters.js';
import type { SweepSpec } from './schema.js';

/** What a configuration breaks: each bound, by how much (Infinity where the value is not a number). */
export type Broken = { readonly text: string; readonly by: number };

/** The spec's constraints on parameters: names of its grid's parameters (the user's code's, or the hyperparameter registry's) that no objective has. */
export function parameterBounds(spec: Pick<SweepSpec, 'constraints' | 'objectives' | 'code'>): Constraint[] {
  const objectives = new Set(spec.objectives.map((o) => o.name));
  const params = spec.code
    ? new Set([...gridEntries(spec.code.grid)].filter((e) => !e.field).map((e) => e.name))
    : new Set(Object.keys(REGISTRY));
  return spec.constraints.filter((c) => params.has(c.name) && !objectives.has(c.name));
}

/** The bounds `config` breaks; none where it meets them all. */
export function brokenBounds(bounds: readonly Constraint[], config: AnyConfig): readonly Broken[] {
  if (bounds.length === 0) return [];
  const values: Readonly<Record<string, unknown>> = isCodeConfig(config) ? config.params : withDefaults(config);
  // A value absent (or null, as a CNN-only hyperparameter of an ANN) bounds nothing.
  const present = bounds.filter((c) => values[c.name] !== undefined && values[c.name] !== null);
  return evaluateConstraints(present, (name) => {
    const v = values[name];
    return typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : undefined;
  }).broken;
}

/** What a trial that breaks `broken` records as its `error`: one line, every bound and by how much. */
export function infeasibleLine(broken: readonly Broken[]): string {
  const by = (b: Broken) => (Number.isFinite(b.by) ? String(Number(b.by.toPrecision(6))) : 'a value that is not a number');
  return `not trained: its parameters break ${broken.map((b) => `${b.text} (by ${by(b)})`).join(', ')}`;
}
