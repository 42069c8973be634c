import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openIdxFolder } from '../../src/data/idx-folder.js';
import { parseSpec } from '../../src/spec/load-spec.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { resolveSpec } from '../../src/sweep/resolve-spec.js';
import { runSweep } from '../../src/sweep/run-sweep.js';
import type { Store } from '../../src/store/store.js';
import { buildDashboard } from '../../src/web/build-data.js';
import { bestAnalyzer } from '../../src/web/best.js';
import { tempDir } from '../temp-dir.js';
import { writeIdxDataset } from '../data/idx-files.js';
import { additiveShares, makeFixture, REAL_TRIALS } from './fixture.js';

let fixture: Awaited<ReturnType<typeof makeFixture>>;
beforeAll(async () => {
  fixture = await makeFixture(tempDir('sweep-web-'));
});

async function dashboard(sweep: string, withBest = false) {
  const store: Store = await SqliteStore.open(fixture.db, { readonly: true });
  try {
    const record = (await store.sweep(sweep))!;
    return await buildDashboard(store, record, { live: null, href: (s) => `${s}.html`, best: withBest ? bestAnalyzer(store, undefined) : undefined });
  } finally {
    await store.close();
  }
}

describe('buildDashboard', () => {
  it('gives every trial of a sweep with its status, swept values and epochs, and the swept hyperparameters as axes', async () => {
    const d = await dashboard('real');
    expect(d.sweeps.map((s) => s.name)).toEqual(['real', 'additive']);
    expect(d.sweep.trials).toHaveLength(REAL_TRIALS);
    expect(d.sweep.axes.map((a) => [a.key, a.type])).toEqual([['units', 'category'], ['dropout', 'value'], ['learningRate', 'log']]);
    expect(d.sweep.axes[0].categories).toEqual(['8', '16']);
    const byId = new Map(d.sweep.trials.map((t) => [t.id, t]));
    expect(byId.get(fixture.failedId)).toMatchObject({ status: 'failed', epochs: [], error: expect.stringMatching(/diverged/) });
    expect(byId.get(fixture.runningId)).toMatchObject({ status: 'running', epochs: [{ epoch: 1 }] });
    expect(d.sweep.trials.filter((t) => t.status === 'completed').every((t) => t.epochs.length === 3)).toBe(true);
    expect(d.sweep.trials[0].values).toEqual({ units: expect.any(String), dropout: expect.any(Number), learningRate: expect.any(Number) });
  });

  it("gives each trial its tags and notes, and the sweep its own notes; a sweep without any has none", async () => {
    expect((await dashboard('real')).sweep).toMatchObject({ notes: [] });
    expect((await dashboard('real')).sweep.trials.every((t) => t.tags === undefined && t.notes === undefined)).toBe(true);
    const store = await SqliteStore.open(fixture.db);
    try {
      const sweepId = (await store.sweep('additive'))!.id;
      const [a, b] = (await store.trials(sweepId)).map((t) => t.id);
      await store.addTags(a, ['baseline', 'wide']);
      await store.addNote(sweepId, null, 'tried wider layers');
      await store.addNote(sweepId, b, 'diverged early');
      const d = (await dashboard('additive')).sweep;
      expect(d.notes).toEqual([{ text: 'tried wider layers', createdAt: expect.stringMatching(/Z$/) }]);
      expect(d.trials.find((t) => t.id === a)).toMatchObject({ tags: ['baseline', 'wide'] });
      expect(d.trials.find((t) => t.id === b)).toMatchObject({ notes: ['diverged early'] });
    } finally {
      await store.close();
    }
  });

  it('an incomplete grid gets an estimate that says why; a complete additive one the exact shares and no interaction', async () => {
    const real = (await dashboard('real')).sweep.importance;
    expect(real.kind).toBe('estimate');
    expect(real.kind === 'estimate' && real.reason).toMatch(/incomplete grid: 6 of 8 cells/);
    const additive = (await dashboard('additive')).sweep.importance;
    expect(additive.kind).toBe('anova');
    if (additive.kind !== 'anova') return;
    const shares = Object.fromEntries(additive.parts.map((p) => [p.key, p.share]));
    expect(shares.dropout).toBeCloseTo(additiveShares().dropout, 12);
    expect(shares.learningRate).toBeCloseTo(additiveShares().learningRate, 12);
    expect(additive.interaction).toBeCloseTo(0, 12);
  });

  it('runs the best trial\'s model on its test images: a confusion matrix that adds up to them, the most confidently wrong first', async () => {
    const d = await dashboard('real', true);
    const best = d.sweep.best!;
    const top = d.sweep.trials.find((t) => t.status === 'completed')!;
    expect(best.trialId).toBe(top.id);
    const total = best.confusion.flat().reduce((a, b) => a + b, 0);
    expect(total).toBe(300);
    // The matrix's diagonal is the recorded test accuracy, to the image.
    const hits = best.confusion.reduce((sum, row, i) => sum + row[i], 0);
    expect(hits / total).toBeCloseTo(top.testAccuracy!, 10);
    expect(best.wrong.length).toBeGreaterThan(0);
    expect(best.wrong.every((w) => w.label !== w.predicted && Buffer.from(w.pixels, 'base64').length === 784)).toBe(true);
    expect(best.wrong.map((w) => w.confidence)).toEqual([...best.wrong.map((w) => w.confidence)].sort((a, b) => b - a));
    expect(best.spec).toMatch(/^name: real-best$/m);
  });

  it("shows the best trial of a sweep on other data with that data's class names and image size", async () => {
    const dir = tempDir('sweep-web-idx-');
    const text = 'name: shapes\nseed: 1\ndata: {dataset: idx, path: ./shapes, classes: [row, column, diagonal]}\ngrid:\n  epochs: [2]\n  units: [[8]]\n';
    const dataset = await openIdxFolder(writeIdxDataset(join(dir, 'shapes')), ['row', 'column', 'diagonal']);
    const spec = resolveSpec(parseSpec(text, join(dir, 'shapes.yaml')), dataset, 'shapes.yaml');
    const store = await SqliteStore.open(join(dir, 'sweeps.db'));
    try {
      await runSweep({ spec, specText: text, specPath: null, store, dataset, workers: 1, backend: 'wasm' });
      const d = await buildDashboard(store, (await store.sweep('shapes'))!, { live: null, href: (s) => `${s}.html`, best: bestAnalyzer(store, undefined) });
      const best = d.sweep.best!;
      expect(best).toMatchObject({ classNames: ['row', 'column', 'diagonal'], shape: [8, 8, 1] });
      expect(best.confusion.map((row) => row.length)).toEqual([3, 3, 3]);
      expect(best.confusion.flat().reduce((a, b) => a + b, 0)).toBe(90);
      expect(best.wrong.length).toBeGreaterThan(0);
      expect(best.wrong.every((w) => Buffer.from(w.pixels, 'base64').length === 64)).toBe(true);

      // Data changed since: the page goes without this view, and says why.
      writeIdxDataset(join(dir, 'shapes'), { seed: 5 });
      const warned: string[] = [];
      const again = await buildDashboard(store, (await store.sweep('shapes'))!, { live: null, href: (s) => `${s}.html`, best: bestAnalyzer(store, undefined, (l) => warned.push(l)) });
      expect(again.sweep.best).toBeNull();
      expect(warned).toEqual([expect.stringMatching(new RegExp(`^IDX data in \\S+shapes: its contents' SHA-256 is .*: trial ${best.trialId}'s test-set view is left out$`))]);
    } finally {
      await store.close();
    }
  });
});
