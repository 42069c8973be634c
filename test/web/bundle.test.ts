/**
 * The dashboard page's bundle as `npm run build` leaves it (dist/web/page.js, page.css): within
 * its size budget, carrying the licence notices of what it bundles, and fit to inline under the
 * page's CSP.
 */
import { describe, expect, it } from 'vitest';
import { loadAssets } from '../../src/web/html.js';

/**
 * The bundle's budget in bytes. ECharts imported piecemeal (line and parallel charts, grid,
 * parallel and tooltip components, SVG renderer) and the page came to 563 KB minified
 * (ECharts 6.1, esbuild 0.28); the budget is about 15% above that. A whole-ECharts import would
 * be over 1 MB.
 */
const BUDGET = 650_000;

describe('the page bundle', () => {
  const { js, css } = loadAssets();

  it(`stays within its budget of ${BUDGET.toLocaleString('en')} bytes`, () => {
    expect(Buffer.byteLength(js, 'utf8')).toBeLessThanOrEqual(BUDGET);
  });

  it('opens with the licence notices of ECharts (Apache-2.0, with its NOTICE), ZRender and d3 (BSD-3-Clause)', () => {
    const banner = /^\/\*!([\s\S]*?)\*\//.exec(js)?.[1] ?? '';
    expect(banner).toContain('Apache ECharts');
    expect(banner).toContain('Apache License, Version 2.0');
    expect(banner).toContain('Copyright 2017-2026 The Apache Software Foundation');
    expect(banner).toContain('This product includes software developed at');
    expect(banner).toMatch(/ZRender[\s\S]*BSD 3-Clause[\s\S]*Copyright \(c\) 2017, Baidu Inc\./);
    expect(banner).toMatch(/d3[\s\S]*Copyright[\s\S]*Mike Bostock/);
  });

  it('needs no eval (the CSP has no unsafe-eval) and can be inlined in a <script>', () => {
    expect(js).not.toMatch(/\bnew Function\s*\(|[^.\w$]eval\s*\(/);
    expect(js).not.toContain('<!--');
    // ECharts' development branches are compiled out (they read process.env, which a page lacks).
    expect(js).not.toContain('process.env');
  });

  it('loads nothing from elsewhere: the CSS has no @import or url()', () => {
    expect(css).not.toMatch(/@import|url\(/i);
    expect(css.length).toBeGreaterThan(0);
  });
});
