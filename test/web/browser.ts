/**
 * A real browser for the dashboard's tests: Debian's Chromium driven by playwright-core (whose
 * own browser download cannot run here, nor in CI), and pages that record what a reader never
 * sees: console errors, uncaught exceptions, Content-Security-Policy violations, and every
 * request the page makes.
 */
import { inflateSync } from 'node:zlib';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { onTestFinished } from 'vitest';

/** Debian's `chromium` package (installed by .ci/run); SWEEP_CHROMIUM points elsewhere. */
export const CHROMIUM = process.env.SWEEP_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Starts a headless Chromium that talks to nothing on its own (no component updates, sync,
 * background fetches or QUIC probes), so that every request recorded is one the page made.
 * `--no-sandbox`: the tests run as root, where Chromium's sandbox refuses to start.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic',
    ],
  });
}

/** What a watched page did besides rendering. */
export type Recorded = {
  /** Every request's URL, in the order made (the page's own document included). */
  readonly requests: string[];
  /** Console messages of type error, as `text (url:line)`. */
  readonly consoleErrors: string[];
  /** Console messages that name the Content Security Policy, of any type (Chromium logs a refusal as an error, a report-only one as a warning). */
  readonly cspConsole: string[];
  /** Uncaught exceptions and unhandled rejections (`pageerror`). */
  readonly pageErrors: string[];
};

export type Watched = { readonly context: BrowserContext; readonly page: Page; readonly recorded: Recorded };

/**
 * Installed before any of the page's scripts: a listener that keeps every CSP violation the
 * document reports, where the test can read it (`window.__cspViolations`).
 */
const CSP_LISTENER = `
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || '(inline)') + ' at ' + e.sourceFile + ':' + e.lineNumber);
  });
`;

/**
 * A fresh context (no cache, no storage) with one page, 1280 pixels wide, recording as
 * `Recorded` says; closed when the running test finishes.
 */
export async function watchedPage(browser: Browser): Promise<Watched> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  onTestFinished(() => context.close());
  const recorded: Recorded = { requests: [], consoleErrors: [], cspConsole: [], pageErrors: [] };
  context.on('request', (r) => recorded.requests.push(r.url()));
  await context.addInitScript({ content: CSP_LISTENER });
  const page = await context.newPage();
  page.on('console', (m) => {
    const where = `${m.location().url}:${m.location().lineNumber}`;
    if (/content.security.policy/i.test(m.text())) recorded.cspConsole.push(`${m.type()}: ${m.text()} (${where})`);
    if (m.type() === 'error') recorded.consoleErrors.push(`${m.text()} (${where})`);
  });
  page.on('pageerror', (e) => recorded.pageErrors.push(e.stack ?? e.message));
  return { context, page, recorded };
}

/** The CSP violations the page's document reported to its listener (see CSP_LISTENER). */
export function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? ['(the CSP listener was not installed)']);
}

/**
 * The requests that left the page's own ground: anything but `file:`, `data:` and `blob:` URLs
 * and, for a served page, the server's own origin.
 */
export function outsideRequests(recorded: Recorded, origin?: string): string[] {
  return recorded.requests.filter((url) => {
    if (/^(file|data|blob):/i.test(url)) return false;
    return origin === undefined || new URL(url).origin !== origin;
  });
}

/**
 * How many distinct colours a PNG's pixels have, counting only chromatic ones (r, g, b not all
 * equal) when `chromatic`: text and rules antialias in greys, charts draw in colour. Decodes
 * the 8-bit RGB or RGBA, non-interlaced PNGs Chromium writes (IDAT inflated, rows unfiltered).
 */
export function distinctColours(png: Buffer, { chromatic = false } = {}): number {
  if (!png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) throw new Error('not a PNG');
  let width = 0, height = 0, bpp = 0;
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      [width, height] = [data.readUInt32BE(0), data.readUInt32BE(4)];
      const [depth, colourType, interlace] = [data[8], data[9], data[12]];
      if (depth !== 8 || (colourType !== 2 && colourType !== 6) || interlace !== 0) {
        throw new Error(`PNG depth ${depth}, colour type ${colourType}, interlace ${interlace}: only 8-bit RGB(A), not interlaced`);
      }
      bpp = colourType === 6 ? 4 : 3;
    } else if (type === 'IDAT') {
      idat.push(data);
    }
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  let previous = new Uint8Array(stride);
  const colours = new Set<number>();
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const row = new Uint8Array(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? row[x - bpp] : 0;
      const b = previous[x];
      const c = x >= bpp ? previous[x - bpp] : 0;
      const predictor = filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : paeth(a, b, c);
      row[x] = (row[x] + predictor) & 0xff;
    }
    for (let x = 0; x < stride; x += bpp) {
      const [r, g, b] = [row[x], row[x + 1], row[x + 2]];
      if (chromatic && r === g && g === b) continue;
      colours.add((r << 16) | (g << 8) | b);
    }
    previous = row;
  }
  return colours.size;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}
