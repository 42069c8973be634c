/**
 * The dashboard page as HTML (src/web/html.ts): one self-contained file whose inline data
 * survives any text in it, whose Content-Security-Policy allows exactly its own inline script
 * and style, and which names no remote URL.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { jsonText, loadAssets, renderPage, type PageAssets } from '../../src/web/html.js';
import type { DashboardData, TrialView } from '../../src/web/model.js';

const trial = (id: number, over: Partial<TrialView> = {}): TrialView => ({
  id, number: id, status: 'completed', metricValue: 0.8 + id / 100, values: { dropout: id / 10, activation: 'relu' }, config: { model: 'ann', dropout: id / 10, activation: 'relu' },
  valAccuracy: 0.8 + id / 100, valLoss: 0.5 - id / 100, testAccuracy: 0.79 + id / 100, latencyMs: 0.25, seconds: 10 + id, error: null,
  epochs: [{ epoch: 1, loss: 0.6, accuracy: 0.78, valLoss: 0.55, valAccuracy: 0.8, seconds: 5 }], pruned: null, ...over,
});

/** A small sweep whose text carries everything that could break out of an inline script. */
const DATA: DashboardData = {
  generatedAt: '2026-11-27T15:00:00.000Z',
  source: 'runs/sweeps.db',
  live: null,
  sweeps: [{ name: 'drop<out> & "more"', href: '#', total: 3, completed: 2 }],
  sweep: {
    name: 'drop<out> & "more"', metric: { name: 'val_accuracy', goal: 'maximize' }, method: 'grid', earlyStopping: null,
    axes: [{ key: 'dropout', label: 'dropout', type: 'value' }, { key: 'activation', label: 'activation', type: 'category', categories: ['relu', 'tanh'] }],
    trials: [
      trial(1),
      trial(2, { values: { dropout: 0.2, activation: 'tanh' } }),
      trial(3, {
        status: 'failed', valAccuracy: null, valLoss: null, testAccuracy: null, seconds: null, epochs: [],
        error: 'boom </script><script>alert(1)</script> <!-- <script> \u2028 line \u2029 para \u003c/SCRIPT>',
      }),
    ],
    importance: { kind: 'none', reason: 'only 2 completed trials' },
    best: null, bestNote: null, code: false, metrics: ['val_accuracy', 'val_loss'],
  },
};

/** Stand-in assets: a licence comment like the real bundle's, and a "</script>" inside a string. */
const ASSETS: PageAssets = {
  js: '/*!\nSome Library\nCopyright 2026 Someone\n*/\ndocument.title="</script>";',
  css: 'body{color:#222}',
};

const sha256 = (text: string) => `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;

/** The page's parts, found as the HTML parser would (the inline script ends at its first "</script"). */
function parts(html: string) {
  const json = /<script type="application\/json" id="sweep-data">([\s\S]*?)<\/script/i.exec(html);
  const script = /<script>([\s\S]*?)<\/script/i.exec(html);
  const style = /<style>([\s\S]*?)<\/style/i.exec(html);
  const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  return { json: json?.[1], script: script?.[1], style: style?.[1], meta: meta?.[1].replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&') };
}

/** The markup with the inline script, data and style bodies taken out: what a parser reads as attributes. */
function markup(html: string): string {
  return html.replace(/(<script[^>]*>)[\s\S]*?(<\/script>)/gi, '$1$2').replace(/(<style>)[\s\S]*?(<\/style>)/gi, '$1$2');
}

/** Every way HTML or CSS could load something from another host. */
function remoteReferences(html: string): string[] {
  const found: string[] = [];
  for (const m of markup(html).matchAll(/\b(?:src|href|action|srcset|poster|data)\s*=\s*["']?([^"'\s>]*)/gi)) {
    if (/^(?:[a-z][a-z0-9+.-]*:)?\/\//i.test(m[1]) || /^https?:/i.test(m[1])) found.push(m[0]);
  }
  const css = parts(html).style ?? '';
  for (const m of css.matchAll(/@import[^;]*|url\(\s*["']?(?!data:)[^)]*\)/gi)) found.push(m[0]);
  return found;
}

describe('renderPage', () => {
  const { html, csp } = renderPage(DATA, ASSETS);

  it('embeds the data so that it reads back the same, whatever its strings hold', () => {
    const { json } = parts(html);
    expect(json).toBeDefined();
    expect(JSON.parse(json!)).toEqual(DATA);
    // No "<" at all inside the data block: nothing in it can end the element or open a comment.
    expect(json).not.toContain('<');
    expect(json).not.toMatch(/[\u2028\u2029]/);
  });

  it('ends each inline script where it should: the data and the bundle are whole', () => {
    expect(parts(html).script).toBe('/*!\nSome Library\nCopyright 2026 Someone\n*/\ndocument.title="<\\/script>";');
    expect(html.match(/<\/script/gi)).toHaveLength(2);
  });

  it('carries a Content-Security-Policy, in a <meta> and as returned, whose hashes are those of its inline script and style', () => {
    const { script, style, meta } = parts(html);
    expect(meta).toBe(csp);
    const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual([`'${sha256(script!)}'`]);
    expect(directives.get('style-src')).toEqual([`'${sha256(style!)}'`]);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(directives.get('form-action')).toEqual(["'none'"]);
    // Nothing that would let an injected script or style run.
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|unsafe-hashes|\*/);
    // The <meta> comes before anything it governs.
    expect(html.indexOf('http-equiv="Content-Security-Policy"')).toBeLessThan(html.indexOf('<style>'));
  });

  it('names no remote URL: no src or href off the page, no @import, no remote url()', () => {
    expect(remoteReferences(html)).toEqual([]);
    // The checker itself finds each kind.
    expect(remoteReferences('<img src="https://x.test/a.png"><link href="//x.test/a.css"><style>@import "a.css";b{background:url(http://x.test/i)}</style>')).toHaveLength(4);
  });

  it('is titled after the sweep, its text escaped, and opens with the licence notice in a comment', () => {
    expect(html).toContain('<title>sweep · drop&lt;out&gt; &amp; &quot;more&quot;</title>');
    expect(html.startsWith('<!doctype html>\n<!--\nSome Library\nCopyright 2026 Someone\n-->\n<html')).toBe(true);
  });

  it('escapes "<", U+2028 and U+2029 in JSON text, and JSON.parse reads them back', () => {
    const text = jsonText({ s: '</script>\u2028\u2029' });
    expect(text).toBe('{"s":"\\u003c/script>\\u2028\\u2029"}');
    expect(JSON.parse(text)).toEqual({ s: '</script>\u2028\u2029' });
  });

  it('refuses a bundle with "<!--", which could hide the end of its <script>', () => {
    expect(() => renderPage(DATA, { js: 'var a="<!--";', css: '' })).toThrow(/<!--/);
  });
});

describe('renderPage with the built page (npm run build)', () => {
  const assets = loadAssets();
  const { html, csp } = renderPage(DATA, assets);

  it('inlines the bundle and CSS whole, allowed by their hashes', () => {
    const { script, style, json } = parts(html);
    expect(script!.length).toBeGreaterThanOrEqual(assets.js.length);
    expect(style).toBe(assets.css);
    expect(csp).toContain(`script-src '${sha256(script!)}'`);
    expect(csp).toContain(`style-src '${sha256(style!)}'`);
    expect(JSON.parse(json!)).toEqual(DATA);
  });

  it('names no remote URL and carries the ECharts licence notice in its opening comment', () => {
    expect(remoteReferences(html)).toEqual([]);
    const comment = /^<!doctype html>\n<!--([\s\S]*?)-->/.exec(html)?.[1] ?? '';
    expect(comment).toContain('Apache ECharts');
    expect(comment).toContain('Apache License, Version 2.0');
    expect(comment).not.toContain('--');
  });
});
