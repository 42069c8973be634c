import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpec, parseSpec, SpecError } from '../../src/spec/load-spec.js';
import { tempDir } from '../temp-dir.js';

const VALID = `name: t
seed: 1
grid:
  epochs: [1]
  dropout: [0.0, 0.2]
`;

describe('parseSpec', () => {
  it('fills in defaults', () => {
    const spec = parseSpec('name: t\n', 'x.yaml');
    expect(spec).toMatchObject({
      name: 't', metric: { name: 'val_accuracy', goal: 'maximize' }, seed: 42,
      data: { validationSplit: 0.1, trainLimit: 60000, testLimit: 10000 },
      train: { optimizer: 'adam', learningRate: 0.001, batchSize: 32 },
      grid: {},
    });
  });

  it.each([
    ['val_loss', { name: 'val_loss', goal: 'minimize' }],
    ['{name: val_loss}', { name: 'val_loss', goal: 'minimize' }],
    ['{name: val_accuracy, goal: maximize}', { name: 'val_accuracy', goal: 'maximize' }],
  ])('reads metric: %s as its name and the registry\'s goal', (text, objective) => {
    expect(parseSpec(`name: t\nmetric: ${text}\n`, 'x.yaml').metric).toEqual(objective);
  });

  it.each(readdirSync('sweeps').map((f) => [f]))('accepts the shipped spec %s', (file) => {
    expect(loadSpec(join('sweeps', file)).spec.name).toBe(file.replace(/\.yaml$/, ''));
  });

  // Each error names file:line:col, the field's path, and the problem, in one line.
  it.each([
    ['dropout out of range', VALID.replace('0.2]', '1.5]'), 'x.yaml:5:18 grid.dropout[1]: must be in [0, 1)'],
    ['negative dropout', VALID.replace('[0.0, 0.2]', '[-0.1]'), 'x.yaml:5:13 grid.dropout[0]: must be in [0, 1)'],
    ['zero epochs', VALID.replace('[1]', '[0]'), 'x.yaml:4:12 grid.epochs[0]: must be a positive integer'],
    ['fractional epochs', VALID.replace('[1]', '[1.5]'), 'x.yaml:4:12 grid.epochs[0]: must be an integer'],
    ['unknown top-level key', `${VALID}colour: red\n`, 'x.yaml:6:1 colour: unknown key "colour"'],
    ['unknown grid key', VALID.replace('  epochs', '  epoch'), 'x.yaml:4:3 grid.epoch: unknown key "epoch"'],
    ['wrong type', VALID.replace('seed: 1', 'seed: one'), 'x.yaml:2:7 seed: expected number, got string'],
    ['unknown activation', `${VALID}  activation: [relu, swishy]\n`, 'x.yaml:6:22 grid.activation[1]: must be one of relu'],
    ['unknown model kind', `${VALID}  model: [ann, rnn]\n`, 'x.yaml:6:16 grid.model[1]: must be one of ann, cnn'],
    ['unknown kind in a model map', `${VALID}  model:\n    rnn: {units: [[8]]}\n`, 'x.yaml:7:5 grid.model.rnn: unknown key "rnn"'],
    ['ANN-only map given a CNN key', `${VALID}  model:\n    ann: {filters: [[8]]}\n`, 'x.yaml:7:11 grid.model.ann.filters: unknown key "filters"'],
    ['non-positive units', `${VALID}  units: [[128, 0]]\n`, 'x.yaml:6:17 grid.units[0][1]: must be a positive integer'],
    ['empty grid list', VALID.replace('[0.0, 0.2]', '[]'), 'x.yaml:5:12 grid.dropout: must list at least one value'],
    ['a scalar where a list belongs', VALID.replace('[0.0, 0.2]', '0.2'), 'x.yaml:5:12 grid.dropout: must be a list'],
    ['CNN key with no CNN in the grid', `${VALID}  filters: [[8]]\n`, 'x.yaml:6:3 grid.filters: only cnn models take "filters", and this grid has none'],
    ['enormous number', VALID.replace('[1]', '[1e300]'), 'x.yaml:4:12 grid.epochs[0]: must be at most 1000'],
    ['missing name', 'seed: 1\n', 'x.yaml:1:1 name: expected string, got undefined'],
    ['bad name', 'name: "a b"\n', 'x.yaml:1:7 name: must be 1-64 letters'],
    ['YAML syntax', 'name: t\ngrid: [1, 2\n', 'x.yaml:3:1 invalid YAML'],
    ['a key given twice', 'name: t\nname: u\n', 'x.yaml:2:1 invalid YAML: Map keys must be unique'],
    ['not a mapping', '- a\n- b\n', 'x.yaml:1:1 a spec must be a YAML mapping'],
    ['a range in a grid search', VALID.replace('[0.0, 0.2]', '{min: 0, max: 0.5}'), 'x.yaml:5:3 grid.dropout: a range needs `search.method: random` or `tpe`'],
    ['random search without trials', `${VALID}search: {method: random}\n`, 'x.yaml:6:10 search.trials: random search needs `trials: N`'],
    ['a range upside down', `${VALID}search: {method: tpe, trials: 5}\n`.replace('[0.0, 0.2]', '{min: 0.5, max: 0.1}'), 'grid.dropout.max: must be greater than min (0.5)'],
    ['a log range from 0', `${VALID}search: {method: random, trials: 5}\n`.replace('[0.0, 0.2]', '{min: 0, max: 0.5, log: true}'), 'grid.dropout.min: must be positive for a log range'],
    ['a range out of the values', `${VALID}search: {method: random, trials: 5}\n`.replace('[0.0, 0.2]', '{min: 0, max: 1.5}'), 'grid.dropout.max: must be in [0, 1)'],
    ['a range over a list-only key', `${VALID}  activation: {min: 1, max: 2}\nsearch: {method: random, trials: 5}\n`, 'x.yaml:6:15 grid.activation: must be a list'],
    ['an unknown early-stopping rule', `${VALID}search: {earlyStopping: {type: sha}}\n`, 'x.yaml:6:32 search.earlyStopping.type: must be one of asha, hyperband, median, patience, wandb-hyperband'],
    ['W&B hyperband given max_iter without s', `${VALID}search: {earlyStopping: {type: wandb-hyperband, maxIter: 27}}\n`, 'maxIter needs s'],
    // The metric: the registry's, which way it goes, and what the built-in models report.
    ['a metric maximised the wrong way', `${VALID}metric: {name: val_loss, goal: maximize}\n`, 'x.yaml:6:32 metric.goal: sweep can only minimize val_loss, not maximize it: write `goal: minimize`'],
    ['the test set as the metric', `${VALID}metric: test_accuracy\n`, 'x.yaml:6:9 metric: test_accuracy cannot be what the sweep ranks on (the test set is evaluated once and chooses nothing)'],
    ['a metric the built-in models do not report', `${VALID}metric: {name: f1, goal: maximize}\n`, 'x.yaml:6:16 metric.name: must be val_accuracy or val_loss, the metrics sweep records (got "f1")'],
    ['a goal that is no goal', `${VALID}metric: {name: val_loss, goal: lowest}\n`, 'x.yaml:6:32 metric.goal: must be maximize or minimize'],
    ['a metric map with an unknown key', `${VALID}metric: {name: val_loss, tolerance: 0.1}\n`, 'x.yaml:6:26 metric.tolerance: unknown key "tolerance"'],
    ['impute with a grid', `${VALID}metric: {name: val_loss, impute: worst}\n`, 'x.yaml:6:34 metric.impute: only TPE\'s proposals use `impute` (this sweep\'s method is grid)'],
    ['an unknown dataset', 'name: t\ndata: {dataset: cifar}\n', 'x.yaml:2:17 data.dataset: must be one of fashion-mnist, idx'],
    ['an IDX dataset without its folder', 'name: t\ndata: {dataset: idx}\n', 'x.yaml:2:7 data: the idx dataset needs `path`, the folder of its files'],
    ['a path for Fashion-MNIST', 'name: t\ndata: {path: ./d}\n', 'x.yaml:2:14 data.path: the fashion-mnist dataset takes no path'],
    ['class names for Fashion-MNIST', 'name: t\ndata: {classes: [a, b]}\n', 'x.yaml:2:17 data.classes: the fashion-mnist dataset takes no classes'],
    ['more training images than Fashion-MNIST has', 'name: t\ndata: {trainLimit: 70000}\n', 'x.yaml:2:20 data.trainLimit: must be at most 60000'],
    ['a class named twice', 'name: t\ndata: {dataset: idx, path: d, classes: [a, b, a]}\n', 'x.yaml:2:47 data.classes[2]: "a" is named twice'],
    ['one class', 'name: t\ndata: {dataset: idx, path: d, classes: [a]}\n', 'x.yaml:2:40 data.classes: must name at least two classes'],
    ['a checksum that is none', 'name: t\ndata: {dataset: idx, path: d, sha256: abc}\n', 'x.yaml:2:39 data.sha256: must be a SHA-256: 64 lower-case hex digits'],
  ])('rejects %s', (_what, text, message) => {
    expect(() => parseSpec(text, 'x.yaml')).toThrow(SpecError);
    expect(() => parseSpec(text, 'x.yaml')).toThrow(message);
  });

  it("writes Fashion-MNIST's data settings as its trials always recorded them, named or not, and keeps an IDX dataset's keys", () => {
    const fashion = { validationSplit: 0.2, trainLimit: 60000, testLimit: 500 };
    expect(parseSpec('name: t\ndata: {validationSplit: 0.2, testLimit: 500}\n', 'x.yaml').data).toEqual(fashion);
    expect(parseSpec('name: t\ndata: {dataset: fashion-mnist, validationSplit: 0.2, testLimit: 500}\n', 'x.yaml').data).toEqual(fashion);
    expect(parseSpec('name: t\ndata: {dataset: idx, path: ./digits, classes: [a, b], trainLimit: 90000}\n', 'x.yaml').data)
      .toEqual({ dataset: 'idx', path: './digits', classes: ['a', 'b'], validationSplit: 0.1, trainLimit: 90000 });
  });

  it('refuses a YAML alias bomb instead of expanding it', () => {
    const bomb = ['name: t', 'a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    expect(() => parseSpec(bomb.join('\n'), 'bomb.yaml')).toThrow(/bomb\.yaml:1:1 invalid YAML: .*alias/i);
  });

  it('names a missing spec file', () => {
    expect(() => loadSpec('sweeps/none.yaml')).toThrow('sweeps/none.yaml: cannot read the spec (no such file)');
  });

  it('reads a spec file from disk', () => {
    const dir = tempDir('sweep-spec-');
    writeFileSync(join(dir, 's.yaml'), VALID);
    const { spec, text } = loadSpec(join(dir, 's.yaml'));
    expect(text).toBe(VALID);
    expect(spec.grid.dropout).toEqual([0, 0.2]);
  });
});
