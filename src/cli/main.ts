#!/usr/bin/env node
import './startup.js';
import type { Io } from './command.js';
import { main } from './program.js';

/** The real process's Io: stdout (silenced once its reader is gone), stderr, and whether a person is at a terminal. */
function processIo(): Io {
  const closed = new AbortController();
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    // `sweep … | head` closed the pipe: not an error of the sweep's.
    if (err.code === 'EPIPE') closed.abort();
    else throw err;
  });
  return {
    out: (line) => { if (!closed.signal.aborted) process.stdout.write(`${line}\n`); },
    err: (line) => { process.stderr.write(`${line}\n`); },
    interactive: process.stdout.isTTY === true && process.stdin.isTTY === true && !process.env.CI,
    stdoutClosed: closed.signal,
  };
}

main(process.argv.slice(2), processIo()).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`sweep: internal error (a bug: please report it)\n${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 70;
  },
);
