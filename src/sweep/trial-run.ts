/**
 * One claimed trial's run: dispatched to the worker pool, its epochs recorded in order as they
 * arrive (through the judge), and its end written: completed, failed, pruned or interrupted.
 * Every write names the claim; a refused one means another worker took the trial over, and this
 * run stops and keeps nothing more.
 */
import { failpoint } from '../failpoint.js';
import { outcomeValue, type Objective } from '../metrics/registry.js';
import type { Verdict, WorkerEvent } from '../pool/protocol.js';
import type { TrialRunner } from '../trial/runner.js';
import type { Claim, EpochDecision, Store } from '../store/store.js';
import { isCodeConfig } from '../spec/code.js';
import type { EpochMetrics, TrialOutcome, TrialRecord } from '../trial/types.js';
import { trialEnvironment, type Environment } from './environment.js';
import type { Judge } from './judge.js';

/** How one attempt at a trial ended. */
export type TrialEnd =
  | { readonly status: 'completed'; readonly outcome: TrialOutcome; readonly value: number }
  | { readonly status: 'failed'; readonly error: string }
  | { readonly status: 'pruned'; readonly decision?: EpochDecision & { epoch: number } }
  /**
   * `lost`: another worker took the trial over (this one's lease expired); nothing of this attempt was kept.
   * `gaveWay`: a deterministic verdict needed an earlier trial that nobody was running; this one
   * went back to the queue (to resume from its last checkpoint) so that its worker could run that one.
   */
  | { readonly status: 'interrupted'; readonly lost?: true; readonly gaveWay?: true };

export type TrialRunContext = {
  readonly store: Store;
  /** What trains the trials: the worker pool, or the user's code. */
  readonly runner: TrialRunner;
  readonly judge: Judge;
  readonly metric: Objective;
  /** The whole sweep's stop: the user's, or a failed write's. */
  readonly stop: AbortSignal;
  /** Hands a failed write (disk full) to the sweep, which stops. */
  readonly fail: (err: unknown) => void;
  /** Whether the sweep is stopping because a write failed (then nothing more is written). */
  readonly failed: () => boolean;
  /** Take a checkpoint after each epoch and keep the trained model. */
  readonly keep: boolean;
  readonly environment: Environment | null;
  /** Called for each epoch the store kept. */
  readonly onEpoch: (trial: TrialRecord, backend: string, m: EpochMetrics) => void;
};

/** Epochs to be written together: `last` is the newest's event, whose checkpoint, verdict and metric values so far (`judged`) go with them. */
type Batch = { epochs: EpochMetrics[]; last: Extract<WorkerEvent, { type: 'epoch' }>; reply: (v: Verdict) => void; judged: number[] };

/** Trains `claim`'s trial on the pool and records it; resolves with how it ended, rejects only where a write failed. */
export async function runTrial(claim: Claim, c: TrialRunContext): Promise<TrialEnd> {
  const { store, judge } = c;
  const trial = claim.trial;
  // The trial's metric after each epoch so far (restored ones included), for the rule.
  const values: number[] = [];
  // Stops this trial alone: the sweep's stop, or the claim lost to another worker.
  const trialStop = new AbortController();
  const onStop = () => trialStop.abort();
  c.stop.addEventListener('abort', onStop);
  let lost = false;
  let gaveWay = false;
  // Writes for one trial run in order (its resume before its epochs). A refused one means the
  // claim is gone; a failed one (disk full) stops the sweep, and its caller sees it.
  let writes = Promise.resolve();
  const write = (w: () => Promise<boolean>): Promise<void> => {
    const next = writes.then(async () => {
      if (lost) return;
      if (!(await w())) {
        lost = true;
        trialStop.abort();
      }
    });
    writes = next.catch(c.fail);
    return next;
  };
  // Epochs that arrive while the trial's previous write is in flight, or together (one chunk of a
  // program's output), are written in one transaction: on PostgreSQL each commit is a round trip
  // and a flush of its log, most of what a program's trial of quick steps costs. None is passed on
  // (onEpoch, a verdict) before its write commits, so nothing unwritten was ever acknowledged; and
  // an epoch that awaits a verdict ends its batch (nothing follows it until the verdict is given),
  // so the rule decides on it with every epoch before it in the same write.
  let waiting: Batch | undefined;
  // For the event handler's calls: the chain's own catch has handed any error to `fail`.
  const handedToFail = () => {};
  let lastDecision: (EpochDecision & { epoch: number }) | undefined;
  try {
    // A trial no attempt recorded an epoch of has no checkpoint and nothing to drop: two round trips saved.
    const fresh = trial.epochsDone === 0;
    const r = await c.runner.run(
      {
        trial, keep: c.keep, resumeFrom: c.keep && !fresh && !isCodeConfig(trial.config) ? await store.checkpoint(trial.id) : null,
        recorded: !fresh && isCodeConfig(trial.config) ? await store.epochs(trial.id) : [],
        decidesAfter: judge.decidesAfter(trial),
      },
      (e, reply) => {
        if (e.type === 'started') {
          values.push(...e.epochs.map(judge.valueOf));
          if (!fresh || e.epochs.length > 0) write(() => store.resumeAt(claim, e.epochs, e.backend)).catch(handedToFail);
          return;
        }
        values.push(judge.valueOf(e.metrics));
        // Joins the batch still waiting to be written, unless that batch ends at an epoch awaiting a verdict.
        if (waiting !== undefined && !waiting.last.awaitsVerdict) {
          waiting.epochs.push(e.metrics);
          Object.assign(waiting, { last: e, reply, judged: values.slice() });
          return;
        }
        const batch: Batch = { epochs: [e.metrics], last: e, reply, judged: values.slice() };
        waiting = batch;
        write(async () => {
          // One turn of the event loop first: the other reports of the same chunk of output join.
          await new Promise((next) => setImmediate(next));
          if (waiting === batch) waiting = undefined;
          const { last } = batch;
          const { kept, decision, gaveWay: yielded } = await judge.record(claim, batch.epochs, last, batch.judged);
          if (yielded) {
            // The epochs before the last were written (where the claim held); the last was not.
            if (kept) {
              for (const m of batch.epochs.slice(0, -1)) {
                c.onEpoch(trial, last.backend, m);
                failpoint('epoch-recorded');
              }
            }
            gaveWay = true;
            trialStop.abort();
            return kept;
          }
          if (kept) {
            for (const m of batch.epochs) {
              c.onEpoch(trial, last.backend, m);
              // Crash point mid-epoch: this epoch is committed, the worker is training the next.
              failpoint('epoch-recorded');
            }
            if (decision) {
              lastDecision = { ...decision, epoch: last.metrics.epoch };
              batch.reply({ type: 'verdict', epoch: last.metrics.epoch, stop: decision.verdict === 'prune' });
            }
          }
          return kept;
        }).catch(handedToFail);
      },
      trialStop.signal,
    );
    await writes;
    if (lost) return { status: 'interrupted', lost: true };
    // A program's output, kept with its attempt however it ended.
    if (r.logs) await store.recordLogs(claim, r.logs).catch(c.fail);
    // A prune decision ended the trial in the store with its epoch (recordEpoch).
    if (r.ok === 'stopped') return { status: 'pruned', decision: lastDecision };
    if (r.ok) {
      await write(() => store.completeTrial(claim, r.outcome, c.environment && trialEnvironment(c.environment, r.outcome.backend), r.model));
      if (lost) return { status: 'interrupted', lost: true };
      return { status: 'completed', outcome: r.outcome, value: outcomeValue(c.metric.name, r.outcome) };
    }
    await write(() => store.failTrial(claim, r.error, r.epochs, r.backend ?? undefined));
    if (lost) return { status: 'interrupted', lost: true };
    return { status: 'failed', error: r.error };
  } catch (err) {
    await writes;
    if (lost) return { status: 'interrupted', lost: true };
    if (c.stop.aborted) {
      if (!c.failed()) await store.interruptTrial(claim).catch(c.fail);
      return { status: 'interrupted' };
    }
    if (gaveWay) {
      await store.interruptTrial(claim).catch(c.fail);
      return { status: 'interrupted', gaveWay: true };
    }
    // The worker itself died (out of memory, a crash in native code): still a failed trial.
    await write(() => store.failTrial(claim, `worker died: ${(err as Error).message}`, []));
    return { status: 'failed', error: (err as Error).message };
  } finally {
    c.stop.removeEventListener('abort', onStop);
  }
}
