// `npm run bench:start [-- OTHER_CHECKOUT]`: what the command line's own start costs, wall and CPU
// time, against node's: `sweep --version`, `sweep run SPEC --dry-run` and a whole `sweep run` of
// 3 trials of bench/tiny_program.py into a fresh SQLite file (python3's standard library; node's
// tiny program where python3 is missing). Given another checkout (built, with its node_modules),
// it runs the same commands there too, the two taking turns going first in each repetition, so a
// change is measured A/B under the same load. BENCH_START_REPS (15). Before each repetition it
// waits for idle CPUs and redoes one that something else disturbed (bench/quiet.mjs); it says how
// busy they were. Medians to the console and runs/bench-start.json.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childrenCpuMs, quietly } from './quiet.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REPS = Number(process.env.BENCH_START_REPS ?? 15);
const checkouts = [ROOT, ...process.argv.slice(2).map((d) => resolve(d))];
for (const c of checkouts) {
  if (!existsSync(join(c, 'dist/cli/main.js'))) throw new Error(`${c}: no dist/cli/main.js (npm run build there first)`);
}

const work = mkdtempSync(join(tmpdir(), 'sweep-bench-start-'));
const python = existsSync('/usr/bin/python3');
const spec = join(work, 'tiny.yaml');
writeFileSync(spec, [
  'name: tiny',
  `program: ${join(ROOT, python ? 'bench/tiny_program.py' : 'bench/tiny-program.mjs')}`,
  `interpreter: ${python ? '/usr/bin/python3' : process.execPath}`,
  'metric: {name: val_accuracy, goal: maximize}',
  'grid:\n  x: [1, 2, 3]',
  '',
].join('\n'));

/** Runs `argv` to its end; its wall ms and the CPU ms it and everything it reaped used. */
function timed(argv) {
  return new Promise((done, fail) => {
    const cpu0 = childrenCpuMs();
    const t0 = performance.now();
    const child = spawn(argv[0], argv.slice(1), { cwd: work, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CI: '1' } });
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', fail);
    child.on('exit', (code) => {
      const wall = performance.now() - t0;
      if (code !== 0) return fail(new Error(`${argv.join(' ')}: exit ${code}\n${err}`));
      done({ wall, cpu: childrenCpuMs() - cpu0 });
    });
  });
}

const cases = [
  { label: 'node -e 0', argv: () => [process.execPath, '-e', '0'], once: true },
  { label: 'sweep --version', argv: (cli) => [process.execPath, cli, '--version'] },
  { label: 'sweep run --dry-run', argv: (cli) => [process.execPath, cli, 'run', spec, '--dry-run'] },
  {
    label: `sweep run, 3 trials (${python ? 'python3' : 'node'})`,
    argv: (cli, rep, side) => {
      const db = join(work, `r${rep}-${side}.db`);
      rmSync(db, { force: true });
      return [process.execPath, cli, 'run', spec, '--db', db, '--no-tui', '--workers', '1'];
    },
  },
];

const results = {};
const busyness = [];
for (let rep = 0; rep < REPS; rep++) {
  // Each side goes first in every other repetition.
  const order = rep % 2 === 0 ? checkouts.map((c, i) => [c, i]) : checkouts.map((c, i) => [c, i]).reverse();
  const { value, busy, others } = await quietly(`repetition ${rep + 1}`, async () => {
    const got = [];
    for (const c of cases) {
      for (const [checkout, side] of c.once ? [order[0]] : order) {
        got.push({ label: c.label, side: c.once ? 'node' : side, ...(await timed(c.argv(join(checkout, 'dist/cli/main.js'), rep, side))) });
      }
    }
    return got;
  });
  busyness.push({ busy, others });
  for (const g of value) ((results[g.label] ??= {})[g.side] ??= []).push({ wall: g.wall, cpu: g.cpu });
  console.log(`repetition ${rep + 1}/${REPS}: CPUs ${(busy * 100).toFixed(0)}% busy, ${(others * 100).toFixed(0)}% by something else`);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const name = (side) => (side === 'node' ? '' : checkouts.length > 1 ? ` [${side === 0 ? 'this checkout' : checkouts[side]}]` : '');
const summary = [];
for (const [label, sides] of Object.entries(results)) {
  for (const [side, runs] of Object.entries(sides)) {
    const row = { case: `${label}${name(side === 'node' ? 'node' : Number(side))}`, wallMs: median(runs.map((r) => r.wall)), cpuMs: median(runs.map((r) => r.cpu)) };
    summary.push(row);
    console.log(`${row.case.padEnd(70)} wall ${row.wallMs.toFixed(0).padStart(5)} ms   CPU ${row.cpuMs.toFixed(0).padStart(5)} ms`);
  }
}
console.log(`CPUs something else used, per repetition: ${busyness.map((b) => `${(b.others * 100).toFixed(0)}%`).join(' ')} (${cpus().length} CPUs, ${cpus()[0]?.model ?? '?'})`);
mkdirSync(join(ROOT, 'runs'), { recursive: true });
writeFileSync(join(ROOT, 'runs/bench-start.json'), JSON.stringify({ at: new Date().toISOString(), checkouts, reps: REPS, summary, busyness }, null, 2));
rmSync(work, { recursive: true, force: true });
