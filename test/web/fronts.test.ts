/**
 * The page's front helpers (src/web/page/fronts.ts), which are pure: which trials the step line
 * joins and in what order, each trial's colour, and the legend of those colours.
 */
import { describe, expect, it } from 'vitest';
import type { ParetoView, TrialView } from '../../src/web/model.js';
import {
  FRONT_COLOUR, INFEASIBLE_COLOUR, UNRANKED_COLOUR, frontColour, frontLegend, frontLine, frontText, laterColour, objectiveValue,
} from '../../src/web/page/fronts.js';

const PARETO: ParetoView = {
  objectives: [{ name: 'acc', goal: 'maximize' }, { name: 'cost', goal: 'minimize' }, { name: 'size', goal: 'minimize' }],
  constraints: ['size <= 800'], hypervolume: null, hypervolumeNote: null,
};

function trial(id: number, over: Partial<TrialView>): TrialView {
  return {
    id, number: id, status: 'completed', values: {}, config: {}, valAccuracy: null, valLoss: null, testAccuracy: null, latencyMs: null,
    seconds: 1, error: null, epochs: [], pruned: null, metricValue: null, ...over,
  };
}

const ranked = (id: number, front: number, values: (number | null)[], violation: number | null = 0) =>
  trial(id, { front, violation, objectiveValues: values, metricValue: values[0] });

describe('frontLine', () => {
  // acc is maximised, cost minimised: best along x (highest acc) first, so cost falls as the line goes.
  it('joins the feasible first front best first along x, whatever each goal', () => {
    const trials = [
      ranked(1, 1, [0.6, 1, 100]), ranked(2, 1, [0.9, 7, 700]), ranked(3, 1, [0.8, 3, 300]),
      ranked(4, 2, [0.7, 4, 400]), ranked(5, 1, [0.95, 9, 900], 100), trial(6, { status: 'running', metricValue: 0.99 }),
    ];
    expect(frontLine(trials, PARETO, 0, 1, 'acc')).toEqual([
      { id: 2, point: [0.9, 7] }, { id: 3, point: [0.8, 3] }, { id: 1, point: [0.6, 1] },
    ]);
    // cost on x: the cheapest first.
    expect(frontLine(trials, PARETO, 1, 0, 'acc').map((p) => p.id)).toEqual([1, 3, 2]);
  });

  it('orders equal x worst y first (the step goes along y), and leaves out a trial missing either value', () => {
    const trials = [ranked(1, 1, [0.8, 3, 100]), ranked(2, 1, [0.8, 3, 50]), ranked(3, 1, [0.7, 3, 40]), ranked(4, 1, [0.9, null, 10])];
    // x = cost (all 3), y = acc: the worse acc (0.7) first, then 0.8, 0.8 by id.
    expect(frontLine(trials, PARETO, 1, 0, 'acc').map((p) => p.id)).toEqual([3, 1, 2]);
  });
});

describe('objectiveValue', () => {
  it('reads a completed trial\'s value; a running trial has only the sweep\'s metric, as it stands', () => {
    const running = trial(1, { status: 'running', metricValue: 0.5 });
    expect(objectiveValue(running, PARETO, 0, 'acc')).toBe(0.5);
    expect(objectiveValue(running, PARETO, 1, 'acc')).toBeNull();
    expect(objectiveValue(ranked(2, 1, [0.7, null, 3]), PARETO, 1, 'acc')).toBeNull();
    expect(objectiveValue(ranked(2, 1, [0.7, NaN, 3]), PARETO, 1, 'acc')).toBeNull();
    expect(objectiveValue(ranked(2, 1, [0.7, 2, 3]), PARETO, 2, 'acc')).toBe(3);
  });
});

describe('frontColour and frontLegend', () => {
  const trials = [
    ranked(1, 1, [0.9, 1, 1]), ranked(2, 1, [0.8, 0.5, 1]), ranked(3, 2, [0.7, 2, 1]), ranked(4, 3, [0.6, 3, 1]),
    ranked(5, 4, [0.5, 4, 1]), ranked(6, 5, [0.99, 9, 900], 100), ranked(7, 6, [0.99, 9, null], null), trial(8, { status: 'failed' }),
  ];

  it('colours the first front orange, later fronts from dark blue to pale, infeasible grey, unranked lighter', () => {
    expect(trials.map((t) => frontColour(t, 4))).toEqual([
      FRONT_COLOUR, FRONT_COLOUR, 'rgb(24,100,171)', laterColour(3, 4), 'rgb(190,210,235)', INFEASIBLE_COLOUR, INFEASIBLE_COLOUR, UNRANKED_COLOUR,
    ]);
    expect(laterColour(3, 4)).toBe('rgb(107,155,203)');
    // One later front: the dark end.
    expect(laterColour(2, 2)).toBe('rgb(24,100,171)');
  });

  it('names each front with its count, infeasible trials (front 5 and 6 here: after every feasible one) and unranked ones', () => {
    expect(frontLegend(trials).map((e) => [e.label, e.count, e.colour])).toEqual([
      ['first front', 2, FRONT_COLOUR], ['front 2', 1, 'rgb(24,100,171)'], ['front 3', 1, laterColour(3, 4)], ['front 4', 1, 'rgb(190,210,235)'],
      ['infeasible', 2, INFEASIBLE_COLOUR], ['not ranked (not completed)', 1, UNRANKED_COLOUR],
    ]);
    expect(trials.map(frontText)).toEqual([
      'first front', 'first front', 'front 2', 'front 3', 'front 4', 'infeasible (front 5)', 'infeasible (front 6)', 'not ranked yet',
    ]);
  });

  it('folds the middle fronts into one entry where there are more than four later ones', () => {
    const many = Array.from({ length: 8 }, (_, i) => ranked(i + 1, i + 1, [0.9 - i / 10, i, 1]));
    expect(frontLegend(many).map((e) => [e.label, e.count])).toEqual([['first front', 1], ['front 2', 1], ['fronts 3–7', 5], ['front 8', 1]]);
  });
});
