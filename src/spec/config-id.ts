import { createHash } from 'node:crypto';
import { isCodeConfig, type AnyConfig } from './code.js';
import { canonicalConfig } from './hyperparameters.js';
import type { DataSettings } from './schema.js';

/**
 * A stable id for a configuration trained with a seed on a dataset's split (optional keys at their
 * default not counted: see the registry). The data settings must be resolved (src/sweep/resolve-spec.ts).
 */
export function configId(config: AnyConfig, seed: number, data: DataSettings): string {
  // The user's code loads its own data: its trials are its parameters and the seed.
  const identity = isCodeConfig(config) ? { config, seed } : { config: canonicalConfig(config), seed, data: dataIdentity(data) };
  return createHash('sha256').update(canonicalJson(identity)).digest('hex').slice(0, 16);
}

/**
 * What the data settings say the data is: all of them but `path`, which says only where it lies
 * (the same files elsewhere are the same trials). Fashion-MNIST's settings are the split's alone,
 * hashed as they were before there were other datasets.
 */
function dataIdentity({ path: _, ...identity }: DataSettings): DataSettings {
  // Settings not yet resolved would name other trials than the sweep records: our bug, not the user's.
  if (identity.trainLimit === undefined || identity.testLimit === undefined || (identity.dataset !== undefined && identity.sha256 === undefined)) {
    throw new Error(`config id of unresolved data settings ${JSON.stringify(identity)}: resolve them against their dataset first`);
  }
  return identity;
}

/** JSON with object keys sorted at every depth, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
