/**
 * The dashboard of sweeps ranked into Pareto fronts, in a real browser, over sweeps of a small
 * program recorded through the CLI: the scatter of two objectives with the first front's line,
 * the hypervolume over trials, the parallel coordinates coloured by front, the table's columns;
 * opened as a `sweep report` file and from `sweep serve`. Every expectation is read from the
 * database (the `pareto` view, `trial_objectives`, `trials`) with SQL of the test's own, and the
 * hypervolume computed here with src/pareto/.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hypervolume, referencePoint } from '../../src/pareto/hypervolume.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/store.js';
import { serveDashboard, type Serving } from '../../src/web/server.js';
import { FRONT_COLOUR, INFEASIBLE_COLOUR } from '../../src/web/page/fronts.js';
import { sweep } from '../cli/run-cli.js';
import { tempDir } from '../temp-dir.js';
import { cspViolations, launchBrowser, outsideRequests, watchedPage, type Watched } from './browser.js';

// acc peaks at x = 0.7 and falls with y; cost grows with both; size with x alone. x = 0.9 breaks
// size <= 800; y = 0.5 and y = 1 cost more and score less than y = 0, so they lie on later fronts.
const PROGRAM = `import os
x = float(os.environ["SWEEP_PARAM_X"]); y = float(os.environ["SWEEP_PARAM_Y"])
print(f"epoch=1 acc={1 - (x - 0.7) ** 2 - 0.1 * y:.4f} cost={x * 10 + y * (1 + x):.3f} size={x * 1000:.0f}")
`;
const GRID = 'grid:\n  x: [0.1, 0.3, 0.5, 0.7, 0.9]\n  y: [0, 0.5, 1]\n';
/** Trials in each sweep of GRID. */
const TRIALS = 15;
const SPECS: Record<string, string> = {
  // Two objectives and a constraint: the main case.
  mo: 'metrics:\n  - {name: acc, goal: maximize}\n  - {name: cost, goal: minimize}\nconstraints: ["size <= 800"]\n',
  // Three objectives, no constraint: the scatter can show any two.
  mo3: 'metrics:\n  - {name: acc, goal: maximize}\n  - {name: cost, goal: minimize}\n  - {name: size, goal: minimize}\n',
  // One objective, no constraint: the page as it always was.
  single: 'metric: {name: acc, goal: maximize}\n',
  // One objective and a constraint: fronts, but no second objective to scatter against.
  bounded: 'metric: {name: acc, goal: maximize}\nconstraints: ["size <= 800"]\n',
};
/** The smaller grids of `single` and `bounded`, and how many trials each makes. */
const SMALL: Record<string, [string, number]> = {
  single: ['grid:\n  x: [0.1, 0.9]\n  y: [0, 1]\n', 4],
  bounded: ['grid:\n  x: [0.1, 0.5, 0.9]\n  y: [0]\n', 3],
};
const OBJECTIVES: Record<string, { name: string; goal: 'maximize' | 'minimize' }[]> = {
  mo: [{ name: 'acc', goal: 'maximize' }, { name: 'cost', goal: 'minimize' }],
  mo3: [{ name: 'acc', goal: 'maximize' }, { name: 'cost', goal: 'minimize' }, { name: 'size', goal: 'minimize' }],
};

const dir = tempDir('sweep-web-pareto-');
const db = join(dir, 'runs', 'sweeps.db');
let browser: Browser;
let readStore: Store | undefined;
let serving: Serving | undefined;

beforeAll(async () => {
  writeFileSync(join(dir, 'prog.py'), PROGRAM);
  for (const [name, head] of Object.entries(SPECS)) {
    const [grid, trials] = SMALL[name] ?? [GRID, TRIALS];
    writeFileSync(join(dir, `${name}.yaml`), `name: ${name}\nprogram: prog.py\n${head}${grid}`);
    const run = await sweep('run', join(dir, `${name}.yaml`), '--db', db, '--workers', '2');
    expect(run.err).toBe('');
    expect(run.out).toMatch(new RegExp(`${trials} completed, 0 failed`));
    const report = await sweep('report', name, '--db', db, '--out', join(dir, `${name}.html`));
    expect(report.err).toBe('');
    expect(report.code).toBe(0);
  }
  readStore = await openStore(db, { readonly: true });
  serving = await serveDashboard({ store: readStore, host: '127.0.0.1', port: 0 });
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await serving?.close();
  await readStore?.close();
});

/** A completed trial as the database has it. */
type Fact = { id: number; values: number[]; front: number; feasible: boolean };

/** The sweep's completed trials in the order they finished (finished_at, then number), with their objectives' values and fronts. */
function factsOf(sweepName: string): Fact[] {
  const d = new Database(db, { readonly: true });
  try {
    const trials = d.prepare(`SELECT t.id FROM trials t JOIN sweeps s ON s.id = t.sweep_id
      WHERE s.name = ? AND t.status = 'completed' ORDER BY t.finished_at, t.number`).all(sweepName) as { id: number }[];
    const value = d.prepare('SELECT value FROM trial_objectives WHERE trial_id = ? ORDER BY position');
    const front = d.prepare('SELECT front, feasible FROM pareto WHERE trial_id = ?');
    return trials.map(({ id }) => {
      const f = front.get(id) as { front: number; feasible: number };
      return { id, values: (value.all(id) as { value: number }[]).map((v) => v.value), front: f.front, feasible: f.feasible === 1 };
    });
  } finally {
    d.close();
  }
}

const firstFront = (facts: readonly Fact[]) => facts.filter((f) => f.front === 1 && f.feasible);
const idOf = (name: string) => Number(/^trial (\d+)$/.exec(name)![1]);
const ascending = (a: number, b: number) => a - b;

type Source = { readonly name: string; readonly url: (s: string) => string; readonly origin: () => string | undefined };
const SOURCES: Source[] = [
  { name: 'a report from file://', url: (s) => pathToFileURL(join(dir, `${s}.html`)).href, origin: () => undefined },
  { name: 'sweep serve', url: (s) => new URL(`sweep/${encodeURIComponent(s)}`, serving!.url).href, origin: () => new URL(serving!.url).origin },
];

async function open(url: string): Promise<Watched> {
  const w = await watchedPage(browser);
  await w.page.goto(url);
  await w.page.waitForFunction(() => document.body?.dataset.state === 'ready', undefined, { timeout: 20_000 });
  return w;
}

async function expectQuiet(w: Watched, origin: string | undefined): Promise<void> {
  expect(w.recorded.pageErrors, 'page errors').toEqual([]);
  expect(w.recorded.consoleErrors, 'console errors').toEqual([]);
  expect(w.recorded.cspConsole, 'CSP messages on the console').toEqual([]);
  expect(await cspViolations(w.page), 'securitypolicyviolation events').toEqual([]);
  expect(outsideRequests(w.recorded, origin), 'requests outside file:, data:, blob: and the server').toEqual([]);
}

type Series = { id?: string; type?: string; step?: string; data: { name: string; value: number[]; lineStyle?: { color: string } }[] };
type Axis = { name: string };

/** A chart's series and axes, by the chart's name in window.__sweep.charts. */
function chartOf(page: Page, chart: string): Promise<{ series: Series[]; xAxis: Axis[]; yAxis: Axis[] }> {
  return page.evaluate((name) => {
    const c = (window as unknown as { __sweep: { charts: Record<string, { getOption(): unknown }> } }).__sweep.charts[name];
    const o = c.getOption() as { series: Series[]; xAxis?: Axis[]; yAxis?: Axis[] };
    // Only what the test reads, as plain data (the formatters are functions).
    return {
      series: o.series.map((s) => ({ id: s.id, type: s.type, step: s.step, data: s.data.map((p) => ({ name: p.name, value: p.value, lineStyle: p.lineStyle })) })),
      xAxis: (o.xAxis ?? []).map((a) => ({ name: a.name })), yAxis: (o.yAxis ?? []).map((a) => ({ name: a.name })),
    };
  }, chart);
}

/** The scatter's points and its front line, each as trial id → [x, y]. */
async function scatterOf(page: Page) {
  const o = await chartOf(page, 'pareto');
  const points = o.series.find((s) => s.id === 'trials')!;
  const line = o.series.find((s) => s.id === 'front')!;
  return {
    points: new Map(points.data.map((p) => [idOf(p.name), p.value])),
    line: line.data.map((p) => ({ id: idOf(p.name), value: p.value })),
    step: line.step, x: o.xAxis[0].name, y: o.yAxis[0].name,
  };
}

describe.each(SOURCES)('a sweep of two objectives and a constraint, as $name', (source) => {
  it('scatters every completed trial; the front line passes through exactly the first front; the axes switch', async () => {
    const facts = factsOf('mo');
    expect(facts).toHaveLength(TRIALS);
    const front = firstFront(facts);
    // The fixture's shape: the y = 0 trials that meet size <= 800 are the first front; x = 0.9 breaks it.
    expect(front).toHaveLength(4);
    expect(facts.filter((f) => !f.feasible)).toHaveLength(3);
    const w = await open(source.url('mo'));

    let s = await scatterOf(w.page);
    expect([...s.points.keys()].sort(ascending)).toEqual(facts.map((f) => f.id).sort(ascending));
    for (const f of facts) expect(s.points.get(f.id), `trial ${f.id}`).toEqual([f.values[0], f.values[1]]);
    expect(s.line.map((p) => p.id).sort(ascending)).toEqual(front.map((f) => f.id).sort(ascending));
    // The line runs from the highest acc down (acc is maximised), each point where its trial is.
    expect(s.line.map((p) => p.value)).toEqual([...front].sort((a, b) => b.values[0] - a.values[0]).map((f) => [f.values[0], f.values[1]]));
    expect(s.step).toBe('end');
    expect([s.x, s.y]).toEqual(['acc', 'cost (lower is better)']);
    expect(await w.page.$eval('#pareto-x', (e) => (e as HTMLSelectElement).selectedOptions[0].textContent)).toBe('acc');

    // cost on x: the two selects swap, the points and the line follow.
    await w.page.selectOption('#pareto-x', { label: 'cost' });
    s = await scatterOf(w.page);
    expect([s.x, s.y]).toEqual(['cost (lower is better)', 'acc']);
    expect(await w.page.$eval('#pareto-y', (e) => (e as HTMLSelectElement).selectedOptions[0].textContent)).toBe('acc');
    for (const f of facts) expect(s.points.get(f.id), `trial ${f.id}`).toEqual([f.values[1], f.values[0]]);
    expect(s.line.map((p) => p.value)).toEqual([...front].sort((a, b) => a.values[1] - b.values[1]).map((f) => [f.values[1], f.values[0]]));

    // Infeasible trials are drawn hollow; the first front in its colour.
    const styles = await w.page.evaluate(() => {
      const c = (window as unknown as { __sweep: { charts: { pareto: { getOption(): { series: { id: string; data: { name: string; itemStyle: { color: string; borderColor: string } }[] }[] } } } } }).__sweep.charts.pareto;
      return c.getOption().series.find((x) => x.id === 'trials')!.data.map((p) => [p.name, p.itemStyle.color, p.itemStyle.borderColor]);
    });
    for (const [name, fill, border] of styles) {
      const f = facts.find((x) => x.id === idOf(name))!;
      if (!f.feasible) expect([fill, border], name).toEqual(['#fff', INFEASIBLE_COLOUR]);
      else if (f.front === 1) expect(fill, name).toBe(FRONT_COLOUR);
      else expect([FRONT_COLOUR, '#fff'], name).not.toContain(fill);
    }
    await expectQuiet(w, source.origin());
  });

  it('charts the hypervolume after each completed trial in finishing order, ending at hypervolume() of the first front', async () => {
    const facts = factsOf('mo');
    const minimized = (f: Fact) => [-f.values[0], f.values[1]];
    const reference = referencePoint(facts.filter((f) => f.feasible).map(minimized));
    const w = await open(source.url('mo'));
    const o = await chartOf(w.page, 'hypervolume');
    const line = o.series.find((s) => s.id === 'hypervolume')!;
    expect(line.data.map((p) => idOf(p.name))).toEqual(facts.map((f) => f.id));
    expect(line.data.map((p) => p.value[0])).toEqual(facts.map((_, k) => k + 1));
    // Each step: the hypervolume of the feasible trials finished by then.
    line.data.forEach((p, k) => {
      const sofar = facts.slice(0, k + 1).filter((f) => f.feasible).map(minimized);
      expect(p.value[1], `after ${k + 1}`).toBeCloseTo(hypervolume(sofar, reference), 12);
    });
    const last = line.data[line.data.length - 1].value[1];
    expect(last).toBeCloseTo(hypervolume(firstFront(facts).map(minimized), reference), 12);
    expect(last).toBeGreaterThan(0);
    // The reference point is stated, in the objectives' own units (acc not negated).
    const stated = JSON.parse((await w.page.getAttribute('#hypervolume-caption', 'data-reference'))!) as number[];
    expect(stated[0]).toBeCloseTo(-reference[0], 12);
    expect(stated[1]).toBeCloseTo(reference[1], 12);
    const caption = await w.page.textContent('#hypervolume-caption');
    expect(caption).toMatch(/^The hypervolume of the first front of the trials completed so far \(those that meet the constraints\)/);
    expect(caption).toContain(`Reference point: acc ${Number((-reference[0]).toPrecision(4))}, cost ${Number(reference[1].toPrecision(4))}, Optuna's rule`);
    expect(caption).toContain(`among the ${facts.filter((f) => f.feasible).length} completed feasible trials`);
    await expectQuiet(w, source.origin());
  });

  it('colours the parallel coordinates by front, with a legend; the table has front, objective and violation columns, sorted by front', async () => {
    const facts = factsOf('mo');
    const w = await open(source.url('mo'));
    const o = await chartOf(w.page, 'parallel');
    const colour = new Map(o.series[0].data.map((p) => [idOf(p.name), p.lineStyle!.color]));
    for (const f of facts) {
      const c = colour.get(f.id);
      if (!f.feasible) expect(c, `trial ${f.id}`).toBe(INFEASIBLE_COLOUR);
      else if (f.front === 1) expect(c, `trial ${f.id}`).toBe(FRONT_COLOUR);
      else expect([FRONT_COLOUR, INFEASIBLE_COLOUR], `trial ${f.id}`).not.toContain(c);
    }
    // Each later front one colour, fading: front 2 darker than the last.
    const later = [...new Set(facts.filter((f) => f.feasible && f.front > 1).map((f) => f.front))].sort(ascending);
    expect(later.length).toBeGreaterThanOrEqual(2);
    const byFront = later.map((n) => new Set(facts.filter((f) => f.feasible && f.front === n).map((f) => colour.get(f.id))));
    expect(byFront.every((cs) => cs.size === 1)).toBe(true);
    const lightness = (rgb: string) => rgb.match(/\d+/g)!.map(Number).reduce((a, b) => a + b, 0);
    expect(lightness([...byFront[0]][0]!)).toBeLessThan(lightness([...byFront[byFront.length - 1]][0]!));
    // An axis per objective after the hyperparameters.
    expect(await w.page.evaluate(() => (window.__sweep!.charts.parallel as unknown as { getOption(): { parallelAxis: { name: string }[] } })
      .getOption().parallelAxis.map((a) => a.name))).toEqual(['x', 'y', 'acc', 'cost']);
    const legend = await w.page.$$eval('#parallel-legend .legend-item', (items) => items.map((i) => [i.getAttribute('data-kind'), i.textContent]));
    expect(legend).toEqual([
      ['front', `first front (${firstFront(facts).length})`],
      ...later.map((n) => ['later', `front ${n} (${facts.filter((f) => f.feasible && f.front === n).length})`]),
      ['infeasible', `infeasible (${facts.filter((f) => !f.feasible).length})`],
    ]);

    const headers = await w.page.$$eval('#trials thead th', (ths) => ths.map((th) => th.textContent?.replace(/[▲▼]/g, '').trim()));
    expect(headers).toEqual(['x', 'y', 'status', 'front', 'acc', 'cost', 'violation', 'steps', 'seconds', 'trial', 'compare']);
    const rows = () => w.page.$$eval('#trials tbody tr', (trs) => trs.map((tr) => Number(tr.getAttribute('data-trial-id'))));
    const byFrontThenId = [...facts].sort((a, b) => a.front - b.front || a.id - b.id).map((f) => f.id);
    expect(await rows()).toEqual(byFrontThenId);
    // A first click puts the best first: the cheapest (cost is minimised), the most accurate (acc maximised).
    await w.page.click('#trials th[data-key="cost"] button');
    expect(await rows()).toEqual([...facts].sort((a, b) => a.values[1] - b.values[1] || a.id - b.id).map((f) => f.id));
    await w.page.click('#trials th[data-key="acc"] button');
    expect(await rows()).toEqual([...facts].sort((a, b) => b.values[0] - a.values[0] || a.id - b.id).map((f) => f.id));
    // The text filter knows fronts.
    await w.page.fill('#filter', 'infeasible');
    expect((await rows()).sort(ascending)).toEqual(facts.filter((f) => !f.feasible).map((f) => f.id).sort(ascending));
    await expectQuiet(w, source.origin());
  });
});

describe('a sweep of three objectives', () => {
  it('offers each of them on either axis', async () => {
    const facts = factsOf('mo3');
    const front = firstFront(facts);
    const w = await open(SOURCES[0].url('mo3'));
    expect(await w.page.$$eval('#pareto-y option', (os) => os.map((o) => o.textContent))).toEqual(['acc', 'cost', 'size']);
    await w.page.selectOption('#pareto-y', { label: 'size' });
    const s = await scatterOf(w.page);
    expect([s.x, s.y]).toEqual(['acc', 'size (lower is better)']);
    for (const f of facts) expect(s.points.get(f.id), `trial ${f.id}`).toEqual([f.values[0], f.values[2]]);
    expect(s.line.map((p) => p.id).sort(ascending)).toEqual(front.map((f) => f.id).sort(ascending));
    // No constraint: every trial is feasible, and the hypervolume is over all three objectives.
    expect(facts.every((f) => f.feasible)).toBe(true);
    const minimized = (f: Fact) => [-f.values[0], f.values[1], f.values[2]];
    const o = await chartOf(w.page, 'hypervolume');
    const data = o.series[0].data;
    expect(data[data.length - 1].value[1]).toBeCloseTo(hypervolume(front.map(minimized), referencePoint(facts.map(minimized))), 12);
    expect(await w.page.textContent('#pareto-intro')).toBe(
      `Objectives: acc (maximize), cost (minimize), size (minimize) · first front: ${front.length} trials (${await firstFrontText(w.page)}), none better in every objective`);
    await expectQuiet(w, undefined);
  });
});

/** The ids the intro lists, as it lists them (the table's data order). */
function firstFrontText(page: Page): Promise<string> {
  return page.evaluate(() => window.__sweep!.data.sweep.trials.filter((t) => t.front === 1 && t.violation === 0).map((t) => t.id).join(', '));
}

describe('a sweep of one objective without constraints', () => {
  it('has no Pareto section, no front colours and the columns it always had', async () => {
    const w = await open(SOURCES[0].url('single'));
    expect(await w.page.$('#pareto-section')).toBeNull();
    expect(await w.page.evaluate(() => 'pareto' in window.__sweep!.data.sweep)).toBe(false);
    expect(await w.page.evaluate(() => Object.keys(window.__sweep!.charts).filter((k) => !k.startsWith('marginal:')).sort()))
      .toEqual(['compare', 'curvesAcc', 'curvesLoss', 'parallel']);
    expect(await w.page.$('#parallel-legend')).toBeNull();
    const headers = await w.page.$$eval('#trials thead th', (ths) => ths.map((th) => th.textContent?.replace(/[▲▼]/g, '').trim()));
    expect(headers).toEqual(['x', 'y', 'status', 'acc', 'steps', 'seconds', 'trial', 'compare']);
    expect(await w.page.$eval('#trials th[data-key="acc"]', (th) => th.getAttribute('aria-sort'))).toBe('descending');
    await expectQuiet(w, undefined);
  });
});

describe('a sweep of one objective under a constraint', () => {
  it('says there is nothing to scatter, and charts the hypervolume in one dimension: from the reference to the best feasible value', async () => {
    const facts = factsOf('bounded');
    const feasible = facts.filter((f) => f.feasible);
    expect(feasible).toHaveLength(2);
    const w = await open(SOURCES[0].url('bounded'));
    expect(await w.page.isVisible('#pareto-one')).toBe(true);
    expect(await w.page.isVisible('#pareto-scatter')).toBe(false);
    expect(await w.page.textContent('#pareto-one')).toMatch(/^One objective \(acc\) under constraints: no scatter to draw/);
    const reference = referencePoint(feasible.map((f) => [-f.values[0]]));
    const data = (await chartOf(w.page, 'hypervolume')).series[0].data;
    expect(data).toHaveLength(3);
    expect(data[2].value[1]).toBeCloseTo(reference[0] + Math.max(...feasible.map((f) => f.values[0])), 12);
    await expectQuiet(w, undefined);
  });
});

describe('`sweep report` of a sweep ranked into fronts', () => {
  it('writes the same page data as `sweep serve` sends: objectives, constraints, fronts and the hypervolume', async () => {
    const html = await (await import('node:fs/promises')).readFile(join(dir, 'mo.html'), 'utf8');
    const json = /<script type="application\/json" id="sweep-data">([\s\S]*?)<\/script/.exec(html)![1];
    const report = JSON.parse(json) as { sweep: { pareto: unknown; trials: { id: number; front?: number; objectiveValues?: number[] }[] } };
    const served = await (await fetch(new URL('sweep/mo', serving!.url))).text();
    const live = JSON.parse(/<script type="application\/json" id="sweep-data">([\s\S]*?)<\/script/.exec(served)![1]) as typeof report;
    expect(report.sweep.pareto).toEqual(live.sweep.pareto);
    expect(report.sweep.pareto).toMatchObject({ objectives: OBJECTIVES.mo, constraints: ['size <= 800'], hypervolumeNote: null });
    const facts = factsOf('mo');
    for (const f of facts) {
      expect(report.sweep.trials.find((t) => t.id === f.id)).toMatchObject({ front: f.front, objectiveValues: f.values, violation: f.feasible ? 0 : 100 });
    }
  });
});
