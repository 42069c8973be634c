/**
 * startProgram: a trial's program's exit as it was, its output kept within bounds while it is
 * drained, and its stop (SIGTERM, then SIGKILL after the grace) reaching every process of its
 * session, however the program forks. The kill -9 of sweep itself: orphans.test.ts.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { startProgram, type RunningProgram } from '../../../src/trial/program/process.js';
import { tempDir } from '../../temp-dir.js';
import { alive, collector, ids, inheritedFds, liveInSession, PYTHON } from './proc.js';

const sh = (script: string) => ['/bin/sh', '-c', script];

/** Stops `p` and checks that nothing of its session is left. */
async function stopAll(p: RunningProgram, graceMs: number) {
  const exit = await p.stop(graceMs);
  expect(liveInSession(p.pid)).toEqual([]);
  return exit;
}

describe('a program that ends by itself', () => {
  it('runs in its folder (made for it) with the added environment, and its exit status comes back as it was', async () => {
    const cwd = join(tempDir(), 'trial', '7');
    const out = collector();
    const p = await startProgram(sh('pwd; echo "$SWEEP_TEST_VALUE"; exit 3'), { cwd, env: { SWEEP_TEST_VALUE: 'lr=0.1' }, onStdout: out.onStdout });
    expect(await p.exited).toEqual({ code: 3, signal: null, timedOut: false, stopped: false });
    expect(out.text()).toBe(`${cwd}\nlr=0.1\n`);
    expect(p.output().stdout).toEqual({ text: `${cwd}\nlr=0.1\n`, droppedBytes: 0, totalBytes: cwd.length + 8 });
  });

  it('reports the signal that ended it, not a shell\'s 128 + n', async () => {
    const p = await startProgram(sh('kill -USR1 $$'), { cwd: tempDir() });
    expect(await p.exited).toEqual({ code: null, signal: 'SIGUSR1', timedOut: false, stopped: false });
  });

  it('is sweep\'s own child, leads its session and group, gets no fd of sweep\'s, no child it did not make, and no signal ignored or blocked', async () => {
    const out = collector();
    // The masks are read by the shell's builtins before it starts any child: while a shell waits
    // for a child it blocks every signal for a moment (its SIGCHLD handling), which a child
    // reading /proc/$$/status sees now and then (2 runs in 200 with grep, and as often when the
    // shell is spawned directly, without sweep's launch: not what this test is about).
    const p = await startProgram(sh('while read -r k v; do case $k in SigBlk:|SigIgn:) echo "$k $v";; esac; done </proc/$$/status; ls -1 /proc/$$/fd; c=; read -r c </proc/$$/task/$$/children; echo "children [$c]"'), {
      cwd: tempDir(), onStdout: out.onStdout,
    });
    expect(ids(p.pid)).toMatchObject({ ppid: process.pid, pgrp: p.pid, session: p.pid });
    expect((await p.exited).code).toBe(0);
    // Fds that this process got without close-on-exec from its own parent pass through any spawn; fd 3 (the guard's) must not.
    const passed = inheritedFds().filter((fd) => fd > 3);
    expect(out.text()).toBe(`SigBlk: 0000000000000000\nSigIgn: 0000000000000000\n${[0, 1, 2, ...passed].map((fd) => `${fd}\n`).sort().join('')}children []\n`);
  });

  it('hands stdout on as text whose chunks never split a character', async () => {
    const out = collector();
    const chunks: string[] = [];
    // 1-, 2-, 3- and 4-byte characters, written a byte at a time in 64 KiB reads' worth.
    const line = 'aé€😀'.repeat(2000);
    const p = await startProgram([PYTHON, '-c', `import sys\nb = ${JSON.stringify(line)}.encode()\nfor i in range(0, len(b), 7):\n  sys.stdout.buffer.write(b[i:i+7]); sys.stdout.flush()\n`], {
      cwd: tempDir(), onStdout: (t) => { chunks.push(t); out.onStdout(t); },
    });
    expect((await p.exited).code).toBe(0);
    expect(out.text()).toBe(line);
    expect(chunks.some((c) => c.includes('\uFFFD'))).toBe(false);
  });

  it('keeps the head and the tail of each stream and counts what it dropped between', async () => {
    const p = await startProgram(sh('printf HEAD1234; i=0; while [ $i -lt 100 ]; do printf 0123456789; i=$((i+1)); done; printf TAIL5678; printf E1 >&2; printf 1234567890 >&2; printf E2 >&2'), {
      cwd: tempDir(), keep: { headBytes: 8, tailBytes: 8 },
    });
    await p.exited;
    expect(p.output()).toEqual({
      stdout: { text: 'HEAD1234\n[sweep: 1000 bytes of output not kept]\nTAIL5678', droppedBytes: 1000, totalBytes: 1016 },
      stderr: { text: 'E11234567890E2', droppedBytes: 0, totalBytes: 14 },
    });
  });

  it('drains 1 GiB of stdout and 256 MiB of stderr without blocking the program, in bounded memory', async () => {
    const GiB = 1024 ** 3;
    let maxRss = 0;
    let chunks = 0;
    const before = process.memoryUsage.rss();
    const keep = { headBytes: 64 * 1024, tailBytes: 256 * 1024 };
    const p = await startProgram(sh(`head -c ${256 * 1024 ** 2} /dev/zero >&2 & yes 'epoch 1 loss 0.5' | head -c ${GiB}; wait`), {
      cwd: tempDir(),
      keep,
      onStdout: () => { if (++chunks % 256 === 0) maxRss = Math.max(maxRss, process.memoryUsage.rss()); },
    });
    // Not stopped: a program blocked on a full pipe would never end, and the test would time out.
    expect(await p.exited).toEqual({ code: 0, signal: null, timedOut: false, stopped: false });
    const { stdout, stderr } = p.output();
    expect(stdout.totalBytes).toBe(GiB);
    expect(stdout.droppedBytes).toBe(GiB - keep.headBytes - keep.tailBytes);
    expect(stdout.text.startsWith('epoch 1 loss 0.5\n')).toBe(true);
    expect(stderr.totalBytes).toBe(256 * 1024 ** 2);
    expect(stderr.text.length).toBeLessThan(keep.headBytes + keep.tailBytes + 100);
    // What it keeps is 640 KiB; the rest is the reads in flight and the garbage they leave (32 MiB here).
    expect(maxRss - before).toBeLessThan(128 * 1024 ** 2);
  });

  it('stops, when it ends, what it left running: SIGTERM first, then SIGKILL to what ignores it', async () => {
    const out = collector();
    // One ignores SIGTERM (an ignored signal stays ignored across fork and exec, so from its
    // first instant), one obeys it once its subshell has reset it (if SIGTERM comes first, it waits for the SIGKILL too).
    const p = await startProgram(sh('trap "" TERM; sleep 1000 & echo "ignores $!"; (trap - TERM; exec sleep 1000) & echo "obeys $!"'), {
      cwd: tempDir(), graceMs: 300, onStdout: out.onStdout,
    });
    const started = performance.now();
    const exit = await p.exited;
    const { obeys, ignores } = await out.pids(['obeys', 'ignores'], Promise.resolve());
    expect(exit).toEqual({ code: 0, signal: null, timedOut: false, stopped: false });
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
    expect([alive(obeys), alive(ignores)]).toEqual([false, false]);
    expect(liveInSession(p.pid)).toEqual([]);
  });
});

describe('stop(graceMs)', () => {
  it('ends a program that obeys SIGTERM without waiting out the grace', async () => {
    const out = collector();
    // Ready once the child has become sleep: a SIGTERM that reaches a shell's fresh fork before it
    // execs is taken by the parent's trap, so that sleep would outlive it to the grace (3 runs in
    // 150, the program exiting 0 at once: a race of the shell's, not sweep's).
    const p = await startProgram(sh('trap "echo bye; exit 0" TERM; sleep 1000 & i=0; until read -r n </proc/$!/comm && [ "$n" = sleep ] || [ $i -ge 100000 ]; do i=$((i+1)); done; echo ready 1; wait'), { cwd: tempDir(), onStdout: out.onStdout });
    await out.pids(['ready'], p.exited);
    const asked = performance.now();
    expect(await stopAll(p, 60_000)).toEqual({ code: 0, signal: null, timedOut: false, stopped: true });
    expect(performance.now() - asked).toBeLessThan(10_000);
    expect(out.text()).toContain('bye');
  });

  it('kills one that ignores SIGTERM once the grace is over, and a second call can only bring that nearer', async () => {
    const out = collector();
    const p = await startProgram(sh('trap "" TERM; echo ready 1; while :; do sleep 1; done'), { cwd: tempDir(), onStdout: out.onStdout });
    await out.pids(['ready'], p.exited);
    const asked = performance.now();
    void p.stop(60_000);
    const first = performance.now();
    const exit = await stopAll(p, 300);
    expect(exit).toEqual({ code: null, signal: 'SIGKILL', timedOut: false, stopped: true });
    expect(performance.now() - first).toBeGreaterThanOrEqual(299);
    expect(performance.now() - asked).toBeLessThan(10_000);
  });

  it('takes down its children, a grandchild that outlived its parent, and a double fork, all ignoring SIGTERM', async () => {
    const out = collector();
    const p = await startProgram(sh(`trap "" TERM
      sleep 1000 & echo "child $!"
      sh -c 'sleep 1000 & echo "grandchild $!"' ; echo "parent-gone 1"
      ( (exec sleep 1000) & echo "doubleforked $!" )
      sleep 1000`), { cwd: tempDir(), onStdout: out.onStdout });
    const pids = await out.pids(['child', 'grandchild', 'parent-gone', 'doubleforked'], p.exited);
    // The double-forked one was orphaned at once: its parent is no longer the program.
    expect(ids(pids.doubleforked)?.ppid).not.toBe(p.pid);
    expect(ids(pids.grandchild)?.ppid).not.toBe(p.pid);
    for (const n of ['child', 'grandchild', 'doubleforked']) expect(ids(pids[n])?.session).toBe(p.pid);
    expect(await stopAll(p, 200)).toMatchObject({ signal: 'SIGKILL', stopped: true });
    expect([pids.child, pids.grandchild, pids.doubleforked].filter(alive)).toEqual([]);
  });

  it('takes down a process that moved to a group of its own inside the session', async () => {
    const out = collector();
    const p = await startProgram([PYTHON, '-c', `
import os, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
if os.fork() == 0:
    os.setpgid(0, 0)
    print('moved', os.getpid(), flush=True)
    time.sleep(1000)
    sys.exit()
time.sleep(1000)
`], { cwd: tempDir(), onStdout: out.onStdout });
    const { moved } = await out.pids(['moved'], p.exited);
    expect(ids(moved)).toMatchObject({ pgrp: moved, session: p.pid });
    await stopAll(p, 200);
    expect(alive(moved)).toBe(false);
  });

  it('after the program ended by itself, gives its exit unchanged', async () => {
    const p = await startProgram(sh('exit 0'), { cwd: tempDir() });
    const exit = await p.exited;
    expect(await p.stop(0)).toBe(exit);
    expect(exit.stopped).toBe(false);
  });
});

describe('timeoutMs', () => {
  it('stops the program as stop() does, and the exit says it timed out', async () => {
    const p = await startProgram(sh('sleep 1000 & wait'), { cwd: tempDir(), timeoutMs: 200, graceMs: 5_000 });
    const exit = await p.exited;
    expect(exit).toEqual({ code: null, signal: 'SIGTERM', timedOut: true, stopped: true });
    expect(liveInSession(p.pid)).toEqual([]);
  });
});

describe('a program that cannot start', () => {
  const dir = tempDir();
  const file = (name: string, text: string, mode: number) => { writeFileSync(join(dir, name), text); chmodSync(join(dir, name), mode); return join(dir, name); };
  const plain = file('plain.sh', 'echo hi\n', 0o644);
  const badAbsolute = file('abs.py', '#!/nonexistent/python4\nprint(1)\n', 0o755);
  const badEnv = file('env.py', '#!/usr/bin/env sweep-no-such-python\nprint(1)\n', 0o755);
  const crlf = file('crlf.sh', '#!/bin/sh\r\necho hi\r\n', 0o755);
  mkdirSync(join(dir, 'adir'));
  file('blocker', '', 0o644);

  const cases: [string, string[], RegExp, string?][] = [
    ['a path that does not exist', [join(dir, 'nope.sh')], /^program not found: .*\/nope\.sh$/],
    ['a path relative to its folder that does not exist', ['./nope.sh'], /^program not found: .*\/nope\.sh$/],
    ['a name that is not on PATH', ['sweep-no-such-program', 'x'], /^program not found: sweep-no-such-program is not on PATH \(/],
    ['a file that is not executable', [plain], /^program is not executable: .*\/plain\.sh \(chmod \+x it, or name its interpreter first/],
    ['a directory', [join(dir, 'adir')], /^program is a directory, not a file: .*\/adir$/],
    ['a #! interpreter that does not exist', [badAbsolute], /^interpreter not found: \/nonexistent\/python4 \(the #! line of .*\/abs\.py\)$/],
    ['a #!/usr/bin/env interpreter not on PATH', [badEnv], /^interpreter not found: sweep-no-such-python is not on PATH \(the #! line of .*\/env\.py\)$/],
    ['a #! line with Windows line endings', [crlf], /^interpreter not found: the #! line of .*\/crlf\.sh ends in a carriage return/],
    ['a folder that cannot be made', ['true'], /^cannot make the trial's folder .*\/blocker\/trial: (EEXIST|ENOTDIR)$/, 'blocker/trial'],
  ];
  it.each(cases)('%s is a UserError of one line naming it', async (_, argv, message, cwd) => {
    const err = await startProgram(argv, { cwd: join(dir, cwd ?? '.') }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
  });

  it('finds a program on the PATH its environment adds, and one relative to its folder', async () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'sweep-test-trainer'), '#!/bin/sh\necho "trained $1"\n', { mode: 0o755 });
    writeFileSync(join(dir, 'local.sh'), '#!/bin/sh\necho local\n', { mode: 0o755 });
    const out = collector();
    const p = await startProgram(['sweep-test-trainer', 'mnist'], { cwd: dir, env: { PATH: `${bin}:${process.env.PATH}` }, onStdout: out.onStdout });
    expect((await p.exited).code).toBe(0);
    const local = await startProgram(['./local.sh'], { cwd: dir, onStdout: out.onStdout });
    expect((await local.exited).code).toBe(0);
    expect(out.text()).toBe('trained mnist\nlocal\n');
  });
});
