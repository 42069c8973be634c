import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, readdir, stat, symlink, utimes, writeFile, mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  CLASS_NAMES,
  FILE_NAMES,
  SHA256,
  TEST_LABELS,
  TRAIN_LABELS,
  VENDORED_DIR,
  VERIFIED_RECORD,
  defaultCacheDir,
  filesHashed,
  loadFashionMnist,
  resolveDataDir,
  type DataOptions,
  type FashionMnistFile,
} from '../../src/data/fashion-mnist.js';
import { UserError } from '../../src/errors.js';
import { tempDir } from '../temp-dir.js';

const tmp = tempDir('sweep-data-');

let dirCount = 0;
/** A fresh directory holding symlinks to the vendored files, except those given as replacement bytes. */
async function dataDir(replace: Partial<Record<FashionMnistFile, Uint8Array | null>> = {}): Promise<string> {
  const dir = path.join(tmp, `data-${dirCount++}`);
  await mkdir(dir);
  for (const name of FILE_NAMES) {
    const bytes = replace[name];
    if (bytes === null) continue;
    if (bytes) await writeFile(path.join(dir, name), bytes);
    else await symlink(path.join(VENDORED_DIR, name), path.join(dir, name));
  }
  return dir;
}

/**
 * Options that ignore the caller's environment, so a developer's FASHION_MNIST_DIR cannot change results,
 * and keep the record of verified files out of the real home directory.
 */
const hermetic = (more: DataOptions = {}): DataOptions => ({ env: {}, cacheDir: path.join(tmp, 'cache'), ...more });

async function userError(p: Promise<unknown>): Promise<UserError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  return err as UserError;
}

describe('loadFashionMnist on the vendored data', () => {
  it('loads both splits into SharedArrayBuffers', async () => {
    const data = await loadFashionMnist(hermetic());
    expect(data.source).toBe('vendored');
    expect(data.dir).toBe(VENDORED_DIR);
    expect(data.files).toEqual(SHA256);

    for (const [split, count] of [
      [data.train, 60000],
      [data.test, 10000],
    ] as const) {
      expect(split.count).toBe(count);
      expect(split.images.length).toBe(count * 28 * 28);
      expect(split.labels.length).toBe(count);
      // Exactly the payload, at offset 0, so a worker can wrap the buffer itself.
      for (const arr of [split.images, split.labels]) {
        expect(arr.buffer).toBeInstanceOf(SharedArrayBuffer);
        expect(arr.byteOffset).toBe(0);
        expect(arr.buffer.byteLength).toBe(arr.length);
      }
      const perClass = new Array(10).fill(0);
      for (const l of split.labels) perClass[l]++;
      expect(perClass).toEqual(new Array(10).fill(count / 10));
      let min = 255;
      let max = 0;
      for (const p of split.images) {
        if (p < min) min = p;
        if (p > max) max = p;
      }
      expect([min, max]).toEqual([0, 255]);
    }
    expect(CLASS_NAMES[data.train.labels[0]]).toBe('Ankle boot');
    expect(data.train.labels[0]).toBe(9);
    expect(data.test.labels[0]).toBe(9);
  });
});

describe('resolveDataDir', () => {
  it('prefers an explicit --data directory', async () => {
    const dir = await dataDir();
    expect(await resolveDataDir(hermetic({ dir }))).toEqual({ source: 'explicit', dir });
  });

  it('reads FASHION_MNIST_DIR, but --data wins over it', async () => {
    const dir = await dataDir();
    expect(await resolveDataDir({ env: { FASHION_MNIST_DIR: dir } })).toEqual({ source: 'explicit', dir });
    const other = await dataDir();
    expect(await resolveDataDir({ dir: other, env: { FASHION_MNIST_DIR: dir } })).toEqual({ source: 'explicit', dir: other });
  });

  it('uses process.env by default', async () => {
    const dir = await dataDir();
    const saved = process.env.FASHION_MNIST_DIR;
    process.env.FASHION_MNIST_DIR = dir;
    try {
      expect(await resolveDataDir()).toEqual({ source: 'explicit', dir });
    } finally {
      if (saved === undefined) delete process.env.FASHION_MNIST_DIR;
      else process.env.FASHION_MNIST_DIR = saved;
    }
  });

  it.each([
    ['--data', (dir: string) => ({ dir })],
    ['FASHION_MNIST_DIR', (dir: string) => ({ env: { FASHION_MNIST_DIR: dir } })],
  ])('rejects an explicit directory (%s) that lacks a file, without falling back', async (origin, opts) => {
    const dir = await dataDir({ [TEST_LABELS]: null });
    const err = await userError(resolveDataDir({ env: {}, ...opts(dir) }));
    expect(err.message).toContain(dir);
    expect(err.message).toContain(origin);
    expect(err.message).toContain(`lacks ${TEST_LABELS}`);
  });

  it('rejects an explicit directory that does not exist', async () => {
    const err = await userError(resolveDataDir(hermetic({ dir: path.join(tmp, 'nope') })));
    expect(err.message).toContain('does not exist');
  });

  it('falls through an incomplete vendored copy to the system directory', async () => {
    const incomplete = await dataDir({ [TRAIN_LABELS]: null });
    const system = await dataDir();
    expect(await resolveDataDir(hermetic({ vendoredDir: incomplete, systemDir: system }))).toEqual({
      source: 'system',
      dir: system,
    });
  });

  it('puts the cache under XDG_CACHE_HOME, else ~/.cache', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/sweep/fashion-mnist');
    expect(defaultCacheDir({})).toBe(path.join(homedir(), '.cache/sweep/fashion-mnist'));
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'relative' })).toBe(path.join(homedir(), '.cache/sweep/fashion-mnist'));
  });
});

describe('loadFashionMnist on damaged files', () => {
  it('rejects a file whose contents do not match the checksum, naming it', async () => {
    const raw = gunzipSync(await readFile(path.join(VENDORED_DIR, TEST_LABELS)));
    raw[8 + 123] ^= 1; // one label flipped: still a well-formed IDX file
    const dir = await dataDir({ [TEST_LABELS]: gzipSync(raw) });
    const err = await userError(loadFashionMnist(hermetic({ dir })));
    expect(err.message).toContain(path.join(dir, TEST_LABELS));
    expect(err.message).toContain('corrupt');
    expect(err.message).toContain(SHA256[TEST_LABELS]);
    expect(err.message).toMatch(/[0-9a-f]{64}.*[0-9a-f]{64}/);
  });

  it('rejects a truncated gzip file, naming it', async () => {
    const gz = await readFile(path.join(VENDORED_DIR, TEST_LABELS));
    const dir = await dataDir({ [TEST_LABELS]: gz.subarray(0, gz.length >> 1) });
    const err = await userError(loadFashionMnist(hermetic({ dir })));
    expect(err.message).toContain(path.join(dir, TEST_LABELS));
    expect(err.message).toContain('corrupt or truncated gzip');
  });
});

describe('the record of verified files', () => {
  /** How many files `load` hashed, rather than trusting the record. */
  async function hashes(load: Promise<unknown>): Promise<number> {
    const before = filesHashed;
    await load;
    return filesHashed - before;
  }

  it('hashes each file once, then trusts the record for the same files', async () => {
    const cacheDir = tempDir();
    expect(await hashes(loadFashionMnist(hermetic({ cacheDir })))).toBe(4);
    expect(await readdir(cacheDir)).toEqual([VERIFIED_RECORD]);
    const again = loadFashionMnist(hermetic({ cacheDir }));
    expect(await hashes(again)).toBe(0);
    const data = await again;
    expect(data.files).toEqual(SHA256);
    expect(data.train.labels[0]).toBe(9);
    // The record is by real path: a directory of links to the same files needs no hashing either.
    expect(await hashes(loadFashionMnist(hermetic({ cacheDir, dir: await dataDir() })))).toBe(0);
  });

  it('hashes a file again once it changes, and refuses it corrupt even with its old size and mtime', async () => {
    const cacheDir = tempDir();
    const raw = gunzipSync(await readFile(path.join(VENDORED_DIR, TEST_LABELS)));
    // Stored (level 0) gzip, as a recompressing repackager might ship: its size depends only on the contents' length.
    const good = gzipSync(raw, { level: 0 });
    const dir = await dataDir({ [TEST_LABELS]: good });
    const file = path.join(dir, TEST_LABELS);
    const mtime = 1_000_000_000; // whole seconds, so that putting it back restores it exactly
    await utimes(file, mtime, mtime);
    expect(await hashes(loadFashionMnist(hermetic({ cacheDir, dir })))).toBe(4);
    expect(await hashes(loadFashionMnist(hermetic({ cacheDir, dir })))).toBe(0);

    // Rewritten in place, same size, old mtime put back: only its ctime tells.
    raw[8 + 123] ^= 1;
    const bad = gzipSync(raw, { level: 0 });
    expect(bad.length).toBe(good.length);
    await writeFile(file, bad);
    await utimes(file, mtime, mtime);
    expect((await stat(file, { bigint: true })).mtimeNs).toBe(BigInt(mtime) * 10n ** 9n);
    const err = await userError(loadFashionMnist(hermetic({ cacheDir, dir })));
    expect(err.message).toContain(file);
    expect(err.message).toContain('corrupt');

    await writeFile(file, good);
    expect(await hashes(loadFashionMnist(hermetic({ cacheDir, dir })))).toBe(1);
    await utimes(file, mtime, mtime + 1); // touched, same bytes
    expect(await hashes(loadFashionMnist(hermetic({ cacheDir, dir })))).toBe(1);
    expect(await hashes(loadFashionMnist(hermetic({ cacheDir, dir })))).toBe(0);
  });

  it('loads, hashing every time, when the record cannot be written', async () => {
    // Under a regular file, no directory can be made, even by root (which a read-only mode would not stop).
    const blocker = path.join(tempDir(), 'file');
    await writeFile(blocker, '');
    const cacheDir = path.join(blocker, 'cache');
    for (let i = 0; i < 2; i++) {
      const load = loadFashionMnist(hermetic({ cacheDir }));
      expect(await hashes(load)).toBe(4);
      expect((await load).test.count).toBe(10000);
    }
  });

  it('replaces a damaged record', async () => {
    const cacheDir = tempDir();
    await writeFile(path.join(cacheDir, VERIFIED_RECORD), '{"truncat');
    expect(await hashes(loadFashionMnist(hermetic({ cacheDir })))).toBe(4);
    expect(await hashes(loadFashionMnist(hermetic({ cacheDir })))).toBe(0);
  });
});

describe('downloading', () => {
  let server: Server;
  let base: string;
  const requests: string[] = [];
  const gz = new Map<string, Buffer>();

  beforeAll(async () => {
    for (const name of FILE_NAMES) gz.set(name, await readFile(path.join(VENDORED_DIR, name)));
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const [, mode, name] = (req.url ?? '').split('/');
      const body = gz.get(name);
      if (mode === 'ok' && body) {
        res.writeHead(200, { 'content-type': 'application/gzip' }).end(body);
      } else if (mode === 'wrong' && body) {
        // Well-formed gzip, wrong contents: only the checksum can tell.
        res.writeHead(200).end(gz.get(name === TRAIN_LABELS ? TEST_LABELS : TRAIN_LABELS));
      } else if (mode === 'html') {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
      } else {
        res.writeHead(404).end('not found');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** Forces the download path: no explicit, vendored or system directory. */
  const viaDownload = (cacheDir: string, baseUrl: string): DataOptions => ({
    env: {},
    vendoredDir: null,
    systemDir: null,
    cacheDir,
    baseUrl,
  });

  it('downloads into the cache, then reuses it', async () => {
    const cacheDir = path.join(tmp, 'cache-ok', 'nested');
    requests.length = 0;
    const logged: string[] = [];
    const data = await loadFashionMnist({ ...viaDownload(cacheDir, `${base}/ok/`), log: (m) => logged.push(m) });
    expect(data.source).toBe('download');
    expect(data.dir).toBe(cacheDir);
    expect(data.train.count).toBe(60000);
    expect(data.test.count).toBe(10000);
    expect(data.train.labels[0]).toBe(9);
    expect(requests.sort()).toEqual(FILE_NAMES.map((f) => `/ok/${f}`).sort());
    expect(logged).toHaveLength(4);
    // No temp files left behind; the record of verified files sits beside the downloads.
    expect((await readdir(cacheDir)).sort()).toEqual([...FILE_NAMES, VERIFIED_RECORD].sort());

    requests.length = 0;
    expect(await resolveDataDir(viaDownload(cacheDir, `${base}/ok`))).toEqual({ source: 'download', dir: cacheDir });
    expect(requests).toEqual([]);
  });

  it('reads the base URL from FASHION_MNIST_URL and only fetches missing files', async () => {
    const cacheDir = path.join(tmp, 'cache-partial');
    await mkdir(cacheDir);
    for (const name of FILE_NAMES) if (name !== TEST_LABELS) await writeFile(path.join(cacheDir, name), gz.get(name)!);
    requests.length = 0;
    const opts = { ...viaDownload(cacheDir, ''), env: { FASHION_MNIST_URL: `${base}/ok` } };
    expect(await resolveDataDir(opts)).toEqual({ source: 'download', dir: cacheDir });
    expect(requests).toEqual([`/ok/${TEST_LABELS}`]);
  });

  it('reports an HTTP error with the URL', async () => {
    const cacheDir = path.join(tmp, 'cache-404');
    const err = await userError(resolveDataDir(viaDownload(cacheDir, `${base}/gone`)));
    expect(err.message).toContain(`${base}/gone/${FILE_NAMES[0]}`);
    expect(err.message).toContain('HTTP 404');
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('reports a network failure with the URL', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const url = `http://127.0.0.1:${port}`;
    const err = await userError(resolveDataDir(viaDownload(path.join(tmp, 'cache-refused'), url)));
    expect(err.message).toContain(`${url}/${FILE_NAMES[0]}`);
    expect(err.message).toContain('ECONNREFUSED');
  });

  it.each([
    ['wrong contents', 'wrong', 'corrupt'],
    ['a non-gzip response', 'html', 'corrupt or truncated gzip'],
  ])('rejects %s and leaves nothing in the cache', async (_name, mode, message) => {
    const cacheDir = path.join(tmp, `cache-${mode}`);
    const err = await userError(resolveDataDir(viaDownload(cacheDir, `${base}/${mode}`)));
    expect(err.message).toContain(`${base}/${mode}/${FILE_NAMES[0]}`);
    expect(err.message).toContain(message);
    expect(await readdir(cacheDir)).toEqual([]);
  });
});
