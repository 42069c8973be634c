/** What defines a sweep's sequence of trials, and which recorded configurations lie in a new space (src/sweep/sequence.ts). */
import { describe, expect, it } from 'vitest';
import { parseSpec } from '../../src/spec/load-spec.js';
import { makeStrategy } from '../../src/search/strategy.js';
import { inSpace, sequenceChanges } from '../../src/sweep/sequence.js';

const spec = (extra: string, grid = '  dropout: {min: 0.0, max: 0.5}\n  units: [[64], [128]]\n') =>
  parseSpec(`name: s\n${extra}search: {method: tpe, trials: 10}\ngrid:\n  epochs: [2]\n${grid}`, 's.yaml');

describe('sequenceChanges', () => {
  it('ignores the number of trials, the name and the description', () => {
    const a = spec('');
    const b = parseSpec('name: other\ndescription: wider\nsearch: {method: tpe, trials: 40}\ngrid:\n  epochs: [2]\n  dropout: {min: 0.0, max: 0.5}\n  units: [[64], [128]]\n', 's.yaml');
    expect(sequenceChanges(a, b)).toEqual([]);
  });

  it('names each change of the space, the seed, the data or the search, before and after', () => {
    expect(sequenceChanges(spec(''), spec('', '  dropout: {min: 0.0, max: 0.4}\n  units: [[64], [128]]\n')))
      .toEqual(['grid.dropout {"min":0,"max":0.5} → {"min":0,"max":0.4}']);
    expect(sequenceChanges(spec(''), spec('seed: 7\n'))).toEqual(['seed 42 → 7']);
    expect(sequenceChanges(spec(''), spec('data: {trainLimit: 600}\n'))).toEqual(['data.trainLimit 60000 → 600']);
    const es = parseSpec('name: s\nsearch: {method: tpe, trials: 10, earlyStopping: {type: median}}\ngrid:\n  epochs: [2]\n  dropout: {min: 0.0, max: 0.5}\n  units: [[64], [128]]\n', 's.yaml');
    expect(sequenceChanges(spec(''), es)).toEqual(['search.earlyStopping (none) → {"type":"median","startupTrials":5,"warmupEpochs":0}']);
    expect(sequenceChanges(spec(''), parseSpec('name: s\nsearch: {method: tpe, trials: 10, parallelism: 2}\ngrid:\n  epochs: [2]\n  dropout: {min: 0.0, max: 0.5}\n  units: [[64], [128]]\n', 's.yaml')))
      .toEqual(['search.parallelism 4 → 2']);
  });
});

describe('inSpace', () => {
  it('holds where every parameter takes a value the new space allows', () => {
    // Random search's trials of the wide space, as recorded, against a narrower one.
    const wide = parseSpec('name: s\nsearch: {method: random, trials: 30}\ngrid:\n  epochs: [2]\n  dropout: {min: 0.0, max: 0.5}\n  units: [[64], [128]]\n', 's.yaml');
    const narrow = spec('', '  dropout: {min: 0.0, max: 0.3}\n  units: [[64]]\n');
    const trials = makeStrategy(wide).initial().map((t) => t.config as unknown as { dropout: number; units: number[] });
    const inside = trials.filter((c) => c.dropout <= 0.3 && c.units[0] === 64);
    expect(inside.length).toBeGreaterThan(0);
    expect(inside.length).toBeLessThan(trials.length);
    expect(trials.filter((c) => inSpace(narrow, c as never))).toEqual(inside);
    // Another number of epochs: none of them.
    const longer = parseSpec('name: s\nsearch: {method: tpe, trials: 10}\ngrid:\n  epochs: [3]\n  dropout: {min: 0.0, max: 0.5}\n  units: [[64], [128]]\n', 's.yaml');
    expect(trials.filter((c) => inSpace(longer, c as never))).toEqual([]);
  });

  it('of the user\'s code: a parameter the new space lacks, or one outside it, leaves the configuration out', () => {
    const code = parseSpec('name: c\nprogram: p.py\nmetric: {name: acc, goal: maximize}\nsearch: {method: random, trials: 5}\ngrid:\n  x: {min: 0.0, max: 0.5}\n  y: [a, b]\n', 's.yaml');
    expect(inSpace(code, { model: 'program', params: { x: 0.25, y: 'a' } })).toBe(true);
    expect(inSpace(code, { model: 'program', params: { x: 0.75, y: 'a' } })).toBe(false);
    expect(inSpace(code, { model: 'program', params: { x: 0.25, y: 'c' } })).toBe(false);
    expect(inSpace(code, { model: 'program', params: { x: 0.25, y: 'a', z: 1 } })).toBe(false);
    expect(inSpace(code, { model: 'objective', params: { x: 0.25, y: 'a' } })).toBe(false);
  });
});
