// `npm run bench:compare -- REV [REPS]`: training speed of this checkout against git revision REV,
// on the same machine in one run: REV is built in a temporary worktree, then each case below
// trains once per revision in turn (interleaved, in fresh processes), REPS times (default 3).
// Prints the medians and their ratio and writes runs/bench-compare.json. For before/after
// figures of a change; `npm run bench` compares against stock tfjs and PyTorch.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const [rev, repsArg] = process.argv.slice(2);
if (!rev) {
  console.error('usage: npm run bench:compare -- REV [REPS]');
  process.exit(2);
}
const REPS = Number(repsArg ?? 3);
const cnn = { model: 'cnn', filters: [32, 64], kernelSize: 3, pooling: 'max' };
const CASES = [
  { name: 'CNN of best-cnn.yaml (dense 256, batch norm, shift+flip, cosine), batch 128', steps: 15,
    config: { ...cnn, units: [256], batchSize: 128, batchNorm: true, augment: 'shift+flip', schedule: 'cosine', weightDecay: 1e-4, dropout: 0.25, labelSmoothing: 0.1 } },
  { name: 'CNN conv32-conv64-128, batch 32 (npm run bench)', steps: 40, config: { ...cnn, units: [128], batchSize: 32 } },
  { name: 'ANN 784-128-10, batch 32', steps: 500, config: { model: 'ann', units: [128], batchSize: 32 } },
  { name: 'ANN 784-128-10, batch 128', steps: 150, config: { model: 'ann', units: [128], batchSize: 128 } },
].filter((c) => !process.env.BENCH_CASES || new RegExp(process.env.BENCH_CASES).test(c.name));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const other = mkdtempSync(join(tmpdir(), 'sweep-compare-'));
try {
  execFileSync('git', ['worktree', 'add', '--detach', other, rev], { cwd: ROOT, stdio: 'ignore' });
  symlinkSync(join(ROOT, 'node_modules'), join(other, 'node_modules'));
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: other, stdio: 'inherit' });
  // Its native kernels too, where it has them (as npm ci would build them); else it runs on wasm.
  if (existsSync(join(other, 'scripts/build-native.mjs'))) execFileSync(process.execPath, [join(other, 'scripts/build-native.mjs')], { cwd: other, stdio: 'inherit' });
  const probe = (root, c) => Number(execFileSync(process.execPath, [join(ROOT, 'bench/train-probe.mjs'), root, JSON.stringify(c.config), String(c.steps)], { encoding: 'utf8' }).trim());
  const rows = [];
  for (const c of CASES) {
    const [them, us] = [[], []];
    for (let r = 0; r < REPS; r++) {
      them.push(probe(other, c));
      us.push(probe(ROOT, c));
    }
    const row = { case: c.name, [rev]: median(them), this: median(us), ratio: +(median(us) / median(them)).toFixed(2), runs: { [rev]: them, this: us } };
    rows.push(row);
    console.log(`${c.name}: ${rev} ${them.join(' ')} → ${row[rev]} samples/s; this ${us.join(' ')} → ${row.this}; ×${row.ratio}`);
  }
  mkdirSync(join(ROOT, 'runs'), { recursive: true });
  writeFileSync(join(ROOT, 'runs/bench-compare.json'), `${JSON.stringify({ against: rev, reps: REPS, rows }, null, 2)}\n`);
} finally {
  execFileSync('git', ['worktree', 'remove', '--force', other], { cwd: ROOT, stdio: 'ignore' });
  rmSync(other, { recursive: true, force: true });
}
