import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { main } from '../../src/cli/program.js';

/** The built CLI, as `npx sweep` runs it (npm test builds first). */
export const BIN = resolve('dist/cli/main.js');

export type CliResult = { code: number | null; out: string; err: string };

/**
 * Runs `sweep ARGS…` in this process, as a non-interactive terminal would (plain log, no
 * live screen): the same `main` the binary runs, without a process start per call.
 */
export async function sweep(...args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, {
    out: (line) => out.push(`${line}\n`),
    err: (line) => err.push(`${line}\n`),
    interactive: false,
    stdoutClosed: new AbortController().signal,
  });
  return { code, out: out.join(''), err: err.join('') };
}

/** Runs the built binary in a process of its own with CI set: for what only a process shows (exit on a signal, a closed pipe, the shebang). */
export function sweepProcess(...args: string[]): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/**
 * Runs the built binary with `args` (in `cwd`) and sends it SIGTERM as soon as its stdout
 * matches `stopAt`: a run stopped partway, as a user stops it. Resolves with its exit code.
 */
export function stoppedRun(args: readonly string[], stopAt: RegExp, cwd?: string): Promise<number | null> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1' } });
  let out = '';
  return new Promise((done) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!child.killed && stopAt.test(out)) child.kill('SIGTERM');
    });
    child.on('exit', done);
  });
}

/** The rows `sql` reads from the SQLite database at `db`, opened read-only. */
export function rows<T = Record<string, unknown>>(db: string, sql: string): T[] {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare(sql).all() as T[];
  } finally {
    d.close();
  }
}
