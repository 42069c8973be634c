/**
 * What the tests of src/trial/program/ read from /proc, written apart from the module's own walk
 * (src/trial/program/session.ts) so that they check it rather than repeat it; and a collector
 * for a program's stdout that a test can wait on.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

type Stat = { pid: number; state: string; ppid: number; pgrp: number; session: number; exiting: boolean };

function stat(pid: number | string): Stat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // flags & PF_EXITING (0x4): killed and on its way out, its fds closed, not yet a zombie.
  const exiting = (Number(fields[6]) & 0x4) !== 0;
  return { pid: Number(pid), state: fields[0], ppid: Number(fields[1]), pgrp: Number(fields[2]), session: Number(fields[3]), exiting };
}

const live = (s: Stat | null): s is Stat => s !== null && s.state !== 'Z' && s.state !== 'X' && !s.exiting;

/** Whether `pid` is a live process (a zombie or one exiting is not). */
export function alive(pid: number): boolean {
  return live(stat(pid));
}

/** The live processes of session `sid`. */
export function liveInSession(sid: number): Stat[] {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(stat).filter((s): s is Stat => live(s) && s.session === sid);
}

/** The process's parent, group and session. */
export function ids(pid: number): Stat | null {
  return stat(pid);
}

/** This process's fds that a child inherits (those without close-on-exec), numerically. */
export function inheritedFds(): number[] {
  const O_CLOEXEC = 0o2000000;
  return readdirSync('/proc/self/fd').map(Number).filter((fd) => {
    try {
      const flags = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
      return flags !== undefined && (Number.parseInt(flags, 8) & O_CLOEXEC) === 0;
    } catch {
      return false;  // the listing's own fd, closed since
    }
  }).sort((a, b) => a - b);
}

/** The real python3 (not a pyenv shim, a shell script that needs PATH): a program may run under any PATH. */
export const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();

/** Collects a program's stdout; `until` waits for text that satisfies a test, or for the program's end. */
export function collector() {
  let text = '';
  let check: (() => void) | undefined;
  return {
    onStdout: (chunk: string) => { text += chunk; check?.(); },
    text: () => text,
    /** The numbers on lines `NAME <n>`, once `names` have all been printed. */
    async pids(names: readonly string[], ended: Promise<unknown>): Promise<Record<string, number>> {
      const found = () => Object.fromEntries(names.map((n) => [n, Number(new RegExp(`^${n} (\\d+)$`, 'm').exec(text)?.[1])]));
      const complete = () => Object.values(found()).every((v) => Number.isInteger(v));
      await new Promise<void>((done, failed) => {
        check = () => { if (complete()) done(); };
        check();
        void ended.then(() => failed(new Error(`the program ended before printing ${names.join(', ')}; it printed:\n${text}`)));
      });
      return found();
    },
  };
}
