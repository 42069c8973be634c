/**
 * Sweeps of the user's own program, end to end through the CLI: W&B's documented sweep files
 * with a tiny train.py written to W&B's conventions, the examples, PostgreSQL and `sweep
 * worker`, `sweep logs`, `sweep repro`, and the ways a program can misbehave.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestDb } from '../store/pg-test-db.js';
import { SWEEPDEMO } from '../spec/wandb-docs.js';
import { tempDir } from '../temp-dir.js';
import { alive } from '../trial/program/proc.js';
import { rows, stoppedRun, sweep, sweepProcess } from './run-cli.js';

const EXAMPLES = resolve('examples');

/** A copy of examples/NAME in a fresh folder, with a database beside it. */
function example(name: string): { dir: string; db: string } {
  const dir = join(tempDir('sweep-program-'), name);
  cpSync(join(EXAMPLES, name), dir, { recursive: true });
  return { dir, db: join(dir, 'runs', 'sweeps.db') };
}

/** The first python3 that has torch (Debian's python3-torch), or undefined. */
const TORCH_PYTHON = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);

describe('W&B\'s documented sweep files, with a train.py written to W&B\'s conventions', () => {
  it('sweepdemo (docs.wandb.ai, define-sweep-configuration) runs as written, given a run_cap, ranked by its validation_loss', async () => {
    const { dir, db } = example('wandb');
    // Quoted from W&B's docs: the example file is this text, after its comment, and a run_cap.
    const quoted = `${SWEEPDEMO}run_cap: 12\n`;
    expect(readFileSync(join(dir, 'sweepdemo.yaml'), 'utf8').replace(/^#.*\n/gm, '')).toBe(quoted);
    const r = await sweep('run', join(dir, 'sweepdemo.yaml'), '--db', db, '--workers', '2');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/sweep sweepdemo finished in .*: 12 completed, 0 failed/);
    const trials = rows<{ id: number; metric_value: number; model: string; epochs_done: number }>(db,
      'SELECT id, metric_value, model, epochs_done FROM trials ORDER BY id');
    expect(trials).toHaveLength(12);
    expect(trials.every((t) => t.model === 'program' && Number.isFinite(t.metric_value))).toBe(true);
    // Each trial trained for the epochs it was given, and reported its loss at each.
    const params = rows<{ trial_id: number; name: string; value: string }>(db, 'SELECT trial_id, name, value FROM trial_params ORDER BY trial_id, name');
    expect(new Set(params.map((p) => p.name))).toEqual(new Set(['batch_size', 'epochs', 'learning_rate', 'optimizer']));
    for (const t of trials) expect(String(t.epochs_done)).toBe(params.find((p) => p.trial_id === t.id && p.name === 'epochs')!.value);
    // Ranked lowest validation_loss first, as the sweep's goal says.
    const board = rows<{ trial_id: number; metric_value: number }>(db, 'SELECT trial_id, metric_value FROM leaderboard ORDER BY rank');
    expect(board.map((b) => b.metric_value)).toEqual([...board.map((b) => b.metric_value)].sort((a, b) => a - b));
    const show = await sweep('show', 'sweepdemo', '--db', db);
    expect(show.out.split('\n')[0]).toMatch(/rank +trial +status +batch_size +epochs +learning_rate +optimizer +validation_loss +steps/);
    expect(show.out.split('\n')[2]).toMatch(new RegExp(`^ +1 +${board[0].trial_id} +completed`));
  });

  it('the custom-command example (docs.wandb.ai, custom_cli_commands_sweeps) runs its command line, as written', async () => {
    const { dir, db } = example('wandb');
    const quoted = `program:
  train.py
method: grid
parameters:
  batch_size:
    value: 8
  lr:
    value: 0.0001
command:
  - \${env}
  - python
  - \${program}
  - "-b"
  - your-training-config
  - \${args}
`;
    expect(readFileSync(join(dir, 'custom-command.yaml'), 'utf8').replace(/^#.*\n/gm, '').replace('name: custom-command\n', '')).toBe(quoted);
    // `python` as W&B's docs name it: where it is not installed, python3 under that name.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const python3 = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(python3, join(bin, 'python'));
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      const r = await sweep('run', join(dir, 'custom-command.yaml'), '--db', db);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/1 completed, 0 failed/);
    } finally {
      process.env.PATH = path;
    }
    // The command W&B's agent would run, as the program saw it.
    const logs = await sweep('logs', '1', '--db', db, '--stdout');
    expect(logs.out.trim().split('\n')).toHaveLength(5);
    // Where it came from: the program's hash, the sweep's and the trial's alike; no kernels of sweep's ran it.
    const [trial] = rows<{ env_json: string; program_sha256: string }>(db, 'SELECT t.env_json, s.program_sha256 FROM trials t JOIN sweeps s ON s.id = t.sweep_id');
    const env = JSON.parse(trial.env_json);
    expect(env.program).toMatch(/^[0-9a-f]{64}$/);
    expect(env.program).toBe(trial.program_sha256);
    expect(env).not.toHaveProperty('kernels');
    expect((await sweep('show', 'custom-command', '--db', db)).out).toContain(`program SHA-256 ${trial.program_sha256}`);
    expect(rows(db, 'SELECT name, value FROM trial_params ORDER BY name')).toEqual([{ name: 'batch_size', value: '8' }, { name: 'lr', value: '0.0001' }]);
  });
});

describe('the examples', () => {
  it.runIf(TORCH_PYTHON)('examples/pytorch: the notebook\'s ANN in PyTorch, pruned by ASHA, checkpointed in its folders, reproduced exactly', async () => {
    const { dir, db } = example('pytorch');
    // Small, for the test suite: 600 images, 2 epochs, 3 trials; the python that has torch.
    const spec = readFileSync(join(dir, 'sweep.yaml'), 'utf8').replace('trials: 9', 'trials: 3').replace('epochs: [9]', 'epochs: [2]\n  limit: [600]');
    writeFileSync(join(dir, 'sweep.yaml'), `${spec}interpreter: ${TORCH_PYTHON}\n`);
    writeFileSync(join(dir, 'train.py'), readFileSync(join(dir, 'train.py'), 'utf8').replace(
      'DATA = os.path.join(HERE, "..", "..", "data", "fashion-mnist")', `DATA = ${JSON.stringify(resolve('data/fashion-mnist'))}`));
    const r = await sweep('run', join(dir, 'sweep.yaml'), '--db', db, '--workers', '2');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/finished in .*: \d completed(, \d pruned)?, 0 failed/);
    const trials = rows<{ id: number; status: string; epochs_done: number }>(db, 'SELECT id, status, epochs_done FROM trials ORDER BY id');
    expect(trials).toHaveLength(3);
    for (const t of trials) expect(t.status === 'completed' ? t.epochs_done === 2 : t.status === 'pruned').toBe(true);
    // Each trial checkpointed in its own folder, beside the database.
    const folders = join(dir, 'runs', 'trials', 'pytorch-ann');
    expect(readdirSync(folders).filter((f) => existsSync(join(folders, f, 'checkpoint.pt')))).toHaveLength(3);
    const best = trials.find((t) => t.status === 'completed')!;
    const repro = await sweep('repro', String(best.id), '--db', db);
    expect(repro.out).toMatch(/reproduced exactly: trial \d+ matches trial \d+ in every value at every step/);
    expect(repro.code).toBe(0);
  });

  it('examples/tfjs: an objective module in sweep\'s worker threads, TensorFlow.js inside, pruned by ASHA', async () => {
    // The example's layout around it: the repository's data and packages, as its imports find them.
    const root = tempDir('sweep-objective-');
    cpSync(join(EXAMPLES, 'tfjs'), join(root, 'examples', 'tfjs'), { recursive: true });
    symlinkSync(resolve('data'), join(root, 'data'));
    symlinkSync(resolve('node_modules'), join(root, 'node_modules'));
    const dir = join(root, 'examples', 'tfjs');
    const db = join(root, 'runs', 'sweeps.db');
    writeFileSync(join(dir, 'sweep.yaml'), readFileSync(join(dir, 'sweep.yaml'), 'utf8').replace('trials: 6', 'trials: 3').replace('epochs: [3]', 'epochs: [3]\n  limit: [600]'));
    const r = await sweep('run', join(dir, 'sweep.yaml'), '--db', db, '--workers', '2');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/sweep tfjs-ann finished in .*: [1-3] completed(, \d pruned)?, 0 failed/);
    const trials = rows<{ status: string; backend: string; epochs_done: number }>(db, 'SELECT status, backend, epochs_done FROM trials');
    expect(trials).toHaveLength(3);
    for (const t of trials) expect([t.backend, t.status === 'completed' ? t.epochs_done === 3 : t.status === 'pruned']).toEqual(['objective', true]);
    // Each trial kept its weights in its own folder.
    expect(readdirSync(join(root, 'runs', 'trials', 'tfjs-ann')).every((f) => existsSync(join(root, 'runs', 'trials', 'tfjs-ann', f, 'weights.json')))).toBe(true);
  });

  it.runIf(TORCH_PYTHON)('examples/keras-log: Keras\'s model.fit progress bar, read by the spec\'s filter, one step per epoch', async () => {
    const { dir, db } = example('keras-log');
    cpSync(join(EXAMPLES, 'pytorch'), join(dir, '..', 'pytorch'), { recursive: true });
    writeFileSync(join(dir, 'sweep.yaml'), `${readFileSync(join(dir, 'sweep.yaml'), 'utf8').replace('epochs: [3]', 'epochs: [2]\n  limit: [600]')}interpreter: ${TORCH_PYTHON}\n`);
    writeFileSync(join(dir, '..', 'pytorch', 'train.py'), readFileSync(join(dir, '..', 'pytorch', 'train.py'), 'utf8').replace(
      'DATA = os.path.join(HERE, "..", "..", "data", "fashion-mnist")', `DATA = ${JSON.stringify(resolve('data/fashion-mnist'))}`));
    const r = await sweep('run', join(dir, 'sweep.yaml'), '--db', db);
    expect(r.code).toBe(0);
    const metrics = rows<{ trial_id: number; name: string; step: number }>(db, 'SELECT trial_id, name, step FROM trial_metrics WHERE name <> \'epoch_seconds\' AND name <> \'train_seconds\' ORDER BY trial_id, name, step');
    // Both epochs of both trials, with the four metrics of Keras's last line of each epoch.
    expect(metrics.filter((m) => m.trial_id === 1).map((m) => `${m.name}@${m.step}`)).toEqual(
      ['accuracy@1', 'accuracy@2', 'loss@1', 'loss@2', 'val_accuracy@1', 'val_accuracy@2', 'val_loss@1', 'val_loss@2']);
    const logs = await sweep('logs', '1', '--db', db, '--stdout');
    expect(logs.out).toMatch(/^Epoch 1\/2$/m);
    expect(logs.out).toContain('\b\r');
  });
});

/** A spec for one program: `source` is written as prog.py (python3, the standard library) and run with parameters `grid`. */
function programSpec(source: string, grid = '  x: [1]\n', extra = ''): { dir: string; spec: string; db: string } {
  const dir = tempDir('sweep-program-');
  writeFileSync(join(dir, 'prog.py'), source);
  writeFileSync(join(dir, 'spec.yaml'), `name: p\nprogram: prog.py\nmetric: {name: score, goal: maximize}\n${extra}grid:\n${grid}`);
  return { dir, spec: join(dir, 'spec.yaml'), db: join(dir, 'runs', 'sweeps.db') };
}

describe('a program that misbehaves: one clear line, and nothing recorded is lost', () => {
  it('a missing program, a missing interpreter: refused before anything is recorded', async () => {
    const { dir, spec, db } = programSpec('print("score=1")\n');
    writeFileSync(spec, readFileSync(spec, 'utf8').replace('prog.py', 'missing.py'));
    let r = await sweep('run', spec, '--db', db);
    expect(r.err).toBe(`sweep: program not found: ${join(dir, 'missing.py')} (\`program: missing.py\`, from the spec's folder)\n`);
    expect(r.code).toBe(1);
    writeFileSync(spec, `${readFileSync(spec, 'utf8').replace('missing.py', 'prog.py')}interpreter: python9\n`);
    r = await sweep('run', spec, '--db', db);
    expect(r.err).toMatch(/^sweep: program not found: python9 is not on PATH \(.*\)\n$/);
    expect(existsSync(db)).toBe(false);
  });

  it('a bad parameter name, a bad collect filter: refused with file:line:col', async () => {
    const { spec, db } = programSpec('', '  "lr rate": [1]\n');
    expect((await sweep('run', spec, '--db', db)).err).toMatch(/spec\.yaml:5:3 grid\.lr rate: "lr rate" cannot be a parameter's name/);
    const bad = programSpec('', '  lr: [1]\n', 'collect: {filter: "val=(\\\\d+)"}\n');
    expect((await sweep('run', bad.spec, '--db', bad.db)).err).toMatch(/spec\.yaml:4:19 collect\.filter: needs two groups/);
  });

  it('a crash fails its trial with the end of its traceback; --retry-failed runs it again', async () => {
    const { dir, spec, db } = programSpec(`import os, sys
print("epoch=1 score=0.5", flush=True)
if not os.path.exists(os.path.join(os.environ["SWEEP_TRIAL_DIR"], "ok")):
    open(os.path.join(os.environ["SWEEP_TRIAL_DIR"], "ok"), "w").close()
    raise ValueError("shapes do not match")
print("epoch=2 score=0.75")
`);
    let r = await sweep('run', spec, '--db', db);
    expect(r.out).toMatch(/trial 1 FAILED: the program exited with code 1: .*raise ValueError\("shapes do not match"\) \| ValueError: shapes do not match/);
    expect(rows(db, 'SELECT status, epochs_done FROM trials')).toEqual([{ status: 'failed', epochs_done: 1 }]);
    r = await sweep('run', spec, '--db', db, '--retry-failed');
    expect(r.out).toMatch(/1 completed, 0 failed/);
    expect(rows(db, 'SELECT status, epochs_done, attempts, metric_value FROM trials')).toEqual([{ status: 'completed', epochs_done: 2, attempts: 2, metric_value: 0.75 }]);
    // Each attempt's output kept apart.
    expect((await sweep('logs', '1', '--db', db, '--attempt', '1', '--stderr')).out).toMatch(/ValueError: shapes do not match/);
    expect((await sweep('logs', '1', '--db', db, '--stderr')).out).toBe('');
    expect(dir).toBeTruthy();
  });

  it('writes 1 GiB to stdout: the record keeps its start and end, and the sweep goes on', async () => {
    const { spec, db } = programSpec(`import sys
chunk = b"x" * (1 << 20)
for _ in range(1024):
    sys.stdout.buffer.write(chunk)
sys.stdout.buffer.write(b"\\nepoch=1 score=0.5\\n")
`);
    const r = await sweep('run', spec, '--db', db);
    expect(r.out).toMatch(/1 completed, 0 failed/);
    const [log] = rows<{ bytes: number; n: number }>(db, "SELECT bytes, LENGTH(text) AS n FROM trial_logs WHERE stream = 'stdout'");
    expect(log.bytes).toBe(1024 * (1 << 20) + 19);
    expect(log.n).toBeLessThan(600 * 1024);
  });

  it('forks a child that outlives it: the trial completes and the child is gone', async () => {
    const { dir, spec, db } = programSpec(`import subprocess
p = subprocess.Popen(["sleep", "1000"])
open("${'${DIR}'}/child.pid", "w").write(str(p.pid))
print("epoch=1 score=1")
`.replace('${DIR}', tempDir()));
    const pidFile = readFileSync(join(dir, 'prog.py'), 'utf8').match(/open\("(.*)\/child\.pid"/)![1];
    const r = await sweep('run', spec, '--db', db);
    expect(r.out).toMatch(/1 completed/);
    const pid = Number(readFileSync(join(pidFile, 'child.pid'), 'utf8'));
    // Gone: no process, or a zombie (it exited; here PID 1 may not reap it).
    expect(alive(pid)).toBe(false);
  });

  it('prints an objective other than the spec\'s: failed, saying what it reported', async () => {
    const { spec, db } = programSpec('print("epoch=1 accuracy=0.5")\n');
    const r = await sweep('run', spec, '--db', db);
    expect(r.out).toMatch(/FAILED: the program exited 0 without reporting score, the sweep's metric \(it reported accuracy\)/);
    expect(r.code).toBe(1);
  });
});

describe('a program that cannot run: like W&B\'s agent, the sweep gives up after its first 5 trials fail', () => {
  const failing = () => programSpec('import sys\nsys.exit("no GPU here")\n', '  x: [1, 2, 3, 4, 5, 6, 7, 8]\n');
  const statuses = (db: string) => rows<{ status: string; n: number }>(db, 'SELECT status, COUNT(*) AS n FROM trials GROUP BY status ORDER BY status');

  it('sweep run: 5 failed, 3 left pending, one line and exit 1; a second run, and SWEEP_MAX_INITIAL_FAILURES=0, run the rest', async () => {
    const { spec, db } = failing();
    let r = await sweep('run', spec, '--db', db, '--workers', '1');
    expect(r.err).toBe('sweep p: its first 5 trials all failed, so no more were started (`sweep show p` has their errors; SWEEP_MAX_INITIAL_FAILURES=0 never stops)\n');
    expect(r.out).toMatch(/trial 1 \[x=1\] FAILED: the program exited with code 1: no GPU here/);
    expect(r.code).toBe(1);
    expect(statuses(db)).toEqual([{ status: 'failed', n: 5 }, { status: 'pending', n: 3 }]);
    // The failures already recorded do not count again: the next run tries the 3 left.
    r = await sweep('run', spec, '--db', db, '--workers', '1');
    expect(r.err).toBe('');
    expect(statuses(db)).toEqual([{ status: 'failed', n: 8 }]);
    // Never giving up: all 8 run again.
    process.env.SWEEP_MAX_INITIAL_FAILURES = '0';
    try {
      r = await sweep('run', spec, '--db', db, '--retry-failed');
    } finally {
      delete process.env.SWEEP_MAX_INITIAL_FAILURES;
    }
    expect(r.err).toBe('');
    expect(rows(db, 'SELECT SUM(attempts) AS n FROM trials')).toEqual([{ n: 16 }]);
  });

  it('a trial that completes first: the failures after it are only failures', async () => {
    const { spec, db } = programSpec('import os, sys\nif os.environ["SWEEP_PARAM_X"] != "1": sys.exit(2)\nprint("score=1")\n', '  x: [1, 2, 3, 4, 5, 6, 7]\n');
    const r = await sweep('run', spec, '--db', db, '--workers', '1');
    expect(r.err).toBe('');
    expect(statuses(db)).toEqual([{ status: 'completed', n: 1 }, { status: 'failed', n: 6 }]);
  });

  it('a bad SWEEP_MAX_INITIAL_FAILURES: one line, nothing run', async () => {
    const { spec, db } = failing();
    process.env.SWEEP_MAX_INITIAL_FAILURES = 'some';
    try {
      const r = await sweep('run', spec, '--db', db);
      expect(r.err).toBe('sweep: SWEEP_MAX_INITIAL_FAILURES must be a whole number (0: never stop), got "some"\n');
      expect(r.code).toBe(1);
    } finally {
      delete process.env.SWEEP_MAX_INITIAL_FAILURES;
    }
    expect(existsSync(db)).toBe(false);
  });

  it('sweep worker: gives that sweep up, says so, and exits 1 instead of retrying it forever', async () => {
    const { dir, spec, db } = failing();
    // Recorded, none run: a run killed before its first claim.
    process.env.SWEEP_FAILPOINT = 'before-claim';
    try {
      expect(sweepProcess('run', spec, '--db', db).code).toBe(null);
    } finally {
      delete process.env.SWEEP_FAILPOINT;
    }
    expect(statuses(db)).toEqual([{ status: 'pending', n: 8 }]);
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const r = await sweep('worker', '--db', db, '--workers', '1');
      expect(r.err).toMatch(/^sweep p: its first 5 trials all failed, so no more were started/);
      expect(r.out).toMatch(/worker: no trials left/);
      expect(r.code).toBe(1);
    } finally {
      process.chdir(cwd);
    }
    expect(statuses(db)).toEqual([{ status: 'failed', n: 5 }, { status: 'pending', n: 3 }]);
  });
});

describe('on PostgreSQL, with sweep worker', () => {
  it('a worker finishes the program trials a stopped run left, from the recorded spec; their logs travel in the database', async () => {
    const pg = await createTestDb();
    try {
      const { dir, spec } = programSpec(`import os, time
print("epoch=1 score=" + os.environ["SWEEP_PARAM_X"], flush=True)
time.sleep(0.3)
print("from", os.environ["SWEEP_TRIAL_ID"], flush=True)
`, '  x: [1, 2, 3, 4]\n');
      // A run stopped with SIGTERM once its first trial completed: three are left.
      const code = await stoppedRun(['run', spec, '--db', pg.url, '--workers', '1'], /trial 1 .*completed/, dir);
      expect(code).toBe(143);
      const cwd = process.cwd();
      process.chdir(dir);
      try {
        const r = await sweep('worker', '--db', pg.url, '--workers', '2');
        expect(r.err).toBe('');
        expect(r.out).toMatch(/worker: no trials left/);
      } finally {
        process.chdir(cwd);
      }
      const q = await sweep('query', '--db', pg.url, 'SELECT id, status, metric_value FROM trials ORDER BY id');
      expect(q.out).toMatch(/1 +completed +1\n +2 +completed +2\n +3 +completed +3\n +4 +completed +4\n/);
      const logs = await sweep('logs', '3', '--db', pg.url, '--stdout');
      expect(logs.out).toBe('epoch=1 score=3\nfrom 3\n');
    } finally {
      await pg.drop();
    }
  });
});
