import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** Drawn once per process: two processes never share it, even with one hostname, one pid and one start tick (containers). */
const NONCE = randomBytes(6).toString('hex');

/**
 * Who is running a trial: host, process id and the process's start time, so that a
 * recycled pid is not mistaken for the process that died, then a per-process nonce, so
 * that processes of twin hosts (same name, same pid) never share a token.
 */
export function ownerToken(): string {
  return `${hostname()}:${process.pid}:${startTime(process.pid) ?? 'unknown'}:${NONCE}`;
}

/**
 * Whether the process named by an owner token is still running. On another host this
 * cannot be known, so it counts as alive and only its heartbeat can expire.
 */
export function ownerAlive(token: string): boolean {
  const [host, pidText, started] = token.split(':');
  if (host !== hostname()) return true;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const now = startTime(pid);
  return now === null || started === 'unknown' || String(now) === started;
}

/** The process's start time in clock ticks since boot (Linux); null where /proc is missing. */
function startTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) may hold spaces, so count from its closing parenthesis.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return null;
  }
}
