/**
 * IDX files for tests, written as the MNIST family ships them: a small dataset of synthetic
 * classes a model tells apart at a glance, each file gzipped or not.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { IDX_FILES } from '../../src/data/idx-folder.js';

export type IdxFile = (typeof IDX_FILES)[number];
export const [TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS] = IDX_FILES;

/** An IDX file of unsigned bytes: the magic number (0x000008RR, RR the rank), the dimensions, the payload. */
export function idx(dims: readonly number[], payload: ArrayLike<number>, magic = 0x00000800 | dims.length): Uint8Array {
  const bytes = new Uint8Array(4 + 4 * dims.length + payload.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, magic);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  bytes.set(payload, 4 + 4 * dims.length);
  return bytes;
}

/** mulberry32: a seeded generator of floats in [0, 1), so the data is the same on every run. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` side×side images and their labels (image i is of class i % classes): class 0 a bright
 * row, class 1 a bright column, class 2 a bright diagonal, each at a seeded place over seeded noise.
 */
export function synthetic(count: number, side: number, classes: number, seed: number): { images: Uint8Array; labels: Uint8Array } {
  const next = generator(seed);
  const images = new Uint8Array(count * side * side);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % classes;
    labels[i] = label;
    const at = Math.floor(next() * side);
    for (let r = 0; r < side; r++) {
      for (let c = 0; c < side; c++) {
        const lit = label === 0 ? r === at : label === 1 ? c === at : (r + at) % side === c;
        images[i * side * side + r * side + c] = lit ? 200 + Math.floor(next() * 56) : Math.floor(next() * 60);
      }
    }
  }
  return { images, labels };
}

export type IdxDatasetOptions = {
  train?: number;
  test?: number;
  side?: number;
  /** How many classes, 2 or 3. */
  classes?: number;
  seed?: number;
  /** Which files are written gzipped (as NAME.gz); default: the two image files. */
  gzip?: readonly IdxFile[];
  /** Bytes to write instead of a file's (null: leave the file out). */
  replace?: Partial<Record<IdxFile, Uint8Array | null>>;
};

/** The four files of a synthetic IDX dataset in `dir` (made if need be); returns `dir`. */
export function writeIdxDataset(dir: string, o: IdxDatasetOptions = {}): string {
  const { train = 300, test = 90, side = 8, classes = 3, seed = 1, gzip = [TRAIN_IMAGES, TEST_IMAGES], replace = {} } = o;
  const [a, b] = [synthetic(train, side, classes, seed), synthetic(test, side, classes, seed + 1)];
  const contents: Record<IdxFile, Uint8Array> = {
    [TRAIN_IMAGES]: idx([train, side, side], a.images),
    [TRAIN_LABELS]: idx([train], a.labels),
    [TEST_IMAGES]: idx([test, side, side], b.images),
    [TEST_LABELS]: idx([test], b.labels),
  };
  mkdirSync(dir, { recursive: true });
  for (const name of IDX_FILES) {
    const bytes = name in replace ? replace[name] : contents[name];
    if (bytes === null || bytes === undefined) continue;
    if (gzip.includes(name)) writeFileSync(join(dir, `${name}.gz`), gzipSync(bytes));
    else writeFileSync(join(dir, name), bytes);
  }
  return dir;
}
