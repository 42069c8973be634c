/**
 * A trial's program as a child process: started in a session of its own behind a guard that
 * kills the session when sweep dies (launch.ts), its output drained without pause and kept
 * within bounds (kept-output.ts), and stopped as W&B's agent stops a run: SIGTERM to the whole
 * group, SIGKILL to whatever of it is left after a grace period.
 *
 * What the no-orphan guarantee covers: every process that stays in the program's session (its
 * children, grandchildren that outlive their parent, double forks, groups of their own inside the
 * session), whether the program ends by itself (what it left running is asked to stop, then
 * killed), is stopped, times out, or sweep exits or is killed with SIGKILL. What it does not: a
 * process that leaves the session (setsid, a daemon), which only a cgroup or PID namespace could
 * hold; a guard killed by someone with SIGKILL before sweep dies (then, where setpriv is found,
 * only the program itself dies with sweep); and, where /proc is missing (not Linux), the groups
 * of their own inside the session, and a grace period for what a program leaves running.
 *
 * What it costs (2026-12-06, a shared 2-core VM, Node 20, medians of 20 runs of `true`
 * interleaved with a plain spawn of it, start to exit with both pipes read): plain 7 ms,
 * startProgram 21 ms with setpriv, about 2 ms less without. Of the 14: the shell's exec and its
 * double fork, setpriv's exec, and at the end one walk of /proc (2 ms for 125 processes; it grows
 * with the machine's process count) and the guard's kill. test/trial/program/launch-cost.test.ts
 * measures it again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { UserError } from '../../errors.js';
import { KeptBytes, type KeptOutput } from './kept-output.js';
import { findSetpriv, launchCommand } from './launch.js';
import { checkProgram } from './program-check.js';
import { sessionMembers, signalEach, signalSession, type Member } from './session.js';

export type { KeptOutput } from './kept-output.js';

/** How a program ended. */
export type ProgramExit = {
  /** Its exit status, or null where a signal ended it. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The timeout stopped it. */
  readonly timedOut: boolean;
  /** stop() or the timeout was asked while it ran: its end is likely sweep's doing. */
  readonly stopped: boolean;
};

export type ProgramOptions = {
  /** Its working directory, made if missing. */
  readonly cwd: string;
  /** Variables set on top of sweep's own environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Hears its stdout as it comes, as text (a chunk never splits a character; it may split a line). */
  readonly onStdout?: (text: string) => void;
  /** Stops it (as stop() does) this long after it starts. */
  readonly timeoutMs?: number;
  /**
   * How long SIGTERM is given before SIGKILL, where the timeout stops the program or it ends
   * leaving processes running; stop() takes its own. W&B's agent gives 30 s.
   */
  readonly graceMs?: number;
  /** How much of each output stream its record keeps: the first headBytes and the last tailBytes. */
  readonly keep?: { readonly headBytes: number; readonly tailBytes: number };
  /** Hears, once a process, that setpriv is missing (the guard alone then takes the program down with sweep). */
  readonly warn?: (line: string) => void;
};

export interface RunningProgram {
  /** The program's pid: also its session's and process group's id. */
  readonly pid: number;
  /**
   * Resolves once the program has exited, every process of its session is gone, and its output
   * has been read to the end. Rejects only on a bug of sweep's.
   */
  readonly exited: Promise<ProgramExit>;
  /**
   * Sends SIGTERM to every process of its session, then SIGKILL to any still alive `graceMs`
   * later; resolves as `exited` does. A second call can only bring the SIGKILL nearer.
   */
  stop(graceMs?: number): Promise<ProgramExit>;
  /** Its output so far, as the record keeps it. */
  output(): { stdout: KeptOutput; stderr: KeptOutput };
}

const DEFAULT_GRACE_MS = 30_000;
const DEFAULT_KEEP = { headBytes: 64 * 1024, tailBytes: 256 * 1024 };
/** How long processes sent SIGKILL may take to be gone before `exited` resolves without them. */
const KILL_WAIT_MS = 10_000;
/** How long its pipes may stay open once its session is gone (a process that left the session holds them). */
const PIPES_WAIT_MS = 1_000;

let saidNoSetpriv = false;

/**
 * Starts `argv` (a program and its arguments, found on the PATH of its environment like execvp)
 * in `o.cwd`. Rejects with a UserError of one line where the program cannot be started (not
 * found, not executable, a directory, its #! interpreter missing) or the folder cannot be made.
 */
export async function startProgram(argv: readonly string[], o: ProgramOptions): Promise<RunningProgram> {
  if (argv.length === 0) throw new UserError('the trial\'s program is empty: name a program to run');
  try {
    await mkdir(o.cwd, { recursive: true });
  } catch (err) {
    throw new UserError(`cannot make the trial's folder ${o.cwd}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const env = { ...process.env, ...o.env };
  checkProgram(argv[0], o.cwd, env.PATH);
  const setpriv = await findSetpriv();
  if (setpriv === null && !saidNoSetpriv) {
    saidNoSetpriv = true;
    o.warn?.('setpriv --pdeathsig (util-linux 2.33+) not found: a trial\'s program dies with sweep through its guard process alone');
  }
  const { file, args } = launchCommand(argv, setpriv);
  const child = spawn(file, args, { cwd: o.cwd, env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'], detached: true });
  await new Promise<void>((started, failed) => {
    child.once('spawn', started);
    // The launcher (a shell, setpriv) failed to start, not the program: sweep's environment is broken.
    child.once('error', (err) => failed(new Error(`cannot start ${file} to run the trial's program`, { cause: err })));
  });
  return new Program(child, o);
}

class Program implements RunningProgram {
  readonly pid: number;
  readonly exited: Promise<ProgramExit>;
  private readonly stdout: KeptBytes;
  private readonly stderr: KeptBytes;
  private readonly grace: number;
  private leader: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private readonly leaderExit: Promise<void>;
  private guardAlive = true;
  private readonly guardPid: Promise<number | null>;
  private readonly guardGone: Promise<void>;
  private readonly pipesClosed: Promise<void>;
  private stopRequested = false;
  private askStop: (() => void) | undefined;
  private readonly stopRequest: Promise<void>;
  private killAt = Infinity;
  private wake: (() => void) | undefined;
  private stopped = false;
  private timedOut = false;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(private readonly child: ChildProcess, private readonly o: ProgramOptions) {
    this.pid = child.pid!;
    this.grace = o.graceMs ?? DEFAULT_GRACE_MS;
    const keep = o.keep ?? DEFAULT_KEEP;
    this.stdout = new KeptBytes(keep.headBytes, keep.tailBytes);
    this.stderr = new KeptBytes(keep.headBytes, keep.tailBytes);
    this.pipesClosed = Promise.all([
      drain(child.stdout!, this.stdout, o.onStdout),
      drain(child.stderr!, this.stderr, undefined),
    ]).then(() => {});
    this.leaderExit = new Promise((done) => child.once('exit', (code, signal) => {
      this.leader = { code, signal };
      this.wake?.();
      done();
    }));
    child.on('error', () => {});  // a failed kill(); kills go through process.kill, so none is expected
    const guard = child.stdio[3] as Socket;
    guard.on('error', () => {});
    this.guardGone = new Promise((done) => guard.once('close', () => { this.guardAlive = false; done(); }));
    this.guardPid = new Promise((done) => {
      let line = '';
      guard.on('data', (d: Buffer) => {
        line += d.toString('latin1');
        if (line.includes('\n')) done(Number.parseInt(line, 10) || null);
      });
      guard.once('close', () => done(null));  // the guard never started (the shell exits 125)
    });
    this.stopRequest = new Promise((asked) => { this.askStop = asked; });
    if (o.timeoutMs !== undefined) {
      this.timer = setTimeout(() => {
        if (this.leader === null) this.timedOut = true;
        void this.stop(this.grace);
      }, o.timeoutMs);
    }
    this.exited = this.settle();
  }

  stop(graceMs: number = this.grace): Promise<ProgramExit> {
    if (this.leader === null) this.stopped = true;
    this.stopRequested = true;
    this.killAt = Math.min(this.killAt, Date.now() + graceMs);
    this.askStop!();
    this.wake?.();
    return this.exited;
  }

  output(): { stdout: KeptOutput; stderr: KeptOutput } {
    return { stdout: this.stdout.snapshot(), stderr: this.stderr.snapshot() };
  }

  /** The program's end, from its exit or a stop to the last of its session and its pipes. */
  private async settle(): Promise<ProgramExit> {
    await Promise.race([this.leaderExit, this.stopRequest]);
    // Written before the program was exec'd, so it is there to read: the session's walks skip the guard.
    const guard = await this.guardPid;
    let left = this.others(guard);
    if (this.stopRequested || (left !== null && left.length > 0)) {
      // Stopped, or it ended leaving processes running (a logger flushing, a forgotten server):
      // they are asked first, as the program would be.
      signalSession(this.pid, left, 'SIGTERM', this.pinned());
      const asked = new Set(left?.map((m) => m.pid));
      if (!this.stopRequested) this.killAt = Date.now() + this.grace;
      // Bounded: ends at killAt, which only moves nearer.
      for (let delay = 2; ; delay = Math.min(2 * delay, 100)) {
        if (this.leader !== null && (left === null || left.length === 0)) break;
        const remaining = this.killAt - Date.now();
        if (remaining <= 0) break;
        await this.sleep(Math.min(delay, remaining));
        left = this.others(guard);
        // Forked after the SIGTERM (a shell runs its trap after its next command): asked too, once.
        const newcomers = left?.filter((m) => !asked.has(m.pid)) ?? [];
        signalEach(newcomers, 'SIGTERM');
        for (const m of newcomers) asked.add(m.pid);
      }
    }
    // The group's kill takes the guard too; the last walk's members cover the groups inside the session.
    signalSession(this.pid, left, 'SIGKILL', this.pinned());
    await bounded(Promise.all([this.leaderExit, this.guardGone]), KILL_WAIT_MS);
    // Where the last walk found none alive but the guard, none could fork since: nothing to confirm.
    if (left === null || left.length > 0) await this.confirmGone();
    clearTimeout(this.timer);
    if (!(await bounded(this.pipesClosed, PIPES_WAIT_MS))) {
      this.child.stdout!.destroy();
      this.child.stderr!.destroy();
    }
    (this.child.stdio[3] as Socket).destroy();
    const { code, signal } = this.leader ?? { code: null, signal: null };
    return { code, signal, timedOut: this.timedOut, stopped: this.stopped };
  }

  /** The session's live processes but the guard, or null without /proc. */
  private others(guard: number | null): Member[] | null {
    return sessionMembers(this.pid)?.filter((m) => m.pid !== guard) ?? null;
  }

  /** Whether the session's id cannot have passed on: the guard or the unreaped leader still holds it. */
  private pinned(): boolean {
    return this.guardAlive || this.leader === null;
  }

  /** Waits for what SIGKILL left, sending it again to any process forked meanwhile, for at most KILL_WAIT_MS. */
  private async confirmGone(): Promise<void> {
    const until = Date.now() + KILL_WAIT_MS;
    for (let delay = 2; ; delay = Math.min(2 * delay, 100)) {
      const left = sessionMembers(this.pid);
      if (left === null || left.length === 0) return;
      if (Date.now() >= until) {
        this.o.warn?.(`processes ${left.map((m) => m.pid).join(', ')} of the trial's program outlived SIGKILL for ${KILL_WAIT_MS / 1000} s (stuck in uninterruptible I/O?)`);
        return;
      }
      signalSession(this.pid, left, 'SIGKILL', this.pinned());
      await this.sleep(delay);
    }
  }

  /** Waits `ms`, or less where the leader exits or stop() is called meanwhile. */
  private sleep(ms: number): Promise<void> {
    return new Promise((done) => {
      const t = setTimeout(done, ms);
      this.wake = () => { clearTimeout(t); this.wake = undefined; done(); };
    });
  }
}

/** Reads `stream` to its end into `kept`, passing it on as text to `listener`; resolves once it closes. */
function drain(stream: Readable, kept: KeptBytes, listener: ((text: string) => void) | undefined): Promise<void> {
  const decoder = listener === undefined ? undefined : new StringDecoder('utf8');
  stream.on('data', (chunk: Buffer) => {
    kept.push(chunk);
    if (decoder !== undefined) {
      const text = decoder.write(chunk);
      if (text !== '') listener!(text);
    }
  });
  stream.on('end', () => {
    const rest = decoder?.end() ?? '';
    if (rest !== '') listener!(rest);
  });
  stream.on('error', () => {});  // a read error ends the stream as its close does
  return new Promise((closed) => stream.on('close', closed));
}

/** Whether `p` settled within `ms`. */
async function bounded(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((done) => { timer = setTimeout(() => done(false), ms); });
  try {
    return await Promise.race([p.then(() => true as const), expired]);
  } finally {
    clearTimeout(timer);
  }
}
