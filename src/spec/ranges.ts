import { z } from 'zod';

/**
 * What a numeric parameter draws from in a spec, for random search and TPE, besides a list of
 * values: a range (uniform or log-uniform), a normal (log-normal with `log: true`), a beta, or a
 * list with probabilities. Sweep's hyperparameters (schema.ts) take ranges and weighted lists;
 * the user's code's parameters (code.ts) take all of them. They are W&B's distributions
 * (wandb/sweeps `src/sweeps/config/schema.json`, b1dfc5f) in the native spec's words: q is `step`.
 */

/** Uniform over [min, max], log-uniform with `log`; `step` rounds each draw to a multiple of it. */
export type Range = { min: number; max: number; log: boolean; step?: number; type?: 'int' | 'float' };
/** Normal with mean mu and standard deviation sigma; with `log`, ln x is (W&B's log_normal). Unbounded. */
export type NormalRange = { mu: number; sigma: number; log: boolean; step?: number; type?: 'int' | 'float' };
/** Beta(a, b) on [0, 1]. */
export type BetaRange = { a: number; b: number; step?: number; type?: 'int' | 'float' };
/** The values, each drawn with its probability (W&B's categorical_w_probabilities). */
export type Weighted = { values: readonly unknown[]; probabilities: readonly number[] };

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * `pick(value)`'s schema run on the value, its issues passed on as they are: a union would report a
 * mistake in `{mu, sigma}` against whichever alternative got furthest, here it is reported
 * against the form the value's keys name.
 */
export function byShape<T>(pick: (value: unknown) => z.ZodType): z.ZodType<T> {
  return z.unknown().transform((value, ctx) => {
    const parsed = pick(value).safeParse(value);
    if (parsed.success) return parsed.data as T;
    for (const issue of parsed.error.issues) ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
    return z.NEVER;
  }) as unknown as z.ZodType<T>;
}

/** Which form an object names by its keys: weighted values, a normal, a beta, or else a plain range. */
export function shapeOf(value: unknown): 'weighted' | 'normal' | 'beta' | 'other' {
  if (!isObject(value)) return 'other';
  if ('values' in value || 'probabilities' in value) return 'weighted';
  if ('mu' in value || 'sigma' in value) return 'normal';
  if ('a' in value || 'b' in value) return 'beta';
  return 'other';
}

// np.isclose(sum, 1)'s default tolerance, as W&B's validate_categorical_prob (config/schema.py) checks the sum.
const SUM_TOLERANCE = 1e-8 + 1e-5;

/** A list of values with probabilities: one each, none negative, adding up to 1 (W&B's rules). */
export function weighted(values: z.ZodType<readonly unknown[]>): z.ZodType<Weighted> {
  return z.strictObject({
    values,
    probabilities: z.array(z.number({ error: 'must be a number' }).gte(0, 'must not be negative'), {
      error: (issue) => (issue.input === undefined ? 'is required: the probability of each value, in order' : 'must be a list of numbers'),
    }),
  }).superRefine((w, ctx) => {
    const [n, m] = [w.values.length, w.probabilities.length];
    if (n !== m) {
      ctx.addIssue({ code: 'custom', path: ['probabilities'], message: `must give one probability per value: ${n} value${n === 1 ? '' : 's'}, ${m} probabilit${m === 1 ? 'y' : 'ies'}` });
      return;
    }
    const sum = w.probabilities.reduce((a, b) => a + b, 0);
    if (!(Math.abs(sum - 1) <= SUM_TOLERANCE)) {
      ctx.addIssue({ code: 'custom', path: ['probabilities'], message: `must add up to 1 (they add up to ${Number(sum.toPrecision(12))})` });
    }
  });
}

const positive = (what: string) => z.number({
  error: (issue) => (issue.input === undefined ? `is required: ${what}` : 'must be a number'),
}).gt(0, 'must be positive');
const step = z.number({ error: 'must be a number' }).gt(0, 'must be positive').optional();
const type = z.enum(['int', 'float'], { error: 'must be int or float' }).optional();

/** A normal range: mu and sigma (> 0), `log` for a log-normal, `step` to round. */
export const normalRange: z.ZodType<NormalRange> = z.strictObject({
  mu: z.number({ error: (issue) => (issue.input === undefined ? 'is required: a normal takes mu and sigma' : 'must be a number') }),
  sigma: positive('a normal takes mu and sigma'),
  log: z.boolean({ error: 'must be true or false' }).default(false),
  step, type,
});

/** A beta range: a and b (> 0), `step` to round. */
export const betaRange: z.ZodType<BetaRange> = z.strictObject({
  a: positive('a beta takes a and b'),
  b: positive('a beta takes a and b'),
  step, type,
});
