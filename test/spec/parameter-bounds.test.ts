/**
 * Constraints on parameters alone, checked on each configuration before it trains: which of a
 * spec's constraints they are, what a configuration breaks, and the strategies marking the
 * trials they propose.
 */
import { describe, expect, it } from 'vitest';
import { parseSpec } from '../../src/spec/load-spec.js';
import { brokenBounds, infeasibleLine, parameterBounds } from '../../src/spec/parameter-bounds.js';
import { makeStrategy } from '../../src/search/strategy.js';

const BUILT_IN = `name: b
constraints: ["dropout >= 0.1", "kernelSize <= 3", "params <= 200000"]
grid:
  model: {ann: {}, cnn: {kernelSize: [3, 5]}}
  dropout: [0, 0.2]
  epochs: [1]
`;

describe('constraints on parameters alone', () => {
  it('are the bounds on hyperparameters, not on metrics', () => {
    expect(parameterBounds(parseSpec(BUILT_IN, 's.yaml')).map((c) => c.text)).toEqual(['dropout >= 0.1', 'kernelSize <= 3']);
  });

  it('of the user\'s code, are the bounds on its grid\'s parameters, not on what it reports', () => {
    const spec = parseSpec('name: c\nprogram: p.py\nmetric: {name: acc, goal: maximize}\nconstraints: ["x <= 1", "acc >= 0.5", "lr <= 0.1"]\ngrid:\n  x: [0, 2]\n  lr: [0.01]\n', 's.yaml');
    expect(parameterBounds(spec).map((c) => c.text)).toEqual(['x <= 1', 'lr <= 0.1']);
  });

  it('mark each grid trial that breaks one, by how much; a parameter a model lacks meets its bound', () => {
    const trials = makeStrategy(parseSpec(BUILT_IN, 's.yaml')).initial();
    const seen = trials.map((t) => [t.config.model, (t.config as { dropout: number }).dropout, (t.config as { kernelSize?: number }).kernelSize ?? null, t.infeasible ?? null]);
    const byJson = (rows: readonly unknown[]) => rows.map((r) => JSON.stringify(r)).sort();
    expect(byJson(seen)).toEqual(byJson([
      ['ann', 0, null, [{ text: 'dropout >= 0.1', by: 0.1 }]],
      ['ann', 0.2, null, null],
      ['cnn', 0, 3, [{ text: 'dropout >= 0.1', by: 0.1 }]],
      ['cnn', 0, 5, [{ text: 'dropout >= 0.1', by: 0.1 }, { text: 'kernelSize <= 3', by: 2 }]],
      ['cnn', 0.2, 3, null],
      ['cnn', 0.2, 5, [{ text: 'kernelSize <= 3', by: 2 }]],
    ]));
    expect(infeasibleLine([{ text: 'dropout >= 0.1', by: 0.1 }, { text: 'kernelSize <= 3', by: 2 }]))
      .toBe('not trained: its parameters break dropout >= 0.1 (by 0.1), kernelSize <= 3 (by 2)');
  });

  it('break without limit where the parameter is not a number', () => {
    const spec = parseSpec('name: c\nprogram: p.py\nmetric: {name: acc, goal: maximize}\nconstraints: ["x <= 1"]\ngrid:\n  x: [0, "wide"]\n', 's.yaml');
    const [bound] = parameterBounds(spec);
    expect(brokenBounds([bound], { model: 'program', params: { x: 'wide' } })).toEqual([{ text: 'x <= 1', by: Infinity }]);
    expect(brokenBounds([bound], { model: 'program', params: { x: 0 } })).toEqual([]);
    expect(infeasibleLine([{ text: 'x <= 1', by: Infinity }])).toBe('not trained: its parameters break x <= 1 (by a value that is not a number)');
  });
});
