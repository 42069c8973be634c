import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INFO } from '../../src/data/fashion-mnist.js';
import { openIdxFolder } from '../../src/data/idx-folder.js';
import { UserError } from '../../src/errors.js';
import { expandGrid } from '../../src/search/grid.js';
import { loadSpec, parseSpec } from '../../src/spec/load-spec.js';
import { resolveSpec } from '../../src/sweep/resolve-spec.js';
import { writeIdxDataset } from '../data/idx-files.js';
import { tempDir } from '../temp-dir.js';

const GRID = 'grid:\n  epochs: [2]\n  dropout: [0.0, 0.2]\n';
const idxSpec = (data = '') => parseSpec(`name: s\nseed: 1\ndata: {dataset: idx, path: ./digits${data}}\n${GRID}`, 's.yaml');
const ids = (spec: ReturnType<typeof parseSpec>) => expandGrid(spec).map((t) => t.configId);

/** The expectation on what `fn` throws, once it is known to be a user's error. */
function refused(fn: () => unknown) {
  expect(fn).toThrow(UserError);
  return expect(fn);
}

describe('resolveSpec', () => {
  it("leaves Fashion-MNIST's settings, and so its config ids, as they were", () => {
    const { spec } = loadSpec('sweeps/dropout.yaml');
    const resolved = resolveSpec(spec, INFO, 'dropout.yaml');
    expect(resolved.data).toEqual({ validationSplit: 0.1, trainLimit: 60000, testLimit: 10000 });
    expect(ids(resolved).slice(0, 2)).toEqual(['f5de340046ec4e61', 'a8a9ed9aee301e64']);
  });

  it("completes an IDX dataset's settings from the data: all its images by default, its classes, checksum and folder", async () => {
    const dir = writeIdxDataset(join(tempDir(), 'digits'));
    const data = await openIdxFolder(dir);
    expect(resolveSpec(idxSpec(), data, 's.yaml').data).toEqual({
      dataset: 'idx', path: dir, classes: ['0', '1', '2'], sha256: data.checksum, validationSplit: 0.1, trainLimit: 300, testLimit: 90,
    });
    expect(resolveSpec(idxSpec(', trainLimit: 100'), data, 's.yaml').data).toMatchObject({ trainLimit: 100, testLimit: 90 });
  });

  it('names the same grid on other data other trials, but the same data at another path the same ones', async () => {
    const root = tempDir();
    const dir = writeIdxDataset(join(root, 'digits'));
    cpSync(dir, join(root, 'moved'), { recursive: true });
    const data = await openIdxFolder(dir);
    const onIdx = ids(resolveSpec(idxSpec(), data, 's.yaml'));
    const fashion = ids(resolveSpec(parseSpec(`name: s\nseed: 1\n${GRID}`, 's.yaml'), INFO, 's.yaml'));
    expect(onIdx).toHaveLength(2);
    expect(onIdx.filter((id) => fashion.includes(id))).toEqual([]);
    expect(ids(resolveSpec(idxSpec(), await openIdxFolder(join(root, 'moved')), 's.yaml'))).toEqual(onIdx);
    const other = await openIdxFolder(writeIdxDataset(join(root, 'other'), { seed: 9 }));
    expect(ids(resolveSpec(idxSpec(), other, 's.yaml')).filter((id) => onIdx.includes(id))).toEqual([]);
    const named = await openIdxFolder(dir, ['row', 'column', 'diagonal']);
    expect(ids(resolveSpec(idxSpec(', classes: [row, column, diagonal]'), named, 's.yaml')).filter((id) => onIdx.includes(id))).toEqual([]);
  });

  it("bounds the limits by the data's real sizes, and refuses a split that leaves nothing to train on", async () => {
    const data = await openIdxFolder(writeIdxDataset(join(tempDir(), 'digits')));
    refused(() => resolveSpec(idxSpec(', trainLimit: 60000'), data, 's.yaml'))
      .toThrow(/^s\.yaml: data\.trainLimit is 60000, more than the 300 training images of IDX data in \S+digits$/);
    refused(() => resolveSpec(idxSpec(', testLimit: 91'), data, 's.yaml'))
      .toThrow(/^s\.yaml: data\.testLimit is 91, more than the 90 test images of IDX data in \S+digits$/);
    refused(() => resolveSpec(idxSpec(', trainLimit: 1'), data, 's.yaml'))
      .toThrow('s.yaml: data.trainLimit 1 leaves no training images after the validation split');
  });

  it("refuses, before any trial, a CNN whose pooling shrinks the data's images away", async () => {
    const data = await openIdxFolder(writeIdxDataset(join(tempDir(), 'digits')));
    const cnn = (model: string) => parseSpec(`name: s\ndata: {dataset: idx, path: ./digits}\ngrid:\n  model:\n    cnn: {${model}}\n`, 's.yaml');
    // 8 → 4 → 2 → 1: a fourth block has nothing left to pool.
    refused(() => resolveSpec(cnn('filters: [[4, 4, 4], [4, 4, 4, 4]]'), data, 's.yaml')).toThrow(
      "s.yaml: filters [4, 4, 4, 4] with pooling max do not fit the 8×8 images of IDX data in " +
      `${data.label.replace('IDX data in ', '')}: the CNN's conv block 4 has a 1×1 input: too small to pool; use fewer conv layers or pooling: none`);
    expect(resolveSpec(cnn('filters: [[4, 4, 4], [4, 4, 4, 4]], pooling: [none]'), data, 's.yaml').data.dataset).toBe('idx');
    expect(resolveSpec(cnn('filters: [[4, 4, 4]]'), data, 's.yaml').data.dataset).toBe('idx');
    // Filters listed with probabilities (random search) are checked as a list is.
    const random = (model: string) => parseSpec(`name: s\ndata: {dataset: idx, path: ./digits}\nsearch: {method: random, trials: 4}\ngrid:\n  model:\n    cnn: {${model}}\n`, 's.yaml');
    refused(() => resolveSpec(random('filters: {values: [[4, 4, 4], [4, 4, 4, 4]], probabilities: [0.5, 0.5]}'), data, 's.yaml'))
      .toThrow(/^s\.yaml: filters \[4, 4, 4, 4\] with pooling max do not fit the 8×8 images/);
    // Under pooling's choices, only the combinations the grid has: four convs without pooling fit, with max they do not.
    expect(resolveSpec(cnn('pooling: {none: {filters: [[4, 4, 4, 4]]}, max: {filters: [[4, 4, 4]]}}'), data, 's.yaml').data.dataset).toBe('idx');
    refused(() => resolveSpec(cnn('pooling: {none: {filters: [[4]]}, max: {filters: [[4, 4, 4, 4]]}}'), data, 's.yaml'))
      .toThrow(/^s\.yaml: filters \[4, 4, 4, 4\] with pooling max do not fit the 8×8 images/);
  });
});
