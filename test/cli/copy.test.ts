import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestDb } from '../store/pg-test-db.js';
import { tempDir } from '../temp-dir.js';
import { sweep } from './run-cli.js';

const SPEC = `name: alone
seed: 4
data: {validationSplit: 0.2, trainLimit: 600, testLimit: 100}
grid:
  epochs: [3]
  units: [[8]]
  dropout: [0.0, 0.2, 0.4]
`;

/** Everything `sweep show --json` says of a sweep, less what differs by store: ids. */
async function shown(db: string, name: string) {
  const r = await sweep('show', name, '--db', db, '--json');
  expect(r.code).toBe(0);
  return (JSON.parse(r.out) as Record<string, unknown>[]).map(({ id: _id, sweepId: _sweepId, ...t }) => t);
}

describe('sweep copy', () => {
  it('moves a local sweep into PostgreSQL whole (trials, epochs, models); copying twice changes nothing', async () => {
    const dir = tempDir('sweep-copy-');
    const local = join(dir, 'sweeps.db');
    writeFileSync(join(dir, 'alone.yaml'), SPEC);
    expect((await sweep('run', join(dir, 'alone.yaml'), '--db', local, '--workers', '1')).code).toBe(0);
    const { url } = await createTestDb();

    const first = await sweep('copy', '--from', local, '--to', url);
    expect(first).toMatchObject({ code: 0, err: '' });
    expect(first.out).toBe('sweep alone: 3 trials copied, 0 already there\n');
    expect(await shown(url, 'alone')).toEqual(await shown(local, 'alone'));

    // The trained models came along: the export from PostgreSQL is the local one, byte for byte.
    for (const [db, out] of [[local, join(dir, 'from-local')], [url, join(dir, 'from-pg')]]) {
      expect((await sweep('export', 'alone', '--db', db, '--out', out)).code).toBe(0);
    }
    for (const f of ['model.json', 'weights.bin']) {
      expect(readFileSync(join(dir, 'from-pg', f))).toEqual(readFileSync(join(dir, 'from-local', f)));
    }

    const before = (await sweep('query', 'SELECT COUNT(*) AS trials, (SELECT COUNT(*) FROM epochs) AS epochs, (SELECT COUNT(*) FROM models) AS models FROM trials', '--db', url, '--json')).out;
    expect(JSON.parse(before)).toEqual([{ trials: 3, epochs: 9, models: 3 }]);
    const second = await sweep('copy', '--from', local, '--to', url);
    expect(second.out).toBe('sweep alone: 0 trials copied, 3 already there\n');
    expect((await sweep('query', 'SELECT COUNT(*) AS trials, (SELECT COUNT(*) FROM epochs) AS epochs, (SELECT COUNT(*) FROM models) AS models FROM trials', '--db', url, '--json')).out).toBe(before);
  });

  it('a sweep stopped mid-trial arrives interrupted with its checkpoint, and a worker there finishes it as one uninterrupted run would', async () => {
    const dir = tempDir('sweep-copy-');
    const local = join(dir, 'sweeps.db');
    // A rule that never stops this trial but decides after epochs 2 and 3: the worker waits there
    // for its verdict, and the stop below comes before it (the epoch is reported, then judged), so
    // the worker cannot train a third epoch first however fast it trains.
    const spec = SPEC.replace('[0.0, 0.2, 0.4]', '[0.1]').replace('epochs: [3]', 'epochs: [4]')
      .replace('grid:\n', 'search:\n  earlyStopping: {type: patience, patience: 10, startFromEpoch: 1}\ngrid:\n');
    writeFileSync(join(dir, 'alone.yaml'), spec);
    // Stopped by the user after the second epoch: interrupted, with a checkpoint after epoch 2.
    const stop = new AbortController();
    const { runSweep } = await import('../../src/sweep/run-sweep.js');
    const { SqliteStore } = await import('../../src/store/sqlite.js');
    const { parseSpec } = await import('../../src/spec/load-spec.js');
    const { loadFashionMnist } = await import('../../src/data/fashion-mnist.js');
    const dataset = await loadFashionMnist();
    const store = await SqliteStore.open(local);
    await runSweep({
      spec: parseSpec(spec, 'alone.yaml'), specText: spec, specPath: 'alone.yaml', store, dataset, workers: 1, backend: 'wasm',
      signal: stop.signal, onEvent: (e) => { if (e.type === 'epoch' && e.metrics.epoch === 2) stop.abort(); },
    });
    expect((await store.trials((await store.sweep('alone'))!.id))[0]).toMatchObject({ status: 'interrupted', epochsDone: 2 });
    await store.close();

    const { url } = await createTestDb();
    expect((await sweep('copy', '--from', local, '--to', url)).code).toBe(0);
    const worker = await sweep('worker', '--db', url, '--workers', '1');
    expect(worker.code).toBe(0);
    expect(worker.out).toMatch(/epoch 3\/4/);
    expect(worker.out).not.toMatch(/epoch 1\/4/);

    // The same spec, uninterrupted, in a store of its own.
    const whole = join(dir, 'whole.db');
    expect((await sweep('run', join(dir, 'alone.yaml'), '--db', whole)).code).toBe(0);
    const metrics = async (db: string) => (await shown(db, 'alone')).map((t) => ({
      epochs: (t.epochs as { seconds: number }[]).map(({ seconds: _s, ...e }) => e), test: t.testAccuracy, weights: t.weightsSha256,
    }));
    expect(await metrics(url)).toEqual(await metrics(whole));
  });

  it('refuses the same database twice, and a sweep that is not there, in one line', async () => {
    const dir = tempDir('sweep-copy-');
    const local = join(dir, 'sweeps.db');
    writeFileSync(join(dir, 'alone.yaml'), SPEC.replace('[0.0, 0.2, 0.4]', '[0.0]').replace('epochs: [3]', 'epochs: [1]'));
    expect((await sweep('run', join(dir, 'alone.yaml'), '--db', local)).code).toBe(0);
    expect(await sweep('copy', '--from', local, '--to', local)).toMatchObject({ code: 1, err: 'sweep: --from and --to name the same database\n' });
    expect(await sweep('copy', '--from', local, '--to', join(dir, 'b.db'), '--sweep', 'nope'))
      .toMatchObject({ code: 1, err: `sweep: no sweep named "nope" in ${local}\n` });
  });
});
