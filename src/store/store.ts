import { UserError } from '../errors.js';
import type { Goal } from '../metrics/registry.js';
import type { DataSettings } from '../spec/schema.js';
import type {
  Annotations, DecisionRecord, EpochMetrics, ModelFiles, SweepRecord, SweepSummary, Trial, TrialLogRecord, TrialLogs, TrialOutcome, TrialRecord, TrialStatus,
  TrialSnapshot,
} from '../trial/types.js';

/**
 * The results store: sweeps, their trials, and every epoch's metrics. Two backends keep
 * this contract, SQLite (`sqlite.ts`, one host) and PostgreSQL (`postgres.ts`, any number
 * of hosts); `test/store/contract.test.ts` holds both to every promise below.
 *
 * - **Who owns a running trial.** The claim that set it running: `claimNext` moves one
 *   trial to 'running' for an owner, increments its `attempts`, and returns that attempt as
 *   a `Claim`. Every write for the trial (`resumeAt`, `recordEpoch(s)`, `completeTrial`,
 *   `failTrial`, `interruptTrial`) names its claim and takes effect only while the trial is
 *   still running under that attempt; otherwise it changes nothing and returns false. A
 *   worker that was paused or cut off, and comes back after its trial was taken over,
 *   writes nothing (fencing).
 * - **What is atomic.** A claim: two claimers, in any processes on any hosts, never get
 *   the same attempt of the same trial. Each write commits whole or not at all: a trial's
 *   completion with all its epochs, an epoch row with the trial's progress, a resume.
 * - **Which clock decides a lease.** A claim holds its trial for the lease (60 s, or
 *   `SWEEP_LEASE_SECONDS`); `heartbeat` extends all of an owner's leases. The store's own
 *   clock decides: PostgreSQL's `now()`, never a worker's; SQLite's host, which every
 *   process sharing the file is on (a test may run it ahead: `Clock`). A running trial whose lease expired is claimable
 *   again, resuming from its checkpoint. On SQLite an owner on this host whose process is
 *   gone loses its trials at once (see `owner.ts`); on PostgreSQL the lease alone decides,
 *   since a pid means nothing on another host.
 * - **What readers see.** Committed writes only; never a half-recorded trial.
 * - **Parameters and metrics as rows.** Every trial's hyperparameters are in the `trial_params`
 *   view; every value it recorded is in `trial_metrics`: the built-in metrics after each epoch and
 *   at its end, and whatever it reported under names of its own (`EpochMetrics.reported`,
 *   `TrialOutcome.reported`). A trial's `metricValue` is the sweep's metric at its last epoch,
 *   set by the write that completes or prunes it; ranking reads that and the sweep's goal.
 *
 * - **Tags and notes.** A trial has each tag at most once; notes keep their order. Both go with
 *   their trial or sweep, and `snapshot` gives each trial its tags, so every view shows them.
 *
 * Errors a user can cause (a path or URL that cannot be opened, a file that is not a
 * database, a schema from a newer `sweep`, a refused query) are `UserError`s.
 */
/** See `Store.earlierTrials`. */
export type EarlierTrials = {
  readonly unfinished: readonly { readonly id: number; readonly number: number; readonly status: TrialStatus }[];
  readonly decisions: readonly DecisionRecord[];
  /** By trial id. */
  readonly epochs: ReadonlyMap<number, readonly EpochMetrics[]>;
};

export interface Store {
  /** Where the data is: a file path, or a PostgreSQL URL without its password. */
  readonly location: string;
  /** How long a claim holds its trial without a heartbeat, in ms: owners beat well within it. */
  readonly leaseMs: number;
  close(): Promise<void>;

  // --- Writes: the controller's (src/sweep/), and `repro`'s bookkeeping ---

  /**
   * Creates the sweep, or updates the spec of the sweep with this name; returns its id. A new
   * metric re-ranks its trials: each one's `metricValue` becomes the new metric's at its last epoch.
   */
  upsertSweep(s: NewSweep): Promise<number>;
  /**
   * Adds the trials this sweep does not have yet (by config id), as 'pending', numbered on
   * from the sweep's last number in the order given; returns how many were new.
   */
  addTrials(sweepId: number, seed: number, data: DataSettings, trials: readonly Trial[]): Promise<number>;
  /**
   * Adds one trial that `propose` chooses from the sweep's trials as they are (TPE), holding
   * the sweep's proposal lock throughout, so that two proposers, in any processes, never see
   * the same trials: each sees the other's proposal, running. `propose` gets the trials and
   * the number the new one will have; it returns the trial, or undefined to add none (then
   * this returns undefined; so it does when the proposal's config id is there already), or
   * 'wait' where it needs a result not in yet (then this adds none and returns 'wait').
   */
  proposeTrial(
    sweepId: number, seed: number, data: DataSettings,
    propose: (trials: readonly TrialRecord[], number: number) => Trial | undefined | 'wait',
    /** `spans`: give each trial its `metricSpan` (what imputing a failed trial's value needs). */
    options?: { readonly spans?: boolean },
  ): Promise<TrialRecord | undefined | 'wait'>;
  /** Puts this sweep's failed trials back in the queue; returns how many. */
  retryFailed(sweepId: number): Promise<number>;
  /** Re-queues (as 'interrupted') this sweep's running trials whose lease expired or whose owner is gone; returns how many. */
  releaseExpired(sweepId: number): Promise<number>;
  /**
   * Atomically claims for `owner` the first (by id) trial of this sweep whose config id is
   * in `eligible` and that is pending, interrupted, or running with an expired lease.
   */
  claimNext(sweepId: number, owner: string, eligible: readonly string[]): Promise<Claim | undefined>;
  /** Extends the leases of every trial `owner` is running. */
  heartbeat(owner: string): Promise<void>;
  /**
   * A claimed trial starts: from scratch (no epochs) or after the epochs its checkpoint
   * restored, which are recorded; later epochs (and their decisions) of an earlier attempt are dropped.
   */
  resumeAt(claim: Claim, epochs: readonly EpochMetrics[], backend: string): Promise<boolean>;
  /**
   * Records one finished epoch (the same epoch again replaces it), with the checkpoint taken
   * after it and the early-stopping decision made on it, together. A 'prune' decision ends
   * the trial there, in the same transaction: 'pruned', its validation metrics this epoch's,
   * its checkpoint dropped. So a decision is never half made: a kill before the commit leaves
   * the epoch to be trained and decided again, a kill after leaves the decision recorded.
   */
  recordEpoch(claim: Claim, m: EpochMetrics, backend?: string, checkpoint?: Uint8Array | null, decision?: EpochDecision): Promise<boolean>;
  /**
   * `recordEpoch` of several finished epochs, in order, in one transaction: all are kept or
   * none. The checkpoint and the decision are the last epoch's (a checkpoint replaces the one
   * before it, and an epoch that awaits a verdict is the last one a trial reports before it).
   */
  recordEpochs(claim: Claim, epochs: readonly EpochMetrics[], backend?: string, checkpoint?: Uint8Array | null, decision?: EpochDecision): Promise<boolean>;
  /** Records a completed trial, all its epochs, the environment it was trained in and its model; its checkpoint goes. */
  completeTrial(claim: Claim, r: TrialOutcome, environment: object | null, model?: ModelFiles | null): Promise<boolean>;
  /** Records a failed trial with its error and the epochs it finished. */
  failTrial(claim: Claim, error: string, epochs: readonly EpochMetrics[], backend?: string): Promise<boolean>;
  /** A running trial stopped by the user: 'interrupted', to run again next time. */
  interruptTrial(claim: Claim): Promise<boolean>;
  /**
   * Keeps what an attempt's program wrote on stdout and stderr (replacing what that attempt
   * kept before). Fenced by the attempt alone, not the status: a trial's logs are written after
   * its end (a pruned program is still stopping). False where a later attempt has begun.
   */
  recordLogs(claim: Claim, logs: TrialLogs): Promise<boolean>;
  /** Re-queues every trial `owner` is running (after a failed write, before giving up). */
  releaseOwned(owner: string): Promise<void>;
  /** Puts a trial back in the queue to train again from scratch, its epochs, decisions and checkpoint dropped. */
  requeue(trialId: number): Promise<void>;
  /** Links a trial to the one it reproduces (`sweep repro`). */
  markReproduction(trialId: number, originalId: number): Promise<void>;
  /**
   * Adds a trial copied from another store (`sweep copy`) to this sweep, whole: its state,
   * outcome, epochs, checkpoint and model, in one transaction. A trial this sweep already
   * has (same config id) is left as it is: returns its new id, or null when it was there.
   */
  importTrial(sweepId: number, t: TrialCopy, reproOf: number | null): Promise<number | null>;
  /**
   * Ranks the sweep's completed trials into Pareto fronts: under the sweep's proposal lock, reads
   * each with its objectives' values and the values of `names` (the metrics and parameters its
   * constraints bound), asks `rank`, and replaces the sweep's `trial_fronts` with its answer, in
   * one transaction, so that fronts written by two workers at once are each whole.
   */
  rankFronts(sweepId: number, names: readonly string[], rank: (trials: readonly FrontInput[]) => readonly FrontRow[]): Promise<readonly FrontRow[]>;

  // --- Writes of people, not the controller: `sweep tag`, `sweep note`, and `sweep copy` carrying them ---

  /** Tags the trial with each name it lacks, stamped by the store's clock; returns the names that were new, in the order given. */
  addTags(trialId: number, names: readonly string[]): Promise<string[]>;
  /** Takes the names off the trial; returns those it had, in the order given (the others it never had). */
  removeTags(trialId: number, names: readonly string[]): Promise<string[]>;
  /** Adds a note to the sweep (trialId null) or to one of its trials, after any it has, stamped by the store's clock. */
  addNote(sweepId: number, trialId: number | null, text: string): Promise<void>;
  /** Removes every note on the sweep itself (trialId null) or on that trial of it; returns how many. */
  clearNotes(sweepId: number, trialId: number | null): Promise<number>;
  /**
   * Adds tags and notes copied from another store to this sweep (`sweep copy`), their times as
   * they were; the trial ids must be this store's. One already here (a tag the trial has, a note
   * of the same target, text and time) is left as it is, so that copying twice adds nothing.
   */
  importAnnotations(sweepId: number, a: Annotations): Promise<void>;

  // --- Reads: parsed domain objects, never rows ---

  sweep(name: string): Promise<SweepRecord | undefined>;
  sweepById(id: number): Promise<SweepRecord | undefined>;
  /** Every sweep with its trial counts and best value, oldest first. */
  sweeps(): Promise<SweepSummary[]>;
  trial(id: number): Promise<TrialRecord | undefined>;
  /** The sweep's trials: completed ones ranked by its metric (best first), then the rest by id. */
  trials(sweepId: number): Promise<TrialRecord[]>;
  /** The sweep's trials, ranked as `trials`, each with its epochs: what a view needs. */
  snapshot(sweepId: number): Promise<TrialSnapshot[]>;
  epochs(trialId: number): Promise<EpochMetrics[]>;
  /**
   * A token that changes when another connection commits a change to the results, for live
   * views to poll cheaply (SQLite: `PRAGMA data_version`; PostgreSQL: a fingerprint of the
   * sweeps' and trials' progress). Only its changes mean anything.
   */
  changeToken(): Promise<string>;
  /** Every early-stopping decision recorded in this sweep, by trial id and epoch. */
  decisions(sweepId: number): Promise<DecisionRecord[]>;
  /**
   * What a deterministic verdict on trial `number` after `epoch` reads, in one snapshot: the
   * sweep's trials numbered below it that have not finished and are short of `epoch` (the verdict
   * waits for them), the decisions of every trial numbered below it, and (`withEpochs`) their epochs.
   */
  earlierTrials(sweepId: number, number: number, epoch: number, withEpochs: boolean): Promise<EarlierTrials>;
  /** The trial's latest checkpoint, where a resumed attempt goes on from; null: none. */
  checkpoint(trialId: number): Promise<Uint8Array | null>;
  /** A completed trial's trained model; undefined: none kept. */
  model(trialId: number): Promise<ModelFiles | undefined>;
  /** What each attempt at a program trial wrote, the first attempt first. */
  logs(trialId: number): Promise<TrialLogRecord[]>;
  /** The sweep's tags (by trial, then name: a trial's tags read the same however many commands added them) and notes (its own and its trials', oldest first). */
  annotations(sweepId: number): Promise<Annotations>;
  /**
   * Runs one statement that only reads (`sweep query`) and returns its rows. Anything that
   * would write, change the connection, or is more than one statement is refused
   * (UserError) before it runs; so is SQL the database rejects, with its message.
   */
  query(sql: string): Promise<QueryResult>;
}

/**
 * A test's hand on the store's clock. The store never takes the time from its caller: SQLite
 * reads the host's clock, PostgreSQL the server's `now()`, never a worker's. A test clock only
 * runs that clock ahead: `aheadMs()` is added to it for every timestamp the store writes and
 * every lease it judges (claims, heartbeats, `releaseExpired`). On PostgreSQL it is added inside
 * the statement, to the server's `now()`, so the server still stamps every row and decides every
 * lease, and two stores given one clock agree, as two workers do. So a test advances time
 * instead of waiting for a lease to run out. Production passes none: nothing is added.
 */
export interface Clock {
  aheadMs(): number;
}

/** What a backend's `open` takes: read-only (never creates or migrates), the lease (else `leaseMs()`), a test's clock. */
export type OpenOptions = { readonly?: boolean; leaseMs?: number; clock?: Clock };

/** A sweep as `upsertSweep` records it: `metric` is what it ranks on, `goal` which way. */
export type NewSweep = {
  name: string; metric: string; goal: Goal; seed: number; specPath: string | null; specYaml: string;
  /** Every objective of a sweep of several, in order (the default: `[{metric, goal}]`). */
  objectives?: readonly { readonly name: string; readonly goal: Goal }[];
  /** A sweep of a program: its file's SHA-256 when this run began (null: not a program's sweep). */
  programSha256?: string | null;
  /** The environment this run records it from (versions, CPU, the spec's git state); null: none. */
  environment?: object | null;
};

/** A completed trial as `rankFronts` gives it: its objectives' values, in order (null where it has none), and the values its constraints bound. */
export type FrontInput = {
  readonly trialId: number; readonly number: number;
  readonly values: readonly (number | null)[];
  /** By name: its metrics at its last step and its numeric parameters, as far as `names` asked. */
  readonly named: Readonly<Record<string, number>>;
};

/** A trial's place as `rankFronts` records it: its front (1: the first), and the constraints it breaks, by how much (summed: `violation`). */
export type FrontRow = {
  readonly trialId: number; readonly front: number; readonly violation: number;
  readonly broken: readonly { readonly text: string; readonly by: number }[];
};

/** A trial as `sweep copy` carries it from one store to another. */
export type TrialCopy = {
  readonly record: TrialRecord; readonly epochs: readonly EpochMetrics[]; readonly decisions: readonly DecisionRecord[];
  readonly checkpoint: Uint8Array | null; readonly model: ModelFiles | undefined;
};

/** A decision as `recordEpoch` records it: the trial and its number are the claim's. */
export type EpochDecision = Omit<DecisionRecord, 'trialId' | 'number' | 'epoch' | 'metricAtEpoch'>;

/** One attempt at a trial, as `claimNext` granted it: the token every write for the trial names. */
export type Claim = { readonly trial: TrialRecord; readonly attempt: number };

export type Value = string | number | null;
export type QueryResult = { readonly columns: string[]; readonly rows: Value[][] };

/** How long a claim holds its trial without a heartbeat: `SWEEP_LEASE_SECONDS`, else 60 s. */
export function leaseMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.SWEEP_LEASE_SECONDS;
  if (text === undefined || text === '') return 60_000;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UserError(`SWEEP_LEASE_SECONDS must be a positive number of seconds, got "${text}"`);
  return seconds * 1000;
}
