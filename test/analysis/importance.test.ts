import { describe, expect, it } from 'vitest';
import { ESTIMATE_METHOD, importance, type Importance, type Observation } from '../../src/analysis/importance.js';

/** Every combination of `axes`' values (the last varying fastest), each with y = f(its values). */
function grid(axes: Record<string, readonly (number | string)[]>, f: (v: Record<string, number | string>) => number): Observation[] {
  return Object.entries(axes).reduce<Record<string, number | string>[]>(
    (cells, [k, vs]) => cells.flatMap((c) => vs.map((v) => ({ ...c, [k]: v }))), [{}],
  ).map((values) => ({ values, value: f(values) }));
}
const levelsOf = (axes: Record<string, readonly (number | string)[]>) =>
  Object.fromEntries(Object.entries(axes).map(([k, vs]) => [k, vs.map(String)]));
const shares = (r: Importance) => (r.kind === 'none' ? {} : Object.fromEntries(r.parts.map((p) => [p.key, p.share])));
const ns = (r: Importance, key: string) => (r.kind === 'none' ? [] : r.marginals.find((m) => m.key === key)!.levels.map((l) => [l.value, l.n]));

// y = a_i + b_j + c_k. With a = [0, 1, 2], b = [0, 0, 3], c = [0, 1]:
// m_a(v) − ȳ = a_v − ā, so V_a = ((−1)² + 0² + 1²)/3 = 2/3; V_b = ((−1)² + (−1)² + 2²)/3 = 2; V_c = (0.5² + 0.5²)/2 = 1/4;
// additive, so V = V_a + V_b + V_c = 35/12 and the shares are 8/35, 24/35, 3/35.
const additiveAxes = { learningRate: [0.001, 0.01, 0.1], optimizer: ['adam', 'sgd', 'rmsprop'], batchSize: [32, 64] };
const A = { '0.001': 0, '0.01': 1, '0.1': 2 } as Record<string, number>;
const B = { adam: 0, sgd: 0, rmsprop: 3 } as Record<string, number>;
const C = { '32': 0, '64': 1 } as Record<string, number>;
const additive = grid(additiveAxes, (v) => A[String(v.learningRate)] + B[String(v.optimizer)] + C[String(v.batchSize)]);

// A 2×2×2 grid by hand: ȳ = 66/8; V = 663/16; m_p = 2.5, 14 → V_p = 529/16; m_q = 6, 10.5 → V_q = 81/16;
// m_r = 7, 9.5 → V_r = 25/16; the interactions hold (663 − 635)/16 = 28/16.
const mixedAxes = { p: ['p0', 'p1'], q: ['q0', 'q1'], r: ['r0', 'r1'] };
const MIXED: Record<string, number> = {
  'p0 q0 r0': 0, 'p0 q0 r1': 2, 'p0 q1 r0': 4, 'p0 q1 r1': 4,
  'p1 q0 r0': 10, 'p1 q0 r1': 12, 'p1 q1 r0': 14, 'p1 q1 r1': 20,
};
const mixed = grid(mixedAxes, (v) => MIXED[`${v.p} ${v.q} ${v.r}`]);

describe('importance on a complete grid: exact functional ANOVA', () => {
  it('gives an additive grid its known shares and no interaction', () => {
    const r = importance(additive, Object.keys(additiveAxes), levelsOf(additiveAxes));
    expect(r.kind).toBe('anova');
    if (r.kind !== 'anova') return;
    expect(r.parts.map((p) => p.key)).toEqual(['optimizer', 'learningRate', 'batchSize']);
    expect(r.parts[0].share).toBeCloseTo(24 / 35, 12);
    expect(r.parts[1].share).toBeCloseTo(8 / 35, 12);
    expect(r.parts[2].share).toBeCloseTo(3 / 35, 12);
    expect(r.interaction).toBeGreaterThanOrEqual(0);
    expect(r.interaction).toBeCloseTo(0, 12);
  });

  it('gives a pure interaction (y = a·b, centred so every marginal is flat) no main effect', () => {
    // a, b ∈ {−1, 0, 1}: m_a(v) = v · mean(b) = 0 for every v, and ȳ = 0, yet V = (2/3)² > 0.
    const axes = { a: [-1, 0, 1], b: [-1, 0, 1], seedless: ['x', 'y'] };
    const r = importance(grid(axes, (v) => (v.a as number) * (v.b as number)), Object.keys(axes), levelsOf(axes));
    expect(r.kind).toBe('anova');
    if (r.kind !== 'anova') return;
    for (const p of r.parts) expect(p.share).toBeCloseTo(0, 12);
    expect(r.interaction).toBeCloseTo(1, 12);
  });

  it('splits a mixed grid as computed by hand', () => {
    const r = importance(mixed, ['p', 'q', 'r'], levelsOf(mixedAxes));
    expect(r.kind).toBe('anova');
    if (r.kind !== 'anova') return;
    expect(r.parts.map((p) => p.key)).toEqual(['p', 'q', 'r']);
    expect(r.parts.map((p) => p.share)).toEqual([529 / 663, 81 / 663, 25 / 663].map((x) => expect.closeTo(x, 12)));
    expect(r.interaction).toBeCloseTo(28 / 663, 12);
  });

  it('gives a 2×2 grid its hand-computed split', () => {
    // y: (0,0)=1 (0,1)=3 (1,0)=5 (1,1)=11. ȳ = 5, V = (16 + 4 + 0 + 36)/4 = 14;
    // m_a = 2, 8 → V_a = 9; m_b = 3, 7 → V_b = 4; interaction 1/14 (each cell's residual is ±1).
    const axes = { a: [0, 1], b: [0, 1] };
    const y = [[1, 3], [5, 11]];
    const r = importance(grid(axes, (v) => y[v.a as number][v.b as number]), ['a', 'b'], levelsOf(axes));
    expect(r).toMatchObject({ kind: 'anova', interaction: expect.closeTo(1 / 14, 12) });
    expect(shares(r)).toEqual({ a: expect.closeTo(9 / 14, 12), b: expect.closeTo(4 / 14, 12) });
    expect(r.kind === 'anova' && r.pair).toEqual({ x: 'a', y: 'b', xLevels: ['0', '1'], yLevels: ['0', '1'], means: [[1, 3], [5, 11]] });
  });

  it('gives the heat map the two most important keys, each cell the mean over the other keys', () => {
    // m_pq(v, w) = the mean of the two r cells: (0+2)/2, (4+4)/2, (10+12)/2, (14+20)/2.
    const r = importance(mixed, ['r', 'q', 'p'], levelsOf(mixedAxes));
    expect(r.kind === 'anova' && r.pair).toEqual({
      x: 'p', y: 'q', xLevels: ['p0', 'p1'], yLevels: ['q0', 'q1'], means: [[1, 4], [11, 17]],
    });
  });

  it('lists every level of every key, in the listed order, with its mean and count', () => {
    const levels = { ...levelsOf(additiveAxes), optimizer: ['sgd', 'rmsprop', 'adam'] };
    const r = importance(additive, Object.keys(additiveAxes), levels);
    expect(r.kind).toBe('anova');
    if (r.kind !== 'anova') return;
    // Keys in the order given; 18 cells: each learning rate and optimizer on 6, each batch size on 9.
    expect(r.marginals.map((m) => m.key)).toEqual(['learningRate', 'optimizer', 'batchSize']);
    expect(ns(r, 'optimizer')).toEqual([['sgd', 6], ['rmsprop', 6], ['adam', 6]]);
    expect(ns(r, 'batchSize')).toEqual([['32', 9], ['64', 9]]);
    // m_b(v) = b_v + ā + c̄ = b_v + 1 + 0.5.
    expect(r.marginals[1].levels.map((l) => l.mean)).toEqual([1.5, 4.5, 1.5].map((x) => expect.closeTo(x, 12)));
  });

  it('does not depend on the order of the trials', () => {
    const keys = Object.keys(additiveAxes);
    expect(importance([...additive].reverse(), keys, levelsOf(additiveAxes))).toEqual(importance(additive, keys, levelsOf(additiveAxes)));
  });

  it('shares nothing when every cell is equal', () => {
    const r = importance(grid(mixedAxes, () => 0.1), ['p', 'q', 'r'], levelsOf(mixedAxes));
    expect(r).toMatchObject({ kind: 'anova', interaction: 0, parts: [{ share: 0 }, { share: 0 }, { share: 0 }] });
  });
});

describe('importance otherwise: a labelled main-effects estimate', () => {
  it('names the cell count of an incomplete grid (one cell missing, one repeated)', () => {
    const trials = [...mixed.filter((t) => MIXED[`${t.values.p} ${t.values.q} ${t.values.r}`] !== 20), mixed[0]];
    const r = importance(trials, ['p', 'q', 'r'], levelsOf(mixedAxes));
    expect(r.kind).toBe('estimate');
    if (r.kind !== 'estimate') return;
    expect(r.method).toBe(ESTIMATE_METHOD);
    expect(r.reason).toBe('incomplete grid: 7 of 8 cells have a completed trial; unbalanced grid: 1 of 8 cells have more than one completed trial');
    // p0 has its four cells and a repeat of (p0, q0, r0); p1 lost (p1, q1, r1).
    expect(ns(r, 'p')).toEqual([['p0', 5], ['p1', 3]]);
    expect(r.pair?.means.flat()).not.toContain(null);
  });

  it('weights the level means by their counts on an unbalanced grid, as computed by hand', () => {
    // The 2×2 grid (0,0)=1 (0,1)=3 (1,0)=5 (1,1)=11, and (1,1) again at 7: ȳ = 27/5, Σ(y − ȳ)² = 296/5.
    // a: {1, 3} mean 2, {5, 11, 7} mean 23/3 → 2·(17/5)² + 3·(34/15)² = 578/15 → share 289/444;
    // b: {1, 5} mean 3, {3, 11, 7} mean 7 → 2·2.4² + 3·1.6² = 96/5 → share 12/37.
    const trials: Observation[] = [[0, 0, 1], [0, 1, 3], [1, 0, 5], [1, 1, 11], [1, 1, 7]]
      .map(([a, b, value]) => ({ values: { a, b }, value }));
    const r = importance(trials, ['a', 'b'], { a: ['0', '1'], b: ['0', '1'] });
    expect(r).toMatchObject({ kind: 'estimate', reason: 'unbalanced grid: 1 of 4 cells have more than one completed trial' });
    expect(shares(r)).toEqual({ a: expect.closeTo(289 / 444, 12), b: expect.closeTo(12 / 37, 12) });
    expect(r.kind === 'estimate' && r.pair?.means).toEqual([[1, 3], [5, 9]]);
  });

  it('agrees with the exact shares on a complete grid', () => {
    // Without listed levels the same 18 cells get the estimate, which on a balanced grid is V_j / V.
    const r = importance(additive, ['learningRate', 'optimizer', 'batchSize'], { optimizer: ['adam', 'sgd', 'rmsprop'] });
    expect(r.kind).toBe('estimate');
    expect(shares(r)).toEqual({
      optimizer: expect.closeTo(24 / 35, 12), learningRate: expect.closeTo(8 / 35, 12), batchSize: expect.closeTo(3 / 35, 12),
    });
  });

  it('says why a random search has no grid, and bins its numbers into at most 4 non-empty quantile bins', () => {
    // 20 learning rates, log-spaced; the metric rises with them; an optimizer category without listed levels.
    const trials: Observation[] = Array.from({ length: 20 }, (_, i) => ({
      values: { learningRate: 10 ** (-4 + (3 * i) / 19), optimizer: ['sgd', 'adam'][i % 2] },
      value: i / 19 + 0.01 * (i % 2),
    }));
    const r = importance(trials, ['learningRate', 'optimizer'], {});
    expect(r.kind).toBe('estimate');
    if (r.kind !== 'estimate') return;
    expect(r.reason).toBe('no grid: learningRate, optimizer have no listed levels (a range of random search or TPE)');
    const lr = r.marginals[0].levels;
    expect(lr.length).toBeLessThanOrEqual(4);
    expect(lr.every((l) => l.n > 0)).toBe(true);
    expect(lr.reduce((s, l) => s + l.n, 0)).toBe(20);
    // Edges at sorted positions 0, 5, 10, 15 and the maximum: 10^(−4 + 3·5/19) = 0.0006158…, 10^(−4 + 3·10/19) = 0.003793…,
    // 10^(−4 + 3·15/19) = 0.02336…, 0.1; five trials in each bin.
    expect(lr.map((l) => [l.value, l.n])).toEqual([['[0.0001, 0.000616)', 5], ['[0.000616, 0.00379)', 5], ['[0.00379, 0.0234)', 5], ['[0.0234, 0.1]', 5]]);
    expect(r.marginals[1].levels.map((l) => l.value)).toEqual(['adam', 'sgd']);
    expect(r.parts[0].key).toBe('learningRate');
    expect(r.pair).toMatchObject({ x: 'learningRate', y: 'optimizer', xLevels: lr.map((l) => l.value), yLevels: ['adam', 'sgd'] });
  });

  it.each([
    // [1..8]: lower edges at sorted positions 0, 2, 4, 6.
    [[1, 2, 3, 4, 5, 6, 7, 8], [['[1, 3)', 2], ['[3, 5)', 2], ['[5, 7)', 2], ['[7, 8]', 2]]],
    // Repeated values merge edges; no bin is left empty.
    [[1, 1, 1, 1, 1, 1, 2, 3], [['[1, 2)', 6], ['[2, 3]', 2]]],
    // One value: one level, named by it.
    [[0.5, 0.5, 0.5, 0.5], [['0.5', 4]]],
    // Edges that read alike at 3 significant digits get as many as tell them apart.
    // (Four distinct values: each is a lower edge, so the last bin holds the maximum alone.)
    [[1.0001, 1.0002, 1.0003, 1.0004], [['[1.0001, 1.0002)', 1], ['[1.0002, 1.0003)', 1], ['[1.0003, 1.0004)', 1], ['[1.0004, 1.0004]', 1]]],
    [[0.00123456, 0.00234567, 0.00345678, 0.00456789], [['[0.00123, 0.00235)', 1], ['[0.00235, 0.00346)', 1], ['[0.00346, 0.00457)', 1], ['[0.00457, 0.00457]', 1]]],
    [[0.3, 0.1, 0.2, 0.1, 0.3, 0.2], [['[0.1, 0.2)', 2], ['[0.2, 0.3)', 2], ['[0.3, 0.3]', 2]]],
  ] as const)('bins %j as %j', (xs, expected) => {
    const trials = xs.map((x, i) => ({ values: { dropout: x, units: i % 2 }, value: i }));
    expect(ns(importance(trials, ['dropout', 'units'], {}), 'dropout')).toEqual(expected);
  });

  it('orders the levels of a category without listed levels numbers first, then text', () => {
    const trials = ['relu', '128', '64', 'tanh', '256-128'].map((u, i) => ({ values: { units: u }, value: i }));
    expect(ns(importance(trials, ['units'], {}), 'units').map(([v]) => v)).toEqual(['64', '128', '256-128', 'relu', 'tanh']);
  });

  it('names trials at levels the grid does not list, and shows those levels after the listed ones', () => {
    // An ANN has no filters: its trials sit outside the grid's filters axis.
    const trials: Observation[] = [['8', 1], ['16', 2], ['8', 3], ['16', 4], ['—', 5], ['—', 6]]
      .map(([filters, value]) => ({ values: { filters, model: filters === '—' ? 'ann' : 'cnn' }, value: value as number }));
    const r = importance(trials, ['filters', 'model'], { filters: ['16', '8'], model: ['ann', 'cnn'] });
    expect(r.kind).toBe('estimate');
    if (r.kind !== 'estimate') return;
    expect(r.reason).toBe('trials at levels the grid does not list (filters: 2); incomplete grid: 2 of 4 cells have a completed trial; unbalanced grid: 2 of 4 cells have more than one completed trial');
    expect(ns(r, 'filters')).toEqual([['16', 2], ['8', 2], ['—', 2]]);
  });
});

describe('importance with conditional parameters', () => {
  it('puts the trials without a parameter in a level of their own, "-", after its listed levels', () => {
    // beta1 exists only where optimizer is adam.
    const trials: Observation[] = [[0.9, 1], [0.95, 2], [0.9, 3], [0.95, 4], [null, 5], [null, 6]]
      .map(([beta1, value]) => ({ values: { beta1, optimizer: beta1 === null ? 'sgd' : 'adam' }, value: value as number }));
    const r = importance(trials, ['beta1', 'optimizer'], { beta1: ['0.9', '0.95'], optimizer: ['adam', 'sgd'] });
    expect(r.kind).toBe('estimate');
    expect(ns(r, 'beta1')).toEqual([['0.9', 2], ['0.95', 2], ['-', 2]]);
  });

  it('bins a drawn parameter\'s numbers and keeps the trials without it apart', () => {
    const trials: Observation[] = [0.1, 0.2, 0.3, 0.4, null, null, 0.5, 0.6].map((momentum, i) => ({ values: { momentum }, value: i }));
    const r = importance(trials, ['momentum'], {});
    const levels = ns(r, 'momentum');
    expect(levels[levels.length - 1]).toEqual(['-', 2]);
    expect(levels.slice(0, -1).reduce((n, [, k]) => n + (k as number), 0)).toBe(6);
  });
});

describe('importance with too little to go on', () => {
  it.each([
    ['three trials', [1, 2, 3], ['a'], '3 completed trials with a metric value; importance needs at least 4'],
    ['NaN and Infinity left out', [1, NaN, 2, Infinity, 3], ['a'], '3 completed trials with a metric value; importance needs at least 4'],
    ['no trials', [], ['a'], '0 completed trials with a metric value; importance needs at least 4'],
    ['no keys', [1, 2, 3, 4, 5], [], 'no hyperparameter varies'],
  ])('none: %s', (_, values, keys, reason) => {
    const trials = values.map((value, i) => ({ values: { a: i }, value }));
    expect(importance(trials, keys, { a: values.map((_, i) => String(i)) })).toEqual({ kind: 'none', reason });
  });

  it('leaves a NaN trial out of a grid that is otherwise complete', () => {
    const trials = [...mixed, { values: mixed[0].values, value: NaN }];
    expect(importance(trials, ['p', 'q', 'r'], levelsOf(mixedAxes)).kind).toBe('anova');
  });
});
