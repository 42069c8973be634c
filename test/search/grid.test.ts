import { readFileSync } from 'node:fs';
import { builtInConfig } from '../../src/spec/code.js';
import { describe, expect, it } from 'vitest';
import { canonicalJson, configId } from '../../src/spec/config-id.js';
import { countConfigs, expandGrid } from '../../src/search/grid.js';
import { varyingKeys } from '../../src/spec/labels.js';
import { loadSpec, parseSpec } from '../../src/spec/load-spec.js';

const spec = (grid: string, head = 'name: g\nseed: 1\n') => parseSpec(`${head}grid:\n${grid}`, 'g.yaml');

describe('expandGrid', () => {
  it('gives the notebook model by default', () => {
    const trials = expandGrid(parseSpec('name: g\n', 'g.yaml'));
    expect(trials.map((t) => t.config)).toEqual([{
      model: 'ann', epochs: 7, activation: 'relu', units: [128], dropout: 0.2,
      optimizer: 'adam', learningRate: 0.001, batchSize: 32, labelSmoothing: 0,
      batchNorm: false, preciseBn: 0, augment: 'none', schedule: 'constant', weightDecay: 0,
    }]);
  });

  it('gives the dropout sweep the config ids it was recorded with before labelSmoothing existed', () => {
    // From a database the dropout sweep wrote before the key was added: its trials must be found again, not retrained.
    const ids = expandGrid(loadSpec('sweeps/dropout.yaml').spec).map((t) => t.configId);
    expect(ids.slice(0, 2)).toEqual(['f5de340046ec4e61', 'a8a9ed9aee301e64']);
  });

  it('gives Fashion-MNIST configurations the ids they were recorded with, whether the spec names the dataset or not', () => {
    // Datasets came later: Fashion-MNIST's data settings hash as they did before, with no dataset key.
    const text = readFileSync('sweeps/dropout.yaml', 'utf8');
    const named = text.replace(/^data: \{/m, 'data: {dataset: fashion-mnist, ');
    expect(named).not.toBe(text);
    const ids = expandGrid(parseSpec(named, 'dropout.yaml')).map((t) => t.configId);
    expect(ids).toEqual(expandGrid(loadSpec('sweeps/dropout.yaml').spec).map((t) => t.configId));
    expect(ids.slice(0, 2)).toEqual(['f5de340046ec4e61', 'a8a9ed9aee301e64']);
  });

  it('takes the cartesian product over sorted keys, the last varying fastest', () => {
    const trials = expandGrid(spec('  epochs: [5, 10]\n  dropout: [0.2, 0.4]\n'));
    expect(trials.map((t) => [builtInConfig(t.config).dropout, builtInConfig(t.config).epochs])).toEqual([[0.2, 5], [0.2, 10], [0.4, 5], [0.4, 10]]);
  });

  it('gives each model kind only its own keys: no "ann with 64 filters"', () => {
    const trials = expandGrid(spec(`  epochs: [5, 10]
  dropout: [0.2, 0.4]
  model:
    ann: {units: [[128], [256, 128]]}
    cnn: {filters: [[32, 64]], kernelSize: [3], units: [[128]]}
`));
    expect(trials).toHaveLength(2 * 2 * 2 + 2 * 2 * 1);
    expect(trials.filter((t) => builtInConfig(t.config).model === 'ann').every((t) => builtInConfig(t.config).filters === undefined)).toBe(true);
    expect(trials.filter((t) => builtInConfig(t.config).model === 'cnn').map((t) => builtInConfig(t.config).filters)).toEqual(Array(4).fill([32, 64]));
  });

  it('applies top-level CNN keys to CNNs only, and gives each kind its defaults', () => {
    const trials = expandGrid(spec('  model: [ann, cnn]\n  filters: [[8], [16]]\n'));
    expect(trials.map((t) => [builtInConfig(t.config).model, builtInConfig(t.config).filters, builtInConfig(t.config).kernelSize, builtInConfig(t.config).pooling])).toEqual([
      ['ann', undefined, undefined, undefined], ['cnn', [8], 3, 'max'], ['cnn', [16], 3, 'max'],
    ]);
  });

  it('lets a sub-grid override the shared grid, and grid override train settings', () => {
    const trials = expandGrid(spec('  dropout: [0.1]\n  batchSize: [64, 128]\n  model:\n    ann: {dropout: [0.5]}\n'));
    expect(trials.map((t) => [builtInConfig(t.config).dropout, builtInConfig(t.config).batchSize])).toEqual([[0.5, 64], [0.5, 128]]);
  });

  it('reads a bare width as a one-layer network', () => {
    expect(expandGrid(spec('  units: [64, [32, 16]]\n')).map((t) => builtInConfig(t.config).units)).toEqual([[64], [32, 16]]);
  });

  it('is deterministic: the same spec gives the same ids in the same order', () => {
    const text = '  dropout: [0.0, 0.1]\n  activation: [tanh, relu]\n';
    expect(expandGrid(spec(text))).toEqual(expandGrid(spec(text)));
  });

  it('keeps a configuration\'s id when the grid around it changes', () => {
    const small = expandGrid(spec('  dropout: [0.1]\n'));
    const big = expandGrid(spec('  dropout: [0.0, 0.1, 0.2]\n'));
    expect(big.map((t) => t.configId)).toContain(small[0].configId);
  });

  it.each([
    ['seed', 'name: g\nseed: 2\n'],
    ['data settings', 'name: g\nseed: 1\ndata: {trainLimit: 1000}\n'],
    ['train settings', 'name: g\nseed: 1\ntrain: {learningRate: 0.01}\n'],
  ])('gives new ids when the %s change', (_what, head) => {
    expect(expandGrid(spec('  dropout: [0.1]\n', head))[0].configId).not.toBe(expandGrid(spec('  dropout: [0.1]\n'))[0].configId);
  });

  it('keeps the ids of configurations that leave a later hyperparameter at its default (labelSmoothing)', () => {
    const before = expandGrid(spec('  dropout: [0.1]\n'))[0];
    const atDefault = expandGrid(spec('  dropout: [0.1]\n  labelSmoothing: [0]\n'))[0];
    expect(atDefault).toEqual(before);
    expect(builtInConfig(atDefault.config).labelSmoothing).toBe(0);
    const [plain, smoothed] = expandGrid(spec('  dropout: [0.1]\n  labelSmoothing: [0, 0.1]\n'));
    expect(plain.configId).toBe(before.configId);
    expect(builtInConfig(smoothed.config).labelSmoothing).toBe(0.1);
    expect(smoothed.configId).not.toBe(before.configId);
  });

  it('lists a value given twice once', () => {
    expect(expandGrid(spec('  dropout: [0.1, 0.1]\n'))).toHaveLength(1);
  });

  it('counts configurations without building them', () => {
    const s = spec('  epochs: [1, 2, 3]\n  dropout: [0.1, 0.2]\n  model:\n    ann: {units: [8, 16]}\n    cnn: {filters: [[4]]}\n');
    expect(countConfigs(s)).toBe(3 * 2 * 2 + 3 * 2);
    expect(countConfigs(s)).toBe(expandGrid(s).length);
  });
});

describe('configId and canonicalJson', () => {
  it('ignores key order', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: [3, { f: 1, e: 2 }] } })).toBe('{"a":{"c":[3,{"e":2,"f":1}],"d":2},"b":1}');
    const c = expandGrid(spec('  dropout: [0.1]\n'))[0].config;
    const shuffled = Object.fromEntries(Object.entries(c).reverse()) as typeof c;
    const data = { validationSplit: 0.1, trainLimit: 60000, testLimit: 10000 };
    expect(configId(shuffled, 1, data)).toBe(configId(c, 1, data));
  });

  it('refuses data settings not yet resolved against their dataset: they would name other trials', () => {
    const c = expandGrid(spec('  dropout: [0.1]\n'))[0].config;
    expect(() => configId(c, 1, { dataset: 'idx', path: 'd', validationSplit: 0.1 })).toThrow(/unresolved data settings/);
    expect(() => configId(c, 1, { validationSplit: 0.1, trainLimit: 100 })).toThrow(/unresolved data settings/);
  });
});

describe('varyingKeys', () => {
  it('names only the hyperparameters that differ', () => {
    expect(varyingKeys(expandGrid(spec('  dropout: [0.1, 0.2]\n  units: [[8]]\n')).map((t) => t.config))).toEqual(['dropout']);
  });
});
