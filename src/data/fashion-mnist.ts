import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gunzip as gunzipCb } from 'node:zlib';
import { UserError } from '../errors.js';
import { parseIdx } from './idx.js';

const gunzip = promisify(gunzipCb);

export const TRAIN_IMAGES = 'train-images-idx3-ubyte.gz';
export const TRAIN_LABELS = 'train-labels-idx1-ubyte.gz';
export const TEST_IMAGES = 't10k-images-idx3-ubyte.gz';
export const TEST_LABELS = 't10k-labels-idx1-ubyte.gz';

export const FILE_NAMES = [TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS] as const;
export type FashionMnistFile = (typeof FILE_NAMES)[number];

/**
 * SHA-256 of each file's decompressed bytes. We pin the content rather than the .gz bytes because
 * repackagers (Debian) recompress the files, which changes the archive but not the data.
 */
export const SHA256: Readonly<Record<FashionMnistFile, string>> = {
  [TRAIN_IMAGES]: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
  [TRAIN_LABELS]: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
  [TEST_IMAGES]: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
  [TEST_LABELS]: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
};

/** Label i names class CLASS_NAMES[i]. */
export const CLASS_NAMES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

export const IMAGE_ROWS = 28;
export const IMAGE_COLS = 28;

export const DEFAULT_BASE_URL = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com';
export const SYSTEM_DIR = '/usr/share/datasets/fashion-mnist';
/** The copy shipped with the package: src/data/ and dist/data/ are both two levels below the root. */
export const VENDORED_DIR = fileURLToPath(new URL('../../data/fashion-mnist', import.meta.url));

export type DataSource = 'explicit' | 'vendored' | 'system' | 'download';

export interface DataOptions {
  /** From `--data DIR`; wins over FASHION_MNIST_DIR. */
  dir?: string;
  /** Environment to read FASHION_MNIST_DIR, FASHION_MNIST_URL and XDG_CACHE_HOME from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Override the vendored candidate; null skips it (tests use this to force a download). */
  vendoredDir?: string | null;
  /** Override the system-wide candidate; null skips it. */
  systemDir?: string | null;
  /** Where the official files are fetched from (default FASHION_MNIST_URL, else DEFAULT_BASE_URL). */
  baseUrl?: string;
  /** Where downloads are kept (default $XDG_CACHE_HOME/sweep/fashion-mnist, else ~/.cache/sweep/fashion-mnist). */
  cacheDir?: string;
  /** Progress messages for the slow path (downloads). */
  log?: (message: string) => void;
}

export interface ResolvedDataDir {
  source: DataSource;
  dir: string;
}

export interface Split {
  /** count x 28 x 28 pixels, 0-255, row-major; backed by a SharedArrayBuffer. */
  images: Uint8Array;
  /** count labels, 0-9 (see CLASS_NAMES); backed by a SharedArrayBuffer. */
  labels: Uint8Array;
  count: number;
}

export interface FashionMnist extends ResolvedDataDir {
  train: Split;
  test: Split;
  /** Verified digest of each file's decompressed bytes. */
  sha256: Record<FashionMnistFile, string>;
}

/** Paths under the working directory read better relative, like the user probably typed them. */
function display(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // fetch() reports every network failure as "fetch failed"; the useful part is in `cause`.
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

async function missingFiles(dir: string): Promise<FashionMnistFile[]> {
  const present = await Promise.all(FILE_NAMES.map((f) => isFile(path.join(dir, f))));
  return FILE_NAMES.filter((_, i) => !present[i]);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** The download cache, following the XDG base directory spec (which says to ignore a relative XDG_CACHE_HOME). */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = nonEmpty(env.XDG_CACHE_HOME);
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(homedir(), '.cache');
  return path.join(base, 'sweep', 'fashion-mnist');
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function gunzipFile(gz: Uint8Array, file: string): Promise<Buffer> {
  try {
    return await gunzip(gz);
  } catch (err) {
    throw new UserError(`${file}: corrupt or truncated gzip data (${errorText(err)})`);
  }
}

function checkDigest(bytes: Uint8Array, name: FashionMnistFile, file: string): string {
  const actual = sha256(bytes);
  if (actual !== SHA256[name]) {
    throw new UserError(
      `${file}: file is corrupt: SHA-256 of its decompressed contents is ${actual}, expected ${SHA256[name]}`,
    );
  }
  return actual;
}

async function download(name: FashionMnistFile, baseUrl: string, cacheDir: string, log?: (m: string) => void) {
  const url = `${baseUrl.replace(/\/+$/, '')}/${name}`;
  const hint = 'download the four Fashion-MNIST files yourself and pass --data DIR';
  log?.(`downloading ${url}`);
  let body: Uint8Array;
  try {
    const res = await fetch(url);
    if (!res.ok) {
      await res.body?.cancel();
      throw new UserError(`cannot download ${url}: HTTP ${res.status} ${res.statusText} (${hint})`);
    }
    body = new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`cannot download ${url}: ${errorText(err)} (${hint})`);
  }
  // Verify before anything touches the cache, so a bad response never looks like a cached file.
  checkDigest(await gunzipFile(body, url), name, url);
  const target = path.join(cacheDir, name);
  // Same directory as the target so the rename is atomic: readers see no file or the whole file.
  const temp = path.join(cacheDir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.part`);
  try {
    await writeFile(temp, body);
    await rename(temp, target);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw new UserError(`cannot save ${url} to ${display(target)}: ${errorText(err)}`);
  }
}

/**
 * Finds a directory holding all four files: explicit (--data / FASHION_MNIST_DIR), vendored, system, then
 * the download cache, fetching whatever it lacks. An explicit directory never falls back: the user chose it.
 */
export async function resolveDataDir(opts: DataOptions = {}): Promise<ResolvedDataDir> {
  const env = opts.env ?? process.env;
  const explicit = nonEmpty(opts.dir) ?? nonEmpty(env.FASHION_MNIST_DIR);
  if (explicit !== undefined) {
    const origin = nonEmpty(opts.dir) !== undefined ? '--data' : 'FASHION_MNIST_DIR';
    const dir = path.resolve(explicit);
    let isDir = false;
    try {
      isDir = (await stat(dir)).isDirectory();
    } catch {
      throw new UserError(`data directory ${explicit} (from ${origin}) does not exist`);
    }
    if (!isDir) throw new UserError(`data directory ${explicit} (from ${origin}) is not a directory`);
    const missing = await missingFiles(dir);
    if (missing.length > 0) {
      throw new UserError(`data directory ${explicit} (from ${origin}) lacks ${missing.join(', ')}`);
    }
    return { source: 'explicit', dir };
  }

  const candidates: [DataSource, string | null][] = [
    ['vendored', opts.vendoredDir === undefined ? VENDORED_DIR : opts.vendoredDir],
    ['system', opts.systemDir === undefined ? SYSTEM_DIR : opts.systemDir],
  ];
  for (const [source, dir] of candidates) {
    if (dir !== null && (await missingFiles(dir)).length === 0) return { source, dir: path.resolve(dir) };
  }

  const cacheDir = path.resolve(opts.cacheDir ?? defaultCacheDir(env));
  const missing = await missingFiles(cacheDir);
  if (missing.length > 0) {
    try {
      await mkdir(cacheDir, { recursive: true });
    } catch (err) {
      throw new UserError(`cannot create cache directory ${cacheDir}: ${errorText(err)}`);
    }
    const baseUrl = nonEmpty(opts.baseUrl) ?? nonEmpty(env.FASHION_MNIST_URL) ?? DEFAULT_BASE_URL;
    // One at a time: a failure then stops before fetching the rest, and the server sees one connection.
    for (const name of missing) await download(name, baseUrl, cacheDir, opts.log);
  }
  return { source: 'download', dir: cacheDir };
}

/** Reads, gunzips, verifies and parses one file into a SharedArrayBuffer sized exactly for its payload. */
async function loadFile(dir: string, name: FashionMnistFile, rank: 1 | 3) {
  const file = display(path.join(dir, name));
  let gz: Buffer;
  try {
    gz = await readFile(path.join(dir, name));
  } catch (err) {
    throw new UserError(`${file}: cannot read: ${errorText(err)}`);
  }
  const raw = await gunzipFile(gz, file);
  const digest = checkDigest(raw, name, file);
  const { dims, data } =
    rank === 3 ? parseIdx(raw, file, { rank, dims: [-1, IMAGE_ROWS, IMAGE_COLS] }) : parseIdx(raw, file, { rank });
  // Workers get the pixels by sharing this buffer; the payload alone, so `new Uint8Array(buffer)` is the data.
  const shared = new Uint8Array(new SharedArrayBuffer(data.length));
  shared.set(data);
  return { file, dims, data: shared, digest };
}

async function loadSplit(dir: string, imagesName: FashionMnistFile, labelsName: FashionMnistFile) {
  const [images, labels] = await Promise.all([loadFile(dir, imagesName, 3), loadFile(dir, labelsName, 1)]);
  const count = images.dims[0];
  if (labels.dims[0] !== count) {
    throw new UserError(`${images.file} holds ${count} images but ${labels.file} holds ${labels.dims[0]} labels`);
  }
  const bad = labels.data.findIndex((l) => l >= CLASS_NAMES.length);
  if (bad >= 0) {
    throw new UserError(`${labels.file}: label ${labels.data[bad]} at index ${bad} is out of range 0-9`);
  }
  return { split: { images: images.data, labels: labels.data, count }, digests: [images.digest, labels.digest] };
}

/**
 * Locates (see resolveDataDir), verifies and decodes Fashion-MNIST. The arrays are backed by
 * SharedArrayBuffers so the pool can hand them to worker threads without copying 55 MB per worker.
 */
export async function loadFashionMnist(opts: DataOptions = {}): Promise<FashionMnist> {
  const { source, dir } = await resolveDataDir(opts);
  const [train, test] = await Promise.all([
    loadSplit(dir, TRAIN_IMAGES, TRAIN_LABELS),
    loadSplit(dir, TEST_IMAGES, TEST_LABELS),
  ]);
  return {
    source,
    dir,
    train: train.split,
    test: test.split,
    sha256: {
      [TRAIN_IMAGES]: train.digests[0],
      [TRAIN_LABELS]: train.digests[1],
      [TEST_IMAGES]: test.digests[0],
      [TEST_LABELS]: test.digests[1],
    },
  };
}
