/**
 * Crash points for the crash-safety tests: with SWEEP_FAILPOINT=NAME (or NAME:N for the
 * Nth time it is reached) the process kills itself with SIGKILL right there, as a power
 * cut or `kill -9` would. Unset, this is one comparison.
 */
const spec = process.env.SWEEP_FAILPOINT;
const [target, nth] = spec ? [spec.split(':')[0], Number(spec.split(':')[1] ?? 1)] : [undefined, 0];
let hits = 0;

export function failpoint(name: string): void {
  if (name === target && ++hits === nth) process.kill(process.pid, 'SIGKILL');
}
