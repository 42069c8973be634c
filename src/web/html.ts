/**
 * The dashboard as one self-contained HTML page: the data as inline JSON, the page's bundle
 * (dist/web/page.js, built by scripts/build-web.mjs) and its CSS inline, no external URL, and a
 * strict Content-Security-Policy that allows exactly those inline blocks by hash. The same page
 * is written by `sweep report` and served by `sweep serve`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DashboardData } from './model.js';

export type PageAssets = { readonly js: string; readonly css: string };

/** The built page script and styles: next to this module in dist/web/, or, under vitest (which runs src/*.ts), in dist/web/ at the repository root. */
export function loadAssets(): PageAssets {
  const dir = assetDir();
  return { js: readFileSync(`${dir}page.js`, 'utf8'), css: readFileSync(`${dir}page.css`, 'utf8') };
}

function assetDir(): string {
  const sibling = fileURLToPath(new URL('./', import.meta.url));
  const built = fileURLToPath(new URL('../../dist/web/', import.meta.url));
  for (const dir of [sibling, built]) {
    if (existsSync(`${dir}page.js`) && existsSync(`${dir}page.css`)) return dir;
  }
  throw new Error(`the dashboard page is not built (no page.js and page.css in ${sibling} or ${built}): run \`npm run build\``);
}

/**
 * The page for `data`, and its Content-Security-Policy (the same one the page carries in a
 * <meta>; a server sends it as a header too).
 *
 * The policy, and why each part:
 * - `default-src 'none'`: nothing may load unless named below.
 * - `script-src 'sha256-…'`: only the inline bundle runs (the JSON data block is not script).
 *   No 'unsafe-eval': ECharts and the page need no eval or `new Function`.
 * - `style-src 'sha256-…'`: only the inline <style>. No 'unsafe-inline': ECharts' SVG renderer
 *   and its tooltips set element styles through CSSOM (`el.style.cssText = …`), which CSP does
 *   not govern; a `style` attribute in markup or set with setAttribute would be blocked, and
 *   neither ECharts' SVG path nor the page uses one (tooltips are built as DOM, see
 *   page/charts.ts, because ECharts' own HTML tooltip markup carries style attributes).
 * - `img-src data: blob:`: the favicon link (`data:,`, which stops the browser asking the server
 *   for /favicon.ico) and any image made in the page.
 * - `connect-src 'self'`: the live page's EventSource, to the server that served it.
 * - `base-uri 'none'; form-action 'none'`: no <base> and no form can send anything anywhere.
 * `frame-ancestors` is left out: a <meta> policy cannot carry it (Chromium logs an error).
 */
export function renderPage(data: DashboardData, assets: PageAssets): { html: string; csp: string } {
  const js = scriptText(assets.js);
  const css = styleText(assets.css);
  const csp = [
    "default-src 'none'",
    `script-src '${sha256(js)}'`,
    `style-src '${sha256(css)}'`,
    'img-src data: blob:',
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const notice = licenceNotice(assets.js);
  const html = [
    '<!doctype html>',
    notice ? `<!--\n${notice}\n-->` : null,
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    `<title>${escapeHtml(`sweep · ${data.sweep.name}`)}</title>`,
    '<link rel="icon" href="data:,">',
    `<style>${css}</style>`,
    '</head>',
    '<body data-state="loading">',
    '<noscript>This dashboard needs JavaScript.</noscript>',
    `<script type="application/json" id="sweep-data">${jsonText(data)}</script>`,
    `<script>${js}</script>`,
    '</body>',
    '</html>',
    '',
  ].filter((l) => l !== null).join('\n');
  return { html, csp };
}

/**
 * The data as the text of a <script type="application/json">: `<` escaped so that no "</script>"
 * or "<!--" in a string (an error message, a sweep's name) can end or confuse the element, and
 * U+2028/U+2029 escaped for any reader that treats the text as JavaScript. JSON.parse reads the
 * escapes back as the same characters.
 */
export function jsonText(data: unknown): string {
  return JSON.stringify(data).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * The bundle as inline script text. "</script" inside it (in a string or a regular expression)
 * would end the element: written "<\/script" it means the same in either. "<!--" could make the
 * HTML parser overlook the real end tag, and has no such rewrite; the build keeps it out.
 */
function scriptText(js: string): string {
  if (js.includes('<!--')) throw new Error('the page bundle contains "<!--", which cannot be inlined safely: rebuild with `npm run build`');
  return js.replace(/<\/(script)/gi, '<\\/$1');
}

function styleText(css: string): string {
  if (/<\/style/i.test(css)) throw new Error('the page CSS contains "</style"');
  return css;
}

/** The bundle's leading licence comment (`/*! … *\/`), for an HTML comment at the top of the page. */
function licenceNotice(js: string): string | undefined {
  const m = /^\/\*!\s*([\s\S]*?)\s*\*\//.exec(js);
  // "--" may not appear inside an HTML comment.
  return m?.[1].replace(/--/g, '- -').replace(/>/g, '&gt;');
}

function sha256(text: string): string {
  return `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
