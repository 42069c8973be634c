/**
 * The processes of a trial's session, as /proc lists them, and signalling all of them.
 *
 * A trial's program runs as the leader of a session of its own, and its process group has the
 * same id. Signalling the group (`kill(-id)`) reaches every process in it at once, even one
 * forking as it is signalled; a program may still move a child into a group of its own within
 * the session (job control in a shell script, `start_new_session=False, process_group=0` in
 * Python), and only a walk of /proc finds those. A process that starts a session of its own
 * (setsid, a daemon's double fork) leaves both and is found by neither.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync } from 'node:fs';

/** A live process of the session. */
export type Member = { readonly pid: number; readonly pgrp: number };

const HAS_PROC = existsSync('/proc/self/stat');
/** include/linux/sched.h: set as a process starts to exit. */
const PF_EXITING = 0x4;

/** One stat line (about 300 bytes; comm is at most 64 bytes of it, all before the fields read). */
const STAT = Buffer.alloc(1024);

/**
 * The processes of session `sid` that are alive (the exiting are not, and zombies are dead: only
 * their parent's wait is missing, which a container's PID 1 may never do), or null where there
 * is no /proc to read.
 * Costs a read of every process's stat file: about 2 ms for 100 processes on a small VM (open,
 * read and close into one buffer: readFileSync's fstat and second read made it 5 ms).
 */
export function sessionMembers(sid: number): Member[] | null {
  if (!HAS_PROC) return null;
  const members: Member[] = [];
  for (const name of readdirSync('/proc')) {
    const first = name.charCodeAt(0);
    if (first < 48 || first > 57) continue;
    let stat: string;
    try {
      const fd = openSync(`/proc/${name}/stat`, 'r');
      try {
        stat = STAT.toString('latin1', 0, readSync(fd, STAT, 0, STAT.length, null));
      } finally {
        closeSync(fd);
      }
    } catch {
      continue;  // gone since the listing
    }
    // "pid (comm) state ppid pgrp session tty tpgid flags …": comm may hold spaces and parentheses, so count from the last ')'.
    const [state, , pgrp, session, , , flags] = stat.slice(stat.lastIndexOf(')') + 2).split(' ', 7);
    if (Number(session) !== sid || state === 'Z' || state === 'X') continue;
    // PF_EXITING: dying, its files already closed or closing; it runs no more code of its own.
    if ((Number(flags) & PF_EXITING) !== 0) continue;
    members.push({ pid: Number(name), pgrp: Number(pgrp) });
  }
  return members;
}

/**
 * Sends `signal` to process group `pgid` and to each of `members` outside it. The group is
 * signalled only where `groupPinned` says its id cannot have passed to another group, or a
 * member shows it still in use: a group's id is freed once its last process is reaped.
 */
export function signalSession(pgid: number, members: readonly Member[] | null, signal: NodeJS.Signals, groupPinned: boolean): void {
  if (groupPinned || members?.some((m) => m.pgrp === pgid)) quietKill(-pgid, signal);
  signalEach(members?.filter((m) => m.pgrp !== pgid) ?? [], signal);
}

/** Sends `signal` to each of `members`, one by one: to those just seen alive, so their pids are still theirs. */
export function signalEach(members: readonly Member[], signal: NodeJS.Signals): void {
  for (const m of members) quietKill(m.pid, signal);
}

/** kill(2), where a process that has gone meanwhile is no error. */
function quietKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
