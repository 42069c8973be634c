import { plannedSteps, varyingKeys } from '../spec/labels.js';
import { prunedLine } from '../early-stop/describe.js';
import { DEFAULT_OBJECTIVE, epochValue, score as scoreOf, outcomeValue, type Objective } from '../metrics/registry.js';
import type { SweepEvent, SweepResult } from '../sweep/events.js';
import type { NoteRecord, TrialSnapshot } from '../trial/types.js';

/**
 * The one state object the terminal view renders: built from the controller's events
 * (`sweep run`) or from the database (`sweep watch`). Pure functions, no React.
 */
export type ViewHeader = {
  readonly sweep: string;
  readonly specPath: string | null;
  readonly dbPath: string;
  /** The backend asked for, until a trial reports the one that runs. */
  readonly backend: string;
  readonly workers: number | null;
  readonly mode: 'run' | 'watch';
};

export type ViewState = {
  readonly header: ViewHeader;
  readonly metric: Objective;
  readonly trainSamples: number;
  readonly startedAt: number;
  readonly now: number;
  readonly trials: readonly TrialSnapshot[];
  /** How many trials the sweep will have: more than `trials` while a strategy still proposes (TPE). */
  readonly planned: number;
  /** Why each pruned trial was stopped, in words ("pruned after epoch 3 (asha rung 1: …)"), by trial id. */
  readonly prunedWhy: Readonly<Record<number, string>>;
  readonly stopping: boolean;
  readonly finished: SweepResult | null;
  /** What people wrote about the sweep and its trials (`sweep note`), oldest first. */
  readonly notes: readonly NoteRecord[];
};

export type ViewAction = SweepEvent | { type: 'tick'; now: number } | { type: 'stopping' };

export function initialState(header: ViewHeader, now: number): ViewState {
  return { header, metric: DEFAULT_OBJECTIVE, trainSamples: 0, startedAt: now, now, trials: [], planned: 0, prunedWhy: {}, stopping: false, finished: null, notes: [] };
}

/** The state after one controller event (or a clock tick). */
export function reduce(s: ViewState, a: ViewAction): ViewState {
  const update = (id: number, f: (t: TrialSnapshot) => TrialSnapshot) => s.trials.map((t) => (t.id === id ? f(t) : t));
  switch (a.type) {
    case 'tick':
      return { ...s, now: a.now };
    case 'stopping':
      return { ...s, stopping: true };
    case 'start':
      return {
        ...s, metric: a.metric, trainSamples: a.trainSamples, trials: a.trials, planned: a.total, notes: a.notes ?? [],
        header: { ...s.header, sweep: a.sweep, workers: a.workers },
      };
    case 'trial-start':
      // A trial proposed while the sweep runs (TPE) joins the list as it starts.
      if (!s.trials.some((t) => t.id === a.trialId)) {
        s = { ...s, trials: [...s.trials, {
          id: a.trialId, configId: a.configId, config: a.config, status: 'pending', backend: null, epochs: [],
          valAccuracy: null, valLoss: null, testAccuracy: null, seconds: null, startedAt: null, error: null, metricValue: null,
        }] };
      }
      return {
        ...s, trials: update(a.trialId, (t) => ({
          ...t, status: 'running', epochs: [], valAccuracy: null, valLoss: null, testAccuracy: null, seconds: null, error: null, metricValue: null,
          startedAt: new Date(s.now).toISOString(),
        })),
      };
    case 'epoch':
      return {
        ...s, header: { ...s.header, backend: a.backend },
        trials: update(a.trialId, (t) => ({ ...t, backend: a.backend, epochs: [...t.epochs.filter((e) => e.epoch !== a.metrics.epoch), a.metrics] })),
      };
    case 'trial-end':
      // A proposal recorded infeasible never started: it joins the list as it ends.
      if (!s.trials.some((t) => t.id === a.trialId)) {
        s = { ...s, trials: [...s.trials, {
          id: a.trialId, configId: '', config: a.config, status: 'pending', backend: null, epochs: [],
          valAccuracy: null, valLoss: null, testAccuracy: null, seconds: null, startedAt: null, error: null, metricValue: null,
        }] };
      }
      return {
        ...s,
        prunedWhy: a.status === 'pruned' ? { ...s.prunedWhy, [a.trialId]: prunedLine(a.pruned, s.metric.name) } : s.prunedWhy,
        trials: update(a.trialId, (t) => ({
          ...t, status: a.status, error: a.error ?? null,
          ...(a.outcome ? {
            valAccuracy: a.outcome.valAccuracy, valLoss: a.outcome.valLoss, testAccuracy: a.outcome.testAccuracy,
            seconds: a.outcome.seconds, backend: a.outcome.backend, epochs: a.outcome.epochs,
            metricValue: outcomeValue(s.metric.name, a.outcome),
          } : {}),
          // A pruned trial is ranked by its metric where it stopped, as the store ranks it.
          ...(a.status === 'pruned' && t.epochs.length > 0 ? { metricValue: epochValue(s.metric.name, t.epochs[t.epochs.length - 1]) } : {}),
        })),
      };
    case 'fronts': {
      const ranked = new Map(a.fronts.map((f) => [f.trialId, f]));
      return {
        ...s, trials: s.trials.map((t) => {
          const f = ranked.get(t.id);
          const { front: _front, feasible: _feasible, ...rest } = t;
          return f ? { ...rest, front: f.front, feasible: f.feasible } : rest;
        }),
      };
    }
    case 'end':
      return { ...s, finished: a.summary };
  }
}

export type ViewStats = {
  total: number; completed: number; failed: number; pruned: number; running: number; pending: number;
  /** Never trained: their parameters break a constraint. */
  infeasible: number;
  elapsed: number; eta: number | null; samplesPerSecond: number | null;
  /** Whether sweep counts the samples its trials train on (not a program's). */
  countsSamples: boolean;
};

/** Counts, elapsed time, an ETA from the measured seconds per epoch, and current throughput. */
export function stats(s: ViewState): ViewStats {
  const count = (status: string) => s.trials.filter((t) => t.status === status).length;
  const running = s.trials.filter((t) => t.status === 'running');
  const epochSeconds = s.trials.flatMap((t) => t.epochs.map((e) => e.seconds));
  const mean = epochSeconds.length ? epochSeconds.reduce((a, b) => a + b, 0) / epochSeconds.length : null;
  // Where nothing says how many steps a trial of the user's code reports, those it reported so far.
  const planned = (t: TrialSnapshot) => plannedSteps(t.config) ?? t.epochs.length;
  const remaining = s.trials.reduce((sum, t) =>
    sum + (t.status === 'pending' || t.status === 'interrupted' ? planned(t)
      : t.status === 'running' ? Math.max(0, planned(t) - t.epochs.length) : 0), 0);
  const parallel = Math.max(1, s.header.workers ?? running.length);
  const rates = running.filter((t) => t.epochs.length > 0).map((t) => s.trainSamples / t.epochs[t.epochs.length - 1].seconds);
  return {
    total: Math.max(s.planned, s.trials.length),
    completed: count('completed'),
    failed: count('failed'),
    pruned: count('pruned'),
    infeasible: count('infeasible'),
    running: running.length,
    pending: count('pending') + count('interrupted'),
    elapsed: (s.now - s.startedAt) / 1000,
    eta: s.finished ? 0 : mean === null ? null : (remaining * mean) / parallel,
    samplesPerSecond: rates.length ? rates.reduce((a, b) => a + b, 0) : null,
    countsSamples: s.trainSamples > 0,
  };
}

/** A trial's score under the sweep's metric, higher is better. */
export function score(s: Pick<ViewState, 'metric'>, t: TrialSnapshot): number {
  return scoreOf(s.metric.goal, t.metricValue);
}

/** The hyperparameters that tell this sweep's trials apart. */
export function distinguishing(s: ViewState): string[] {
  return varyingKeys(s.trials.map((t) => t.config));
}

/**
 * Completed trials best first: by the sweep's metric, or, in a sweep ranked into fronts, by
 * front (the first first), then by the metric within a front.
 */
export function rankedTrials(s: ViewState): TrialSnapshot[] {
  const front = (t: TrialSnapshot) => t.front ?? Infinity;
  return s.trials.filter((t) => t.status === 'completed').sort((a, b) => front(a) - front(b) || score(s, b) - score(s, a) || a.id - b.id);
}

/** The best completed trial, or null. */
export function best(s: ViewState): TrialSnapshot | null {
  return s.trials.filter((t) => t.status === 'completed').reduce<TrialSnapshot | null>(
    (b, t) => (b === null || score(s, t) > score(s, b) ? t : b), null);
}
