/**
 * A stand-in for sweep in orphans.test.ts, run as a process of its own (bundled by the test):
 * starts `argv` in `cwd` with startProgram, says so on stdout, calls stop() when a line "stop"
 * comes on stdin, and waits to be killed.
 */
import { createInterface } from 'node:readline';
import { startProgram } from '../../../src/trial/program/process.js';

const [cwd, ...argv] = process.argv.slice(2);
const program = await startProgram(argv, { cwd, warn: (line) => process.stdout.write(`warn ${line}\n`) });
process.stdout.write(`started ${program.pid}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line !== 'stop') return;
  void program.stop(600_000);
  process.stdout.write('stopping\n');
});
const exit = await program.exited;
process.stdout.write(`exited ${JSON.stringify({ exit, output: program.output() })}\n`);
