// The README's picture of the dashboard: `node scripts/screenshot.mjs REPORT.html docs/dashboard.png`
// takes a full-page screenshot of a `sweep report` file in Debian's Chromium (playwright-core),
// 1280 pixels wide, once the charts have finished drawing.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const [report, out] = process.argv.slice(2);
if (!report || !out) throw new Error('usage: node scripts/screenshot.mjs REPORT.html OUT.png');
const browser = await chromium.launch({
  executablePath: process.env.SWEEP_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(pathToFileURL(resolve(report)).href);
  await page.waitForFunction(() => document.body.dataset.state === 'ready'
    && Object.values(window.__sweep.charts).every((c) => !c || c.getZr().animation.isFinished()));
  writeFileSync(out, await page.screenshot({ fullPage: true, animations: 'disabled' }));
  console.log(`${out}: ${report}`);
} finally {
  await browser.close();
}
