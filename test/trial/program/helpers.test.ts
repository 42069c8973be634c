import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MetricCollector, type Report } from '../../../src/trial/program/collect.js';
import { tempDir } from '../../temp-dir.js';

const HELPERS = fileURLToPath(new URL('../../../helpers/', import.meta.url));
/** Longer than any program here needs; past it the program is killed and the test fails. */
const LIMIT_MS = 20_000;

type Ran = { reports: Report[]; code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

/**
 * Runs `command` to its end with its stdout fed to a MetricCollector. `whenReady` runs once the
 * program prints `ready` on a line (to signal it, or leave it a stop file).
 */
function run(command: string, args: string[], env: NodeJS.ProcessEnv, whenReady?: (pid: number) => void): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: LIMIT_MS, killSignal: 'SIGKILL' });
    const collector = new MetricCollector();
    const reports: Report[] = [];
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      reports.push(...collector.push(chunk));
      const wasReady = stdout.includes('ready\n');
      stdout += chunk.toString();
      if (whenReady !== undefined && !wasReady && stdout.includes('ready\n')) whenReady(child.pid!);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ reports: [...reports, ...collector.end()], code, signal, stdout, stderr }));
  });
}

/** The Python 3 on PATH, and Debian's own where it is installed (the helper must run on its 3.11). */
const PYTHONS = ['python3', ...(existsSync('/usr/bin/python3') ? ['/usr/bin/python3'] : [])];

/** A language's way to run a script that uses its helper. */
type Language = { name: string; run: (script: string, env?: NodeJS.ProcessEnv, whenReady?: (pid: number) => void) => Promise<Ran>; scripts: Record<'reports' | 'answers' | 'stops' | 'late', string> };

const python = (interpreter: string): Language => ({
  name: interpreter,
  run: (script, env = {}, whenReady) => {
    const file = join(tempDir(), 'trial.py');
    writeFileSync(file, script);
    // No __pycache__ beside the helper: the tests write only to their temporary folders.
    return run(interpreter, [file], { PYTHONPATH: HELPERS, PYTHONDONTWRITEBYTECODE: '1', ...env }, whenReady);
  },
  scripts: {
    reports: `
from sweep_report import report
print("Loading data... done")
report(1, loss=0.5, accuracy=0.75)
report(1, {"val/loss": float("nan")})
report(2, {"metrics": 3}, loss=float("inf"))
for bad in (lambda: report(-1, a=1), lambda: report(1.5, a=1), lambda: report(3, step=1), lambda: report(3, a="0.5")):
    try:
        bad()
    except (TypeError, ValueError) as e:
        print("refused:", e)
report(3, last=1)
`,
    answers: `
import json, sys
from sweep_report import params, trial_dir, should_stop
json.dump({"params": params(), "dir": trial_dir(), "stop": should_stop()}, sys.stderr)
`,
    stops: `
import time
from sweep_report import report, should_stop
print("ready", flush=True)
waits = 0
while not should_stop():
    time.sleep(0.01)
    waits += 1
report(7, waited=waits)
print("saved and stopped")
`,
    late: `
import signal, time
own = []
signal.signal(signal.SIGTERM, lambda signum, frame: own.append(signum))
from sweep_report import report, should_stop
print("ready", flush=True)
while not own:
    time.sleep(0.01)
print("own handler ran")
report(1, stopped=int(should_stop()))
`,
  },
});

const node: Language = {
  name: 'node',
  run: (script, env = {}, whenReady) => {
    const file = join(tempDir(), 'trial.mjs');
    writeFileSync(file, script.replaceAll('HELPER', JSON.stringify(join(HELPERS, 'report.mjs'))));
    return run(process.execPath, [file], env, whenReady);
  },
  scripts: {
    reports: `
import { report } from HELPER;
console.log('Loading data... done');
report(1, { loss: 0.5, accuracy: 0.75 });
report(1, { 'val/loss': NaN });
report(2, { metrics: 3, loss: Infinity });
for (const bad of [() => report(-1, { a: 1 }), () => report(1.5, { a: 1 }), () => report(3, { step: 1 }), () => report(3, { a: '0.5' })]) {
  try { bad(); } catch (e) { console.log('refused:', e.message); }
}
await report(3, { last: 1 });
process.exit(0);
`,
    answers: `
import { params, trialDir, shouldStop } from HELPER;
process.stderr.write(JSON.stringify({ params: params(), dir: trialDir(), stop: shouldStop() }));
`,
    stops: `
import { setTimeout as sleep } from 'node:timers/promises';
import { report, shouldStop } from HELPER;
console.log('ready');
let waits = 0;
while (!shouldStop()) { await sleep(10); waits += 1; }
report(7, { waited: waits });
console.log('saved and stopped');
`,
    late: `
let termed;
const term = new Promise((resolve) => (termed = resolve));
process.on('SIGTERM', () => termed());
const { report, shouldStop } = await import(HELPER);
console.log('ready');
const alive = setTimeout(() => {}, ${LIMIT_MS}); // a signal listener keeps no program running
await term;
clearTimeout(alive);
console.log('own handler ran');
report(1, { stopped: shouldStop() ? 1 : 0 });
`,
  },
};

describe.each([...PYTHONS.map(python), node])('the helper for $name', (lang) => {
  it('prints reports the collector reads, NaN and Infinity included, and refuses a bad step or value', async () => {
    const ran = await lang.run(lang.scripts.reports);
    expect(ran.stderr).toBe('');
    expect([ran.code, ran.reports]).toEqual([0, [
      { step: 1, values: { loss: 0.5, accuracy: 0.75 } },
      { step: 1, values: { loss: 0.5, accuracy: 0.75, 'val/loss': NaN } },
      { step: 2, values: { metrics: 3, loss: Infinity } },
      { step: 3, values: { last: 1 } },
    ]]);
    expect(ran.stdout.split('\n').filter((l) => l.startsWith('refused: report: ')).length).toBe(4);
  });

  it('gives the trial\'s parameters and folder, and their defaults when run by hand', async () => {
    const dir = tempDir();
    const file = join(dir, 'params.json');
    writeFileSync(file, JSON.stringify({ lr: 0.01, layers: [64, 32], optimizer: 'adam' }));
    const given = await lang.run(lang.scripts.answers, { SWEEP_PARAMS_FILE: file, SWEEP_TRIAL_DIR: dir });
    expect(JSON.parse(given.stderr)).toEqual({ params: { lr: 0.01, layers: [64, 32], optimizer: 'adam' }, dir, stop: false });
    const byHand = await lang.run(lang.scripts.answers);
    expect(JSON.parse(byHand.stderr)).toEqual({ params: {}, dir: process.cwd(), stop: false });
  });

  it('says should stop after SIGTERM, and the script ends itself cleanly', async () => {
    const ran = await lang.run(lang.scripts.stops, {}, (pid) => process.kill(pid, 'SIGTERM'));
    expect([ran.code, ran.signal, ran.stderr]).toEqual([0, null, '']);
    expect(ran.reports).toEqual([{ step: 7, values: { waited: expect.any(Number) } }]);
  });

  it('says should stop once a file `stop` stands in the trial\'s folder', async () => {
    const dir = tempDir();
    const ran = await lang.run(lang.scripts.stops, { SWEEP_TRIAL_DIR: dir }, () => writeFileSync(join(dir, 'stop'), ''));
    expect([ran.code, ran.signal, ran.stderr]).toEqual([0, null, '']);
    expect(ran.reports.map((r) => r.step)).toEqual([7]);
  });

  it('notes a SIGTERM that comes before the script first asks, after running the script\'s own handler', async () => {
    const ran = await lang.run(lang.scripts.late, {}, (pid) => process.kill(pid, 'SIGTERM'));
    expect([ran.code, ran.signal, ran.stderr]).toEqual([0, null, '']);
    expect(ran.stdout).toContain('own handler ran\n');
    expect(ran.reports).toEqual([{ step: 1, values: { stopped: 1 } }]);
  });
});
