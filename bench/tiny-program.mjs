// The smallest program trial (bench/program-overhead.mjs): reads --x=N as W&B's agent passes
// it, prints 10 `epoch=N val_accuracy=...` lines and exits 0. No library, no file, no wait.
// With BENCH_ARGV_LOG set (the bench's untimed check only) it also appends its command line.
const x = Number(process.argv.find((a) => a.startsWith('--x='))?.slice(4) ?? 0);
let out = '';
for (let epoch = 1; epoch <= 10; epoch++) out += `epoch=${epoch} val_accuracy=${(0.5 + epoch / 100 + x / 1e4).toFixed(6)}\n`;
process.stdout.write(out);
if (process.env.BENCH_ARGV_LOG) {
  const { appendFileSync, readFileSync } = await import('node:fs');
  appendFileSync(process.env.BENCH_ARGV_LOG, `${JSON.stringify(readFileSync('/proc/self/cmdline', 'utf8').split('\0').slice(0, -1))}\n`);
}
