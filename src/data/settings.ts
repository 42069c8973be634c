/**
 * The `data` section of a spec and of every recorded trial: its schema (the keys every dataset may
 * have) and its type. Here, below the spec, so that the datasets and the spec both read it and
 * neither imports the other's room for it.
 */
import { z } from 'zod';

/** A positive integer of at most `max`. */
const positiveInt = (max: number) =>
  z.number().gte(1, 'must be a positive integer').lte(max, `must be at most ${max}`).int('must be an integer');

/**
 * A trial's data: the split, and for a dataset other than Fashion-MNIST what it is (see
 * DatasetIdentity in src/data/dataset.ts). A spec gives the split and where the data is (load-spec
 * checks them against the dataset named); before any config id is made, src/sweep/resolve-spec.ts
 * completes them from the opened dataset: its checksum, class names and sizes, its folder absolute.
 */
export type DataSettings = {
  /** Its name in src/data/registry.ts; absent: Fashion-MNIST (as in every trial recorded before there were others). */
  dataset?: string;
  /** Its folder: in a spec, relative to the spec file's; resolved, absolute. */
  path?: string;
  classes?: string[];
  /** SHA-256 of its contents; a spec that gives it refuses other data. */
  sha256?: string;
  validationSplit: number;
  /** Use only the first N training (test) images; absent: all of them. */
  trainLimit?: number;
  testLimit?: number;
};

/** The most images a limit may name: past any IDX dataset's size (EMNIST ByClass trains on 697,932), short of a typo's. */
const MAX_LIMIT = 10_000_000;

// The keys every dataset may have; which it takes, and its fixed sizes, are its own (checked in
// load-spec.ts against registry.ts; this file stays free of Node, as the spec's schema is).
export const dataSettings = z.strictObject({
  dataset: z.string({ error: 'must be a dataset name' }).optional(),
  path: z.string({ error: 'must be a folder' }).min(1, 'must name a folder').optional(),
  classes: z.array(z.string({ error: 'must be a class name' }).min(1, 'must not be empty'), { error: 'must be a list' })
    .min(2, 'must name at least two classes').max(256, 'must name at most 256 classes (labels are bytes)')
    .superRefine((names, ctx) => names.forEach((c, i) => {
      if (names.indexOf(c) !== i) ctx.addIssue({ code: 'custom', path: [i], message: `"${c}" is named twice` });
    }))
    .optional(),
  sha256: z.string({ error: 'must be a SHA-256' }).regex(/^[0-9a-f]{64}$/, 'must be a SHA-256: 64 lower-case hex digits').optional(),
  validationSplit: z.number().gt(0, 'must be in (0, 0.5]').lte(0.5, 'must be in (0, 0.5]').default(0.1),
  trainLimit: positiveInt(MAX_LIMIT).optional(),
  testLimit: positiveInt(MAX_LIMIT).optional(),
}) satisfies z.ZodType<DataSettings>;
