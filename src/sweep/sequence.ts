/**
 * Sweeps that grow (docs/search.md, "Sweeps that grow"). A deterministic sweep's trial k depends
 * on its spec and trials before it alone, never on how many trials it will have: raising
 * `trials` (or `run_cap`, or `sweep run --trials +N`) continues the same sequence. What else
 * defines that sequence is listed here; a spec that changed any of it is another sweep, which
 * `--fork` starts, seeded with the old sweep's results where they lie in the new space.
 */
import { isCodeConfig, type AnyConfig } from '../spec/code.js';
import { applies, REGISTRY, type HyperparameterKey } from '../spec/hyperparameters.js';
import type { SweepSpec } from '../spec/schema.js';
import type { Store } from '../store/store.js';
import type { SweepRecord, TrialRecord } from '../trial/types.js';
import { allDomains, choiceIndex, meets, sampleOf, searchSpace, type Domain } from '../search/space.js';

/** What defines a sweep's sequence of trials (all but its length, its name and its words). */
function sequenceOf(spec: SweepSpec): Record<string, unknown> {
  const { trials: _trials, ...search } = spec.search;
  return {
    method: search.method, seed: spec.seed, data: spec.data, train: spec.code ? undefined : spec.train,
    grid: spec.code ? spec.code.grid : spec.grid, code: spec.code?.kind,
    objectives: spec.objectives.map((o) => `${o.name} ${o.goal}`), constraints: spec.constraints.map((c) => c.text),
    impute: spec.impute, imputeWhileRunning: spec.imputeWhileRunning,
    search: { ...search, method: undefined },
  };
}

/** A value as the spec wrote it, near enough: a range without the validated form's `type`, and `log` only where set. */
const shown = (v: unknown) => (v === undefined ? '(none)' : JSON.stringify(v, function (this: Record<string, unknown>, k, x) {
  const range = 'min' in this && 'max' in this;
  return range && (k === 'type' || (k === 'log' && x === false)) ? undefined : x;
}));

/**
 * What changed between the spec a sweep was recorded with and `after`, other than its number of
 * trials, as `key before → after` (nested keys one level down: `grid.dropout`); none: the same sequence.
 */
export function sequenceChanges(before: SweepSpec, after: SweepSpec): string[] {
  const [a, b] = [sequenceOf(before), sequenceOf(after)];
  const out: string[] = [];
  for (const key of Object.keys(a)) {
    const [x, y] = [a[key], b[key]];
    if (JSON.stringify(x) === JSON.stringify(y)) continue;
    if (x && y && typeof x === 'object' && typeof y === 'object' && !Array.isArray(x) && !Array.isArray(y)) {
      const [xo, yo] = [x as Record<string, unknown>, y as Record<string, unknown>];
      for (const k of [...new Set([...Object.keys(xo), ...Object.keys(yo)])]) {
        if (JSON.stringify(xo[k]) !== JSON.stringify(yo[k])) out.push(`${key}.${k} ${shown(xo[k])} → ${shown(yo[k])}`);
      }
    } else {
      out.push(`${key} ${shown(x)} → ${shown(y)}`);
    }
  }
  return out;
}

/** Whether `value` is one `d` can take. */
function within(d: Domain, value: unknown): boolean {
  if (d.type === 'categorical') return choiceIndex(d, value) >= 0;
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (d.type === 'int' && !Number.isInteger(value)) return false;
  return value >= d.min && value <= d.max;
}

/**
 * Whether a configuration lies in `spec`'s space: its model kind is one of the spec's, and each
 * parameter that kind has there (under the choices the configuration made) takes a value its
 * domain allows, with no parameter the space lacks.
 */
export function inSpace(spec: SweepSpec, config: AnyConfig): boolean {
  const space = searchSpace(spec);
  const kind = space.find((k) => k.kind === config.model);
  if (!kind) return false;
  const sample = sampleOf(config, kind.nested) as Record<string, unknown>;
  const expected = new Set<string>(['model']);
  for (const { key, domain, under } of allDomains(kind.params)) {
    if (!meets(sample, under)) continue;
    expected.add(key);
    // A hyperparameter that does nothing here (precise BN without batch norm) is recorded at its default, whatever the space says.
    if (!isCodeConfig(config) && key in REGISTRY && !applies(sample, key as HyperparameterKey)) continue;
    if (!within(domain, sample[key])) return false;
  }
  // A built-in configuration carries every hyperparameter of its kind, which the space has too; the user's code's may carry fewer.
  return Object.keys(sample).every((k) => expected.has(k)) || !isCodeConfig(config);
}

/**
 * The trials a fork of sweep `from` (`sweep run SPEC --fork NAME`) starts with: the old sweep's
 * completed and pruned trials whose configuration lies in the new space, in their old order. None
 * where the data differs: results on other data are not results of this sweep.
 */
export async function forkPriors(store: Store, from: SweepRecord, spec: SweepSpec, recorded: SweepSpec): Promise<TrialRecord[]> {
  if (JSON.stringify(recorded.data) !== JSON.stringify(spec.data)) return [];
  return (await store.trials(from.id))
    .filter((t) => (t.status === 'completed' || t.status === 'pruned') && inSpace(spec, t.config))
    .sort((a, b) => a.number - b.number);
}

/**
 * Seeds a fork, a new sweep that has no trials yet, with `priors` of sweep `fromId`: each whole
 * (epochs, decisions, checkpoint, model), as `sweep copy` brings a trial, numbered first; the new
 * sweep's proposals then learn from them as from its own. How many were carried.
 */
export async function seedFork(store: Store, fromId: number, toSweepId: number, priors: readonly TrialRecord[]): Promise<number> {
  if ((await store.trials(toSweepId)).length > 0) return 0;
  const decisions = await store.decisions(fromId);
  let carried = 0;
  for (const record of priors) {
    const id = await store.importTrial(toSweepId, {
      record, epochs: await store.epochs(record.id), decisions: decisions.filter((d) => d.trialId === record.id),
      checkpoint: await store.checkpoint(record.id), model: await store.model(record.id),
    }, null);
    if (id !== null) carried++;
  }
  return carried;
}
