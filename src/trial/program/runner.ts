/**
 * Trials of the user's own program: each attempt a child process (process.ts), launched as W&B's
 * agent launches a run (command.ts), its stdout read for reports as it streams (collect.ts), each
 * step passed on as an epoch, where the early-stopping rule may stop it: SIGTERM (and a `stop`
 * file in its folder), then SIGKILL after the grace period. How it ends:
 * - exit 0 having reported the sweep's metric: completed;
 * - exit 0 without it, any other exit, a signal, the timeout, or output that breaks the step
 *   rules: failed, with why (the end of stderr for a crash);
 * - stopped by the rule: pruned; by the sweep's stop: interrupted (the run rejects, as the pool's does).
 *
 * A trial keeps its folder (SWEEP_TRIAL_DIR) across attempts: a program that saves checkpoints
 * there resumes after a crash. Then its first report says where it went on from: the steps an
 * earlier attempt recorded from that step on are dropped, and the rest kept.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../../errors.js';
import type { Objective } from '../../metrics/registry.js';
import type { TrainResult, Verdict, WorkerEvent } from '../../pool/protocol.js';
import { isCodeConfig, type CodeSpec } from '../../spec/code.js';
import type { RunJob, TrialRunner } from '../runner.js';
import { Steps } from '../steps.js';
import type { TrialLogs } from '../types.js';
import { MetricCollector, type Report } from './collect.js';
import { buildLaunch, type Launch } from './command.js';
import { startProgram, type KeptOutput, type ProgramExit, type RunningProgram } from './process.js';
import { checkProgram } from './program-check.js';

/** What the record says ran a program's trials (`trials.backend`). */
export const PROGRAM_BACKEND = 'program';

/** How much of each output stream an attempt's record keeps: its start, and its end (where a traceback is). */
const KEEP = { headBytes: 64 * 1024, tailBytes: 448 * 1024 };

export type ProgramRunnerOptions = {
  readonly code: CodeSpec;
  /** The spec's folder: the program's path is relative to it, and the program runs in it. */
  readonly specDir: string;
  /** Where the trials' folders are made: one per trial, named by its config id. */
  readonly trialsDir: string;
  readonly sweep: string;
  readonly metric: Objective;
  /** Every objective of a sweep of several: a trial that exits without one of them fails. */
  readonly objectives?: readonly Objective[];
  /** Hears what is worth saying once (a variable `${envvar:…}` found unset, setpriv missing). */
  readonly warn?: (line: string) => void;
};

export class ProgramRunner implements TrialRunner {
  private readonly program: string;
  private readonly running = new Set<RunningProgram>();

  constructor(private readonly o: ProgramRunnerOptions) {
    if (o.code.program === undefined) throw new Error('a ProgramRunner needs the spec\'s program');
    this.program = resolve(o.specDir, o.code.program);
  }

  /** The folder the trial with `configId` keeps across its attempts. */
  trialDir(configId: string): string {
    return join(this.o.trialsDir, configId);
  }

  async run(job: RunJob, onEvent: (e: WorkerEvent, reply: (v: Verdict) => void) => void, signal: AbortSignal): Promise<TrainResult> {
    const { trial } = job;
    const config = trial.config;
    if (!isCodeConfig(config)) throw new Error(`trial ${trial.id} trains a built-in model, not a program`);
    if (signal.aborted) throw abortError();
    const { code } = this.o;
    const dir = this.trialDir(trial.configId);
    mkdirSync(dir, { recursive: true });
    // A stop asked of an earlier attempt is not this one's.
    rmSync(join(dir, 'stop'), { force: true });
    let launch: Launch;
    try {
      launch = buildLaunch({ program: this.program, command: code.command, interpreter: code.interpreter }, config.params, {
        paramsFile: join(dir, 'params.json'), env: process.env,
      });
    } catch (err) {
      if (err instanceof UserError) return { ok: false, error: err.message, backend: PROGRAM_BACKEND, epochs: [] };
      throw err;
    }
    for (const name of launch.unsetVars) this.o.warn?.(`command: \${envvar:${name}} is not set; W&B's agent passes its name, "${name}", and so does sweep`);
    writeFileSync(join(dir, 'params.json'), launch.paramsFileText);

    const steps = new Steps(job, this.o.metric.name, PROGRAM_BACKEND, onEvent);
    const collector = new MetricCollector(code.collect);
    let broken: string | undefined;
    let program: RunningProgram;
    const take = (reports: readonly Report[]) => {
      for (const r of reports) steps.report(r);
    };
    try {
      program = await startProgram(launch.argv, {
        cwd: this.o.specDir,
        env: {
          ...launch.env, SWEEP_TRIAL_DIR: dir, SWEEP_TRIAL_ID: String(trial.id), SWEEP_TRIAL_NUMBER: String(trial.number),
          SWEEP_SWEEP: this.o.sweep,
          // Python buffers a pipe's output until it exits: reports would come too late for early stopping.
          PYTHONUNBUFFERED: process.env.PYTHONUNBUFFERED ?? '1',
        },
        onStdout: (text) => {
          if (broken !== undefined) return;
          try {
            take(collector.push(text));
          } catch (err) {
            if (!(err instanceof UserError)) throw err;
            broken = err.message;
            void program.stop(code.trial.grace * 1000);
          }
        },
        timeoutMs: code.trial.timeout === undefined ? undefined : code.trial.timeout * 1000,
        graceMs: code.trial.grace * 1000,
        keep: KEEP,
        warn: this.o.warn,
      });
    } catch (err) {
      if (err instanceof UserError) return { ok: false, error: err.message, backend: PROGRAM_BACKEND, epochs: [] };
      throw err;
    }
    this.running.add(program);
    const stop = () => void program.stop(code.trial.grace * 1000);
    const abandon = () => {
      // No verdict will come now: the sweep stops, or another worker took the trial over.
      steps.abandon();
      stop();
    };
    signal.addEventListener('abort', abandon);
    steps.onPrune = () => {
      writeFileSync(join(dir, 'stop'), '');
      stop();
    };
    let exit: ProgramExit;
    try {
      exit = await program.exited;
      if (broken === undefined) {
        try {
          take(collector.end());
        } catch (err) {
          if (!(err instanceof UserError)) throw err;
          broken = err.message;
        }
      }
      if (!signal.aborted) steps.finish();
      await steps.settled();
    } finally {
      signal.removeEventListener('abort', abandon);
      this.running.delete(program);
    }
    const logs = logsOf(program.output());
    if (steps.pruned) return { ok: 'stopped', backend: PROGRAM_BACKEND, epochs: steps.epochs(), logs };
    if (signal.aborted) throw abortError();
    const epochs = steps.epochs();
    const failed = (error: string): TrainResult => ({ ok: false, error, backend: PROGRAM_BACKEND, epochs, logs });
    if (broken !== undefined) return failed(broken);
    if (exit.timedOut) return failed(`timed out after ${code.trial.timeout} s (trial.timeout in the spec)`);
    if (exit.code !== 0) {
      const how = exit.code === null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      const tail = lastLines(logs.stderr.text);
      return failed(`the program ${how}${tail ? `: ${tail}` : ' (nothing on stderr)'}`);
    }
    if (code.metricDeclared && !steps.reportedObjective) return failed(neverReported(this.o.metric.name, steps.names(), logs));
    // A spec that names no metric asks for none: exit 0 completes the trial.
    const missing = code.metricDeclared ? steps.missing(this.o.objectives ?? []) : [];
    if (missing.length > 0) return failed(`the program exited 0 without reporting ${missing.join(', ')}, of the sweep's objectives (it reported ${steps.names().join(', ')})`);
    return { ok: true, outcome: steps.outcome(PROGRAM_BACKEND), model: null, logs };
  }

  async close(): Promise<void> {
    await Promise.all([...this.running].map((p) => p.stop(this.o.code.trial.grace * 1000)));
  }
}

function logsOf(o: { stdout: KeptOutput; stderr: KeptOutput }): TrialLogs {
  return { stdout: { text: o.stdout.text, bytes: o.stdout.totalBytes }, stderr: { text: o.stderr.text, bytes: o.stderr.totalBytes } };
}

/** The last non-empty lines of a program's stderr, on one line: what a traceback ends with. */
export function lastLines(text: string, max = 3): string {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  const tail = lines.slice(-max).join(' | ');
  return tail.length > 400 ? `…${tail.slice(-400)}` : tail;
}

function neverReported(metric: string, names: readonly string[], logs: TrialLogs): string {
  const what = names.length > 0
    ? `it reported ${names.join(', ')}`
    : logs.stdout.bytes === 0 ? 'it printed nothing on stdout' : 'no line of its stdout was a report (name=value pairs or a JSON object)';
  return `the program exited 0 without reporting ${metric}, the sweep's metric (${what})`;
}

function abortError(): Error {
  return Object.assign(new Error('the sweep is stopping'), { name: 'AbortError' });
}

/**
 * Throws a UserError of one line where the spec's program cannot run, before anything does: the
 * program file missing, the command's first word (the interpreter) not found or not executable,
 * a command W&B's agent would not run as meant. `params`: any trial's, to build the command with.
 */
export function checkLaunch(code: CodeSpec, specDir: string, params: Readonly<Record<string, unknown>>): void {
  if (code.program === undefined) return;
  const program = resolve(specDir, code.program);
  if (!existsSync(program)) throw new UserError(`program not found: ${program} (\`program: ${code.program}\`, from the spec's folder)`);
  const launch = buildLaunch({ program, command: code.command, interpreter: code.interpreter }, params, {
    paramsFile: join(specDir, 'params.json'), env: process.env,
  });
  checkProgram(launch.argv[0] === '/usr/bin/env' && launch.argv.length > 1 ? launch.argv[1] : launch.argv[0], specDir, process.env.PATH);
}

/** The SHA-256 of the program's file, recorded with the sweep; null where it cannot be read. */
export function programSha256(path: string): string | null {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return null;
  }
}
