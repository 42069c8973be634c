import type { TrialConfig } from '../types.js';

/** Short display name of a hyperparameter, as columns and log lines show it. */
export const LABEL: Record<keyof TrialConfig, string> = {
  model: 'model', epochs: 'epochs', activation: 'activation', units: 'units', dropout: 'dropout',
  filters: 'filters', kernelSize: 'kernel', pooling: 'pool', optimizer: 'optimizer', learningRate: 'lr',
  batchSize: 'batch',
};

export function formatValue(v: TrialConfig[keyof TrialConfig]): string {
  if (v === undefined) return '-';
  return Array.isArray(v) ? v.join('-') : String(v);
}

/** "dropout=0.2 units=128" for the keys that distinguish this configuration. */
export function describeConfig(c: TrialConfig, keys: readonly (keyof TrialConfig)[]): string {
  return keys.filter((k) => c[k] !== undefined).map((k) => `${LABEL[k]}=${formatValue(c[k])}`).join(' ');
}
