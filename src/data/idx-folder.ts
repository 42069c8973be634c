/**
 * Any IDX dataset in a folder (MNIST, KMNIST, EMNIST ship this way): the four files under their
 * standard names, each gzipped or not. Nothing is pinned, so every file is read, checked and hashed
 * on every open; the checksum is what names the data in config ids.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors.js';
import { contentChecksum, type Dataset, type DatasetKind, type Split } from './dataset.js';
import { display, errorText, gunzipFile } from './files.js';
import { parseIdx, type IdxArray } from './idx.js';

/** The four files, in the order the checksum takes them; each may also be gzipped, as `NAME.gz`. */
export const IDX_FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'] as const;

/** The smallest side an image may have: a 3×3 image leaves nothing to learn once convolved and pooled. */
export const MIN_SIDE = 4;

type Read = { file: string; array: IdxArray; sha256: string };

async function kindOf(p: string): Promise<'file' | 'dir' | null> {
  try {
    const s = await stat(p);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : null;
  } catch {
    return null;
  }
}

/** The file `name` or `name.gz` in `dir` (not both: which would the trials have used?). */
async function find(dir: string, name: string): Promise<string> {
  const [plain, gz] = [path.join(dir, name), path.join(dir, `${name}.gz`)];
  const [hasPlain, hasGz] = [await kindOf(plain) === 'file', await kindOf(gz) === 'file'];
  if (hasPlain && hasGz) throw new UserError(`${display(dir)}: holds both ${name} and ${name}.gz; keep one`);
  if (!hasPlain && !hasGz) throw new UserError(`${display(plain)}: missing (looked for ${name} and ${name}.gz in ${dir})`);
  return hasGz ? gz : plain;
}

/** Reads, inflates, hashes and parses one file: images are rank 3 (count × rows × columns), labels rank 1. */
async function readOne(dir: string, name: string): Promise<Read> {
  const found = await find(dir, name);
  const file = display(found);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(found);
  } catch (err) {
    throw new UserError(`${file}: cannot read: ${errorText(err)}`);
  }
  if (found.endsWith('.gz')) bytes = await gunzipFile(bytes, file);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { file, sha256, array: parseIdx(bytes, file, { rank: name.includes('images') ? 3 : 1 }) };
}

/** A copy of the bytes on a SharedArrayBuffer of their own, as the pool's workers share them. */
function shared(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(new SharedArrayBuffer(bytes.length));
  out.set(bytes);
  return out;
}

function split(images: Read, labels: Read): Split {
  const count = images.array.dims[0];
  if (labels.array.dims[0] !== count) {
    throw new UserError(`${labels.file}: ${labels.array.dims[0]} labels for the ${count} images of ${images.file}`);
  }
  if (count === 0) throw new UserError(`${images.file}: holds no images`);
  return { images: shared(images.array.data), labels: shared(labels.array.data), count };
}

/** The largest label of the splits, with the file and image that has it. */
function largestLabel(reads: readonly [Read, Split][]): { label: number; file: string; index: number } {
  let best = { label: -1, file: '', index: -1 };
  for (const [read, s] of reads) {
    for (let i = 0; i < s.count; i++) if (s.labels[i] > best.label) best = { label: s.labels[i], file: read.file, index: i };
  }
  return best;
}

/**
 * Opens the IDX dataset in `dir`. Its classes are `classes` where given (every label must be below
 * their number), else named by label: "0" … the largest label. Images are grayscale, so one channel.
 */
export async function openIdxFolder(dir: string, classes?: readonly string[]): Promise<Dataset> {
  const shown = display(dir);
  const what = await kindOf(dir);
  if (what !== 'dir') throw new UserError(`${shown}: ${what === null ? 'no such folder' : 'not a folder'} (data.path: the folder of the four IDX files)`);
  const reads = await Promise.all(IDX_FILES.map((name) => readOne(dir, name)));
  const [trainImages, trainLabels, testImages, testLabels] = reads;
  const train = split(trainImages, trainLabels);
  const test = split(testImages, testLabels);

  const [, rows, cols] = trainImages.array.dims;
  const [, testRows, testCols] = testImages.array.dims;
  if (testRows !== rows || testCols !== cols) {
    throw new UserError(`${testImages.file}: its images are ${testRows}×${testCols}, but the training images (${trainImages.file}) are ${rows}×${cols}`);
  }
  if (rows < MIN_SIDE || cols < MIN_SIDE) {
    throw new UserError(`${trainImages.file}: its images are ${rows}×${cols}, too small: the models take images of at least ${MIN_SIDE}×${MIN_SIDE}`);
  }

  const top = largestLabel([[trainLabels, train], [testLabels, test]]);
  if (classes && top.label >= classes.length) {
    throw new UserError(`${top.file}: label ${top.label} (image ${top.index}) is out of range: data.classes names ${classes.length} classes, labels 0-${classes.length - 1}`);
  }
  if (!classes && top.label < 1) {
    throw new UserError(`${trainLabels.file}: every label is 0: a classifier needs at least two classes`);
  }
  const names = classes ? [...classes] : Array.from({ length: top.label + 1 }, (_, i) => String(i));
  const checksum = contentChecksum([trainImages.sha256, trainLabels.sha256, testImages.sha256, testLabels.sha256]);
  return {
    name: 'idx',
    label: `IDX data in ${shown}`,
    shape: [rows, cols, 1],
    classes: names,
    counts: { train: train.count, test: test.count },
    checksum,
    identity: { dataset: 'idx', path: dir, classes: names, sha256: checksum },
    train,
    test,
    files: Object.fromEntries(IDX_FILES.map((name, i) => [name, reads[i].sha256])),
  };
}

/** IDX at a path, behind the dataset seam: `data: {dataset: idx, path: DIR, classes: [...]}`. */
export const idxFolder: DatasetKind = {
  name: 'idx',
  keys: { path: 'required', classes: true, sha256: true },
  open: (settings, options) => openIdxFolder(path.resolve(options.base ?? '.', settings.path!), settings.classes),
};
