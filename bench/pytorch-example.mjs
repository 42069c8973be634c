// `npm run bench:pytorch`: what a user of the PyTorch example sees (issue 27: within 2%). The
// example's train.py swept through sweep's command line,
//
//   node dist/cli/main.js run SPEC --db FRESH.db --no-tui --workers 1
//
// against the same script run by a bash loop with exactly the arguments sweep passes, each run
// with a fresh folder in SWEEP_TRIAL_DIR (train.py checkpoints there, as it does under sweep, and
// does not resume), its output to a file. SPEC is examples/pytorch/sweep.yaml made a fixed grid
// without early stopping, so both sides train the same trials to the end: epochs 2, units 64/128/256
// (BENCH_PYTORCH_EPOCHS, BENCH_PYTORCH_UNITS), dropout 0.2, learning_rate 0.001, the full 54,000
// training images; `interpreter: /usr/bin/python3` (Debian's python3-torch), OPENBLAS_NUM_THREADS=1
// on both sides. Wall time from spawning `node` or `bash` to its exit; BENCH_PYTORCH_REPS (3)
// repetitions, sweep and loop alternating which goes first; medians, and where the time went:
// the trials' own time as each side saw it (sweep's started_at to finished_at; the loop's per-run time).
// Before each run it waits until the CPUs are idle, and runs it again where something else used
// the CPUs meanwhile (bench/quiet.mjs: BENCH_QUIET_WAIT, BENCH_QUIET_OTHERS, BENCH_QUIET_TRIES);
// it says how busy they were during the run, and how much of that was something else. Each
// side's CPU time (its process and all it reaped: the trainings) too, which load changes least.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { parse, stringify } from 'yaml';
import { parseSpec } from '../dist/spec/load-spec.js';
import { makeStrategy } from '../dist/search/strategy.js';
import { buildLaunch } from '../dist/trial/program/command.js';
import { childrenCpuMs, quietly } from './quiet.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/cli/main.js');
const PYTHON = '/usr/bin/python3';
const PROGRAM = join(ROOT, 'examples/pytorch/train.py');
const REPS = Number(process.env.BENCH_PYTORCH_REPS ?? 3);
const EPOCHS = Number(process.env.BENCH_PYTORCH_EPOCHS ?? 2);
const UNITS = (process.env.BENCH_PYTORCH_UNITS ?? '64,128,256').split(',').map(Number);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cpuModel = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m)?.[1] ?? 'unknown';
const cores = readFileSync('/proc/cpuinfo', 'utf8').match(/^processor\s*:/gm)?.length ?? 0;

if (spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) {
  console.log(`${PYTHON} has no torch (Debian: apt install python3-torch libopenblas0-pthread): nothing to measure`);
  process.exit(1);
}

// The example's spec, as a fixed grid: its program (absolute, the spec lives elsewhere), its metric.
const example = parse(readFileSync(join(ROOT, 'examples/pytorch/sweep.yaml'), 'utf8'));
const spec = {
  name: `${example.name}-bench`,
  program: PROGRAM,
  interpreter: PYTHON,
  metric: example.metric,
  grid: { epochs: [EPOCHS], units: UNITS, dropout: [0.2], learning_rate: [0.001] },
};
const work = mkdtempSync(join(tmpdir(), 'sweep-bench-pytorch-'));
const specFile = join(work, 'sweep.yaml');
const specText = stringify(spec);
writeFileSync(specFile, specText);
const env = { ...process.env, OPENBLAS_NUM_THREADS: '1' };

// The arguments sweep passes, by its own code; checked against what `sweep run --dry-run` prints.
const argvs = makeStrategy(parseSpec(specText, specFile)).initial().map((t) => buildLaunch(
  { program: PROGRAM, interpreter: PYTHON }, t.config.params, { paramsFile: join(work, 'params.json'), env },
).argv);
const dry = execFileSync(process.execPath, [CLI, 'run', specFile, '--dry-run', '--db', join(work, 'dry.db')], { encoding: 'utf8', env });
const said = dry.match(/^trial 1 runs: (.*)$/m)?.[1];
if (said !== argvs[0].join(' ')) throw new Error(`sweep run --dry-run says trial 1 runs\n  ${said}\nthe bench built\n  ${argvs[0].join(' ')}`);

// The loop a user would write: each run gets a fresh folder (train.py would resume from a checkpoint in a used one).
const quote = (a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
const loopScript = (dir) => [
  'set -e',
  `cd ${quote(work)}`,
  ...argvs.map((argv, i) => [
    `mkdir -p ${quote(join(dir, String(i + 1)))}`,
    `s=$(date +%s.%N)`,
    `SWEEP_TRIAL_DIR=${quote(join(dir, String(i + 1)))} ${argv.map(quote).join(' ')} > ${quote(join(dir, String(i + 1), 'stdout'))}`,
    `echo "$s $(date +%s.%N)" >> ${quote(join(dir, 'times'))}`,
  ].join('\n')),
  '',
].join('\n');

/** Runs `file` to its exit: its wall seconds, and the CPU seconds it used with every process it reaped (the trainings). */
function timed(file, args, o) {
  return new Promise((done, failed) => {
    const cpu = childrenCpuMs();
    const started = performance.now();
    const child = spawn(file, args, { ...o, env, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', failed);
    child.on('exit', (code) => (code === 0 ? done({ wall: (performance.now() - started) / 1000, cpu: (childrenCpuMs() - cpu) / 1000 }) : failed(new Error(`${file} ${args.join(' ')} exited ${code}`))));
  });
}

async function sweepOnce(rep) {
  const dir = join(work, `sweep-${rep}`);
  mkdirSync(dir);
  const db = join(dir, 'sweeps.db');
  const { wall, cpu } = await timed(process.execPath, [CLI, 'run', specFile, '--db', db, '--no-tui', '--workers', '1'], { cwd: dir });
  const d = new Database(db, { readonly: true });
  const trials = d.prepare('SELECT status, seconds, epochs_done, metric_value, started_at, finished_at FROM trials ORDER BY number').all();
  d.close();
  if (trials.length !== argvs.length || trials.some((t) => t.status !== 'completed' || t.epochs_done !== EPOCHS)) {
    throw new Error(`sweep rep ${rep}: not every trial completed its ${EPOCHS} epochs: ${JSON.stringify(trials)}`);
  }
  // From the first trial's start to the last one's end, by the store's clock.
  const span = (Date.parse(trials.at(-1).finished_at) - Date.parse(trials[0].started_at)) / 1000;
  rmSync(join(dir, 'trials'), { recursive: true, force: true });
  // Each trial from its claim to its recorded end (trials.seconds stops at the last report, before the program's exit).
  const trialSeconds = trials.map((t) => (Date.parse(t.finished_at) - Date.parse(t.started_at)) / 1000);
  return { wall, cpu, trialSeconds, reportSeconds: trials.map((t) => t.seconds), span, valAccuracy: trials.map((t) => t.metric_value) };
}

async function loopOnce(rep) {
  const dir = join(work, `loop-${rep}`);
  mkdirSync(dir);
  const script = join(work, `loop-${rep}.sh`);
  writeFileSync(script, loopScript(dir));
  const { wall, cpu } = await timed('/bin/bash', [script], { cwd: work });
  const runs = readFileSync(join(dir, 'times'), 'utf8').trim().split('\n').map((l) => l.split(' ').map(Number));
  const last = (i) => readFileSync(join(dir, String(i + 1), 'stdout'), 'utf8').trim().split('\n').at(-1);
  const valAccuracy = argvs.map((_, i) => Number(last(i).match(/val_accuracy=([\d.]+)/)[1]));
  if (!argvs.every((_, i) => last(i).startsWith(`epoch=${EPOCHS} `))) throw new Error(`loop rep ${rep}: a run did not finish its ${EPOCHS} epochs`);
  rmSync(dir, { recursive: true, force: true });
  return { wall, cpu, trialSeconds: runs.map(([s, e]) => e - s), span: runs.at(-1)[1] - runs[0][0], valAccuracy };
}

console.log(`CPU: ${cpuModel} × ${cores}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`${argvs.length} trials of ${EPOCHS} epochs, full data, OPENBLAS_NUM_THREADS=1; each side runs, e.g.:\n  ${argvs[0].join(' ')}`);
const runs = { sweep: [], loop: [] };
try {
  for (let rep = 1; rep <= REPS; rep++) {
    const order = rep % 2 === 1 ? ['sweep', 'loop'] : ['loop', 'sweep'];
    for (const side of order) {
      let attempt = 0;
      const q = await quietly(`rep ${rep} ${side}`, () => (side === 'sweep' ? sweepOnce(`${rep}-${++attempt}`) : loopOnce(`${rep}-${++attempt}`)));
      const r = { ...q.value, busy: q.busy, others: q.others };
      runs[side].push(r);
      const pct = (v) => (v == null ? '?' : `${(v * 100).toFixed(0)}%`);
      console.log(`rep ${rep} ${side}: ${r.wall.toFixed(2)} s (trials ${r.trialSeconds.map((s) => s.toFixed(2)).join('/')}; CPUs ${pct(r.busy)} busy, ${pct(r.others)} by something else; load ${loadavg()[0].toFixed(2)})`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const summary = (rs) => ({
  medianWall: median(rs.map((r) => r.wall)), walls: rs.map((r) => r.wall), medianCpu: median(rs.map((r) => r.cpu)),
  medianInTrials: median(rs.map((r) => sum(r.trialSeconds))), medianSpan: median(rs.map((r) => r.span)),
  // Outside the trials: start-up and exit, and between trials.
  medianOutside: median(rs.map((r) => r.wall - sum(r.trialSeconds))),
  runs: rs,
});
const s = summary(runs.sweep);
const l = summary(runs.loop);
const diff = (s.medianWall - l.medianWall) / l.medianWall;
const perRep = runs.sweep.map((r, i) => (r.wall - runs.loop[i].wall) / runs.loop[i].wall);
// In CPU time: sweep's own work (its start, reading the output, the store's writes) beside the same trainings.
const cpuDiff = (s.medianCpu - l.medianCpu) / l.medianCpu;
const f = (v, d = 2) => v.toFixed(d);
console.log(`\nthe PyTorch example, ${argvs.length} trials × ${EPOCHS} epochs, wall seconds, medians of ${REPS} alternating; CPU ${cpuModel} × ${cores}`);
const pct = (v) => (v == null ? '?' : `${(v * 100).toFixed(0)}%`);
console.log(['side', 'wall s', 'runs', 'in trials s', 'outside trials s', 'CPU s', 'CPUs used by something else'].join(' | '));
console.log(['sweep run --workers 1', f(s.medianWall), s.walls.map((w) => f(w)).join('/'), f(s.medianInTrials), f(s.medianOutside), f(s.medianCpu), runs.sweep.map((r) => pct(r.others)).join('/')].join(' | '));
console.log(['bash loop', f(l.medianWall), l.walls.map((w) => f(w)).join('/'), f(l.medianInTrials), f(l.medianOutside), f(l.medianCpu), runs.loop.map((r) => pct(r.others)).join('/')].join(' | '));
const signed = (d) => `${d >= 0 ? '+' : ''}${f(d * 100)}%`;
// Under a changing load the pairs (each repetition's sweep and loop, run back to back) say more than the medians apart.
console.log(`difference: ${signed(diff)} (sweep against the loop, of the medians; target within 2%); per repetition ${perRep.map(signed).join('/')}, median ${signed(median(perRep))}`);
console.log(`in CPU time: ${cpuDiff >= 0 ? '+' : ''}${f(cpuDiff * 100)}% (${f(s.medianCpu - l.medianCpu)} s)`);
mkdirSync(join(ROOT, 'runs'), { recursive: true });
writeFileSync(join(ROOT, 'runs/bench-pytorch.json'), `${JSON.stringify({ date: new Date().toISOString(), cpu: cpuModel, cores, trials: argvs.length, epochs: EPOCHS, reps: REPS, argv: argvs, sweep: s, loop: l, difference: diff, perRep, medianPerRep: median(perRep), cpuDifference: cpuDiff }, null, 2)}\n`);
console.log('written: runs/bench-pytorch.json');
