// For benches on a shared machine (another engineer's tests on the same two cores skew every
// timing): how much of the CPUs something else used over a measurement, a wait until the CPUs
// are idle, and a measurement redone while something else disturbed it. From /proc; without it
// nothing waits and nothing is redone.
//
// "Something else" is the machine's busy time (/proc/stat) less the bench's own: this process
// and every child it has reaped (the programs a sweep ran are reaped by it, and it by the bench),
// and PostgreSQL's server (its postmaster reaps the backends the bench's connections used).
//
// BENCH_QUIET_WAIT: the most seconds to wait for idle CPUs each time (default 120; 0: never).
// BENCH_QUIET_OTHERS: the share of all CPUs something else may use during a measurement
// (default 0.1) before it is redone, BENCH_QUIET_TRIES times at most (default 3; the last kept).
import { readdirSync, readFileSync } from 'node:fs';

/** The machine's CPU time so far, busy and total, in clock ticks (null without /proc/stat). */
function machineTicks() {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = cpu[3] + (cpu[4] ?? 0);
    return { busy: cpu.slice(0, 8).reduce((a, b) => a + b, 0) - idle, total: cpu.slice(0, 8).reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}

/** A process's CPU ticks with those of its reaped children (utime, stime, cutime, cstime); 0 where it is gone. */
function processTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  } catch {
    return 0;
  }
}

/** PostgreSQL's postmasters here (a `postgres` whose parent is not one): their ticks include every backend they reaped. */
function postmasters() {
  const found = [];
  try {
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (!stat.includes('(postgres)')) continue;
        const ppid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
        if (!readFileSync(`/proc/${ppid}/stat`, 'utf8').includes('(postgres)')) found.push(pid);
      } catch { /* gone meanwhile */ }
    }
  } catch { /* no /proc */ }
  return found;
}

/**
 * CPU ms this process's reaped children used so far (cutime + cstime): a child's own and that
 * of every descendant it reaped in turn, such as the programs a `sweep run` started. Null without /proc.
 */
export function childrenCpuMs() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[13]) + Number(f[14])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** USER_HZ: Linux reports CPU times in hundredths of a second on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;

const ours = (servers) => processTicks('self') + servers.reduce((s, pid) => s + processTicks(pid), 0);

/**
 * Starts a measurement: `busy()` is the share of all CPUs busy since (0–1), anything included;
 * `others()` the share used by something other than the bench (and PostgreSQL). Null without /proc.
 */
export function cpuMeter() {
  const servers = postmasters();
  const from = machineTicks();
  const fromOurs = ours(servers);
  return {
    busy: () => {
      const to = machineTicks();
      return from && to && to.total > from.total ? (to.busy - from.busy) / (to.total - from.total) : null;
    },
    others: () => {
      const to = machineTicks();
      if (!from || !to || to.total <= from.total) return null;
      return Math.max(0, (to.busy - from.busy) - (ours(servers) - fromOurs)) / (to.total - from.total);
    },
  };
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/**
 * Waits until the CPUs were at most `threshold` busy over a whole second (nothing of the bench
 * runs meanwhile), or BENCH_QUIET_WAIT seconds passed; returns the seconds waited.
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

/**
 * Runs `measure` once the CPUs are idle, and again (BENCH_QUIET_TRIES in all) while something
 * else used more than BENCH_QUIET_OTHERS of them meanwhile. Its last result, with `busy` and
 * `others` (shares of all CPUs during it) and `tries`.
 */
export async function quietly(label, measure, log = console.log) {
  const max = Number(process.env.BENCH_QUIET_OTHERS ?? 0.1);
  const tries = Number(process.env.BENCH_QUIET_TRIES ?? 3);
  for (let t = 1; ; t++) {
    await waitQuiet(0.1, log);
    const meter = cpuMeter();
    const value = await measure();
    const busy = meter.busy();
    const others = meter.others();
    if (others === null || others <= max || t >= tries) return { value, busy, others, tries: t };
    log(`  ${label}: something else used ${(others * 100).toFixed(0)}% of the CPUs meanwhile: measured again`);
  }
}
