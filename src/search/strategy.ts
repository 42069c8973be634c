/**
 * The search seam: a strategy proposes configurations, and only the controller (src/sweep/)
 * records and runs them. Grid and random search know every trial up front (trial k of a random
 * search is a pure function of the seed and k); TPE proposes one at a time from what the
 * sweep has recorded, under the store's proposal lock.
 */
import { configId } from '../spec/config-id.js';
import { expandGrid } from '../search/grid.js';
import { varyingKeys } from '../spec/labels.js';
import { HYPERPARAMETERS } from '../spec/hyperparameters.js';
import { score } from '../metrics/registry.js';
import type { Impute, SweepSpec } from '../spec/schema.js';
import type { Constraint } from '../spec/constraints.js';
import type { Trial, TrialRecord } from '../trial/types.js';
import { sampleRandom } from './random.js';
import { allDomains, configOf, sampleOf, searchSpace, type Observation, type Sample, type SearchSpace } from './space.js';
import { gridEntries } from '../spec/conditional.js';
import { proposeTpe, TPE_DEFAULTS } from './tpe.js';
import { imputedValue, type MetricSpan } from './impute.js';
import { NSGA2_DEFAULTS, proposeNsga2, type MoObservation } from './nsga2.js';
import { minimized } from '../pareto/minimized.js';
import { brokenBounds, parameterBounds } from '../spec/parameter-bounds.js';

export interface SearchStrategy {
  /** The hyperparameters (or the code's parameters) that tell this search's trials apart, in table order. */
  readonly keys: string[];
  /** The trials known before any result, in order: the whole grid (or its first `trials`), or random search's draws. */
  initial(): Trial[];
  /** How many trials the sweep has when complete (the grid's size, or `trials`). */
  readonly planned: number;
  /**
   * The next trial, given every trial of the sweep as recorded and the number the new one will
   * have; undefined when the sweep has all its trials; WAIT where it depends on a result not in
   * yet (a deterministic sweep, below). Only strategies that learn (TPE) have it.
   */
  propose?(trials: readonly TrialRecord[], number: number): Trial | undefined | typeof WAIT;
  /** Whether `propose` needs each trial's recorded values of the metric (`TrialRecord.metricSpan`): TPE imputing failed trials. */
  readonly spans?: boolean;
}

/** A deterministic proposal's answer while a trial it depends on has not finished: ask again once one has. */
export const WAIT = 'wait' as const;

/** Whether a trial has its final result (the rest may still change what a proposal sees). */
export function finished(t: Pick<TrialRecord, 'status'>): boolean {
  return t.status === 'completed' || t.status === 'pruned' || t.status === 'failed' || t.status === 'infeasible';
}

/**
 * A deterministic sweep's rule (docs/search.md, "Deterministic sweeps"), after Optuna's batch
 * ask/tell and Ray Tune's ConcurrencyLimiter(batch=True): trial k is proposed from the results of
 * trials 0…k−B alone (B: `search.parallelism`), each as it finally ended, and trials k−B+1…k−1 as
 * running (TPE's constant liar counts them among the worse) whatever they have done meanwhile.
 * So its proposal depends on the seed and those results only, not on how many workers ran them
 * or which finished first. `startup`: the proposals made before the model has anything to learn
 * from (TPE's start-up trials, NSGA-II's first generation) need nothing, and never wait.
 */
function deterministicView(B: number, startup: number) {
  /** The highest trial number the proposal of `number` depends on; -1: none. */
  const needs = (number: number): number => (number - B + 1 < startup ? -1 : number - B);
  return {
    needs,
    /** The trials as that proposal sees them: those it needs as they ended, the rest as running. */
    seen: (recorded: readonly TrialRecord[], number: number): TrialRecord[] => recorded.map((t) => (t.number > needs(number)
      ? { ...t, status: 'running', metricValue: null, objectiveValues: undefined, metricSpan: undefined, epochsDone: 0 }
      : t)),
  };
}

// A model-based proposal can repeat a configuration already tried (a space of few choices):
// it tries again with another key, this many times at most; then random search's draw, under
// keys of its own, takes its place (a space of lists alone, where TPE converges on one
// configuration, would otherwise end the sweep early), FALLBACKS times at most before the
// space counts as exhausted and nothing is proposed.
const RETRIES = 20;
const FALLBACKS = 200;

/** Whether a method proposes its trials as the sweep goes (TPE, NSGA-II), rather than knowing them all up front (grid, random). */
export function proposesAsItGoes(method: SweepSpec['search']['method']): boolean {
  return method === 'tpe' || method === 'nsga2';
}

/**
 * The strategy a validated spec asks for. Each trial it proposes is checked against the spec's
 * constraints on parameters alone: one that breaks any carries `infeasible`, and is recorded but
 * never trained (it still takes its place in the sweep's sequence, and counts toward `trials`).
 */
export function makeStrategy(spec: SweepSpec): SearchStrategy {
  const { method, trials: cap } = spec.search;
  const bounds = parameterBounds(spec);
  const checked = (t: Trial): Trial => {
    const broken = brokenBounds(bounds, t.config);
    return broken.length > 0 ? { ...t, infeasible: broken } : t;
  };
  const toTrial = (s: Sample, search?: Record<string, unknown>): Trial => {
    const config = configOf(s);
    return checked({ configId: configId(config, spec.seed, spec.data), config, ...(search ? { search } : {}) });
  };
  if (method === 'grid') {
    const grid = expandGrid(spec);
    const trials = (cap === undefined ? grid : grid.slice(0, cap)).map(checked);
    return { initial: () => trials, planned: trials.length, keys: varyingKeys(grid.map((t) => t.config)) };
  }
  const space = searchSpace(spec);
  const n = cap!; // load-spec requires `trials` for random and tpe
  const keys = varyingParams(spec, space);
  const nested = space.flatMap((k) => k.nested ?? []);
  if (method === 'random') {
    // A configuration drawn twice trains once: its config id is its identity in the store.
    const trials = Array.from({ length: n }, (_, k) => toTrial(sampleRandom(space, spec.seed, k), { method, k }));
    return { initial: () => trials, planned: n, keys };
  }
  /**
   * The trials the proposal of `number` sees: all as recorded (free-running), or in a
   * deterministic sweep its view of them, WAIT while one it depends on has not finished.
   */
  const seeing = (all: readonly TrialRecord[], number: number, startup: number): readonly TrialRecord[] | typeof WAIT => {
    if (!spec.search.deterministic) return all;
    const view = deterministicView(spec.search.parallelism, startup);
    const needs = view.needs(number);
    if (all.some((t) => t.number <= needs && !finished(t))) return WAIT;
    return view.seen(all, number);
  };
  /** An untried configuration drawn at random, where the method's own proposals all repeat; undefined once none is found. */
  const untried = (number: number, have: ReadonlySet<string>, search: Record<string, unknown>): Trial | undefined => {
    for (let attempt = 0; attempt < FALLBACKS; attempt++) {
      const k = number + (RETRIES + attempt) * 1_000_000;
      const trial = toTrial(sampleRandom(space, spec.seed, k), { ...search, method, k, fallback: 'random' });
      if (!have.has(trial.configId)) return trial;
    }
    return undefined;
  };
  if (method === 'nsga2') {
    const options = spec.search.population === undefined ? {} : { populationSize: spec.search.population };
    return {
      initial: () => [],
      planned: n,
      keys,
      propose(all, number) {
        if (all.length >= n) return undefined;
        const recorded = seeing(all, number, options.populationSize ?? NSGA2_DEFAULTS.populationSize);
        if (recorded === WAIT) return WAIT;
        const have = new Set(all.map((t) => t.configId));
        const population = recorded.map((t) => observeMo(spec, t, nested, bounds));
        let last: ReturnType<typeof proposeNsga2> | undefined;
        for (let attempt = 0; attempt < RETRIES; attempt++) {
          const k = number + attempt * 1_000_000;
          last = proposeNsga2(space, population, k, spec.seed, options);
          const trial = toTrial(last.sample, { method, k, generation: last.generation, parents: last.parents, bredFrom: last.bredFrom });
          if (!have.has(trial.configId)) return trial;
        }
        // It keeps its generation: the draw counts as a (mutated) child of it.
        return untried(number, have, { generation: last!.generation, parents: last!.parents, bredFrom: [] });
      },
    };
  }
  return {
    initial: () => [],
    planned: n,
    keys,
    spans: spec.impute !== undefined || spec.imputeWhileRunning !== undefined,
    propose(all, number) {
      if (all.length >= n) return undefined;
      const recorded = seeing(all, number, TPE_DEFAULTS.startupTrials);
      if (recorded === WAIT) return WAIT;
      // W&B's impute: the values failed (and running) trials count as, from every ended trial's.
      const ended = recorded.filter((t) => t.status === 'completed' || t.status === 'failed' || t.status === 'pruned').map((t) => t.metricSpan);
      const history = recorded.flatMap((t) => observe(spec, t, ended, nested, bounds));
      const have = new Set(all.map((t) => t.configId));
      // What it saw, by state: the trials its choice depends on.
      const saw = { complete: numbers(history, 'complete'), pruned: numbers(history, 'pruned'), running: numbers(history, 'running') };
      for (let attempt = 0; attempt < RETRIES; attempt++) {
        const k = number + attempt * 1_000_000;
        const trial = toTrial(proposeTpe(space, spec.seed, k, history), { method, k, ...saw });
        if (!have.has(trial.configId)) return trial;
      }
      return untried(number, have, saw);
    },
  };
}

/**
 * The parameters that tell a random, TPE or NSGA-II search's trials apart: a built-in
 * hyperparameter in table order, or a code parameter in the spec's order (depth first), where it
 * can take more than one value, or exists under some choices only. A nested parameter varies
 * where any of its fields does.
 */
function varyingParams(spec: SweepSpec, space: SearchSpace): string[] {
  const varying = new Set<string>();
  for (const { params } of space) {
    for (const { key, domain, under } of allDomains(params)) {
      // Under a choice, it has a value in some configurations and none (or another's) in others.
      if (under.length > 0 || domain.type !== 'categorical' || domain.choices.length > 1) varying.add(spec.code ? key.slice(1).split('/')[0] : key);
    }
  }
  if (spec.code) return [...new Set([...gridEntries(spec.code.grid)].filter((e) => !e.field).map((e) => e.name))].filter((name) => varying.has(name));
  return HYPERPARAMETERS.filter((k) => (k === 'model' ? space.length > 1 : varying.has(k)));
}

/**
 * A recorded trial as TPE sees it: completed and pruned ones with their score (higher is
 * better), pending, running and interrupted ones as still running (the constant liar's);
 * failed trials are left out, as Optuna leaves out FAIL. An infeasible one (never trained) is a
 * complete trial infeasible by what its parameters break, with no values: as Optuna's constrained
 * TPE, it ranks after every feasible trial.
 */
function observe(
  spec: SweepSpec, t: TrialRecord, ended: readonly (MetricSpan | undefined)[], nested: readonly string[], bounds: readonly Constraint[],
): Observation[] {
  const config = sampleOf(t.config, nested);
  const imputed = (how: Impute): Observation[] =>
    [{ number: t.number, config, state: 'complete', score: score(spec.metric.goal, imputedValue(how, spec.metric.goal, t.metricSpan, ended)) }];
  switch (t.status) {
    case 'completed':
      return [{ number: t.number, config, state: 'complete', score: score(spec.metric.goal, t.metricValue), ...goals(spec, t) }];
    case 'pruned':
      return [{ number: t.number, config, state: 'pruned', score: score(spec.metric.goal, t.metricValue), epochs: t.epochsDone }];
    case 'failed':
      return spec.impute ? imputed(spec.impute) : [];
    case 'infeasible':
      return [{
        number: t.number, config, state: 'complete', score: -Infinity, violation: boundViolation(bounds, t),
        ...(spec.objectives.length > 1 ? { values: spec.objectives.map(() => NaN) } : {}),
      }];
    case 'running':
      // W&B's impute_while_running: a running trial with recorded values counts as its best so far.
      if (spec.imputeWhileRunning && t.metricSpan) return [{ number: t.number, config, state: 'complete', score: score(spec.metric.goal, spec.metric.goal === 'maximize' ? t.metricSpan.max : t.metricSpan.min) }];
      return [{ number: t.number, config, state: 'running' }];
    default:
      return [{ number: t.number, config, state: 'running' }];
  }
}

/** A completed trial's objectives (minimized) where the sweep has several, and its violation where it has constraints. */
function goals(spec: SweepSpec, t: TrialRecord): { values?: number[]; violation?: number } {
  return {
    ...(spec.objectives.length > 1 ? { values: spec.objectives.map((o, i) => minimized(o.goal, t.objectiveValues?.[i])) } : {}),
    ...(spec.constraints.length > 0 ? { violation: t.violation ?? 0 } : {}),
  };
}

/** By how much an infeasible trial's parameters break the spec's bounds on them (more than 0: it was recorded so). */
function boundViolation(bounds: readonly Constraint[], t: TrialRecord): number {
  return Math.max(Number.MIN_VALUE, brokenBounds(bounds, t.config).reduce((sum, b) => sum + b.by, 0));
}

/**
 * A recorded trial as NSGA-II sees it: its state, its objectives (minimized) once complete, and
 * the generation its proposal recorded. An infeasible one is complete, with no values, infeasible
 * by what its parameters break: constrained domination ranks it after every feasible trial.
 */
function observeMo(spec: SweepSpec, t: TrialRecord, nested: readonly string[], bounds: readonly Constraint[]): MoObservation {
  if (t.status === 'infeasible') {
    return { ...observeMo(spec, { ...t, status: 'completed', objectiveValues: [], metricValue: null }, nested, bounds), violation: boundViolation(bounds, t) };
  }
  const state = t.status === 'completed' ? 'complete' : t.status === 'pruned' ? 'pruned' : t.status === 'failed' ? 'failed' : 'running';
  const generation = typeof t.search?.generation === 'number' ? t.search.generation : undefined;
  const parents = Array.isArray(t.search?.parents) ? (t.search.parents as number[]) : undefined;
  return {
    number: t.number, config: sampleOf(t.config, nested), state,
    ...(state === 'complete' ? { values: spec.objectives.map((o, i) => minimized(o.goal, t.objectiveValues?.[i] ?? (i === 0 ? t.metricValue : null))), violation: t.violation ?? 0 } : {}),
    ...(generation === undefined ? {} : { generation }), ...(parents === undefined ? {} : { parents }),
  };
}

const numbers = (h: readonly Observation[], state: Observation['state']) => h.filter((o) => o.state === state).map((o) => o.number);
