/**
 * The dashboard of a sweep of the user's program, in a real browser: its parameters and metrics
 * under the names the program gives them, ranked by its goal, its curves drawn from what it
 * reported, and the best trial's test-set view said plainly to be sweep's models' only.
 * Every expectation is read from the database.
 */
import { cpSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweep } from '../cli/run-cli.js';
import { tempDir } from '../temp-dir.js';
import { launchBrowser, watchedPage } from './browser.js';

let browser: Browser;
let dir: string;
let db: string;

beforeAll(async () => {
  dir = join(tempDir('sweep-web-program-'), 'wandb');
  cpSync(resolve('examples/wandb'), dir, { recursive: true });
  writeFileSync(join(dir, 'small.yaml'), `name: small
program: train.py
metric: {name: validation_loss, goal: minimize}
grid:
  learning_rate: [0.003, 0.03, 0.3]
  epochs: [4]
`);
  db = join(dir, 'sweeps.db');
  const run = await sweep('run', join(dir, 'small.yaml'), '--db', db);
  expect(run.code).toBe(0);
  const report = await sweep('report', 'small', '--db', db, '--out', join(dir, 'small.html'));
  expect(report.code).toBe(0);
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

describe('the dashboard of a program\'s sweep', () => {
  it('shows its parameters and its metric, best first by its goal; its curves of what it reported; no test-set view', async () => {
    const d = new Database(db, { readonly: true });
    const ranked = d.prepare('SELECT id, metric_value FROM trials ORDER BY metric_value').all() as { id: number; metric_value: number }[];
    const curve = d.prepare('SELECT step, value FROM trial_metrics WHERE trial_id = ? AND name = \'validation_loss\' ORDER BY step').all(ranked[0].id) as { step: number; value: number }[];
    d.close();
    const w = await watchedPage(browser);
    await w.page.goto(pathToFileURL(join(dir, 'small.html')).href);
    await w.page.waitForFunction(() => document.body?.dataset.state === 'ready', undefined, { timeout: 20_000 });

    const headers = await w.page.$$eval('#trials thead th', (ths) => ths.map((th) => th.textContent?.replace(/[▲▼]/g, '').trim()));
    expect(headers).toEqual(['learning_rate', 'status', 'validation_loss', 'steps', 'seconds', 'trial', 'compare']);
    // Lowest validation_loss first: the sweep minimizes it.
    const rows = await w.page.$$eval('#trials tbody tr', (trs) => trs.map((tr) => Number(tr.getAttribute('data-trial-id'))));
    expect(rows).toEqual(ranked.map((t) => t.id));

    const titles = await w.page.$$eval('#curves-section .chart-box h3', (hs) => hs.map((h) => h.textContent));
    expect(titles).toEqual(['validation_loss', 'loss']);
    const drawn = await w.page.evaluate((id) => {
      const chart = (window as unknown as { __sweep: { charts: { curvesAcc: { getOption(): { series: { id: string; data: number[][] }[] } } } } }).__sweep.charts.curvesAcc;
      return chart.getOption().series.find((s) => s.id === `trial-${id}`)?.data;
    }, ranked[0].id);
    expect(drawn).toEqual(curve.map((p) => [p.step, p.value]));

    expect(await w.page.textContent('#best-note')).toBe(
      `Trial ${ranked[0].id} ran your program: sweep keeps no model of it, so there is no confusion matrix or test images here (what it saved is in its trial folder).`);
    expect(w.recorded.pageErrors).toEqual([]);
    expect(w.recorded.consoleErrors).toEqual([]);
    await w.context.close();
  });
});
