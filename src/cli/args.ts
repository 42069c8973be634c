import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, with its errors turned into one-line usage errors. */
export function parse<O extends Options>(command: string, argv: string[], options: O, positionals: readonly string[]) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`sweep ${command}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (parsed.positionals.length !== positionals.length) {
    throw new UsageError(`sweep ${command}: expected ${positionals.map((p) => p.toUpperCase()).join(' ') || 'no arguments'}, got ${parsed.positionals.length ? parsed.positionals.join(' ') : 'none'}`);
  }
  return parsed;
}

export const DEFAULT_DB = 'runs/sweeps.db';
