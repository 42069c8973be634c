/**
 * kill -9 of sweep while a program trial runs: no process of the trial may be left (its
 * program, and the child the program started), and the next run finishes every trial exactly
 * once, the killed one again from its own checkpoint.
 *
 * sweep is started with a pipe as its fd 20, which Node leaves inheritable (it marks only fds
 * 0-15 close-on-exec as it starts), so every process sweep starts, and their children, hold it:
 * the pipe's end is the event that the last of them is gone, waited on, not polled.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../temp-dir.js';
import { BIN, sweep } from './run-cli.js';

// Each run of a trial is noted in its folder; it checkpoints each step there and resumes after
// the last; and it starts a child that would sleep for ever.
const PROGRAM = `import os, subprocess, time
folder = os.environ["SWEEP_TRIAL_DIR"]
open(os.path.join(folder, "runs"), "a").write("run\\n")
subprocess.Popen(["sleep", "1000"], close_fds=False)  # it holds fd 20 too
saved = os.path.join(folder, "step")
start = int(open(saved).read()) + 1 if os.path.exists(saved) else 1
for step in range(start, 6):
    time.sleep(0.15)
    open(saved, "w").write(str(step))
    print(f"epoch={step} score={step * int(os.environ['SWEEP_PARAM_X'])}", flush=True)
`;

const SPEC = `name: crash
program: prog.py
metric: {name: score, goal: maximize}
grid:
  x: [1, 2, 3]
`;

/** Resolves once `stream` ends, rejecting after `ms`. */
function ended(stream: Readable, ms: number): Promise<void> {
  return new Promise((done, failed) => {
    const timer = setTimeout(() => failed(new Error(`fd 20 still open ${ms} ms after the kill: a process of the trial lives on`)), ms);
    stream.on('end', () => { clearTimeout(timer); done(); });
    stream.resume();
  });
}

describe('kill -9 of sweep during a program trial', () => {
  it('leaves no process of the trial, and the next run finishes every trial exactly once', async () => {
    const dir = tempDir('sweep-program-crash-');
    writeFileSync(join(dir, 'prog.py'), PROGRAM);
    writeFileSync(join(dir, 'spec.yaml'), SPEC);
    const db = join(dir, 'runs', 'sweeps.db');
    const stdio = ['ignore', 'pipe', 'pipe', ...Array<'ignore'>(17).fill('ignore'), 'pipe'] as const;
    const child = spawn(process.execPath, [BIN, 'run', join(dir, 'spec.yaml'), '--db', db, '--workers', '1'], {
      stdio: [...stdio], env: { ...process.env, CI: '1' },
    });
    const fd20 = (child.stdio as unknown as Readable[])[20];
    let out = '';
    const killed = new Promise<void>((done) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        // Mid-trial: trial 2 has recorded two of its five steps.
        if (child.exitCode === null && /trial 2 \[x=2\] step 2\//.test(out)) {
          child.kill('SIGKILL');
          done();
        }
      });
    });
    await killed;
    await ended(fd20, 15_000);
    expect(out).toMatch(/trial 1 \[x=1\] completed/);

    const r = await sweep('run', join(dir, 'spec.yaml'), '--db', db);
    expect(r.out).toMatch(/2 completed, 0 failed, 0 interrupted, 1 already done/);
    const d = new Database(db, { readonly: true });
    try {
      expect(d.prepare('SELECT id, status, attempts, epochs_done, metric_value FROM trials ORDER BY id').all()).toEqual([
        { id: 1, status: 'completed', attempts: 1, epochs_done: 5, metric_value: 5 },
        { id: 2, status: 'completed', attempts: 2, epochs_done: 5, metric_value: 10 },
        { id: 3, status: 'completed', attempts: 1, epochs_done: 5, metric_value: 15 },
      ]);
      // Trial 2 went on from its checkpoint: its five steps recorded once each, the first two by the killed attempt.
      expect(d.prepare('SELECT step, value FROM trial_metrics WHERE trial_id = 2 AND name = \'score\' ORDER BY step').all())
        .toEqual([1, 2, 3, 4, 5].map((step) => ({ step, value: step * 2 })));
    } finally {
      d.close();
    }
    // Each trial's program ran once, but the killed one's, twice.
    const folders = join(dir, 'runs', 'trials', 'crash');
    const runs = readdirSync(folders).map((f) => readFileSync(join(folders, f, 'runs'), 'utf8').split('\n').filter(Boolean).length).sort();
    expect(runs).toEqual([1, 1, 2]);
  });
});
