/**
 * The steps of one attempt at a trial of the user's code, as it reports them (a program's output,
 * an objective's `trial.report`), turned into what a TrialRunner reports: a start with the steps
 * earlier attempts recorded and this one keeps, each step once as an epoch, and the outcome.
 */
import { epochOfReport } from '../metrics/registry.js';
import type { Verdict, WorkerEvent } from '../pool/protocol.js';
import type { RunJob } from './runner.js';
import type { EpochMetrics, TrialOutcome } from './types.js';

/** One report: a step and every value it has so far. */
export type Report = { readonly step: number; readonly values: Readonly<Record<string, number>> };

/** Metrics of the whole trial the user's code may report; recorded on the trial, not on a step. */
const TRIAL_METRICS: Readonly<Record<string, 'testAccuracy' | 'testLoss' | 'params' | 'latencyMs'>> = {
  test_accuracy: 'testAccuracy', test_loss: 'testLoss', params: 'params', latency_ms: 'latencyMs',
};

/**
 * One attempt's steps: each report kept as its step's latest values, and each step passed on
 * once, as an epoch, where it has the sweep's metric (so the rule judges it at once) or where a
 * later step or the end shows it complete. Steps go on in order: while one awaits its verdict,
 * the next waits. The record at the end has every value each step got.
 */
export class Steps {
  /** Steps recorded by earlier attempts and still kept (set by the first report, or at the end). */
  private kept: EpochMetrics[] | undefined;
  private readonly mine: { step: number; values: Readonly<Record<string, number>>; seconds: number; sent: boolean }[] = [];
  private readonly trialValues: Partial<Record<'testAccuracy' | 'testLoss' | 'params' | 'latencyMs', number>> = {};
  private readonly seen = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  /** Ends the wait for the verdict now awaited, if any. */
  private waiting: (() => void) | undefined;
  private abandoned = false;
  private lastAt = performance.now();
  pruned = false;
  reportedObjective = false;
  onPrune: () => void = () => {};

  constructor(
    private readonly job: RunJob, private readonly objective: string, private readonly backend: string,
    private readonly onEvent: (e: WorkerEvent, reply: (v: Verdict) => void) => void,
  ) {}

  report(r: Report): void {
    if (this.pruned) return;
    const now = performance.now();
    if (this.kept === undefined) this.start(r.step);
    const values: Record<string, number> = {};
    for (const [name, v] of Object.entries(r.values)) {
      this.seen.add(name);
      const field = TRIAL_METRICS[name];
      if (field !== undefined) this.trialValues[field] = v;
      else values[name] = v;
    }
    let at = this.mine[this.mine.length - 1];
    if (at === undefined || at.step !== r.step) {
      // A new step shows the one before complete.
      if (at !== undefined && !at.sent) this.send(at);
      at = { step: r.step, values: {}, seconds: (now - this.lastAt) / 1000, sent: false };
      this.mine.push(at);
    } else {
      at.seconds += (now - this.lastAt) / 1000;
    }
    this.lastAt = now;
    at.values = values;
    if (this.objective in values) this.reportedObjective = true;
    if (!at.sent && this.objective in values) this.send(at);
  }

  /** Resolves once every step passed on has been handled (its verdict given, where it awaited one). */
  settled(): Promise<void> {
    return this.queue;
  }

  /** At the program's end: the last step, if not yet passed on; no verdict is awaited on it (nothing is left to stop). */
  finish(): void {
    if (this.pruned) return;
    if (this.kept === undefined) this.start(Infinity);
    const at = this.mine[this.mine.length - 1];
    if (at !== undefined && !at.sent) this.send(at, true);
  }

  /** No verdict will come: the waits end, and nothing more is passed on. */
  abandon(): void {
    this.abandoned = true;
    this.waiting?.();
  }

  /** The attempt's record: the steps kept from before, then its own, with every value each got. */
  epochs(): EpochMetrics[] {
    return [...(this.kept ?? this.job.recorded), ...this.mine.map((m) => epochOfReport(m.step, m.values, m.seconds))];
  }

  names(): string[] {
    return [...this.seen].sort();
  }

  /** The names of `objectives` never reported. */
  missing(objectives: readonly { readonly name: string }[]): string[] {
    return objectives.map((o) => o.name).filter((name) => !this.seen.has(name));
  }

  /** The completed attempt's outcome: its validation metrics its last step's, the trial's own as reported, its time the steps' sum. */
  outcome(backend: string): TrialOutcome {
    const epochs = this.epochs();
    const last = epochs[epochs.length - 1];
    return {
      backend, valAccuracy: last?.valAccuracy ?? NaN, valLoss: last?.valLoss ?? NaN,
      testAccuracy: this.trialValues.testAccuracy ?? NaN, testLoss: this.trialValues.testLoss ?? NaN, params: this.trialValues.params ?? NaN,
      seconds: epochs.reduce((s, e) => s + (Number.isFinite(e.seconds) ? e.seconds : 0), 0), epochs, weightsSha256: null,
      ...(this.trialValues.latencyMs === undefined ? {} : { latencyMs: this.trialValues.latencyMs }),
    };
  }

  private start(first: number): void {
    this.kept = this.job.recorded.filter((e) => e.epoch < first);
    this.onEvent({ type: 'started', trialId: this.job.trial.id, backend: this.backend, resumedFrom: this.kept.length, epochs: this.kept }, () => {});
  }

  private send(at: { step: number; values: Readonly<Record<string, number>>; seconds: number; sent: boolean }, last = false): void {
    at.sent = true;
    const metrics = epochOfReport(at.step, at.values, at.seconds);
    const awaitsVerdict = !last && this.job.decidesAfter(at.step);
    this.queue = this.queue.then(() => new Promise<void>((done) => {
      if (this.pruned || this.abandoned) return done();
      this.waiting = done;
      this.onEvent({ type: 'epoch', trialId: this.job.trial.id, backend: this.backend, metrics, checkpoint: null, awaitsVerdict }, (v) => {
        if (v.stop && !this.pruned) {
          this.pruned = true;
          this.onPrune();
        }
        done();
      });
      if (!awaitsVerdict) done();
    }).finally(() => {
      this.waiting = undefined;
    }));
  }
}

