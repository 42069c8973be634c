import { resolve } from 'node:path';
import { makeScheduler } from '../early-stop/registry.js';
import type { DatasetArrays } from '../data/dataset.js';
import { splitSizes } from '../data/split.js';
import { failpoint } from '../failpoint.js';
import { updateFronts } from './fronts.js';
import type { BackendChoice } from '../pool/protocol.js';
import { PROGRAM_BACKEND, ProgramRunner, programSha256 } from '../trial/program/runner.js';
import { codeFile } from '../spec/code.js';
import type { TrialRunner } from '../trial/runner.js';
import { maxSteps } from '../search/space.js';
import { makeStrategy } from '../search/strategy.js';
import type { SweepSpec } from '../spec/schema.js';
import { ownerToken } from '../store/owner.js';
import type { Store } from '../store/store.js';
import type { TrialRecord } from '../trial/types.js';
import { trialEnvironment, type Environment } from './environment.js';
import type { SweepEvent, SweepResult } from './events.js';
import { makeJudge } from './judge.js';
import { nextTrial } from './next-trial.js';
import { Tally } from './tally.js';
import { Wakeup } from './wakeup.js';
import { seedFork } from './sequence.js';
import { runTrial } from './trial-run.js';

export type RunSweepOptions = {
  readonly spec: SweepSpec;
  readonly specText: string;
  readonly specPath: string | null;
  readonly store: Store;
  /** The data sweep's built-in models train on; a sweep of the user's code has none. */
  readonly dataset?: DatasetArrays;
  /** A sweep of the user's code (a program, an objective module): where it runs and keeps its trials' folders. */
  readonly code?: { readonly specDir: string; readonly trialsDir: string; readonly warn?: (line: string) => void };
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
  /**
   * A new sweep forked from another (`sweep run --fork`): once recorded, and before its own trials,
   * it is seeded with these of the other's (src/sweep/sequence.ts), numbered first.
   */
  readonly fork?: { readonly fromId: number; readonly priors: readonly TrialRecord[] };
  /** Re-queue the sweep's failed trials first. */
  readonly retryFailed?: boolean;
  /**
   * Where this many trials failed and none completed or was pruned, no more are started (W&B's
   * agent's MAX_INITIAL_FAILURES is 5): the CLI's `maxInitialFailures()`. Unset or 0: never.
   */
  readonly giveUpAfter?: number;
  /** Aborting stops new trials and interrupts running ones; they run again next time. */
  readonly signal?: AbortSignal;
  readonly onEvent?: (e: SweepEvent) => void;
};


/**
 * Runs a sweep: records the spec and its configurations, then claims and trains every one not
 * yet completed on the worker pool, recording each epoch and outcome as it arrives. It only wires
 * the parts together: the strategy proposes (src/search/), `nextTrial` claims, `runTrial`
 * dispatches and records one trial, the judge asks the early-stopping rule, the tally counts and
 * tells the views. Claims are atomic, so several processes (on several hosts, with PostgreSQL) can
 * share one sweep; trials whose lease expired are re-queued and resume from their last checkpoint.
 * A failed trial is recorded and the sweep goes on.
 */
export async function runSweep(o: RunSweepOptions): Promise<SweepResult> {
  const started = performance.now();
  const emit = o.onEvent ?? (() => {});
  const { spec, store } = o;
  const strategy = makeStrategy(spec);
  const trials = strategy.initial();
  const giveUpAfter = o.giveUpAfter ?? 0;
  // Made before anything is recorded: a rule that cannot work (W&B bands that do not exist) is refused first.
  const rule = spec.search.earlyStopping && makeScheduler(spec.search.earlyStopping, { maxEpochs: maxSteps(spec) ?? Infinity });
  const recorded = o.joining ? await store.sweep(spec.name) : undefined;
  const program = spec.code && o.code ? programSha256(resolve(o.code.specDir, codeFile(spec.code))) : null;
  // The user's code is part of where a result came from: its hash goes with the sweep and every trial this process trains
  // (and sweep's kernels are not: the code computes with its own).
  const environment = o.environment && spec.code ? { ...trialEnvironment(o.environment, PROGRAM_BACKEND), program } : o.environment;
  const sweepId = recorded?.id ?? await store.upsertSweep({
    name: spec.name, metric: spec.metric.name, goal: spec.metric.goal, objectives: spec.objectives, seed: spec.seed, specPath: o.specPath, specYaml: o.specText,
    programSha256: program, environment: environment ?? null,
  });
  const carried = o.fork ? await seedFork(store, o.fork.fromId, sweepId, o.fork.priors) : 0;
  if (!recorded) await store.addTrials(sweepId, spec.seed, spec.data, trials);
  if (o.retryFailed) await store.retryFailed(sweepId);
  await store.releaseExpired(sweepId);
  // Fronts a crash left behind the trials that completed are made whole before anything runs.
  const fronts = await updateFronts(store, sweepId, spec);

  const all = await store.trials(sweepId);
  // The trials this run may claim: the spec's list; with a strategy that proposes as it goes
  // (TPE), every trial of the sweep, and each new proposal.
  // (A fork's trials from the sweep it came from are the spec's too: done already.)
  const priors = new Set(o.fork?.priors.map((t) => t.configId));
  const eligible = strategy.propose ? all.map((r) => r.configId) : [...trials.map((t) => t.configId), ...all.filter((r) => priors.has(r.configId)).map((r) => r.configId)];
  const inGrid = new Set(eligible);
  const rows = all.filter((r) => inGrid.has(r.configId));
  const unproposed = strategy.propose ? Math.max(0, strategy.planned - all.length) : 0;
  const todo = rows.filter((r) => r.status === 'pending' || r.status === 'interrupted').length + unproposed;
  const bestRow = rows.find((r) => r.status === 'completed');
  const tally = new Tally(spec.metric, emit, {
    sweep: spec.name,
    skipped: rows.filter((r) => r.status === 'completed' || r.status === 'failed' || r.status === 'pruned').length,
    infeasible: rows.filter((r) => r.status === 'infeasible').length,
    notInGrid: all.length - rows.length,
    best: bestRow ? { trialId: bestRow.id, value: bestRow.metricValue ?? NaN, config: bestRow.config } : null,
  });
  const workers = Math.max(1, Math.min(o.workers, todo));
  emit({
    type: 'start', sweep: spec.name, metric: spec.metric, total: rows.length + unproposed, todo, done: tally.result.skipped + tally.result.infeasible,
    notInGrid: tally.result.notInGrid, workers, trainSamples: spec.code ? 0 : splitSizes(spec.data).train,
    trials: (await store.snapshot(sweepId)).filter((t) => inGrid.has(t.configId)),
    notes: (await store.annotations(sweepId)).notes,
  });
  if (fronts) emit(fronts);

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
  let gaveUp: number | undefined;
  // Where a deterministic sweep's workers wait for earlier trials (proposals, verdicts).
  const wakeup = new Wakeup();
  // A sweep whose target a trial reached has ended (W&B's metric.target): it starts nothing, now or later.
  const hit = rows.find((r) => r.status === 'completed' && reachesTarget(spec, r.metricValue));
  let reached = hit ? { trialId: hit.id, value: hit.metricValue! } : undefined;
  if (todo > 0 && !stop.signal.aborted && !reached) {
    const owner = ownerToken();
    const runner = await makeRunner(o, workers);
    // Three beats to a lease, every 5 s at most: one lost beat never costs a healthy worker its trial.
    const heartbeat = setInterval(() => {
      store.heartbeat(owner).catch(() => { /* a busy or restarting database: the next beat will do */ });
    }, Math.min(5_000, store.leaseMs / 3));
    const next = nextTrial({
      store, sweepId, owner, strategy, seed: spec.seed, data: spec.data, eligible, onInfeasible: (t) => tally.infeasible(t), wakeup, stop: stop.signal,
    });
    const context = {
      store, runner, metric: spec.metric, stop: stop.signal, fail, failed: () => fatal !== undefined,
      judge: makeJudge(rule || undefined, {
        store, sweepId, sweep: spec.name, metric: spec.metric, steps: spec.code?.trial.steps,
        ...(spec.search.deterministic ? { deterministic: { wakeup, stop: stop.signal } } : {}),
      }),
      keep: o.checkpoints ?? true, environment: environment ?? null,
      onEpoch: tally.epoch.bind(tally),
    };
    const worker = async (): Promise<void> => {
      // Giving up starts no new trial; those running finish (a stop would interrupt them).
      while (!stop.signal.aborted && gaveUp === undefined && reached === undefined) {
        // Crash point before each claim; the first is at startup: the sweep and its trials recorded, none claimed.
        failpoint('before-claim');
        const claim = await next();
        if (!claim) return;
        tally.started(claim.trial);
        const end = await runTrial(claim, context);
        tally.ended(claim.trial, end);
        wakeup.notify();
        if (end.status === 'completed') {
          const ranked = await updateFronts(store, sweepId, spec);
          if (ranked) emit(ranked);
          if (reachesTarget(spec, end.value)) reached ??= { trialId: claim.trial.id, value: end.value };
        }
        // Code that cannot run fails every trial alike: after the first few, no more are started.
        const { completed, failed, pruned } = tally.result;
        if (giveUpAfter > 0 && completed + pruned === 0 && failed >= giveUpAfter && gaveUp === undefined) gaveUp = failed;
      }
    };
    await Promise.all(Array.from({ length: workers }, () => worker().catch(fail)));
    clearInterval(heartbeat);
    await runner.close();
    // Trials a failed write left claimed go back to the queue.
    if (fatal) await store.releaseOwned(owner).catch(() => { /* the database is what failed */ });
  }
  o.signal?.removeEventListener('abort', onAbort);
  if (fatal) throw fatal;
  const result = tally.finish((performance.now() - started) / 1000, wakeup.waitedMs / 1000);
  return { ...result, ...(carried > 0 ? { carried } : {}), ...(gaveUp === undefined ? {} : { gaveUpAfter: gaveUp }), ...(reached === undefined ? {} : { reachedTarget: reached }) };
}

/** Whether `value` of the sweep's metric reaches the spec's target (at least it where maximized, at most where minimized). */
export function reachesTarget(spec: Pick<SweepSpec, 'target' | 'metric'>, value: number | null | undefined): boolean {
  if (spec.target === undefined || value === null || value === undefined || !Number.isFinite(value)) return false;
  return spec.metric.goal === 'maximize' ? value >= spec.target : value <= spec.target;
}

/**
 * What trains this sweep's trials: the user's program or objective module, or the worker pool on the sweep's data.
 * The pool and the objective's threads (piscina) are imported only by the sweeps that use them: a program's sweep starts sooner.
 */
async function makeRunner(o: RunSweepOptions, workers: number): Promise<TrialRunner> {
  const { spec } = o;
  if (spec.code) {
    if (!o.code) throw new Error('a sweep of the user\'s code needs RunSweepOptions.code');
    const settings = { code: spec.code, sweep: spec.name, metric: spec.metric, objectives: spec.objectives, ...o.code };
    if (spec.code.kind === 'program') return new ProgramRunner(settings);
    const { ObjectiveRunner } = await import('../trial/objective/runner.js');
    return new ObjectiveRunner({ ...settings, workers });
  }
  if (!o.dataset) throw new Error('a sweep of built-in models needs its dataset');
  const { TrainingPool } = await import('../pool/pool.js');
  return new TrainingPool({ workers, backend: o.backend, dataset: o.dataset, heapLimitMb: o.workerHeapMb });
}
