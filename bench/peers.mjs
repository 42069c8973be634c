// Whole sweeps, timed as a user waits for them: `sweep run` on a spec (a fresh process, its own
// database) and the Optuna 3.1 + PyTorch peer (bench/optuna_search.py) on the same grid. Each
// wall time runs from spawning the process to its exit: start-up, data, training, validation,
// test and writes included. Used by bench/train-speed.mjs (npm run bench) and bench/search.mjs.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';

const PYTHON = '/usr/bin/python3';

/**
 * Runs `sweep run` (dist/cli/main.js, from the current directory) on a spec object written to
 * dir/NAME.yaml with its database dir/NAME.db; its wall seconds and what the database then holds.
 */
export async function sweepCli(dir, name, spec, workers) {
  const file = join(dir, `${name}.yaml`);
  const db = join(dir, `${name}.db`);
  writeFileSync(file, stringify({ ...spec, name }));
  const started = performance.now();
  const code = await new Promise((done) => {
    const child = spawn(process.execPath, ['dist/cli/main.js', 'run', file, '--db', db, '--no-tui', '--workers', String(workers)], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('exit', done);
  });
  const wall = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`sweep run ${name} exited ${code}`);
  const d = new Database(db, { readonly: true });
  const trials = d.prepare('SELECT status, epochs_done, val_accuracy, test_accuracy, config_json, seconds FROM trials').all();
  const { epochSeconds } = d.prepare('SELECT sum(seconds) AS epochSeconds FROM epochs').get();
  d.close();
  const best = trials.filter((t) => t.status === 'completed').sort((a, b) => b.val_accuracy - a.val_accuracy)[0];
  return {
    run: name, wall, trials: trials.length, pruned: trials.filter((t) => t.status === 'pruned').length,
    epochs: trials.reduce((s, t) => s + t.epochs_done, 0),
    // Where the wall time went: the epochs (training and validation), the rest of each trial
    // (building the model, the test set), and outside the trials (start-up, the pool, writes).
    epochSeconds, trialSeconds: trials.reduce((s, t) => s + (t.seconds ?? 0), 0),
    best: { valAccuracy: best.val_accuracy, testAccuracy: best.test_accuracy, config: JSON.parse(best.config_json) },
  };
}

/** Whether the Optuna peer can run here: Debian's python3-optuna, python3-torch and OpenBLAS. */
export function optunaAvailable() {
  return spawnSync(PYTHON, ['-c', 'import optuna, torch'], { stdio: 'ignore' }).status === 0
    && spawnSync('dpkg', ['-s', 'libopenblas0-pthread'], { stdio: 'ignore' }).status === 0;
}

/**
 * Runs bench/optuna_search.py with CONFIG (see its docstring) on the vendored images; the same
 * summary as sweepCli, plus the script's own JSON as `out`.
 */
export function optunaSearch(name, config) {
  const started = performance.now();
  const r = spawnSync(PYTHON, ['bench/optuna_search.py', 'data/fashion-mnist', JSON.stringify(config)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const wall = (performance.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`optuna_search.py exited ${r.status}`);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1));
  return {
    run: name, wall, trials: out.trials, pruned: out.pruned, epochs: out.epochs_trained,
    trialSeconds: out.per_trial.reduce((s, t) => s + t.seconds, 0),
    best: { valAccuracy: out.best.val_accuracy, testAccuracy: out.best.test_accuracy, config: out.best.params },
    out,
  };
}

const CLI = 'dist/cli/main.js';

/**
 * One sweep trained by several processes, timed as a user waits for it: `sweep run SPEC` on
 * `db` with `workers` workers, and, once it has started its first trial, `joiners` × `sweep
 * worker --sweep NAME` with `joinerWorkers` each (on a PostgreSQL database: as other machines
 * would join). The spec object is written to dir/NAME.yaml. Wall seconds run from spawning the
 * run to the last process's exit. Each process's last log line gives its own seconds, epochs
 * and the seconds its workers waited for earlier trials (a deterministic sweep's cost; summed
 * over its workers); `gaveWay` counts the trials it put back in the queue (a verdict that needed
 * an earlier trial nobody ran: its epoch in flight is trained again later).
 */
export async function sweepProcesses(dir, name, spec, { db, workers, joiners = 0, joinerWorkers = 1 }) {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify({ ...spec, name }));
  const started = performance.now();
  const exits = [];
  const start = (role, args, n) => {
    const child = spawn(process.execPath, [CLI, ...args, '--db', db], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (chunk) => { text += chunk.toString(); });
    exits.push(new Promise((done) => child.on('exit', (code) => done({ role, workers: n, code, text }))));
    return child;
  };
  const run = start('run', ['run', file, '--no-tui', '--workers', String(workers)], workers);
  if (joiners > 0) {
    // They join once the run has recorded the sweep: at its first trial's start.
    await new Promise((done) => {
      let seen = '';
      run.stdout.on('data', (chunk) => { seen += chunk.toString(); if (/ started$/m.test(seen)) done(); });
      run.on('exit', done);
    });
    for (let i = 0; i < joiners; i++) start('worker', ['worker', '--sweep', name, '--workers', String(joinerWorkers)], joinerWorkers);
  }
  const processes = (await Promise.all(exits)).map(({ role, workers: n, code, text }) => {
    const last = text.split('\n').filter((l) => l.startsWith(`sweep ${name} finished in `)).at(-1) ?? '';
    return {
      role, workers: n, code,
      seconds: Number(/finished in ([\d.]+)s/.exec(last)?.[1] ?? NaN),
      epochsTrained: Number(/; (\d+) epochs trained/.exec(last)?.[1] ?? NaN),
      waited: Number(/workers waited ([\d.]+)s/.exec(last)?.[1] ?? 0),
      gaveWay: (text.match(/^trial \d+ .*\binterrupted \[\d+\/\d+\]/gm) ?? []).length,
      trialsStarted: (text.match(/^trial \d+ .* started$/gm) ?? []).length,
    };
  });
  const wall = (performance.now() - started) / 1000;
  const failed = processes.filter((p) => p.code !== 0);
  if (failed.length > 0) throw new Error(`${name}: ${failed.map((p) => `${p.role} exited ${p.code}`).join(', ')}`);
  return { wall, processes, waited: processes.reduce((s, p) => s + p.waited, 0), gaveWay: processes.reduce((s, p) => s + p.gaveWay, 0) };
}

/** `sweep query SQL --json` on `db` (SQLite or PostgreSQL): its rows. */
export function sweepQuery(db, sql) {
  const r = spawnSync(process.execPath, [CLI, 'query', sql, '--db', db, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`sweep query exited ${r.status}: ${sql}`);
  return JSON.parse(r.stdout);
}
