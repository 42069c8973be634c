import { TrainingPool } from '../pool/pool.js';
import { makeScheduler } from '../early-stop/index.js';
import type { DecisionInput, Scheduler } from '../early-stop/scheduler.js';
import { maxEpochs, searchSpace } from '../search/space.js';
import { makeStrategy, type SearchStrategy } from '../search/strategy.js';
import type { BackendChoice } from '../pool/protocol.js';
import type { DatasetArrays } from '../data/dataset.js';
import { splitSizes } from '../data/split.js';
import { failpoint } from '../failpoint.js';
import { metricScore, metricValue, type Metric, type SweepSpec } from '../spec/schema.js';
import type { Store } from '../store/store.js';
import type { Environment } from './environment.js';
import { ownerToken } from '../store/owner.js';
import type { DecisionRecord, EpochMetrics, TrialConfig, TrialOutcome, TrialSnapshot } from '../types.js';
import type { Claim, EpochDecision } from '../store/store.js';

/** What the controller tells its views (the line log now, the live leaderboard later). */
export type SweepEvent =
  | {
      type: 'start'; sweep: string; metric: Metric; total: number; todo: number; done: number; notInGrid: number; workers: number;
      /** Samples per training epoch, for throughput. */
      trainSamples: number;
      /** Every trial in the grid as recorded so far (earlier runs' results included). */
      trials: TrialSnapshot[];
    }
  | { type: 'trial-start'; trialId: number; configId: string; config: TrialConfig }
  | { type: 'epoch'; trialId: number; config: TrialConfig; backend: string; metrics: EpochMetrics }
  | {
      type: 'trial-end'; trialId: number; config: TrialConfig; status: 'completed' | 'failed' | 'interrupted' | 'pruned';
      outcome?: TrialOutcome; error?: string; best: Best | null;
      /** Interrupted because another worker took the trial over (this one's lease expired): nothing of this attempt was kept. */
      lost?: true;
      /** Pruned: the decision that stopped it, after `epoch`. */
      pruned?: EpochDecision & { epoch: number };
    }
  | { type: 'end'; summary: SweepResult };

/** The best trial so far: `score` ranks (higher is better), `value` is the metric as recorded (a loss stays a loss). */
export type Best = { trialId: number; score: number; value: number; config: TrialConfig };

export type SweepResult = {
  sweep: string; completed: number; failed: number; interrupted: number;
  /** Trials stopped early by the sweep's rule (they count as done). */
  pruned: number;
  /** Epochs this run trained (resumed trials: only the epochs after their checkpoint). */
  epochsTrained: number;
  /** Trials of the grid done (completed, failed or pruned) before this run. */
  skipped: number;
  /** Trials recorded for this sweep whose configuration the spec no longer has: kept, not run. */
  notInGrid: number;
  seconds: number; best: Best | null;
};

export type RunSweepOptions = {
  readonly spec: SweepSpec;
  readonly specText: string;
  readonly specPath: string | null;
  readonly store: Store;
  readonly dataset: DatasetArrays;
  readonly workers: number;
  readonly backend: BackendChoice;
  /** Take a checkpoint after each epoch and keep each trained model, in the store (default true). */
  readonly checkpoints?: boolean;
  /** Each worker's JS heap limit; past it the worker dies and its trial fails. */
  readonly workerHeapMb?: number;
  /** Recorded with each completed trial, for `sweep repro`. */
  readonly environment?: Environment;
  /**
   * The sweep is recorded already and this process joins it (`sweep worker`): its spec and
   * trials are not written again, so its `updated_at` still tells when it was last run.
   */
  readonly joining?: boolean;
  /** Re-queue the sweep's failed trials first. */
  readonly retryFailed?: boolean;
  /** Aborting stops new trials and interrupts running ones; they run again next time. */
  readonly signal?: AbortSignal;
  readonly onEvent?: (e: SweepEvent) => void;
};


/**
 * Runs a sweep: records the spec and its configurations, then claims and trains every one
 * not yet completed on the worker pool, recording each epoch and outcome as it arrives.
 * Only this controller changes a trial's status. Claims are atomic, so several processes
 * (on several hosts, with PostgreSQL) can share one sweep; trials whose lease expired are
 * re-queued and resume from their last checkpoint. A failed trial is recorded and the sweep
 * goes on. A trial taken over by another worker while this one was cut off is dropped here.
 */
export async function runSweep(o: RunSweepOptions): Promise<SweepResult> {
  const started = performance.now();
  const emit = o.onEvent ?? (() => {});
  const { spec, store } = o;
  const owner = ownerToken();
  const strategy = makeStrategy(spec);
  const trials = strategy.initial();
  // Built before anything is recorded: a rule that cannot work (W&B bands that do not exist) is refused first.
  const scheduler = spec.search.earlyStopping && makeScheduler(spec.search.earlyStopping, maxEpochs(searchSpace(spec)));
  const recorded = o.joining ? await store.sweep(spec.name) : undefined;
  const sweepId = recorded?.id ?? await store.upsertSweep({
    name: spec.name, metric: spec.metric, seed: spec.seed, specPath: o.specPath, specYaml: o.specText,
  });
  if (!recorded) await store.addTrials(sweepId, spec.seed, spec.data, trials);
  if (o.retryFailed) await store.retryFailed(sweepId);
  await store.releaseExpired(sweepId);

  let all = await store.trials(sweepId);
  // The trials this run may claim: the spec's list; with a strategy that proposes as it goes
  // (TPE), every trial of the sweep, and each new proposal.
  const eligible = strategy.propose ? all.map((r) => r.configId) : trials.map((t) => t.configId);
  const inGrid = new Set(eligible);
  const rows = all.filter((r) => inGrid.has(r.configId));
  const unproposed = strategy.propose ? Math.max(0, strategy.planned - all.length) : 0;
  const todo = rows.filter((r) => r.status === 'pending' || r.status === 'interrupted').length + unproposed;
  const bestRow = rows.find((r) => r.status === 'completed');
  let best: Best | null = bestRow ? bestOf(spec.metric, bestRow.id, bestRow, bestRow.config) : null;

  const result: SweepResult = {
    sweep: spec.name, completed: 0, failed: 0, interrupted: 0, pruned: 0, epochsTrained: 0,
    skipped: rows.filter((r) => r.status === 'completed' || r.status === 'failed' || r.status === 'pruned').length,
    notInGrid: all.length - rows.length, seconds: 0, best,
  };
  const workers = Math.max(1, Math.min(o.workers, todo));
  emit({
    type: 'start', sweep: spec.name, metric: spec.metric, total: rows.length + unproposed, todo, done: result.skipped,
    notInGrid: result.notInGrid, workers, trainSamples: splitSizes(spec.data).train,
    trials: (await store.snapshot(sweepId)).filter((t) => inGrid.has(t.configId)),
  });

  // The user's stop, or a write that failed (disk full): either way no new trial starts.
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  o.signal?.addEventListener('abort', onAbort);
  if (o.signal?.aborted) stop.abort();
  let fatal: unknown;
  const fail = (err: unknown) => {
    fatal ??= err;
    stop.abort();
  };
  if (todo > 0 && !stop.signal.aborted) {
    const pool = new TrainingPool({ workers, backend: o.backend, dataset: o.dataset, heapLimitMb: o.workerHeapMb });
    // Three beats to a lease, every 5 s at most: one lost beat never costs a healthy worker its trial.
    const heartbeat = setInterval(() => {
      store.heartbeat(owner).catch(() => { /* a busy or restarting database: the next beat will do */ });
    }, Math.min(5_000, store.leaseMs / 3));
    const runOne = async (): Promise<void> => {
      while (!stop.signal.aborted) {
        // Crash point before each claim; the first is at startup: the sweep and its trials recorded, none claimed.
        failpoint('before-claim');
        const claim = await claimOrPropose();
        if (!claim) return;
        const { id: trialId, config } = claim.trial;
        // The trial's metric after each epoch so far (restored ones included), for the scheduler.
        const values: number[] = [];
        const verdictAfter = scheduler
          ? Array.from({ length: config.epochs - 1 }, (_, i) => i + 1)
            .filter((e) => scheduler.decidesAfter({ number: claim.trial.number, sweep: spec.name }, e, config.epochs))
          : [];
        // Stops this trial alone: the user's stop, or the claim lost to another worker.
        const trialStop = new AbortController();
        const onStop = () => trialStop.abort();
        stop.signal.addEventListener('abort', onStop);
        let lost = false;
        // Writes for one trial run in order (its resume before its epochs). A refused one means
        // the claim is gone; a failed one (disk full) stops the sweep, and its caller sees it.
        let writes = Promise.resolve();
        const write = (w: () => Promise<boolean>): Promise<void> => {
          const next = writes.then(async () => {
            if (lost) return;
            if (!(await w())) {
              lost = true;
              trialStop.abort();
            }
          });
          writes = next.catch(fail);
          return next;
        };
        // For the event handler's calls: the chain's own catch has handed any error to `fail`.
        const recordedByFail = () => {};
        emit({ type: 'trial-start', trialId, configId: claim.trial.configId, config });
        let lastDecision: (EpochDecision & { epoch: number }) | undefined;
        try {
          const keep = o.checkpoints ?? true;
          // A trial no attempt recorded an epoch of has no checkpoint and nothing to drop: two round trips saved.
          const fresh = claim.trial.epochsDone === 0;
          const r = await pool.run(
            {
              trialId, configId: claim.trial.configId, config, seed: claim.trial.seed, data: claim.trial.data,
              keep, resumeFrom: keep && !fresh ? await store.checkpoint(trialId) : null, verdictAfter,
            },
            (e, reply) => {
              if (e.type === 'started') {
                values.push(...e.epochs.map((m) => metricValue(spec.metric, m)));
                if (!fresh || e.epochs.length > 0) write(() => store.resumeAt(claim, e.epochs, e.backend)).catch(recordedByFail);
              } else {
                values.push(metricValue(spec.metric, e.metrics));
                const judged = values.slice();
                write(async () => {
                  let decision: EpochDecision | undefined;
                  if (e.awaitsVerdict) {
                    decision = await decide(scheduler!, claim, e.metrics.epoch, judged);
                    // Crash point between an epoch's metrics and its decision: neither is recorded yet.
                    failpoint('before-decision');
                  }
                  const kept = await store.recordEpoch(claim, e.metrics, e.backend, e.checkpoint, decision);
                  if (kept) {
                    result.epochsTrained++;
                    emit({ type: 'epoch', trialId, config, backend: e.backend, metrics: e.metrics });
                    if (decision) {
                      lastDecision = { ...decision, epoch: e.metrics.epoch };
                      reply({ type: 'verdict', epoch: e.metrics.epoch, stop: decision.verdict === 'prune' });
                    }
                  }
                  // Crash point mid-epoch: this epoch is committed, the worker is training the next.
                  failpoint('epoch-recorded');
                  return kept;
                }).catch(recordedByFail);
              }
            },
            trialStop.signal,
          );
          await writes;
          if (lost) throw new Error('claim lost');
          if (r.ok === 'stopped') {
            // The prune decision ended the trial in the store with its epoch (recordEpoch).
            result.pruned++;
            emit({ type: 'trial-end', trialId, config, status: 'pruned', best, pruned: lastDecision });
          } else if (r.ok) {
            await write(() => store.completeTrial(claim, r.outcome, o.environment ?? null, r.model));
            if (lost) throw new Error('claim lost');
            result.completed++;
            const candidate = bestOf(spec.metric, trialId, r.outcome, config);
            if (!best || candidate.score > best.score) best = candidate;
            emit({ type: 'trial-end', trialId, config, status: 'completed', outcome: r.outcome, best });
          } else {
            await write(() => store.failTrial(claim, r.error, r.epochs, r.backend ?? undefined));
            if (lost) throw new Error('claim lost');
            result.failed++;
            emit({ type: 'trial-end', trialId, config, status: 'failed', error: r.error, best });
          }
        } catch (err) {
          await writes;
          if (lost) {
            result.interrupted++;
            emit({ type: 'trial-end', trialId, config, status: 'interrupted', best, lost: true });
          } else if (stop.signal.aborted) {
            if (!fatal) await store.interruptTrial(claim).catch(fail);
            result.interrupted++;
            emit({ type: 'trial-end', trialId, config, status: 'interrupted', best });
          } else {
            // The worker itself died (out of memory, a crash in native code): still a failed trial.
            await write(() => store.failTrial(claim, `worker died: ${(err as Error).message}`, []));
            result.failed++;
            emit({ type: 'trial-end', trialId, config, status: 'failed', error: (err as Error).message, best });
          }
        } finally {
          stop.signal.removeEventListener('abort', onStop);
        }
      }
    };
    /** The next trial to train: a queued one, else (TPE) a new proposal, else none. */
    const claimOrPropose = async (): Promise<Claim | undefined> => {
      const queued = await store.claimNext(sweepId, owner, eligible);
      if (queued || !strategy.propose) return queued;
      const added = await store.proposeTrial(sweepId, spec.seed, spec.data, (t, n) => strategy.propose!(t, n));
      if (added) {
        eligible.push(added.configId);
      } else {
        // The sweep has all its trials; another process's unfinished ones may still be claimable.
        all = await store.trials(sweepId);
        eligible.push(...all.map((r) => r.configId).filter((id) => !eligible.includes(id)));
      }
      return store.claimNext(sweepId, owner, eligible);
    };
    /** The scheduler's verdict on a trial after `epoch`, from what the sweep has recorded now. */
    const decide = async (s: Scheduler, claim: Claim, epoch: number, judged: readonly number[]): Promise<EpochDecision> => {
      const { id, number, config } = claim.trial;
      const recordedDecisions = await store.decisions(sweepId);
      // Only the median rule and W&B's look at completed trials' curves: a larger read, skipped otherwise.
      const completed = s.name === 'median' || s.name === 'wandb-hyperband'
        ? (await store.snapshot(sweepId)).filter((t) => t.status === 'completed').map((t) => t.epochs.map((m) => metricValue(spec.metric, m)))
        : [];
      const input: DecisionInput = {
        trialId: id, number, epoch, values: judged, maxEpochs: config.epochs, sweep: spec.name,
        direction: spec.metric === 'val_loss' ? 'minimize' : 'maximize',
        decisions: recordedDecisions.filter((d) => d.trialId !== id && d.scheduler === s.name).map(asRecorded),
        completed,
      };
      const d = s.decide(input);
      return { scheduler: s.name, rung: d.rung, bracket: d.bracket, value: d.value, threshold: d.threshold, compared: d.compared, verdict: d.verdict };
    };
    await Promise.all(Array.from({ length: workers }, () => runOne().catch(fail)));
    clearInterval(heartbeat);
    await pool.close();
    // Trials a failed write left claimed go back to the queue.
    if (fatal) await store.releaseOwned(owner).catch(() => { /* the database is what failed */ });
  }
  o.signal?.removeEventListener('abort', onAbort);
  if (fatal) throw fatal;
  result.best = best;
  result.seconds = (performance.now() - started) / 1000;
  emit({ type: 'end', summary: result });
  return result;
}

/** A recorded decision as the schedulers compare with it: the metric at its epoch. */
function asRecorded(d: DecisionRecord) {
  return { trialId: d.trialId, number: d.number, epoch: d.epoch, rung: d.rung, bracket: d.bracket, value: d.metricAtEpoch };
}

function bestOf(metric: Metric, trialId: number, r: { valAccuracy: number | null; valLoss: number | null }, config: TrialConfig): Best {
  return { trialId, score: metricScore(metric, r), value: metricValue(metric, r), config };
}
