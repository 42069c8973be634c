/**
 * A kill -9 storm on a sweep: `sweep run` started again and again, each time SIGKILLed at the next
 * of a list of moments (a failpoint inside it, src/failpoint.ts, or a line it prints), then run
 * to its end. What a crash-safe, deterministic sweep must come out of unchanged.
 */
import { spawn } from 'node:child_process';
import { BIN } from './run-cli.js';

export type Kill =
  | { readonly at: 'failpoint'; readonly name: string }  // SIGKILL from inside, at an exact place
  | { readonly at: 'output'; readonly text: string }     // SIGKILL from outside, as soon as `text` is printed
  | { readonly at: 'abort'; readonly signal: AbortSignal }; // SIGKILL from outside, when the test says

export type RunEnd = { readonly code: number | null; readonly signal: string | null; readonly out: string };

/** Runs `sweep ARGS…` until it exits or the kill comes; resolves with how it ended. */
export function runUntil(args: readonly string[], kill?: Kill, env: Readonly<Record<string, string>> = {}): Promise<RunEnd> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, CI: '1', ...env, ...(kill?.at === 'failpoint' ? { SWEEP_FAILPOINT: kill.name } : {}) },
  });
  let out = '';
  const killNow = () => { if (child.exitCode === null) child.kill('SIGKILL'); };
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (kill?.at === 'output' && out.includes(kill.text)) killNow();
  });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  if (kill?.at === 'abort') kill.signal.addEventListener('abort', killNow);
  return new Promise((done) => child.on('exit', (code, signal) => done({ code, signal, out })));
}

/**
 * Runs `args` once per kill, each run killed at its moment, then once more to the end; every run
 * ended by its kill or exited 0. How many the kills ended, those that never came (the sweep
 * ended first), and the last run's end.
 */
export async function killStorm(args: readonly string[], kills: readonly Kill[]): Promise<{ killed: number; missed: Kill[]; last: RunEnd }> {
  const missed: Kill[] = [];
  for (const kill of kills) {
    const r = await runUntil(args, kill);
    if (r.signal === 'SIGKILL') continue;
    if (r.code !== 0) throw new Error(`a run meant to be killed at ${JSON.stringify(kill)} exited ${r.code}:\n${r.out.slice(-2000)}`);
    missed.push(kill);
  }
  return { killed: kills.length - missed.length, missed, last: await runUntil(args) };
}

/** A deterministic TPE + ASHA sweep's storm: at start-up, around decisions, mid-epoch, in claims and completions, on a prune. */
export const STORM: readonly Kill[] = [
  { at: 'failpoint', name: 'before-claim:1' },
  { at: 'failpoint', name: 'before-decision:2' },
  { at: 'failpoint', name: 'epoch-recorded:3' },
  { at: 'failpoint', name: 'claim:4' },
  { at: 'failpoint', name: 'before-decision:4' },
  { at: 'failpoint', name: 'trial-write:1' },
  { at: 'output', text: 'pruned' },
  { at: 'failpoint', name: 'epoch-write:3' },
];
