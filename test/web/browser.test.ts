/**
 * The dashboard in a real browser (Debian's Chromium, headless), over the fixture database,
 * opened both ways a user opens it: a `sweep report` file from file://, and `sweep serve`'s
 * page. Every expectation is read from the database, never from the page's own data.
 */
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandGrid } from '../../src/search/grid.js';
import { parseSpec } from '../../src/spec/load-spec.js';
import { openStore } from '../../src/store/open.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/store.js';
import type { TrialStatus } from '../../src/trial/types.js';
import { bestAnalyzer } from '../../src/web/best.js';
import type { DashboardData } from '../../src/web/model.js';
import { serveDashboard, type Serving } from '../../src/web/server.js';
import { sweep } from '../cli/run-cli.js';
import { tempDir } from '../temp-dir.js';
import { cspViolations, distinctColours, launchBrowser, outsideRequests, watchedPage, type Watched } from './browser.js';
import { additiveShares, makeFixture, REAL, REAL_TRIALS } from './fixture.js';

/** The page's ECharts instances, as far as these tests use them. */
type Chart = {
  getOption(): { series: { type?: string; data?: unknown[] }[] };
  dispatchAction(action: object): void;
  getZr(): { animation: { isFinished(): boolean } };
};
declare global {
  interface Window {
    __sweep?: {
      data: DashboardData;
      /** Charts by name, and groups of them (the marginal means) as records of charts. */
      charts: { curvesAcc?: Chart; parallel?: Chart; [name: string]: Chart | Record<string, Chart> | null | undefined };
      version: number;
    };
  }
}

/** What the database says about sweep `real`: the ground truth the page is held to. */
type Facts = {
  /** Every trial's id, ascending. */
  readonly ids: number[];
  readonly status: ReadonlyMap<number, TrialStatus>;
  /** Trials with at least one epoch recorded: each has a learning curve. */
  readonly withEpochs: number[];
  /** Each trial's val_accuracy where it has one (the parallel coordinates' metric axis). */
  readonly metric: ReadonlyMap<number, number>;
};

async function factsOf(db: string): Promise<Facts> {
  const store = await SqliteStore.open(db, { readonly: true });
  try {
    const trials = await store.snapshot((await store.sweep('real'))!.id);
    return {
      ids: trials.map((t) => t.id).sort(ascending),
      status: new Map(trials.map((t) => [t.id, t.status])),
      withEpochs: trials.filter((t) => t.epochs.length > 0).map((t) => t.id).sort(ascending),
      metric: new Map(trials.flatMap((t) => (t.valAccuracy === null || Number.isNaN(t.valAccuracy) ? [] : [[t.id, t.valAccuracy]]))),
    };
  } finally {
    await store.close();
  }
}

const ascending = (a: number, b: number) => a - b;

const dir = tempDir('sweep-browser-');
let db: string;
/** A copy of the fixture taken before anything opened it, for the live test to write to. */
let liveDb: string;
let facts: Facts;
/** The trials tagged `baseline` before the pages were made. */
let tagged: number[];
let browser: Browser;
let readStore: Store | undefined;
let serving: Serving | undefined;

beforeAll(async () => {
  ({ db } = await makeFixture(dir));
  liveDb = join(dir, 'live.db');
  for (const suffix of ['', '-wal']) if (existsSync(db + suffix)) copyFileSync(db + suffix, liveDb + suffix);
  facts = await factsOf(db);
  // Tags and notes, as a user adds them (after the live test's copy, which has none).
  tagged = facts.ids.slice(0, 2);
  for (const id of tagged) expect((await sweep('tag', String(id), 'baseline', '--db', db)).code).toBe(0);
  expect((await sweep('tag', String(facts.ids[2]), 'wide', '--db', db)).code).toBe(0);
  expect((await sweep('note', 'real', 'tried wider layers', '--db', db)).code).toBe(0);
  expect((await sweep('note', String(facts.ids[2]), 'the odd one out', '--db', db)).code).toBe(0);
  for (const name of ['real', 'additive']) {
    const r = await sweep('report', name, '--db', db, '--out', join(dir, `${name}.html`));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  }
  // `sweep serve`, in this process: the store opened read-only, as the command opens it.
  readStore = await openStore(db, { readonly: true });
  serving = await serveDashboard({ store: readStore, host: '127.0.0.1', port: 0, best: bestAnalyzer(readStore, undefined) });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await serving?.close();
  await readStore?.close();
});

type Source = {
  readonly name: string;
  readonly url: (sweepName: string) => string;
  /** The only origin (besides file:, data: and blob:) the page may request from. */
  readonly origin: () => string | undefined;
};

const SOURCES: Source[] = [
  { name: 'a report from file://', url: (s) => pathToFileURL(join(dir, `${s}.html`)).href, origin: () => undefined },
  {
    name: 'sweep serve',
    url: (s) => new URL(`sweep/${encodeURIComponent(s)}`, serving!.url).href,
    origin: () => new URL(serving!.url).origin,
  },
];

/** A fresh page at `url`, once it has rendered. */
async function open(url: string): Promise<Watched> {
  const w = await watchedPage(browser);
  await w.page.goto(url);
  await ready(w);
  return w;
}

/** Waits for a render: `body[data-state=ready]` with `__sweep.version` past `after`. */
async function ready(w: Watched, after = 0): Promise<void> {
  try {
    await w.page.waitForFunction(
      (v) => document.body?.dataset.state === 'ready' && (window.__sweep?.version ?? -Infinity) > v, after, { timeout: 20_000 },
    );
  } catch (err) {
    const state = await w.page.evaluate(() => ({ state: document.body?.dataset.state, version: window.__sweep?.version })).catch(() => undefined);
    throw new Error(
      `the page never became ready (body data-state and window.__sweep.version: ${JSON.stringify(state)}); ` +
      `page errors: ${JSON.stringify(w.recorded.pageErrors)}; console errors: ${JSON.stringify(w.recorded.consoleErrors)}`,
      { cause: err },
    );
  }
}

/** No console error, no uncaught exception, no CSP violation (logged or reported), no request off the page's own ground. */
async function expectQuiet(w: Watched, origin: string | undefined): Promise<void> {
  expect(w.recorded.pageErrors, 'page errors').toEqual([]);
  expect(w.recorded.consoleErrors, 'console errors').toEqual([]);
  expect(w.recorded.cspConsole, 'CSP messages on the console').toEqual([]);
  expect(await cspViolations(w.page), 'securitypolicyviolation events').toEqual([]);
  expect(outsideRequests(w.recorded, origin), 'requests outside file:, data:, blob: and the server').toEqual([]);
}

/** The trial table's rows (their data-trial-id), ascending. */
function rowIds(page: Page): Promise<number[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('#trials tr[data-trial-id]')].map((r) => Number(r.dataset.trialId)).sort((a, b) => a - b));
}

/** Waits (up to `timeout` ms) for the table to hold exactly `ids`, then asserts it does, so that a miss shows the rows it has. */
async function expectRows(page: Page, ids: readonly number[], timeout = 5_000): Promise<void> {
  const want = [...ids].sort(ascending);
  await page.waitForFunction((w) => {
    const got = [...document.querySelectorAll<HTMLElement>('#trials tr[data-trial-id]')].map((r) => Number(r.dataset.trialId));
    return JSON.stringify(got.sort((a, b) => a - b)) === JSON.stringify(w);
  }, want, { timeout }).catch(() => undefined);
  expect(await rowIds(page)).toEqual(want);
}

/** How many learning curves the accuracy chart draws (its line series). */
function curveCount(page: Page): Promise<number> {
  return page.evaluate(() => window.__sweep!.charts.curvesAcc!.getOption().series.filter((s) => s.type === 'line').length);
}

/** Waits (up to `timeout` ms) for the accuracy chart to draw `n` curves, then asserts it does. */
async function expectCurves(page: Page, n: number, timeout = 5_000): Promise<void> {
  await page.waitForFunction((want) =>
    window.__sweep?.charts.curvesAcc?.getOption().series.filter((s) => s.type === 'line').length === want, n, { timeout })
    .catch(() => undefined);
  expect(await curveCount(page)).toBe(n);
}

/** What `#importance` shows: its kind, its text, each hyperparameter's share(s) and the interaction's. */
function importanceOf(page: Page) {
  return page.evaluate(() => {
    const section = document.querySelector<HTMLElement>('#importance');
    if (!section) return null;
    const shares: [string, number][] = [...section.querySelectorAll<HTMLElement>('[data-importance-key]')]
      .map((e) => [e.dataset.importanceKey!, Number(e.dataset.share)]);
    return {
      kind: section.dataset.importanceKind,
      text: section.textContent ?? '',
      shares,
      interaction: [...section.querySelectorAll<HTMLElement>('[data-importance-interaction]')].map((e) => Number(e.dataset.share)),
    };
  });
}

/**
 * The brush the tests draw on the metric axis: an interval holding exactly the completed trials
 * whose val_accuracy is at least the completed trials' median, from just below the lowest of
 * them (halfway to the next value below) to just above the highest.
 */
function medianBrush(f: Facts): { interval: [number, number]; inside: number[] } {
  const completed = f.ids.filter((id) => f.status.get(id) === 'completed' && f.metric.has(id));
  const values = completed.map((id) => f.metric.get(id)!).sort(ascending);
  const mid = values.length >> 1;
  const median = values.length % 2 === 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
  const inside = completed.filter((id) => f.metric.get(id)! >= median).sort(ascending);
  const low = Math.min(...inside.map((id) => f.metric.get(id)!));
  const high = Math.max(...inside.map((id) => f.metric.get(id)!));
  const below = [...f.metric.entries()].filter(([id, v]) => !inside.includes(id) && v < low).map(([, v]) => v);
  const lo = below.length === 0 ? low - 1e-3 : (Math.max(...below) + low) / 2;
  const interval: [number, number] = [lo, high + 1e-3];
  // The fixture must leave no other trial (a running one's progress, say) inside that interval.
  const others = [...f.metric.entries()].filter(([id, v]) => !inside.includes(id) && v >= interval[0] && v <= interval[1]);
  expect(others, 'trials outside the median set whose metric falls in the brush').toEqual([]);
  return { interval, inside };
}

describe.each(SOURCES)('the dashboard as $name', (source) => {
  it('shows every trial: a row each (with its status), a parallel-coordinates line each, a curve for each with epochs', async () => {
    expect(facts.ids).toHaveLength(REAL_TRIALS);
    const w = await open(source.url('real'));
    expect(await rowIds(w.page)).toEqual(facts.ids);
    const rows = await w.page.evaluate(() => Object.fromEntries(
      [...document.querySelectorAll<HTMLElement>('#trials tr[data-trial-id]')].map((r) => [r.dataset.trialId!, r.textContent ?? ''])));
    for (const id of facts.ids) expect(rows[id], `row ${id}`).toContain(facts.status.get(id));
    expect(await w.page.evaluate(() => window.__sweep!.charts.parallel!.getOption().series[0].data!.length)).toBe(facts.ids.length);
    // The failed trial has no epochs, so fewer curves than trials.
    expect(facts.withEpochs.length).toBeLessThan(facts.ids.length);
    expect(await curveCount(w.page)).toBe(facts.withEpochs.length);
    await expectQuiet(w, source.origin());
  });

  it('brushing the metric axis keeps in the table (and the curves) exactly the trials inside the interval', async () => {
    const { interval, inside } = medianBrush(facts);
    const w = await open(source.url('real'));
    await w.page.evaluate((intervals) => {
      window.__sweep!.charts.parallel!.dispatchAction({ type: 'axisAreaSelect', parallelAxisId: 'metric', intervals });
    }, [interval]);
    await expectRows(w.page, inside);
    await expectCurves(w.page, inside.filter((id) => facts.withEpochs.includes(id)).length);
    await expectQuiet(w, source.origin());
  });

  it("shows the tags in the table and the sweep's notes in the header; the filter finds trials by tag and by note", async () => {
    const w = await open(source.url('real'));
    expect(await w.page.textContent('#sweep-notes')).toContain('tried wider layers');
    expect(await w.page.textContent(`#trials tr[data-trial-id="${tagged[0]}"] td.tags-cell`)).toBe('baseline');
    expect(await w.page.getAttribute(`#trials tr[data-trial-id="${facts.ids[2]}"] td.tags-cell`, 'title')).toBe('the odd one out');
    await w.page.fill('#filter', 'tag:baseline');
    await expectRows(w.page, tagged);
    await w.page.fill('#filter', 'odd one');
    await expectRows(w.page, [facts.ids[2]]);
    await w.page.fill('#filter', '');
    await expectRows(w.page, facts.ids);
    await expectQuiet(w, source.origin());
  });

  it('importance on a complete additive grid: exact ANOVA, the known shares, no interaction', async () => {
    const w = await open(source.url('additive'));
    const shown = await importanceOf(w.page);
    expect(shown, '#importance').not.toBeNull();
    expect(shown!.kind).toBe('anova');
    const expected = additiveShares();
    expect(new Set(shown!.shares.map(([k]) => k))).toEqual(new Set(Object.keys(expected)));
    for (const [key, share] of shown!.shares) expect(share, key).toBeCloseTo(expected[key as keyof typeof expected], 3);
    expect(shown!.interaction).toHaveLength(1);
    expect(Math.abs(shown!.interaction[0])).toBeLessThanOrEqual(1e-6);
    await expectQuiet(w, source.origin());
  });

  it('importance on an incomplete grid (a failed and a running trial) is not called exact, and says why', async () => {
    const w = await open(source.url('real'));
    const shown = await importanceOf(w.page);
    expect(shown, '#importance').not.toBeNull();
    expect(['estimate', 'none']).toContain(shown!.kind);
    expect(shown!.text).toMatch(/incomplete/i);
    await expectQuiet(w, source.origin());
  });
});

/**
 * Watches a store's change-token reads. The server reads the token when a page subscribes and
 * pushes only when it later differs, so a write made before that read would never be pushed:
 * the live test writes only once the first read is done.
 */
function watchTokenReads(store: Store): { store: Store; firstRead: Promise<void> } {
  let done!: () => void;
  const firstRead = new Promise<void>((resolve) => { done = resolve; });
  const watched = new Proxy(store, {
    get(target, key) {
      if (key === 'changeToken') return async () => { const token = await target.changeToken(); done(); return token; };
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: watched, firstRead };
}

describe('the dashboard served live', () => {
  it('shows a trial added to the database, with its curve, within 3 s', async () => {
    // A server of its own over a copy of the fixture: no other page subscribed, the other tests' counts untouched.
    const reader = await openStore(liveDb, { readonly: true });
    const { store, firstRead } = watchTokenReads(reader);
    const live = await serveDashboard({ store, host: '127.0.0.1', port: 0, best: bestAnalyzer(reader, undefined) });
    try {
      const origin = new URL(live.url).origin;
      const w = await open(new URL('sweep/real', live.url).href);
      const events = await w.page.evaluate(() => window.__sweep!.data.live?.events);
      expect(events, 'data.live.events').toBeTruthy();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([firstRead, new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the page never subscribed to ${events} (requests: ${w.recorded.requests.join(', ')})`)), 10_000);
      })]).finally(() => clearTimeout(timer));
      expect(w.recorded.requests).toContain(new URL(events!, origin).href);
      const version = await w.page.evaluate(() => window.__sweep!.version);

      // One new configuration of the same sweep (REAL with another dropout), claimed, one epoch in.
      expect(REAL).toContain('dropout: [0.0, 0.3]');
      const spec = parseSpec(REAL.replace('dropout: [0.0, 0.3]', 'dropout: [0.5]'), 'real.yaml');
      const [trial] = expandGrid(spec);
      const writer = await SqliteStore.open(liveDb);
      let id: number;
      try {
        const sweepId = (await writer.sweep('real'))!.id;
        expect(await writer.addTrials(sweepId, spec.seed, spec.data, [trial])).toBe(1);
        const claim = (await writer.claimNext(sweepId, 'browser-test', [trial.configId]))!;
        id = claim.trial.id;
        expect(await writer.resumeAt(claim, [], 'wasm')).toBe(true);
        const epoch = { epoch: 1, loss: 0.9, accuracy: 0.6, valLoss: 0.8, valAccuracy: 0.62, seconds: 0.5 };
        expect(await writer.recordEpoch(claim, epoch, 'wasm')).toBe(true);
      } finally {
        await writer.close();
      }
      const written = Date.now();
      await w.page.waitForSelector(`#trials tr[data-trial-id="${id}"]`, { timeout: 3_000 });
      await expectCurves(w.page, facts.withEpochs.length + 1, Math.max(1, 3_000 - (Date.now() - written)));
      expect(await w.page.evaluate(() => window.__sweep!.version)).toBeGreaterThan(version);
      expect(await rowIds(w.page)).toEqual([...facts.ids, id].sort(ascending));
      expect(await w.page.textContent(`#trials tr[data-trial-id="${id}"]`)).toContain('running');
      await expectQuiet(w, origin);
    } finally {
      await live.close();
      await reader.close();
    }
  });
});

describe('a screenshot', () => {
  // The README's picture comes from a real sweep (scripts/screenshot.mjs); this one, of the fixture, goes to a temp folder.
  it('is a full page of the dashboard over the real sweep, not a blank one', async () => {
    const w = await open(SOURCES[0].url('real'));
    // The charts' entry animations over, so that the picture shows their final state.
    await w.page.waitForFunction(() => Object.values(window.__sweep!.charts)
      .flatMap((c) => (!c ? [] : typeof c.getZr === 'function' ? [c as Chart] : Object.values(c as Record<string, Chart>)))
      .every((c) => c.getZr().animation.isFinished()));
    const png = await w.page.screenshot({ fullPage: true, animations: 'disabled' });
    const file = join(tempDir(), 'dashboard.png');
    writeFileSync(file, png);
    // Text and rules antialias in greys; charts draw in colour. A blank or chartless page has few colours.
    expect(distinctColours(png, { chromatic: true })).toBeGreaterThan(1_000);
    await expectQuiet(w, undefined);
  });
});
