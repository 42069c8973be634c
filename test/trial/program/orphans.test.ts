/**
 * No orphans when sweep itself is killed with SIGKILL: a stand-in for sweep (orchestrator.ts, a
 * process of its own) starts a program that forks in every way a session allows, and is killed
 * with SIGKILL; then no process of the program's session may be left.
 *
 * The orchestrator gets a pipe as its fd 20, which it does not mark close-on-exec (Node marks fds
 * 0-15 as it starts: uv_disable_stdio_inheritance), so every process it starts and every
 * descendant of those holds it, the guard too: the pipe's end is the event that the last of them
 * is gone. The processes of the program print their pids on it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { tempDir } from '../../temp-dir.js';
import { alive, ids, liveInSession, PYTHON } from './proc.js';

/**
 * All ignore SIGTERM: a child; a grandchild whose parent waits; a double fork (orphaned at once);
 * a process in a group of its own inside the session (out of reach of kill(-group)). Each
 * prints "NAME PID" on fd 20 (in bash: dash's redirections name only fds 0-9). Only absolute
 * paths: PATH may name nothing.
 */
const PROGRAM = `trap '' TERM
echo "leader $$" >&20
/bin/bash -c '/bin/sleep 1000 & echo "grandchild $!" >&20; echo "child $$" >&20; wait' &
( (exec /bin/sleep 1000) & echo "doubleforked $!" >&20 )
"$SWEEP_TEST_PYTHON" -c 'import os, time; os.setpgid(0, 0); os.write(20, b"moved %d\\n" % os.getpid()); time.sleep(1000)' &
wait`;
const NAMES = ['leader', 'child', 'grandchild', 'doubleforked', 'moved'];

let bundle: string;
beforeAll(async () => {
  bundle = join(tempDir('sweep-orchestrator-'), 'orchestrator.mjs');
  await build({ entryPoints: [join(import.meta.dirname, 'orchestrator.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: bundle, logLevel: 'silent' });
});

/** Rejects with `what` where `p` has not settled within `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((_, failed) => { timer = setTimeout(() => failed(new Error(`${what}: not within ${ms} ms`)), ms); })])
    .finally(() => clearTimeout(timer));
}

/** Reads lines from a stream, resolving `until` once `test` holds for what has come. */
function lines(stream: Readable) {
  let text = '';
  let check: (() => void) | undefined;
  stream.on('data', (d: Buffer) => { text += d.toString(); check?.(); });
  return {
    text: () => text,
    until: (test: (text: string) => boolean) => new Promise<void>((done) => { check = () => { if (test(text)) done(); }; check(); }),
  };
}

/** Starts the orchestrator on PROGRAM and returns once every process of it has reported its pid. */
async function startOrchestrator(path: string) {
  const orchestrator: ChildProcess = spawn(process.execPath, [bundle, join(tempDir(), 'trial'), '/bin/bash', '-c', PROGRAM], {
    env: { ...process.env, PATH: path, SWEEP_TEST_PYTHON: PYTHON },
    stdio: ['pipe', 'pipe', 'inherit', ...Array<'ignore'>(17).fill('ignore'), 'pipe'],
  });
  // A test that fails before its kill still takes the program down, by the very means under test.
  onTestFinished(() => { if (orchestrator.exitCode === null && orchestrator.signalCode === null) orchestrator.kill('SIGKILL'); });
  const held = (orchestrator.stdio as unknown as Readable[])[20];
  const allGone = new Promise<void>((done) => held.on('end', done));
  const pids = lines(held);
  const exited = new Promise<void>((done) => orchestrator.on('exit', () => done()));
  const out = lines(orchestrator.stdout!);
  const reported = (text: string) => NAMES.every((n) => new RegExp(`^${n} \\d+$`, 'm').test(text));
  await within(Promise.race([pids.until(reported), exited.then(() => { throw new Error(`the orchestrator exited: ${out.text()}`); })]), 30_000, 'every process reports its pid');
  const pid = Object.fromEntries(NAMES.map((n) => [n, Number(new RegExp(`^${n} (\\d+)$`, 'm').exec(pids.text())![1])]));
  await out.until((t) => t.includes('started'));
  expect(out.text()).toContain(`started ${pid.leader}\n`);
  for (const n of NAMES) expect([n, alive(pid[n]), ids(pid[n])?.session]).toEqual([n, true, pid.leader]);
  expect(ids(pid.moved)?.pgrp).toBe(pid.moved);
  return { orchestrator, exited, out, pid, allGone };
}

/** Kills the orchestrator with SIGKILL and checks that the program's session goes with it. */
async function killAndCheck(o: Awaited<ReturnType<typeof startOrchestrator>>) {
  o.orchestrator.kill('SIGKILL');
  await o.exited;
  await within(o.allGone, 10_000, 'every process of the program gone (the last holder of fd 20 closed it)');
  expect(liveInSession(o.pid.leader)).toEqual([]);
  expect(NAMES.filter((n) => alive(o.pid[n]))).toEqual([]);
}

describe('sweep killed with SIGKILL', () => {
  it('takes the program\'s whole session with it (setpriv found: the guard, and the leader\'s parent-death signal)', async () => {
    const o = await startOrchestrator(process.env.PATH!);
    expect(o.out.text()).not.toContain('warn');
    await killAndCheck(o);
  });

  it('takes it with it where setpriv is missing: the guard alone, and sweep says so', async () => {
    const o = await startOrchestrator('/sweep-test-no-such-dir');
    expect(o.out.text()).toContain('warn setpriv --pdeathsig (util-linux 2.33+) not found');
    await killAndCheck(o);
  });

  it('takes it with it in the middle of stop()\'s grace, when all of it ignored the SIGTERM', async () => {
    const o = await startOrchestrator(process.env.PATH!);
    o.orchestrator.stdin!.write('stop\n');
    await o.out.until((t) => t.includes('stopping'));
    for (const n of NAMES) expect([n, alive(o.pid[n])]).toEqual([n, true]);
    await killAndCheck(o);
  });
});
