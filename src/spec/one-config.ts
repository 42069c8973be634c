import { Document, isSeq, visit } from 'yaml';
import { isCodeConfig, type AnyConfig, type CodeSpec } from './code.js';
import { applies, canonicalConfig, HYPERPARAMETERS, specDefault, TRAIN_KEYS, withDefaults, type TrialConfig } from './hyperparameters.js';
import type { DataSettings } from './schema.js';

/**
 * A spec whose grid is exactly one configuration: it expands to the same config id. A trial of
 * the user's code needs the code's settings, `code` (its sweep's recorded spec's).
 */
export function bestSpec(
  sweep: { readonly name: string; readonly metric: string; readonly goal: string }, seed: number, data: DataSettings, c: AnyConfig,
  code?: CodeSpec,
) {
  if (isCodeConfig(c)) {
    if (!code) throw new Error(`trial of ${sweep.name} runs the user's code: bestSpec needs the code's settings`);
    const { kind: _, grid: __, metricDeclared, trial, ...how } = code;
    return {
      name: `${sweep.name}-best`,
      ...(metricDeclared ? { metric: { name: sweep.metric, goal: sweep.goal } } : {}),
      seed,
      ...how,
      trial,
      grid: Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, [v]])),
    };
  }
  // Optional keys at their default left out, as the spec that trained it may not have named them;
  // but where a spec's default differs (a trial recorded before precise BN), said, or the spec would train another.
  const whole = withDefaults(c as TrialConfig) as unknown as Record<string, unknown>;
  const said = HYPERPARAMETERS.filter((k) => k in whole && applies(whole, k) && JSON.stringify(whole[k]) !== JSON.stringify(specDefault(k)));
  const { model, ...rest } = { ...canonicalConfig(c), ...Object.fromEntries(said.map((k) => [k, whole[k]])) };
  const isTrain = ([k]: [string, unknown]) => (TRAIN_KEYS as string[]).includes(k);
  const entries = Object.entries(rest);
  return {
    name: `${sweep.name}-best`,
    metric: sweep.metric,
    seed,
    data,
    train: Object.fromEntries(entries.filter(isTrain)),
    grid: { model: { [model]: Object.fromEntries(entries.filter((e) => !isTrain(e)).map(([k, v]) => [k, [v]])) } },
  };
}

/** A spec as YAML, lists in flow style as the shipped specs write them (`units: [[256, 128]]`). */
export function specYaml(spec: object): string {
  const doc = new Document(spec);
  visit(doc, { Seq: (_key, node) => { if (isSeq(node)) node.flow = true; } });
  return doc.toString().trimEnd();
}
