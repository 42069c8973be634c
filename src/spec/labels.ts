import { HYPERPARAMETERS, REGISTRY, type HyperparameterKey, type TrialConfig } from './hyperparameters.js';

/** Short display name of a hyperparameter, as columns and log lines show it. */
export const LABEL = Object.fromEntries(
  Object.entries(REGISTRY).map(([key, e]) => [key, e.label]),
) as Record<HyperparameterKey, string>;

/** A value as tables and log lines show it: lists joined by "-", drawn numbers to 4 significant digits. */
export function formatValue(v: unknown): string {
  if (v === undefined) return '-';
  if (typeof v === 'number' && !Number.isInteger(v)) return String(Number(v.toPrecision(4)));
  return Array.isArray(v) ? v.join('-') : String(v);
}

/** "dropout=0.2 units=128" for the keys that distinguish this configuration. */
export function describeConfig(c: TrialConfig, keys: readonly HyperparameterKey[]): string {
  return keys.filter((k) => c[k] !== undefined).map((k) => `${LABEL[k]}=${formatValue(c[k])}`).join(' ');
}

/** The hyperparameters whose values differ across these configurations, in table order. */
export function varyingKeys(configs: readonly TrialConfig[]): HyperparameterKey[] {
  return HYPERPARAMETERS.filter((key) => new Set(configs.map((c) => JSON.stringify(c[key]))).size > 1);
}
