import { describe, expect, it } from 'vitest';
import { crowdingDistance, crowdingDistanceSort } from '../../src/pareto/crowding.js';

describe('crowdingDistance (Optuna\'s _calc_crowding_distance)', () => {
  it('sums neighbour gaps over each objective\'s range, ends infinite, by hand', () => {
    // f1: 0, 1, 5, 10 (range 10): ends Inf; P1 (5 - 0)/10 = 0.5; P2 (10 - 1)/10 = 0.9.
    // f2: 10, 6, 5, 0 -> sorted P3 0, P2 5, P1 6, P0 10 (range 10): ends Inf; P2 (6 - 0)/10 = 0.6; P1 (10 - 5)/10 = 0.5.
    // Sums: P0 Inf, P1 0.5 + 0.5 = 1, P2 0.9 + 0.6 = 1.5, P3 Inf.
    const d = crowdingDistance([[0, 10], [1, 6], [5, 5], [10, 0]]);
    expect(d[0]).toBe(Infinity);
    expect(d[1]).toBeCloseTo(1, 12);
    expect(d[2]).toBeCloseTo(1.5, 12);
    expect(d[3]).toBe(Infinity);
  });

  it('works in input order, whatever order the points come in', () => {
    // The same four points as a staircase, shuffled: P2(1,4) P0(2,3) P3(3,2) P1(4,1).
    // f1 sorted: P2, P0, P3, P1 (range 3): P0 (3 - 1)/3, P3 (4 - 2)/3; f2 likewise: P0 (4 - 2)/3, P3 (3 - 1)/3.
    const d = crowdingDistance([[2, 3], [4, 1], [1, 4], [3, 2]]);
    expect(d[0]).toBeCloseTo(4 / 3, 12);
    expect(d[1]).toBe(Infinity);
    expect(d[2]).toBe(Infinity);
    expect(d[3]).toBeCloseTo(4 / 3, 12);
  });

  it('skips an objective where every point is equal', () => {
    // f1 all 1: nothing. f2: 2, 3, 4 (range 2): ends Inf, middle (4 - 2)/2 = 1.
    expect(crowdingDistance([[1, 2], [1, 3], [1, 4]])).toEqual([Infinity, 1, Infinity]);
  });

  it('lets the order of equal points decide which is whose neighbour, as Optuna\'s stable sorts do', () => {
    // P0 = P1 = P2 = (1, 5), P3 = (2, 0).
    // f1 (input order kept among the 1s): vs = [-Inf, 1, 1, 1, 2, Inf], range 1:
    //   P0: 1 - (-Inf) = Inf; P1: 1 - 1 = 0; P2: 2 - 1 = 1; P3: Inf.
    // f2, sorted stably from the f1 order: P3 0, P0 5, P1 5, P2 5; vs = [-Inf, 0, 5, 5, 5, Inf], range 5:
    //   P3: Inf; P0: (5 - 0)/5 = 1; P1: 5 - 5 = 0; P2: Inf - 5 = Inf.
    // Sums: P0 Inf, P1 0, P2 Inf, P3 Inf: of three equal points, the middle one is the crowded one.
    expect(crowdingDistance([[1, 5], [1, 5], [1, 5], [2, 0]])).toEqual([Infinity, 0, Infinity, Infinity]);
  });

  it('takes the range over finite values, so a neighbour at Infinity makes a point\'s distance infinite', () => {
    // f1: 0, 1, 2, 3 (range 3): P0 Inf, P1 (2 - 0)/3, P2 (3 - 1)/3, P3 Inf.
    // f2: P3 0, P2 1, P1 3, P0 Inf; vs = [-Inf, 0, 1, 3, Inf, Inf], finite range 3 - 0:
    //   P3 Inf; P2 (3 - 0)/3 = 1; P1 Inf - 1 = Inf; P0 Inf - 3 = Inf.
    const d = crowdingDistance([[0, Infinity], [1, 3], [2, 1], [3, 0]]);
    expect(d[0]).toBe(Infinity);
    expect(d[1]).toBe(Infinity);
    expect(d[2]).toBeCloseTo(2 / 3 + 1, 12);
    expect(d[3]).toBe(Infinity);
  });

  it('counts the gap between two equal infinities as 0, and a range that is not positive as 1', () => {
    // f1: 0, 1, 2 (range 2): P0 Inf, P1 (2 - 0)/2 = 1, P2 Inf.
    // f2: P2 0, P0 Inf, P1 Inf; vs = [-Inf, 0, Inf, Inf, Inf]; finite range 0 - 0, taken as 1:
    //   P2: Inf - (-Inf) = Inf; P0: Inf - 0 = Inf; P1: Inf - Inf -> 0.
    expect(crowdingDistance([[0, Infinity], [1, Infinity], [2, 0]])).toEqual([Infinity, 1, Infinity]);
  });

  it('gives nothing for nothing, and Infinity to a lone point only where values differ', () => {
    expect(crowdingDistance([])).toEqual([]);
    expect(crowdingDistance([[1, 2]])).toEqual([0]);
    expect(crowdingDistance([[1, 2], [2, 1]])).toEqual([Infinity, Infinity]);
  });
});

describe('crowdingDistanceSort (Optuna\'s _crowding_distance_sort)', () => {
  it('puts the least crowded first; ties in the reverse of the last objective\'s order', () => {
    // Distances (see above): P0 4/3, P1 Inf, P2 Inf, P3 4/3. The list is left sorted by f2:
    // P1(1), P3(2), P0(3), P2(4). Ascending by distance, stably: P3, P0, P1, P2; reversed: P2, P1, P0, P3.
    expect(crowdingDistanceSort([[2, 3], [4, 1], [1, 4], [3, 2]])).toEqual([2, 1, 0, 3]);
  });

  it('orders by distance when distances differ', () => {
    // Distances [Inf, 1, 1.5, Inf]; the list is left in f2 order P3, P2, P1, P0.
    // Ascending, stably: P1 (1), P2 (1.5), P3 (Inf), P0 (Inf); reversed: P0, P3, P2, P1.
    expect(crowdingDistanceSort([[0, 10], [1, 6], [5, 5], [10, 0]])).toEqual([0, 3, 2, 1]);
  });
});
