/**
 * Every early-stopping rule, by its spec `type`: the spec's schema for `search.earlyStopping`
 * and the scheduler the controller asks are both made from here, so the controller never names a
 * rule. A new rule is a file exporting an EarlyStoppingRule (its options schema and its
 * scheduler) and one line below; `registerRule` also takes one at run time.
 */
import { z } from 'zod';
import { ashaRule } from './asha.js';
import { hyperbandRule } from './hyperband.js';
import { medianRule } from './median.js';
import { patienceRule } from './patience.js';
import type { EarlyStopping, EarlyStoppingRule, RuleContext, Scheduler } from './scheduler.js';
import { wandbHyperbandRule } from './wandb-hyperband.js';

const RULES = new Map<string, EarlyStoppingRule>();

/** Adds a rule; a second rule of the same type is a bug. */
export function registerRule<O extends EarlyStopping>(rule: EarlyStoppingRule<O>): void {
  if (RULES.has(rule.type)) throw new Error(`an early-stopping rule of type "${rule.type}" is registered already`);
  // Its schema made the options it is given, so they are its own.
  RULES.set(rule.type, { type: rule.type, schema: rule.schema, make: (o, context) => rule.make(o as O, context) });
}

registerRule(ashaRule);
registerRule(hyperbandRule);
registerRule(medianRule);
registerRule(patienceRule);
registerRule(wandbHyperbandRule);

/** The registered rules' types, in the order registered. */
export function ruleTypes(): string[] {
  return [...RULES.keys()];
}

/**
 * The schema of a spec's `earlyStopping`: the entry of the registered rule its `type` names,
 * checked by that rule's schema, defaults filled in. The rules are looked up at each parse, so
 * a rule registered after this module loaded is taken too.
 */
export const EARLY_STOPPING: z.ZodType<EarlyStopping> = z.unknown().transform((value, ctx) => {
  const type = value !== null && typeof value === 'object' ? (value as { type?: unknown }).type : undefined;
  const rule = typeof type === 'string' ? RULES.get(type) : undefined;
  if (!rule) {
    const where = value !== null && typeof value === 'object' ? ['type'] : [];
    ctx.addIssue({ code: 'custom', path: where, message: `must be one of ${ruleTypes().join(', ')}` });
    return z.NEVER;
  }
  // `metric`, which objective the rule judges in a sweep of several, is every rule's: the spec checks it.
  const { metric, ...options } = value as Record<string, unknown>;
  if (metric !== undefined && typeof metric !== 'string') {
    ctx.addIssue({ code: 'custom', path: ['metric'], message: 'must be the name of one of the sweep\'s objectives' });
    return z.NEVER;
  }
  const parsed = rule.schema.safeParse(options);
  if (parsed.success) return metric === undefined ? parsed.data : { ...parsed.data, metric };
  for (const issue of parsed.error.issues) ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
  return z.NEVER;
});

/** The scheduler for a validated early-stopping spec. */
export function makeScheduler(es: EarlyStopping, context: RuleContext): Scheduler {
  const rule = RULES.get(es.type);
  if (!rule) throw new Error(`no early-stopping rule "${es.type}": the spec should have been refused`);
  return rule.make(es, context);
}
