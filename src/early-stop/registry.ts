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
  RULES.set(rule.type, rule as unknown as EarlyStoppingRule);
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
 * The schema of a spec's `earlyStopping`: one of the registered rules' entries, picked by `type`,
 * defaults filled in. Made when a spec is parsed, so a rule registered later is taken too.
 */
export function earlyStoppingSchema(): z.ZodType<EarlyStopping> {
  const schemas = [...RULES.values()].map((r) => r.schema);
  return z.discriminatedUnion('type', schemas as never, { error: `must be one of ${ruleTypes().join(', ')}` }) as unknown as z.ZodType<EarlyStopping>;
}

/** The scheduler for a validated early-stopping spec. */
export function makeScheduler(es: EarlyStopping, context: RuleContext): Scheduler {
  const rule = RULES.get(es.type);
  if (!rule) throw new Error(`no early-stopping rule "${es.type}": the spec should have been refused`);
  return rule.make(es, context);
}
