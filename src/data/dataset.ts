/**
 * The dataset seam: what every dataset (Fashion-MNIST, an IDX folder, …) gives the rest of
 * `sweep`. Training, the worker pool, export, predict and the dashboard see only these types;
 * registry.ts finds an implementation by the name a spec's `data.dataset` gives.
 */
import { createHash } from 'node:crypto';
import type { DataSettings } from './settings.js';

/** One split's images and labels, as bytes on SharedArrayBuffers: worker threads read the same memory, uncopied. */
export type Split = {
  /** count × height × width × channels pixels, 0-255, row-major. */
  readonly images: Uint8Array;
  /** count labels, each an index into the dataset's classes. */
  readonly labels: Uint8Array;
  readonly count: number;
};

/** An image's [height, width, channels]: the model's input shape. */
export type ImageShape = readonly [height: number, width: number, channels: number];

/** What training needs of a dataset, and all of it that crosses to a worker thread (structured-cloned; the bytes shared). */
export type DatasetArrays = {
  readonly shape: ImageShape;
  /** Label i names class classes[i]; the model has one output per class. */
  readonly classes: readonly string[];
  readonly train: Split;
  readonly test: Split;
};

/**
 * The keys a trial's data settings carry to find and verify its dataset again (beside the split
 * keys). Config ids hash all of them but `path`, which says where the files lie, not what they are.
 * Fashion-MNIST has none: its trials' settings, and so their config ids, are what they were before
 * datasets were pluggable.
 */
export type DatasetIdentity = Pick<DataSettings, 'dataset' | 'path' | 'classes' | 'sha256'>;

/** A dataset as the spec's settings and config ids need it, without its images. */
export type DatasetInfo = {
  /** Its `data.dataset` name. */
  readonly name: string;
  /** How lines and errors name it: "Fashion-MNIST", "IDX data in my-data". */
  readonly label: string;
  readonly shape: ImageShape;
  readonly classes: readonly string[];
  readonly counts: { readonly train: number; readonly test: number };
  /** SHA-256 of its contents: see contentChecksum. */
  readonly checksum: string;
  readonly identity: DatasetIdentity;
};

/** An opened dataset: its info and its arrays. */
export type Dataset = DatasetInfo & DatasetArrays & {
  /** SHA-256 of each file's decompressed bytes, by file name: recorded in each trial's environment. */
  readonly files: Readonly<Record<string, string>>;
  /** Where it was found, where the label does not say: "vendored, /…/data/fashion-mnist". */
  readonly origin?: string;
};

/** Where to look, for the implementations that look somewhere. */
export type OpenOptions = {
  /** The folder a relative `data.path` is relative to: the spec file's. Default: the working directory. */
  readonly base?: string;
  /** Fashion-MNIST's folder (`--data DIR`); other datasets ignore it. */
  readonly dataDir?: string;
  /** Progress lines for slow paths (downloads). */
  readonly log?: (message: string) => void;
};

/** The `data` keys beside `dataset` and the split's that a spec may give a dataset. */
export type DatasetKeys = {
  /** Whether it is found by `data.path` (a folder), and whether the spec must give one. */
  readonly path?: 'required' | 'optional';
  /** Whether `data.classes` may name its classes. */
  readonly classes?: boolean;
  /** Whether `data.sha256` may pin its checksum, as its trials record it (Fashion-MNIST's files are pinned already). */
  readonly sha256?: boolean;
  /** Its sizes where they are fixed (Fashion-MNIST's): the spec's limits are checked against them, and are their defaults. */
  readonly sizes?: { readonly train: number; readonly test: number };
};

/**
 * One implementation of the seam. Every defect of the data (a missing file, a bad header, a label
 * out of range) is a one-line UserError naming the file and the problem, raised before anything
 * is recorded.
 */
export type DatasetKind = {
  readonly name: string;
  readonly keys: DatasetKeys;
  /** Opens the dataset the settings describe (a spec's `data`, a recorded trial's, an exported model's card's). */
  open(settings: DatasetIdentity, options: OpenOptions): Promise<Dataset>;
  /** Its info without its images, where that is cheaper than open (Fashion-MNIST's is pinned); default: open. */
  describe?(settings: DatasetIdentity, options: OpenOptions): Promise<DatasetInfo>;
};

/**
 * A dataset's checksum from its files' SHA-256s (each over a file's decompressed bytes), in the
 * order train images, train labels, test images, test labels: a digest of the contents that a
 * dataset whose digests are pinned (Fashion-MNIST) need not hash again.
 */
export function contentChecksum(digests: readonly [string, string, string, string]): string {
  return createHash('sha256').update(digests.join('\n')).digest('hex');
}

/** The data part of a dataset, alone: what the pool hands its workers (nothing else of it needs cloning). */
export function datasetArrays(d: DatasetArrays): DatasetArrays {
  return { shape: d.shape, classes: d.classes, train: d.train, test: d.test };
}

/** A dataset as log lines name it: its label, and where it was found. */
export function datasetLine(d: Dataset): string {
  return d.origin ? `${d.label} (${d.origin})` : d.label;
}
