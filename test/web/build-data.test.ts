import { beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/store.js';
import { buildDashboard } from '../../src/web/build-data.js';
import { bestAnalyzer } from '../../src/web/best.js';
import { tempDir } from '../temp-dir.js';
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
});
