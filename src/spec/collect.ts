/**
 * A spec's `collect` section: how to read metrics from a program whose output we cannot
 * change. `filter` finds name/value pairs (Katib's metricsFormat: group 1 the name, group 2
 * the value); `step` finds the line that starts a step (group 1 its number, as Keras's
 * `Epoch 3/7`). Patterns are JavaScript regular expressions without flags, and without the
 * `u` flag's strictness, so Katib's own `{metricName: ([\w|-]+), ...}` is accepted as written.
 */
import { UserError } from '../errors.js';

export type CollectSpec = { readonly filter?: string; readonly step?: string };

/** A spec's patterns compiled: `filter` global (every match on a line), `step` not. */
export type CollectPatterns = { readonly filter?: RegExp; readonly step?: RegExp };

const OPTIONS = ['filter', 'step'] as const;
/** How many groups each pattern needs, and what the message says they are for. */
const GROUPS = {
  filter: [2, 'two groups: the name, then the value, as in (\\w+)=([-+.\\deE]+)'],
  step: [1, 'a group: the step number, as in Epoch (\\d+)'],
} as const;

/**
 * The first problem with a spec's `collect` value (undefined: none), with the path it is at
 * (`collect`, `collect.filter`, `collect.step`). Contract: undefined is a valid value (no
 * section); the spec's validation reports the problem at the path, on one line.
 */
export function checkCollect(spec: unknown): { problem: string; path: string } | undefined {
  if (spec === undefined) return undefined;
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    return { path: 'collect', problem: 'must be a mapping with `filter` and/or `step`, each a regular expression' };
  }
  for (const key of Object.keys(spec)) {
    if (!(OPTIONS as readonly string[]).includes(key)) return { path: `collect.${key}`, problem: 'is not an option of collect (filter, step)' };
  }
  for (const option of OPTIONS) {
    const source = (spec as Record<string, unknown>)[option];
    if (source === undefined) continue;
    const path = `collect.${option}`;
    if (typeof source !== 'string') return { path, problem: 'must be a regular expression, written as a string' };
    try {
      new RegExp(source);
    } catch (e) {
      return { path, problem: `is not a regular expression: ${(e as Error).message.replace(/\n/g, '\\n')}` };
    }
    // An empty alternative always matches, so the match's length counts the pattern's groups.
    const groups = new RegExp(`(?:${source})|`).exec('')!.length - 1;
    const [needed, what] = GROUPS[option];
    if (groups < needed) return { path, problem: `needs ${what}` };
  }
  return undefined;
}

/** The spec's patterns, compiled. Contract: throws a UserError (`collect.filter: …`) where checkCollect finds a problem. */
export function compileCollect(spec: CollectSpec | undefined): CollectPatterns {
  const problem = checkCollect(spec);
  if (problem !== undefined) throw new UserError(`${problem.path}: ${problem.problem}`);
  return {
    filter: spec?.filter === undefined ? undefined : new RegExp(spec.filter, 'g'),
    step: spec?.step === undefined ? undefined : new RegExp(spec.step),
  };
}
