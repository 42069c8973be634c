import { Document, isSeq, visit } from 'yaml';
import { canonicalConfig, TRAIN_KEYS, type TrialConfig } from './hyperparameters.js';
import type { DataSettings } from './schema.js';

/** A spec whose grid is exactly one configuration: it expands to the same config id. */
export function bestSpec(sweep: { readonly name: string; readonly metric: unknown }, seed: number, data: DataSettings, c: TrialConfig) {
  // Optional keys at their default left out, as the spec that trained it may not have named them.
  const { model, ...rest } = canonicalConfig(c);
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
