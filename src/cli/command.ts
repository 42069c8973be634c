import { InvalidArgumentError, Option } from 'commander';
import { dirname, join, resolve } from 'node:path';
import { BACKENDS } from '../pool/protocol.js';
import { UserError } from '../errors.js';
import { isPostgresUrl } from '../store/location.js';

/**
 * What a command may touch of the outside world. The real process gives its stdout and
 * stderr (`main.ts`); tests give arrays, so most commands run in-process.
 */
export type Io = {
  /** Writes one line to stdout (the newline is added); a no-op once stdout is closed. */
  readonly out: (line: string) => void;
  /** Writes one line to stderr. */
  readonly err: (line: string) => void;
  /** stdout and stdin are a terminal and CI is unset: the live screen may be shown. */
  readonly interactive: boolean;
  /** Aborted when stdout's reader goes away (`sweep run SPEC | head -8`): stop as `q` does. */
  readonly stdoutClosed: AbortSignal;
};

/**
 * One command, declared once: commander builds its parser, `--help`, suggestions and the
 * shell completion from this. `args` use commander's syntax (`<spec>` required, `[sql]`
 * optional); option values arrive parsed and checked, under commander's camelCase names.
 */
export type CommandDef<O = any> = {
  readonly name: string;
  readonly summary: string;
  readonly args: readonly string[];
  readonly options: readonly Option[];
  /** Shown under "Example:" in `sweep NAME --help`. */
  readonly example: string;
  /** Rewrites the command's own words before parsing: `query` moves SQL that looks like an option behind `--`. */
  readonly prepareArgv?: (argv: string[]) => string[];
  readonly action: (args: string[], opts: O, io: Io) => number | Promise<number>;
};

/** Declares a command; the type parameter is the shape of its parsed options. */
export const defineCommand = <O>(def: CommandDef<O>): CommandDef<O> => def;

export const DEFAULT_DB = 'runs/sweeps.db';

/** `--db PATH|URL`, on every command that reads or writes results; `SWEEP_DB` when absent. */
export const dbOption = () => new Option('--db <path>', 'the SQLite file, or postgres://USER@HOST:PORT/DB').env('SWEEP_DB').default(DEFAULT_DB);

/** Where a sweep of a program keeps its trials' folders: beside the SQLite database, or under ./runs for PostgreSQL. */
export function trialsFolder(db: string, sweep: string): string {
  return join(isPostgresUrl(db) ? resolve('runs') : dirname(resolve(db)), 'trials', sweep);
}

/** `--json`, on every command that prints a table. */
export const jsonOption = () => new Option('--json', 'print JSON instead of a table');

/** `--workers N`, for the commands that train. */
export const workersOption = () => new Option('--workers <n>', 'worker threads (default: the number of cores)').argParser(integer(1, 256));

/** `--backend NAME`, for the commands that train. */
export const backendOption = () => new Option('--backend <name>', 'the TensorFlow.js backend').choices(BACKENDS).default('auto');

/** `--data DIR`, for the commands that read Fashion-MNIST. */
export const dataOption = () => new Option('--data <dir>', 'the Fashion-MNIST files (default: the copy in this package)');

/** A parser for an integer option in [min, max]; commander names the option in its error. */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `Expected an integer of at least ${min}.` : `Expected an integer from ${min} to ${max}.`);
    }
    return n;
  };
}

/**
 * How many failed trials, with none completed or pruned, stop a run (runSweep's `giveUpAfter`): W&B's agent's
 * MAX_INITIAL_FAILURES (5), or SWEEP_MAX_INITIAL_FAILURES (0: never).
 */
export function maxInitialFailures(): number {
  const text = process.env.SWEEP_MAX_INITIAL_FAILURES;
  if (text === undefined || text === '') return 5;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UserError(`SWEEP_MAX_INITIAL_FAILURES must be a whole number (0: never stop), got "${text}"`);
  return n;
}
