import { createHash, randomBytes } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { mkdir, open, readFile, realpath, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { UserError } from '../errors.js';
import { contentChecksum, type Dataset, type DatasetInfo, type DatasetKind, type ImageShape } from './dataset.js';
import { display, errorText, gunzipFile } from './files.js';

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

/** Its split sizes. */
export const TRAIN_IMAGES_COUNT = 60000;
export const TEST_IMAGES_COUNT = 10000;

export const IMAGE_ROWS = 28;
export const IMAGE_COLS = 28;

/** Each file's IDX dimensions. The digests pin them anyway; knowing them lets a load allocate before inflating. */
const DIMS: Readonly<Record<FashionMnistFile, readonly number[]>> = {
  [TRAIN_IMAGES]: [TRAIN_IMAGES_COUNT, IMAGE_ROWS, IMAGE_COLS],
  [TRAIN_LABELS]: [TRAIN_IMAGES_COUNT],
  [TEST_IMAGES]: [TEST_IMAGES_COUNT, IMAGE_ROWS, IMAGE_COLS],
  [TEST_LABELS]: [TEST_IMAGES_COUNT],
};

/** In the cache directory: which files (by real path and stat) have already matched their digest. */
export const VERIFIED_RECORD = 'verified.json';

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
  /**
   * Where downloads and the record of verified files (VERIFIED_RECORD) are kept
   * (default $XDG_CACHE_HOME/sweep/fashion-mnist, else ~/.cache/sweep/fashion-mnist).
   */
  cacheDir?: string;
  /** Progress messages for the slow path (downloads). */
  log?: (message: string) => void;
}

export interface ResolvedDataDir {
  source: DataSource;
  dir: string;
}

/** Fashion-MNIST opened: where its files were found, and the dataset. */
export type FashionMnist = ResolvedDataDir & Dataset;

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

function cacheDirOf(opts: DataOptions): string {
  return path.resolve(opts.cacheDir ?? defaultCacheDir(opts.env ?? process.env));
}

/** A temporary name beside `name`, so that renaming it over `name` is atomic: readers see the old file or the new one. */
function partPath(dir: string, name: string): string {
  return path.join(dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.part`);
}

function checkDigest(actual: string, name: FashionMnistFile, file: string): void {
  if (actual !== SHA256[name]) {
    throw new UserError(
      `${file}: file is corrupt: SHA-256 of its decompressed contents is ${actual}, expected ${SHA256[name]}`,
    );
  }
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
  checkDigest(createHash('sha256').update(await gunzipFile(body, url)).digest('hex'), name, url);
  const target = path.join(cacheDir, name);
  const temp = partPath(cacheDir, name);
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

  const cacheDir = cacheDirOf(opts);
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

/** Real path of a file -> the stat key it had when its decompressed bytes matched `sha256`. */
type VerifiedRecord = Record<string, { stat?: unknown; sha256?: unknown } | undefined>;

/**
 * Identifies one version of a file. ctime, which no one can set back (unlike mtime: touch -d, cp -p, tar),
 * changes with every write; the inode changes when a file is replaced by a new one.
 */
function statKey(s: BigIntStats): string {
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
}

async function readVerified(cacheDir: string): Promise<VerifiedRecord> {
  try {
    const record: unknown = JSON.parse(await readFile(path.join(cacheDir, VERIFIED_RECORD), 'utf8'));
    return record !== null && typeof record === 'object' ? (record as VerifiedRecord) : {};
  } catch {
    return {}; // none yet, unreadable or damaged: every file is simply hashed again
  }
}

/** Best effort: a record that cannot be written (read-only home, full disk) only costs the next load the hashing. */
async function writeVerified(cacheDir: string, record: VerifiedRecord): Promise<void> {
  const temp = partPath(cacheDir, VERIFIED_RECORD);
  try {
    // Entries for files that are gone (temporary copies) would otherwise pile up.
    const live = await Promise.all(Object.keys(record).map(isFile));
    const kept = Object.fromEntries(Object.entries(record).filter((_, i) => live[i]));
    await mkdir(cacheDir, { recursive: true });
    await writeFile(temp, JSON.stringify(kept));
    await rename(temp, path.join(cacheDir, VERIFIED_RECORD));
  } catch {
    await unlink(temp).catch(() => {});
  }
}

/** Files whose decompressed bytes this process has hashed: how tests tell a verified-record hit from a miss. */
export let filesHashed = 0;

/**
 * Inflates one file straight into a SharedArrayBuffer holding just its payload (gunzip's whole 47 MB result and
 * its copy doubled the load time), and verifies it: by its digest, unless `record` vouches for this version of it.
 * Returns, when it was hashed, the entry to add to the record.
 */
async function loadFile(dir: string, name: FashionMnistFile, record: VerifiedRecord) {
  const file = display(path.join(dir, name));
  let real: string;
  let key: string;
  let gz: Buffer;
  try {
    real = await realpath(path.join(dir, name));
    const handle = await open(real);
    try {
      // Stat before reading: if the file changes after this, its key changes too, and the next load hashes it again.
      key = statKey(await handle.stat({ bigint: true }));
      gz = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw new UserError(`${file}: cannot read: ${errorText(err)}`);
  }
  // Trusted or not, every byte still passes gzip's own CRC-32 on the way.
  const known = record[real]?.stat === key && record[real]?.sha256 === SHA256[name];
  const hash = known ? undefined : createHash('sha256');
  const dims = DIMS[name];
  // The header is skipped, not parsed: the digest pins it along with the rest.
  const headerBytes = 4 + 4 * dims.length;
  // Workers get the pixels by sharing this buffer; the payload alone, so `new Uint8Array(buffer)` is the data.
  const data = new Uint8Array(new SharedArrayBuffer(dims.reduce((a, b) => a * b)));
  let got = 0;
  // 256 KiB chunks: with the default 16 KiB, 3,400 trips through the stream made a load 1.4x slower.
  const inflater = createGunzip({ chunkSize: 1 << 18 });
  inflater.end(gz);
  try {
    for await (const chunk of inflater as AsyncIterable<Buffer>) {
      hash?.update(chunk);
      const end = got + chunk.length;
      if (end > headerBytes && end <= headerBytes + data.length) {
        data.set(chunk.subarray(Math.max(0, headerBytes - got)), Math.max(0, got - headerBytes));
      }
      got = end;
    }
  } catch (err) {
    throw new UserError(`${file}: corrupt or truncated gzip data (${errorText(err)})`);
  }
  if (hash) {
    filesHashed++;
    checkDigest(hash.digest('hex'), name, file);
  } else if (got !== headerBytes + data.length) {
    // Only a record that lied gets here: a hashed file of the wrong length has failed its digest already.
    throw new UserError(`${file}: file is corrupt: ${got} bytes decompressed, expected ${headerBytes + data.length}`);
  }
  return { data, verified: hash ? ([real, { stat: key, sha256: SHA256[name] }] as const) : undefined };
}

export const IMAGE_SHAPE: ImageShape = [IMAGE_ROWS, IMAGE_COLS, 1];

/** What Fashion-MNIST is, known without opening it: its files are pinned. */
export const INFO: DatasetInfo = {
  name: 'fashion-mnist',
  label: 'Fashion-MNIST',
  shape: IMAGE_SHAPE,
  classes: CLASS_NAMES,
  counts: { train: TRAIN_IMAGES_COUNT, test: TEST_IMAGES_COUNT },
  checksum: contentChecksum([SHA256[TRAIN_IMAGES], SHA256[TRAIN_LABELS], SHA256[TEST_IMAGES], SHA256[TEST_LABELS]]),
  // None: its trials' data settings, and config ids, are those recorded before there were other datasets.
  identity: {},
};

/**
 * Locates (see resolveDataDir), verifies and decodes Fashion-MNIST. The arrays are backed by
 * SharedArrayBuffers so the pool can hand them to worker threads without copying 55 MB per worker.
 * A file's digest is computed once per version of it and then trusted from the cache directory's record.
 */
export async function loadFashionMnist(opts: DataOptions = {}): Promise<FashionMnist> {
  const { source, dir } = await resolveDataDir(opts);
  const cacheDir = cacheDirOf(opts);
  const record = await readVerified(cacheDir);
  const files = await Promise.all(FILE_NAMES.map((name) => loadFile(dir, name, record)));
  const fresh = files.flatMap((f) => (f.verified ? [f.verified] : []));
  if (fresh.length > 0) await writeVerified(cacheDir, { ...record, ...Object.fromEntries(fresh) });
  const [trainImages, trainLabels, testImages, testLabels] = files.map((f) => f.data);
  return {
    ...INFO,
    origin: `${source}, ${dir}`,
    source,
    dir,
    train: { images: trainImages, labels: trainLabels, count: TRAIN_IMAGES_COUNT },
    test: { images: testImages, labels: testLabels, count: TEST_IMAGES_COUNT },
    // Every file matched its digest, this time or in the version the record vouched for.
    files: { ...SHA256 },
  };
}

/** Fashion-MNIST behind the dataset seam: found by --data DIR (or as resolveDataDir finds it), never by a spec's path. */
export const fashionMnist: DatasetKind = {
  name: INFO.name,
  keys: { sizes: INFO.counts },
  open: (_settings, options) => loadFashionMnist({ dir: options.dataDir, log: options.log }),
  describe: async () => INFO,
};
