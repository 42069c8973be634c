/**
 * A sweep of the user's own code: a `program` run as a child process per trial (any language,
 * W&B's `command` conventions), or a JavaScript `objective` module run inside the worker. Its
 * parameters are the spec's own names, free of the built-in hyperparameter registry, and go
 * through the same checks: names, values, and ranges.
 */
import { z } from 'zod';
import type { CollectSpec } from './collect.js';
import type { TrialConfig } from './hyperparameters.js';
import { conditionalSchema, nameClashes, rawForm, type GridNode } from './conditional.js';
import { betaRange, byShape, normalRange, shapeOf, weighted, type BetaRange, type NormalRange, type Range, type Weighted } from './ranges.js';

/** What trains a code trial: a program (a child process) or an objective module (in the worker). */
export const CODE_KINDS = ['program', 'objective'] as const;
export type CodeKind = (typeof CODE_KINDS)[number];

/** A trial's configuration when the user's code trains it: its parameters by name, as the spec lists them. */
export type CodeConfig = { readonly model: CodeKind; readonly params: Readonly<Record<string, unknown>> };

/** What a trial trains: a built-in model's configuration, or the user's code with its parameters (`model` says which). */
export type AnyConfig = TrialConfig | CodeConfig;

/** A parameter's name: what a command line, an environment variable and SQL can all carry. */
export const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/** A value a parameter may take: anything JSON can write (a program reads it back from JSON or its argv). */
const jsonValue: z.ZodType<unknown> = z.lazy(() => z.union([
  z.number().refine(Number.isFinite, 'must be a finite number'), z.string(), z.boolean(), z.null(),
  z.array(jsonValue), z.record(z.string(), jsonValue),
], { error: 'must be a finite number, a string, true or false, null, a list or a mapping' }));

/**
 * A numeric parameter's range, for random search and TPE: uniform over [min, max] (log-uniform
 * with `log: true`), a normal `{mu, sigma}` (log-normal with `log: true`) or a beta `{a, b}`,
 * each rounded to a multiple of `step`. Its draws are integers where `type` is int: given, or,
 * for {min, max}, where min and max are written as integers (as W&B infers int_uniform).
 */
export type CodeRange = Range | NormalRange | BetaRange;

const codeRange = z.strictObject({
  min: z.number({ error: 'must be a number' }),
  max: z.number({ error: 'must be a number' }),
  log: z.boolean({ error: 'must be true or false' }).default(false),
  step: z.number().gt(0, 'must be positive').optional(),
  type: z.enum(['int', 'float'], { error: 'must be int or float' }).optional(),
}).superRefine((r, ctx) => {
  if (!(r.min < r.max)) ctx.addIssue({ code: 'custom', path: ['max'], message: `must be greater than min (${r.min})` });
  if (r.log && r.min <= 0) ctx.addIssue({ code: 'custom', path: ['min'], message: 'must be positive for a log range' });
});

const values = z.array(jsonValue, { error: 'must be a list' }).min(1, 'must list at least one value');

/** A parameter in a code spec's grid: the values to try (a list, or with probabilities), or a range (uniform, normal or beta). */
const codeAxis = byShape<readonly unknown[] | Weighted | CodeRange>((v) => {
  switch (shapeOf(v)) {
    case 'weighted': return weighted(values);
    case 'normal': return normalRange;
    case 'beta': return betaRange;
    default: return z.union([values, codeRange], { error: 'must be a list of values, or a range {min, max}' });
  }
});

/** A parameter of the user's code that is neither conditional nor nested: its values, or its range. */
export type CodeAxis = readonly unknown[] | Weighted | CodeRange;
/** A code spec's grid: each parameter's axis, or a conditional or nested parameter (src/spec/conditional.ts). */
export type CodeGrid = Readonly<Record<string, GridNode<CodeAxis>>>;

/** One level of a code grid: any parameter names, each a parameter, conditional or nested. */
const codeLevel: z.ZodType<CodeGrid> = z.lazy(() => z.record(z.string(), codeNode).superRefine((grid, ctx) => {
  for (const name of Object.keys(grid)) {
    if (!PARAM_NAME.test(name)) {
      ctx.addIssue({
        code: 'custom', path: [name], params: { atKey: true },
        message: `"${name}" cannot be a parameter's name: a letter or "_", then letters, digits, "_", "." or "-" (64 at most)`,
      });
    }
  }
}));

/** W&B's nested parameter: `{parameters: {…}}`, its fields parameters of their own. */
const nested = z.record(z.string(), z.unknown()).superRefine((m, ctx) => {
  for (const key of Object.keys(m)) {
    if (key !== 'parameters') {
      ctx.addIssue({ code: 'custom', path: [key], params: { atKey: true }, message: `unknown key "${key}": a nested parameter takes only \`parameters\` (a choice cannot be named so)` });
    }
  }
}).pipe(z.object({
  parameters: z.record(z.string(), z.unknown(), { error: 'must map each field\'s name to its values or range' })
    .refine((m) => Object.keys(m).length > 0, 'must name at least one field')
    .pipe(codeLevel as z.ZodType<CodeGrid, Record<string, unknown>>),
}));

const codeNode: z.ZodType<GridNode<CodeAxis>> = byShape<GridNode<CodeAxis>>((v) => {
  switch (rawForm(v)) {
    case 'nested': return nested;
    case 'conditional': return conditionalSchema(codeLevel);
    default: return codeAxis;
  }
});

/**
 * A code spec's `grid`: any parameter names, each with its values or its range, or conditional
 * (`optimizer: {adam: {beta1: …}, sgd: {}}`) or nested (`{parameters: …}`); no name may be set
 * twice in one configuration (see nameClashes).
 */
export const codeGrid: z.ZodType<CodeGrid> = codeLevel.superRefine((grid, ctx) => {
  for (const { path, problem } of nameClashes(grid, ['grid'])) {
    ctx.addIssue({ code: 'custom', path: path.slice(1), params: { atKey: true }, message: problem });
  }
});

const seconds = z.number().gt(0, 'must be a positive number of seconds');

/** How a code trial runs, besides its parameters. */
export const codeSettings = {
  /** The program, its path relative to the spec's folder. */
  program: z.string().min(1, 'must name the program').optional(),
  /** W&B's command: an argv list of words and macros (src/trial/program/command.ts). */
  command: z.array(z.string({ error: 'must be a word of the command line' }), { error: 'must be a list: the command line, word by word' })
    .min(1, 'must have at least one word').optional(),
  /** What `${interpreter}` runs; W&B's is `python`, which Debian does not have. */
  interpreter: z.string().min(1, 'must name a program').optional(),
  /** A JavaScript or TypeScript module exporting `train(params, trial)`, run in the worker. */
  objective: z.string().min(1, 'must name the module').optional(),
  /** How to read metrics a program prints in a form of its own (src/trial/program/collect.ts). */
  collect: z.strictObject({ filter: z.string().optional(), step: z.string().optional() }).optional(),
  /** A trial's limits: its time, the grace between SIGTERM and SIGKILL, and how many steps it reports. */
  trial: z.strictObject({
    timeout: seconds.optional(),
    grace: seconds.default(30),
    /** The steps a trial reports when it is not stopped (early stopping's last rung; progress). */
    steps: z.number().int('must be an integer').gte(1, 'must be at least 1').lte(1_000_000, 'must be at most 1000000').optional(),
  }).optional(),
};

/** A validated code spec's settings; `grid` holds its parameters. */
export type CodeSpec = {
  readonly kind: CodeKind;
  readonly program?: string;
  readonly command?: readonly string[];
  readonly interpreter: string;
  readonly objective?: string;
  readonly collect?: CollectSpec;
  readonly trial: { readonly timeout?: number; readonly grace: number; readonly steps?: number };
  /**
   * Whether the spec names its metric. Where it does, a trial that ends without reporting it
   * failed; where not (W&B's grid and random need none), trials complete on exit 0, ranked by
   * val_accuracy where they report it.
   */
  readonly metricDeclared: boolean;
  readonly grid: CodeGrid;
};

/** The file of the user's code, as the spec names it: the program, or the objective module. */
export function codeFile(code: CodeSpec): string {
  return code.program ?? code.objective!;
}

/** Whether a configuration is one of the user's code (not a built-in model's). */
export function isCodeConfig(config: { readonly model: string }): config is CodeConfig {
  return (CODE_KINDS as readonly string[]).includes(config.model);
}


/** A built-in model's configuration; throws (a bug, not a user's error) for one of the user's code. */
export function builtInConfig(config: AnyConfig): TrialConfig {
  if (isCodeConfig(config)) throw new Error(`a configuration of the user's ${config.model} where a built-in model's was expected`);
  return config;
}
