import { formatMetric, type Objective } from '../metrics/registry.js';
import type { Io } from './command.js';

/**
 * How a person stops a sweep, and the exit code each way gives: `q` (0), a closed stdout
 * (0, said on stderr), Ctrl-C (130) or SIGTERM (143). The first stops gracefully (no new
 * trial starts, running ones are interrupted and run again next time); a second quits at once.
 */
export type UserStop = {
  readonly signal: AbortSignal;
  /** The exit code of the way it was stopped (0 while it was not). */
  readonly code: number;
  request(code: number, why: string, say?: (line: string) => void): void;
  dispose(): void;
};

/** Listens for signals and a closed stdout until disposed; `announce` shows the stop (a line, or the live screen's state). */
export function userStop(io: Io, announce?: () => void): UserStop {
  const stop = new AbortController();
  let code = 0;
  const request = (exitCode: number, why: string, say = io.out) => {
    if (stop.signal.aborted) process.exit(exitCode);
    code = exitCode;
    if (announce) announce();
    else say(`${why}: stopping; running trials are interrupted and run again next time (again to quit at once)`);
    stop.abort();
  };
  const onSignal = (signal: NodeJS.Signals) => request(signal === 'SIGINT' ? 130 : 143, signal);
  // Nobody reads the log any more (`sweep run SPEC | head`): stop as q does, saying so on stderr.
  const onStdoutClosed = () => { if (!stop.signal.aborted) request(0, 'stdout closed', io.err); };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  io.stdoutClosed.addEventListener('abort', onStdoutClosed);
  if (io.stdoutClosed.aborted) onStdoutClosed();
  return {
    signal: stop.signal,
    get code() { return code; },
    request,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      io.stdoutClosed.removeEventListener('abort', onStdoutClosed);
    },
  };
}

/** What `run` and `worker` say when a sweep's first trials all failed and no more were started. */
export const giveUpLine = (sweep: string, failed: number) =>
  `sweep ${sweep}: its first ${failed} trials all failed, so no more were started (\`sweep show ${sweep}\` has their errors; SWEEP_MAX_INITIAL_FAILURES=0 never stops)`;

/** What `run` and `worker` say when a trial reached the sweep's `metric.target`, which ends it. */
export function targetLine(spec: { name: string; metric: Objective; target?: number }, reached: { trialId: number; value: number }): string {
  return `sweep ${spec.name}: trial ${reached.trialId} reached the target, ${spec.metric.name} ${formatMetric(spec.metric.name, reached.value)} ${spec.metric.goal === 'maximize' ? '≥' : '≤'} ${formatMetric(spec.metric.name, spec.target)}: the sweep has ended, no more trials start (metric.target)`;
}

/** What a worker that lost its trial to another (its lease expired while it was cut off) says. */
export const lostLine = (trialId: number) =>
  `sweep: trial ${trialId} was taken over by another worker (this one's lease expired); nothing of this attempt was recorded`;
