/**
 * A sweep's Pareto fronts as the page draws them (src/web/model.ts ParetoView): which trials are
 * on the first front, each trial's colour by its front (the scatter, the parallel coordinates
 * and their legend share it), and the first front's step line. Pure: no DOM, no chart.
 */
import type { ParetoView, TrialView } from '../model.js';

/** The first front's colour, as the best trial's elsewhere: of several objectives the front is the best. */
export const FRONT_COLOUR = '#e8590c';
/** A trial that breaks a constraint. */
export const INFEASIBLE_COLOUR = '#adb5bd';
/** A trial not ranked (running, pruned, failed, pending: only completed trials are). */
export const UNRANKED_COLOUR = '#ced4da';
/** The second front's colour and the last feasible front's: the fronts between fade from one to the other. */
const NEAR: readonly [number, number, number] = [24, 100, 171];
const FAR: readonly [number, number, number] = [190, 210, 235];

/** Whether a trial meets every constraint (it is ranked with no violation). */
export function isFeasible(t: TrialView): boolean {
  return t.front !== undefined && t.violation === 0;
}

/** Whether a trial is on the first front: ranked first, and feasible (an infeasible trial is never on it, as `sweep show` says). */
export function onFirstFront(t: TrialView): boolean {
  return t.front === 1 && t.violation === 0;
}

/** The last front a feasible trial is on (0 where none is). */
export function lastFeasibleFront(trials: readonly TrialView[]): number {
  return trials.reduce((last, t) => (isFeasible(t) ? Math.max(last, t.front!) : last), 0);
}

/** What a trial's colour says: 'front' (the first), 'later' (a later feasible front), 'infeasible' or 'unranked'. */
export type FrontKind = 'front' | 'later' | 'infeasible' | 'unranked';

export function frontKind(t: TrialView): FrontKind {
  if (t.front === undefined) return 'unranked';
  if (!isFeasible(t)) return 'infeasible';
  return t.front === 1 ? 'front' : 'later';
}

/** Where a trial stands, in words: "first front", "front 3", "infeasible (front 5)", "not ranked yet". */
export function frontText(t: TrialView): string {
  switch (frontKind(t)) {
    case 'front': return 'first front';
    case 'later': return `front ${t.front}`;
    case 'infeasible': return `infeasible (front ${t.front})`;
    case 'unranked': return 'not ranked yet';
  }
}

/**
 * A trial's colour by its front: the first front orange; fronts 2 to `last` (the last feasible
 * front) from dark blue fading to pale; infeasible trials grey; unranked ones light grey.
 */
export function frontColour(t: TrialView, last: number): string {
  switch (frontKind(t)) {
    case 'front': return FRONT_COLOUR;
    case 'infeasible': return INFEASIBLE_COLOUR;
    case 'unranked': return UNRANKED_COLOUR;
    case 'later': return laterColour(t.front!, last);
  }
}

/** Front `front` (2 … `last`) on the fade from dark blue (2) to pale (`last`). */
export function laterColour(front: number, last: number): string {
  const q = last <= 2 ? 0 : Math.min(1, Math.max(0, (front - 2) / (last - 2)));
  const [r, g, b] = NEAR.map((n, i) => Math.round(n + (FAR[i] - n) * q));
  return `rgb(${r},${g},${b})`;
}

/** One entry of the fronts' legend: its colour, its words, and how many trials it stands for. */
export type LegendEntry = { readonly kind: FrontKind; readonly colour: string; readonly label: string; readonly count: number };

/**
 * The legend of `trials`' colours: the first front, each later feasible front (at most the second,
 * an ellipsis and the last, where there are more than four), infeasible and unranked trials;
 * entries with no trial are left out.
 */
export function frontLegend(trials: readonly TrialView[]): LegendEntry[] {
  const last = lastFeasibleFront(trials);
  const count = (f: (t: TrialView) => boolean) => trials.filter(f).length;
  const later = (front: number): LegendEntry => ({
    kind: 'later', colour: laterColour(front, last), label: `front ${front}`, count: count((t) => isFeasible(t) && t.front === front),
  });
  const fronts = Array.from({ length: Math.max(0, last - 1) }, (_, i) => i + 2);
  const shown = fronts.length <= 4 ? fronts.map(later) : [
    later(2),
    { kind: 'later' as const, colour: laterColour(Math.round((2 + last) / 2), last), label: `fronts 3–${last - 1}`, count: count((t) => isFeasible(t) && t.front! > 2 && t.front! < last) },
    later(last),
  ];
  return [
    { kind: 'front' as const, colour: FRONT_COLOUR, label: 'first front', count: count(onFirstFront) },
    ...shown,
    { kind: 'infeasible' as const, colour: INFEASIBLE_COLOUR, label: 'infeasible', count: count((t) => frontKind(t) === 'infeasible') },
    { kind: 'unranked' as const, colour: UNRANKED_COLOUR, label: 'not ranked (not completed)', count: count((t) => t.front === undefined) },
  ].filter((e) => e.count > 0);
}

/**
 * A trial's value of objective `index`: its recorded value once completed; before that, for the
 * objective the sweep ranks on, its latest value (`metricValue`, as the single-objective views
 * show a running trial); else null.
 */
export function objectiveValue(t: TrialView, pareto: ParetoView, index: number, sweepMetric: string): number | null {
  const v = t.objectiveValues?.[index] ?? (t.objectiveValues === undefined && pareto.objectives[index]?.name === sweepMetric ? t.metricValue : null);
  return v === null || v === undefined || Number.isNaN(v) ? null : v;
}

/**
 * The first front's points on the objectives `x` and `y`, in the order its step line joins them:
 * best to worst along x (so, on a front of these two objectives, worst to best along y), each
 * trial's id with its point; trials without both values left out. Drawn with ECharts'
 * `step: 'end'`, each step goes along x first and then along y: the edge of the region the front
 * dominates.
 */
export function frontLine(
  trials: readonly TrialView[], pareto: ParetoView, x: number, y: number, sweepMetric: string,
): { readonly id: number; readonly point: readonly [number, number] }[] {
  const sign = (i: number) => (pareto.objectives[i].goal === 'maximize' ? -1 : 1);
  return trials.filter(onFirstFront).flatMap((t) => {
    const [vx, vy] = [objectiveValue(t, pareto, x, sweepMetric), objectiveValue(t, pareto, y, sweepMetric)];
    return vx === null || vy === null ? [] : [{ id: t.id, point: [vx, vy] as const }];
  }).sort((a, b) => sign(x) * (a.point[0] - b.point[0]) || sign(y) * (b.point[1] - a.point[1]) || a.id - b.id);
}
