import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { VENDORED_DIR } from '../../src/data/fashion-mnist.js';
import { tempDir } from '../temp-dir.js';
import { BIN, sweep as sweepInProcess, type CliResult } from './run-cli.js';

const SMALL = `name: h
seed: 1
data: {validationSplit: 0.2, trainLimit: 600, testLimit: 100}
grid:
  epochs: [2]
  units: [[8]]
`;

/** A case: what to set up in a fresh folder, the arguments, the one line expected on stderr. */
type Case = {
  setup?: (dir: string) => void;
  spec?: string;
  args?: (dir: string) => string[];
  /** Run before sweep in a shell of its own (ulimit, trap): the case then needs its own process. */
  shell?: string;
  error: RegExp;
  /** What must hold afterwards: nothing created, or nothing changed. */
  after?: (dir: string) => void;
};

async function sweep(dir: string, c: Case): Promise<CliResult> {
  writeFileSync(join(dir, 'spec.yaml'), c.spec ?? SMALL);
  const args = ['run', join(dir, 'spec.yaml'), ...(c.args?.(dir) ?? ['--db', join(dir, 'runs', 'sweeps.db')]), '--workers', '1'];
  if (!c.shell) return sweepInProcess(...args);
  const r = spawnSync('bash', ['-c', `${c.shell}; exec "$0" "$@"`, process.execPath, BIN, ...args], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const noDatabase = (dir: string) => expect(existsSync(join(dir, 'runs'))).toBe(false);
const NOT_SQLITE = 'this is a text file, not a database\n'.repeat(100);

const cases: [string, Case][] = [
  ['a grid of a million configurations (counted, not built)', {
    spec: `name: huge\ngrid:\n  epochs: [${Array.from({ length: 100 }, (_, i) => i + 1)}]\n  dropout: [${Array.from({ length: 100 }, (_, i) => i / 100)}]\n  learningRate: [${Array.from({ length: 100 }, (_, i) => (i + 1) / 1000)}]\n`,
    error: /spec\.yaml: the grid has 1,000,000 configurations, more than 10,000; shrink it or pass --max-trials 1000000$/,
    after: noDatabase,
  }],
  ['a YAML alias bomb', {
    spec: ['name: bomb', 'a: &a [x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`)].join('\n'),
    error: /spec\.yaml:1:1 invalid YAML: .*alias/i,
    after: noDatabase,
  }],
  ['an enormous number', {
    spec: SMALL.replace('epochs: [2]', 'epochs: [1e308]'),
    error: /spec\.yaml:5:12 grid\.epochs\[0\]: must be at most 1000$/,
    after: noDatabase,
  }],
  // (A read-only directory would be the natural case, but tests run as root, which ignores permissions.)
  ['a database path under a file', {
    setup: (dir) => writeFileSync(join(dir, 'afile'), ''),
    args: (dir) => ['--db', join(dir, 'afile', 'sweeps.db')],
    error: /afile\/sweeps\.db: cannot open the database \((EEXIST|ENOTDIR)/,
  }],
  ['a database file that is not SQLite', {
    setup: (dir) => { mkdirSync(join(dir, 'runs')); writeFileSync(join(dir, 'runs', 'sweeps.db'), NOT_SQLITE); },
    error: /runs\/sweeps\.db: cannot use the database \(not an SQLite database\)$/,
    after: (dir) => expect(readFileSync(join(dir, 'runs', 'sweeps.db'), 'utf8')).toBe(NOT_SQLITE),
  }],
  ['a database from a newer sweep', {
    setup: (dir) => {
      mkdirSync(join(dir, 'runs'));
      const db = new Database(join(dir, 'runs', 'sweeps.db'));
      db.exec('CREATE TABLE future (x)');
      db.pragma('user_version = 42');
      db.close();
    },
    error: /runs\/sweeps\.db: written by a newer sweep \(schema version 42, this one knows up to \d+\)$/,
    after: (dir) => {
      const db = new Database(join(dir, 'runs', 'sweeps.db'), { readonly: true });
      expect(db.pragma('user_version', { simple: true })).toBe(42);
      expect(db.prepare(`SELECT name FROM sqlite_schema`).pluck().all()).toEqual(['future']);
      db.close();
    },
  }],
  ['a corrupted dataset file', {
    setup: (dir) => {
      mkdirSync(join(dir, 'data'));
      for (const f of ['train-images-idx3-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']) {
        symlinkSync(join(VENDORED_DIR, f), join(dir, 'data', f));
      }
      const labels = gunzipSync(readFileSync(join(VENDORED_DIR, 'train-labels-idx1-ubyte.gz')));
      labels[100] = (labels[100] + 1) % 10;
      writeFileSync(join(dir, 'data', 'train-labels-idx1-ubyte.gz'), gzipSync(labels));
    },
    args: (dir) => ['--db', join(dir, 'runs', 'sweeps.db'), '--data', join(dir, 'data')],
    error: /data\/train-labels-idx1-ubyte\.gz: file is corrupt: SHA-256 of its decompressed contents is [0-9a-f]{64}, expected bad3541b/,
    after: noDatabase,
  }],
  ['a disk that fills up mid-write', {
    // The file-size limit makes writes fail as a full disk does (with SIGXFSZ ignored, write() returns EFBIG):
    // 2 MB holds a handful of epochs with their checkpoints.
    spec: SMALL.replace('epochs: [2]', 'epochs: [60]'),
    shell: `trap '' XFSZ; ulimit -f 2000`,
    error: /^sweep: database error: .*\(is the disk full\?\) \(SQLITE_(FULL|IOERR\w*)\); everything recorded before it is kept$/,
    after: (dir) => {
      const db = new Database(join(dir, 'runs', 'sweeps.db'), { readonly: true });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      // The epochs committed before the disk filled are all there, in order.
      const epochs = db.prepare('SELECT epoch FROM epochs ORDER BY epoch').pluck().all() as number[];
      expect(epochs.length).toBeGreaterThan(5);
      expect(epochs).toEqual(epochs.map((_, i) => i + 1));
      db.close();
    },
  }],
];

describe('hostile input', () => {
  it.each(cases)('%s: one clear line, a non-zero exit, nothing lost', async (_what, c) => {
    const dir = tempDir('sweep-hostile-');
    c.setup?.(dir);
    const r = await sweep(dir, c);
    expect(r.code).toBe(1);
    const lines = r.err.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^sweep: /);
    expect(lines[0]).toMatch(c.error);
    c.after?.(dir);
  });
});
