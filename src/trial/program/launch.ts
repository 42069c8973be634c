/**
 * How a trial's program is started so that it cannot outlive sweep, even one killed with
 * SIGKILL: the command line for spawn(), and the one-time check for setpriv.
 *
 * sweep spawns `/bin/sh -c LAUNCH sweep-guard PROGRAM…` as the leader of a new session (spawn's
 * `detached`), with one end of a socket pair as the shell's fd 3. The shell forks the guard
 * (twice, so that the guard is not the program's child: a program that waits for all its
 * children must not wait for it), reports the guard's pid on fd 3, and execs the program in its
 * own place, so the program keeps the leader's pid, is sweep's child, and its exit status and
 * signal reach sweep unchanged.
 *
 * The guard stays in the program's process group and session, ignores every signal it may
 * ignore, holds no stdio, runs no command (only shell builtins), and blocks reading fd 3. Only
 * sweep holds the other end, so the read ends when sweep's last copy closes: sweep exited, was
 * killed (kill -9 included), or the thread that started the trial ended. The guard then kills
 * every process of the session and, last, its whole group, itself with it. While sweep lives,
 * sweep kills the group (guard included) once a trial is over.
 *
 * Why not the parent-death signal alone: PR_SET_PDEATHSIG (`setpriv --pdeathsig`) kills one
 * process, not its children; a supervisor that gets it and kills its group must be the
 * program's parent, and a shell as parent hides whether the program exited 143 or died of
 * SIGTERM, and starts it with SIGINT ignored. The socket needs no prctl, has no window (an end
 * closed before the guard reads stays closed), and works beyond Linux. Where setpriv is found,
 * the program is also started with `--pdeathsig KILL`, so the leader dies with sweep even if the
 * guard has been killed; it costs one exec, about 2 ms (process.ts has the measurements).
 *
 * The guard also pins the ids: while it lives, its session and group ids cannot pass to other
 * processes, so sweep's kill(-group) cannot reach a stranger.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The shell that runs LAUNCH (a POSIX sh; only its builtins serve the guard). */
export const SHELL = '/bin/sh';

/**
 * $$ is the shell, which becomes the program: its pid is the session's and group's id. The guard
 * walks /proc for the session's other processes (a group of their own inside the session
 * escapes kill -group), then kills the group. Exit 125 where the guard cannot be forked (no
 * program without its guard).
 */
const LAUNCH = `pg=$$
(
  (
    trap '' HUP INT QUIT PIPE TERM USR1 USR2 ALRM VTALRM PROF TSTP TTIN TTOU
    read -r _ <&3
    read -r me _ </proc/self/stat
    for pass in 1 2; do
      for st in /proc/[0-9]*/stat; do
        read -r line <"$st" || continue
        f=\${line##*) }; f=\${f#* }; f=\${f#* }; f=\${f#* }
        p=\${st#/proc/}; p=\${p%/stat}
        [ "\${f%% *}" = "$pg" ] && [ "$p" != "$me" ] && kill -KILL "$p"
      done
    done
    kill -KILL -$pg
  ) </dev/null >/dev/null 2>&1 &
  echo $! >&3
) || exit 125
exec "$@" 3>&-`;

/** The file and arguments to spawn for `argv` (with `detached: true` and fd 3 a pipe). */
export function launchCommand(argv: readonly string[], setpriv: string | null): { file: string; args: string[] } {
  const shell = [SHELL, '-c', LAUNCH, 'sweep-guard', ...argv];
  if (setpriv === null) return { file: SHELL, args: shell.slice(1) };
  return { file: setpriv, args: ['--pdeathsig', 'KILL', '--', ...shell] };
}

let probed: Promise<string | null> | undefined;

/**
 * setpriv's path where it is found on PATH and can set a parent-death signal (util-linux 2.33
 * and later, on Linux), else null; looked up once a process.
 */
export function findSetpriv(): Promise<string | null> {
  probed ??= probeSetpriv();
  return probed;
}

async function probeSetpriv(): Promise<string | null> {
  if (process.platform !== 'linux') return null;
  const path = (process.env.PATH ?? '').split(delimiter).filter((d) => d.startsWith('/'))
    .map((d) => join(d, 'setpriv')).find((f) => { try { accessSync(f, constants.X_OK); return true; } catch { return false; } });
  if (path === undefined) return null;
  // An old setpriv lacks the option, and a seccomp policy may refuse the prctl: try it once.
  return new Promise((done) => execFile(path, ['--pdeathsig', 'KILL', '--', SHELL, '-c', ':'], (err) => done(err ? null : path)));
}
