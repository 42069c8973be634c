import { readFileSync } from 'node:fs';
import { Argument, Command, CommanderError } from 'commander';
import { UsageError, UserError } from '../errors.js';
import type { CommandDef, Io } from './command.js';
import { noteCommand, tagCommand } from './annotate.js';
import { completionScript, SHELLS, type Shell } from './completion.js';
import { copyCommand } from './copy.js';
import { exportCommand } from './export.js';
import { bestCommand, lsCommand, showCommand } from './inspect.js';
import { logsCommand } from './logs.js';
import { predictCommand } from './predict.js';
import { queryCommand } from './query.js';
import { reproCommand } from './repro.js';
import { reportCommand } from './report.js';
import { runCommand } from './run.js';
import { serveCommand } from './serve.js';
import { watchCommand } from './watch.js';
import { workerCommand } from './worker.js';

/** Every command, in the order `sweep --help` lists them. A new command is declared in its file and added here. */
export const COMMANDS: readonly CommandDef[] = [
  runCommand, workerCommand, lsCommand, showCommand, bestCommand, logsCommand, watchCommand, queryCommand, reproCommand, exportCommand,
  predictCommand, tagCommand, noteCommand, copyCommand, reportCommand, serveCommand,
];

export const VERSION: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

/** What commander's own refusals (unknown option, missing argument, bad choice) exit with: a usage error. */
const USAGE_EXIT = 2;

/**
 * Runs the CLI on `argv` (without node and the script) and returns the exit code; the only
 * place that knows exit codes. User errors print one line; bugs are thrown with their stack.
 */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => { code = c; });
  const def = COMMANDS.find((c) => c.name === argv[0]);
  const words = def?.prepareArgv ? [argv[0], ...def.prepareArgv(argv.slice(1))] : [...argv];
  try {
    await program.parseAsync(words, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with 0; `sweep` alone shows the help as an error.
      return err.exitCode === 0 ? 0 : err.code === 'sweep.usage' ? err.exitCode : USAGE_EXIT;
    }
    if (err instanceof UserError) {
      io.err(`sweep: ${err.message}`);
      return err.exitCode;
    }
    // The database refused a write: the disk is full, the file went read-only, another
    // process held the lock too long. Not our bug, and what was committed is intact.
    const sqlite = (err as { code?: unknown }).code;
    if (typeof sqlite === 'string' && /^SQLITE_(FULL|IOERR|BUSY|LOCKED|READONLY|CANTOPEN|CORRUPT|NOTADB)/.test(sqlite)) {
      const hint = /^SQLITE_(FULL|IOERR)/.test(sqlite) ? ' (is the disk full?)' : sqlite.startsWith('SQLITE_BUSY') ? ' (another process held it too long)' : '';
      io.err(`sweep: database error: ${(err as Error).message}${hint} (${sqlite}); everything recorded before it is kept`);
      return 1;
    }
    throw err;
  }
}

/** The commander program: one subcommand per declaration, plus `completion`. */
export function buildProgram(io: Io, setCode: (code: number) => void): Command {
  const program = new Command('sweep')
    .description('Hyperparameter sweeps for TensorFlow.js on Fashion-MNIST: a YAML grid, a worker pool, every metric in SQLite.')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', 'show help for a command')
    .exitOverride()
    .configureOutput(output(io, 'sweep'))
    .addHelpText('after', "\nRun 'sweep COMMAND --help' for a command's options and an example.");

  for (const def of COMMANDS) {
    const sub = program.command(def.name).description(def.summary).configureOutput(output(io, `sweep ${def.name}`));
    for (const arg of def.args) sub.addArgument(new Argument(arg));
    for (const option of def.options) sub.addOption(option);
    sub.addHelpText('after', `\nExample:\n  $ ${def.example}`);
    sub.action(async () => {
      try {
        setCode(await def.action(sub.processedArgs as string[], sub.opts(), io));
      } catch (err) {
        // Our own checks of a value commander cannot express read like commander's.
        if (err instanceof UsageError) sub.error(err.message, { exitCode: err.exitCode, code: 'sweep.usage' });
        throw err;
      }
    });
  }

  const completion = program.command('completion')
    .description('print a shell completion script: source <(sweep completion bash)')
    .addArgument(new Argument('<shell>').choices(SHELLS))
    .configureOutput(output(io, 'sweep completion'))
    .addHelpText('after', '\nExample:\n  $ sweep completion bash >> ~/.bashrc');
  completion.action((shell: Shell) => {
    io.out(completionScript(shell, program));
    setCode(0);
  });
  return program;
}

/** Help to stdout; commander's errors as one line `sweep run: unknown option '--colour' (did you mean --color?)` and where to look. */
function output(io: Io, who: string) {
  return {
    writeOut: (s: string) => io.out(s.replace(/\n$/, '')),
    writeErr: (s: string) => io.err(s.replace(/\n$/, '')),
    outputError: (s: string, write: (s: string) => void) => {
      const text = s.trim().replace(/^error: /, '').replace(/\n\(Did you mean (.+)\?\)$/, ' (did you mean $1?)');
      write(`${who}: ${text}\nsee '${who} --help'\n`);
    },
  };
}
