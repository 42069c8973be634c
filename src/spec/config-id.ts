import { createHash } from 'node:crypto';
import { canonicalConfig, type TrialConfig } from './hyperparameters.js';
import type { DataSettings } from './schema.js';

/** A stable id for a configuration trained with a seed on a data split (optional keys at their default not counted: see the registry). */
export function configId(config: TrialConfig, seed: number, data: DataSettings): string {
  return createHash('sha256').update(canonicalJson({ config: canonicalConfig(config), seed, data })).digest('hex').slice(0, 16);
}

/** JSON with object keys sorted at every depth, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
