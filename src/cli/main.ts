#!/usr/bin/env node
import { UsageError, UserError } from '../errors.js';
import { best, BEST_USAGE, ls, LS_USAGE, show, SHOW_USAGE } from './inspect.js';
import { query, QUERY_USAGE } from './query.js';
import { run, RUN_USAGE } from './run.js';
import { watch, WATCH_USAGE } from './watch.js';
import { exportTrial, EXPORT_USAGE } from './export.js';
import { predict, PREDICT_USAGE } from './predict.js';
import { repro, REPRO_USAGE } from './repro.js';

const USAGE = `sweep: hyperparameter sweeps for TensorFlow.js on Fashion-MNIST

usage:
  ${RUN_USAGE}
  ${LS_USAGE}
  ${SHOW_USAGE}
  ${BEST_USAGE}
  ${WATCH_USAGE}
  ${QUERY_USAGE}
  ${REPRO_USAGE}
  ${EXPORT_USAGE}
  ${PREDICT_USAGE}`;

const COMMANDS: Record<string, (argv: string[], out: (s: string) => void) => number | Promise<number>> = {
  run, ls, show, best, watch, repro, export: exportTrial, predict, query,
};

/** Runs the CLI; the only place that knows exit codes. User errors print one line; bugs keep their stack. */
export async function main(argv: string[]): Promise<number> {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      out(USAGE);
      return command === undefined ? 2 : 0;
    }
    const handler = COMMANDS[command];
    if (!handler) throw new UsageError(`unknown command "${command}" (commands: ${Object.keys(COMMANDS).join(', ')})`);
    return await handler(rest, out);
  } catch (err) {
    if (err instanceof UserError) {
      process.stderr.write(`sweep: ${err.message}\n`);
      if (err instanceof UsageError) process.stderr.write(`${USAGE}\n`);
      return err.exitCode;
    }
    // The database refused a write: the disk is full, the file went read-only, another
    // process held the lock too long. Not our bug, and what was committed is intact.
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && /^SQLITE_(FULL|IOERR|BUSY|LOCKED|READONLY|CANTOPEN|CORRUPT|NOTADB)/.test(code)) {
      const hint = /^SQLITE_(FULL|IOERR)/.test(code) ? ' (is the disk full?)' : code.startsWith('SQLITE_BUSY') ? ' (another process held it too long)' : '';
      process.stderr.write(`sweep: database error: ${(err as Error).message}${hint} (${code}); everything recorded before it is kept\n`);
      return 1;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`sweep: internal error (a bug: please report it)\n${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 70;
  },
);
