import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { openIdxFolder } from '../../src/data/idx-folder.js';
import { UserError } from '../../src/errors.js';
import { tempDir } from '../temp-dir.js';
import { TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS, idx, synthetic, writeIdxDataset, type IdxDatasetOptions } from './idx-files.js';

const tmp = () => tempDir('sweep-idx-');
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function refusal(dir: string, classes?: string[]): Promise<string> {
  const err = await openIdxFolder(dir, classes).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(UserError);
  const { message } = err as UserError;
  expect(message).not.toContain('\n');
  return message;
}

describe('openIdxFolder', () => {
  it('opens the four files, gzipped or not, into SharedArrayBuffers, its classes named by label', async () => {
    const dir = writeIdxDataset(join(tmp(), 'digits'), { train: 30, test: 12, side: 6, classes: 3, gzip: [TRAIN_IMAGES, TEST_LABELS] });
    const d = await openIdxFolder(dir);
    expect(d).toMatchObject({ name: 'idx', shape: [6, 6, 1], classes: ['0', '1', '2'], counts: { train: 30, test: 12 } });
    const train = synthetic(30, 6, 3, 1);
    expect(d.train).toEqual({ images: new Uint8Array(train.images), labels: new Uint8Array(train.labels), count: 30 });
    for (const a of [d.train.images, d.train.labels, d.test.images, d.test.labels]) {
      expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect([a.byteOffset, a.buffer.byteLength]).toEqual([0, a.length]);
    }
    // Every file's digest is over its decompressed bytes, and the checksum over the four in order.
    const test = synthetic(12, 6, 3, 2);
    const digests = [idx([30, 6, 6], train.images), idx([30], train.labels), idx([12, 6, 6], test.images), idx([12], test.labels)].map(sha256);
    expect(Object.values(d.files)).toEqual(digests);
    expect(d.checksum).toBe(createHash('sha256').update(digests.join('\n')).digest('hex'));
    expect(d.identity).toEqual({ dataset: 'idx', path: dir, classes: ['0', '1', '2'], sha256: d.checksum });
  });

  it('has one checksum for the same contents, however gzipped and wherever they lie, and another for other contents', async () => {
    const options: IdxDatasetOptions = { train: 20, test: 10 };
    const a = await openIdxFolder(writeIdxDataset(tmp(), options));
    const b = await openIdxFolder(writeIdxDataset(tmp(), { ...options, gzip: [TRAIN_LABELS, TEST_IMAGES, TEST_LABELS] }));
    const c = await openIdxFolder(writeIdxDataset(tmp(), { ...options, seed: 2 }));
    expect(b.checksum).toBe(a.checksum);
    expect(c.checksum).not.toBe(a.checksum);
  });

  it('takes class names, for labels below their number', async () => {
    const d = await openIdxFolder(writeIdxDataset(tmp(), { classes: 2 }), ['shirt', 'shoe', 'bag']);
    expect(d.classes).toEqual(['shirt', 'shoe', 'bag']);
    expect(d.identity.classes).toEqual(['shirt', 'shoe', 'bag']);
  });

  const bad = (count: number, side: number) => idx([count, side, side], new Uint8Array(count * side * side));
  it.each<[string, IdxDatasetOptions, RegExp, string[]?]>([
    ['a missing file', { replace: { [TRAIN_LABELS]: null } },
      /^\S*train-labels-idx1-ubyte: missing \(looked for train-labels-idx1-ubyte and train-labels-idx1-ubyte\.gz in \/\S+\)$/],
    ['a wrong magic number', { replace: { [TEST_IMAGES]: idx([90, 8, 8], new Uint8Array(90 * 64), 0x00000d03) } },
      /^\S*t10k-images-idx3-ubyte\.gz: bad magic number 0x00000d03: not an IDX file of unsigned bytes \(expected 0x00000803\)$/],
    ['images of rank 4', { replace: { [TRAIN_IMAGES]: idx([300, 8, 8, 1], new Uint8Array(300 * 64)) } },
      /^\S*train-images-idx3-ubyte\.gz: wrong rank: expected 3 dimension\(s\), got 4/],
    ['a truncated file', { replace: { [TRAIN_LABELS]: idx([300], new Uint8Array(300)).subarray(0, 200) } },
      /^\S*train-labels-idx1-ubyte: truncated IDX file: expected 308 bytes, got 200$/],
    ['images and labels of different counts', { replace: { [TRAIN_LABELS]: idx([299], new Uint8Array(299)) } },
      /^\S*train-labels-idx1-ubyte: 299 labels for the 300 images of \S*train-images-idx3-ubyte\.gz$/],
    ['a label out of range', { classes: 3 },
      /^\S*train-labels-idx1-ubyte: label 2 \(image 2\) is out of range: data\.classes names 2 classes, labels 0-1$/, ['cat', 'dog']],
    ['train and test images of different shapes', { replace: { [TEST_IMAGES]: bad(90, 10) } },
      /^\S*t10k-images-idx3-ubyte\.gz: its images are 10×10, but the training images \(\S*train-images-idx3-ubyte\.gz\) are 8×8$/],
    ['images too small for the models', { side: 3 },
      /^\S*train-images-idx3-ubyte\.gz: its images are 3×3, too small: the models take images of at least 4×4$/],
    ['one class only', { replace: { [TRAIN_LABELS]: idx([300], new Uint8Array(300)), [TEST_LABELS]: idx([90], new Uint8Array(90)) } },
      /^\S*train-labels-idx1-ubyte: every label is 0: a classifier needs at least two classes$/],
    ['no images', { replace: { [TEST_IMAGES]: bad(0, 8), [TEST_LABELS]: idx([0], []) } },
      /^\S*t10k-images-idx3-ubyte\.gz: holds no images$/],
  ])('refuses %s in one line naming the file', async (_what, options, message, classes) => {
    expect(await refusal(writeIdxDataset(tmp(), options), classes)).toMatch(message);
  });

  it('refuses corrupt gzip data, a file both gzipped and not, and a folder that is not there, each in one line', async () => {
    const corrupt = writeIdxDataset(tmp(), { replace: { [TRAIN_IMAGES]: null } });
    const gz = gzipSync(idx([300, 8, 8], new Uint8Array(300 * 64)));
    writeFileSync(join(corrupt, `${TRAIN_IMAGES}.gz`), gz.subarray(0, gz.length - 6));
    expect(await refusal(corrupt)).toMatch(/train-images-idx3-ubyte\.gz: corrupt or truncated gzip data/);

    const both = writeIdxDataset(tmp());
    writeFileSync(join(both, TRAIN_IMAGES), idx([300, 8, 8], new Uint8Array(300 * 64)));
    expect(await refusal(both)).toMatch(/: holds both train-images-idx3-ubyte and train-images-idx3-ubyte\.gz; keep one$/);

    expect(await refusal(join(tmp(), 'nowhere'))).toMatch(/nowhere: no such folder \(data\.path: the folder of the four IDX files\)$/);
    const file = join(tmp(), 'a-file');
    writeFileSync(file, '');
    expect(await refusal(file)).toMatch(/a-file: not a folder/);
  });
});
