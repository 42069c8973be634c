// For benches on a shared machine: how busy its CPUs were over a stretch (from /proc/stat), and a
// wait, before a repetition, until something else stops using them. BENCH_QUIET_WAIT: the most
// seconds to wait each time (default 120; 0 waits never). Without /proc, nothing waits and
// `busy` is null.
import { readFileSync } from 'node:fs';

/** The machine's CPU time so far, busy and total, in clock ticks (null without /proc/stat). */
function ticks() {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = cpu[3] + (cpu[4] ?? 0);
    const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/** Starts a stretch; `busy()` is then the share of all CPUs busy since (0–1), for anything on the machine. */
export function cpuMeter() {
  const from = ticks();
  return {
    busy: () => {
      const to = ticks();
      return from && to && to.total > from.total ? (to.busy - from.busy) / (to.total - from.total) : null;
    },
  };
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/**
 * Waits until the CPUs were at most `threshold` busy over a whole second (nothing of the bench
 * runs meanwhile), or `BENCH_QUIET_WAIT` seconds passed; returns the seconds waited.
 */
export async function waitQuiet(threshold = 0.1, log = console.log) {
  const limit = Number(process.env.BENCH_QUIET_WAIT ?? 120) * 1000;
  const started = performance.now();
  let said = false;
  for (;;) {
    const m = cpuMeter();
    await sleep(1000);
    const busy = m.busy();
    if (busy === null || busy <= threshold) break;
    if (performance.now() - started >= limit) {
      log(`  the CPUs are still ${(busy * 100).toFixed(0)}% busy with something else after ${(limit / 1000).toFixed(0)} s: going on`);
      break;
    }
    if (!said) log(`  the CPUs are ${(busy * 100).toFixed(0)}% busy with something else: waiting (up to ${(limit / 1000).toFixed(0)} s)`);
    said = true;
  }
  return (performance.now() - started) / 1000;
}
