// `npm run bench:program` (and the end of `npm run bench`): what sweep adds to each program trial,
// from spawn to recorded result, for a program that reports 10 steps and exits (issue 27's budget:
// under 50 ms a trial). Two tiny programs, bench/tiny-program.mjs (node) and bench/tiny_program.py
// (python3, standard library), each swept through the command line as a user runs it,
// `node dist/cli/main.js run SPEC --db DB --no-tui --workers 1` (a fresh SQLite file, or a fresh
// PostgreSQL database), against the same command lines spawned directly, one after another, with
// their output read: N trials and 1 trial each, interleaved, BENCH_PROGRAM_REPS times.
//
//   per trial = ((sweep N − sweep 1) − (direct N − direct 1)) / (N − 1)
//
// is sweep's cost per trial with its one-time start taken out; that start (node loading the
// command line, opening and creating the store, recording the sweep) is
//
//   one-time = (sweep 1 − direct 1) − per trial,
//
// and (sweep N − direct N) / N is everything divided by N, as a user of an N-trial sweep pays it.
// The per-trial figure is also given in CPU time (the command line's process and every process
// it reaped, its programs included, against the programs' own), which load on the machine
// changes least; it leaves out PostgreSQL's server and whatever sweep waits for (a commit).
// Before timing, one untimed pass checks that both sides run the same command lines (the programs
// log /proc/self/cmdline under BENCH_ARGV_LOG) and that the sweep recorded every trial completed.
// Before each case's four runs it waits until the CPUs are idle, and runs them again where
// something else used the CPUs meanwhile (bench/quiet.mjs: BENCH_QUIET_WAIT, BENCH_QUIET_OTHERS,
// BENCH_QUIET_TRIES); it says how busy they were, and how much of that was something else.
// BENCH_PROGRAM_TRIALS (20), BENCH_PROGRAM_REPS (5); PostgreSQL is SWEEP_BENCH_PG (default: the
// local server as postgres), skipped with a line where it does not answer. Medians to the
// console and runs/bench-program.json.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { parseSpec } from '../dist/spec/load-spec.js';
import { makeStrategy } from '../dist/search/strategy.js';
import { buildLaunch } from '../dist/trial/program/command.js';
import { childrenCpuMs, quietly } from './quiet.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/cli/main.js');
const N = Number(process.env.BENCH_PROGRAM_TRIALS ?? 20);
const REPS = Number(process.env.BENCH_PROGRAM_REPS ?? 5);
const SERVER = process.env.SWEEP_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const PROGRAMS = [
  { label: 'node', program: join(ROOT, 'bench/tiny-program.mjs'), interpreter: process.execPath },
  { label: 'python3', program: join(ROOT, 'bench/tiny_program.py'), interpreter: '/usr/bin/python3' },
].filter((p) => {
  if (existsSync(p.interpreter)) return true;
  console.log(`${p.interpreter} is missing: the ${p.label} rows are skipped`);
  return false;
});

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const work = mkdtempSync(join(tmpdir(), 'sweep-bench-program-'));

/** A spec of `trials` trials of `p`, written to work/LABEL-TRIALS.yaml; its path, and the argv of each trial in order. */
function specFor(p, trials) {
  const text = [
    `name: tiny-${p.label}`,
    `program: ${p.program}`,
    `interpreter: ${p.interpreter}`,
    'metric: {name: val_accuracy, goal: maximize}',
    `grid:\n  x: [${Array.from({ length: trials }, (_, i) => i + 1).join(', ')}]`,
    '',
  ].join('\n');
  const file = join(work, `${p.label}-${trials}.yaml`);
  writeFileSync(file, text);
  // The command lines sweep builds for these trials, by its own code (dist/trial/program/command.js).
  const argvs = makeStrategy(parseSpec(text, file)).initial().map((t) => buildLaunch(
    { program: p.program, interpreter: p.interpreter }, t.config.params, { paramsFile: join(work, 'params.json'), env: process.env },
  ).argv);
  return { file, argvs };
}

async function admin(sql) {
  const c = new pg.Client({ connectionString: SERVER });
  await c.connect();
  try { return await c.query(sql); } finally { await c.end(); }
}

let dbCount = 0;
/** Each store makes a fresh database (untimed), gives its --db, and, after the run, its trials' statuses, then drops it. */
const STORES = {
  sqlite: {
    fresh: async () => {
      const dir = join(work, `db-${++dbCount}`);
      mkdirSync(dir);
      const db = join(dir, 'sweeps.db');
      return {
        db, cwd: dir,
        statuses: async () => {
          const d = new Database(db, { readonly: true });
          try { return d.prepare('SELECT status FROM trials').all().map((r) => r.status); } finally { d.close(); }
        },
        drop: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  postgres: {
    fresh: async () => {
      const name = `sweep_bench_program_${process.pid}_${++dbCount}`;
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin(`CREATE DATABASE ${name}`);
      const url = new URL(SERVER);
      url.pathname = `/${name}`;
      // PostgreSQL keeps the trials' folders under ./runs/: a folder of its own for each run.
      const cwd = join(work, `pg-${dbCount}`);
      mkdirSync(cwd);
      return {
        db: url.toString(), cwd,
        statuses: async () => {
          const c = new pg.Client({ connectionString: url.toString() });
          await c.connect();
          try { return (await c.query('SELECT status FROM trials')).rows.map((r) => r.status); } finally { await c.end(); }
        },
        drop: async () => {
          await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          rmSync(cwd, { recursive: true, force: true });
        },
      };
    },
  },
};

/** Resolves with the exit code once `child` has exited and its pipes are read to the end. */
function finished(child) {
  const closed = (s) => (s ? new Promise((done) => { s.resume(); s.on('close', done); }) : Promise.resolve());
  return Promise.all([new Promise((done) => child.on('exit', (code) => done(code))), closed(child.stdout), closed(child.stderr)])
    .then(([code]) => code);
}

/**
 * `sweep run` of the spec into a fresh store of kind `store`: wall ms from spawn to exit, and the
 * CPU ms it used with every process it reaped (its programs).
 */
async function sweepRun(spec, store, env = process.env) {
  const s = await STORES[store].fresh();
  try {
    const cpu = childrenCpuMs();
    const started = performance.now();
    const code = await finished(spawn(process.execPath, [CLI, 'run', spec.file, '--db', s.db, '--no-tui', '--workers', '1'], {
      cwd: s.cwd, env, stdio: ['ignore', 'pipe', 'inherit'],
    }));
    const ms = performance.now() - started;
    const cpuMs = childrenCpuMs() - cpu;
    if (code !== 0) throw new Error(`sweep run ${spec.file} --db ${s.db} exited ${code}`);
    const statuses = await s.statuses();
    if (statuses.length !== spec.argvs.length || statuses.some((st) => st !== 'completed')) {
      throw new Error(`sweep run ${spec.file}: ${spec.argvs.length} trials expected completed, the store has ${JSON.stringify(statuses)}`);
    }
    return { ms, cpuMs };
  } finally {
    await s.drop();
  }
}

/** The spec's command lines spawned one after another, in the spec's folder, each one's output read to its end: wall and CPU ms. */
async function direct(spec, env = process.env) {
  const cpu = childrenCpuMs();
  const started = performance.now();
  for (const argv of spec.argvs) {
    const code = await finished(spawn(argv[0], argv.slice(1), { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] }));
    if (code !== 0) throw new Error(`${argv.join(' ')} exited ${code}`);
  }
  return { ms: performance.now() - started, cpuMs: childrenCpuMs() - cpu };
}

/** The untimed check: the command lines both sides ran (as the programs saw them), in order, are the same. */
async function sameCommandLines(spec, store) {
  const log = (side) => join(work, `argv-${side}.log`);
  const lines = async (side, run) => {
    rmSync(log(side), { force: true });
    await run({ ...process.env, BENCH_ARGV_LOG: log(side) });
    return readFileSync(log(side), 'utf8').trim().split('\n');
  };
  const swept = await lines('sweep', (env) => sweepRun(spec, store, env));
  const ran = await lines('direct', (env) => direct(spec, env));
  if (JSON.stringify(swept) !== JSON.stringify(ran)) {
    throw new Error(`the sweep and the direct loop ran different command lines:\n${swept.join('\n')}\n---\n${ran.join('\n')}`);
  }
  return JSON.parse(swept[0]);
}

async function postgresAnswers() {
  try {
    await admin('SELECT 1');
    return true;
  } catch (err) {
    console.log(`PostgreSQL at ${SERVER} does not answer (${err.message}): its rows are skipped`);
    return false;
  }
}

const stores = (await postgresAnswers()) ? ['sqlite', 'postgres'] : ['sqlite'];
const cases = PROGRAMS.flatMap((p) => stores.map((store) => ({ p, store, name: `${p.label}, ${store}`, many: specFor(p, N), one: specFor(p, 1) })));
const cpu = cpus()[0]?.model ?? 'unknown';
console.log(`program trials: ${N} trials of a program reporting 10 steps, sweep run --workers 1 against the same command lines spawned directly; ${REPS} interleaved repetitions; CPU ${cpu} × ${cpus().length}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const results = {};
try {
  for (const c of cases) {
    const argv = await sameCommandLines(c.many, c.store);
    if (c.store === stores[0]) console.log(`${c.p.label}: both sides ran the same ${N} command lines, e.g. ${argv.join(' ')}`);
    // Warm-up, untimed: the page cache for node, the CLI's modules, the interpreter.
    await sweepRun(c.one, c.store);
    await direct(c.one);
    results[c.name] = { sweepMany: [], directMany: [], sweepOne: [], directOne: [], cpu: { sweepMany: [], directMany: [], sweepOne: [], directOne: [] }, busy: [], others: [] };
  }
  for (let rep = 1; rep <= REPS; rep++) {
    for (const c of cases) {
      const r = results[c.name];
      const q = await quietly(`${c.name}, repetition ${rep}`, async () => [
        await sweepRun(c.many, c.store), await direct(c.many), await sweepRun(c.one, c.store), await direct(c.one),
      ]);
      ['sweepMany', 'directMany', 'sweepOne', 'directOne'].forEach((k, i) => {
        r[k].push(q.value[i].ms);
        r.cpu[k].push(q.value[i].cpuMs);
      });
      r.busy.push(q.busy);
      r.others.push(q.others);
    }
    const pct = (v) => (v == null ? '?' : `${(v * 100).toFixed(0)}%`);
    const shares = cases.map((c) => `${pct(results[c.name].busy.at(-1))} (${pct(results[c.name].others.at(-1))})`).join(', ');
    console.log(`repetition ${rep}/${REPS} done; CPUs busy per case: ${shares} (in brackets: by something else)`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** Per trial, the one-time start taken out: ((sweep N − sweep 1) − (direct N − direct 1)) / (N − 1), for each repetition. */
const perTrialOf = (r) => r.sweepMany.map((s, i) => ((s - r.sweepOne[i]) - (r.directMany[i] - r.directOne[i])) / (N - 1));
const rows = cases.map((c) => {
  const r = results[c.name];
  const perTrial = perTrialOf(r);
  // The same in CPU time (sweep's process and the processes it reaped, against the programs'
  // own): what load on the machine changes least; PostgreSQL's server is not in it.
  const cpuPerTrial = perTrialOf(r.cpu);
  const oneTime = r.sweepOne.map((s, i) => s - r.directOne[i] - perTrial[i]);
  const allIn = r.sweepMany.map((s, i) => (s - r.directMany[i]) / N);
  return {
    case: c.name, trials: N,
    perTrialMs: median(perTrial), cpuPerTrialMs: median(cpuPerTrial), oneTimeMs: median(oneTime), allInPerTrialMs: median(allIn),
    directPerTrialMs: median(r.directMany) / N, sweepManyMs: median(r.sweepMany), directManyMs: median(r.directMany),
    runs: { ...r, perTrial, cpuPerTrial, oneTime, allIn },
  };
});
const f = (v, d = 1) => v.toFixed(d);
console.log(`\nprogram trials, ms, medians of ${REPS}: per trial = sweep's cost per trial beyond the program's own run, its one-time start taken out (target: under 50 ms)`);
console.log(['case', 'per trial', 'runs', 'CPU per trial', 'one-time start', `all in, / ${N}`, 'program alone, per run', `sweep run, ${N} trials`, `direct, ${N} runs`, 'CPUs used by something else'].join(' | '));
const pct = (v) => (v == null ? '?' : `${(v * 100).toFixed(0)}%`);
for (const r of rows) {
  console.log([r.case, f(r.perTrialMs), r.runs.perTrial.map((v) => f(v)).join('/'), f(r.cpuPerTrialMs), f(r.oneTimeMs, 0), f(r.allInPerTrialMs), f(r.directPerTrialMs),
    f(r.sweepManyMs, 0), f(r.directManyMs, 0), r.runs.others.map(pct).join('/')].join(' | '));
}
mkdirSync(join(ROOT, 'runs'), { recursive: true });
writeFileSync(join(ROOT, 'runs/bench-program.json'), `${JSON.stringify({ date: new Date().toISOString(), cpu, cores: cpus().length, trials: N, reps: REPS, rows }, null, 2)}\n`);
console.log('written: runs/bench-program.json');
