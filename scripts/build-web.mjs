// Part of `npm run build`: bundles the dashboard page (src/web/page/main.ts and the ECharts
// modules it imports) into dist/web/page.js, and minifies src/web/page/page.css into
// dist/web/page.css. src/web/html.ts inlines both into one self-contained HTML page.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const PAGE = `${ROOT}src/web/page/`;
const OUT = `${ROOT}dist/web/`;

/**
 * The licence notices of what the bundle contains, kept as one leading comment: ECharts
 * (Apache-2.0, with its NOTICE file), ZRender (its renderer, BSD-3-Clause), and d3 (BSD-3-Clause),
 * which ECharts' number utilities embed. The sources' own headers are plain comments that
 * minifying drops, so the notice is rebuilt from the packages' files.
 */
export function licenceBanner() {
  const read = (path) => readFileSync(`${ROOT}node_modules/${path}`, 'utf8').trim();
  const echarts = JSON.parse(read('echarts/package.json'));
  const zrender = JSON.parse(read('zrender/package.json'));
  const text = [
    'sweep dashboard page. It bundles the following, under their licences:',
    '',
    `Apache ECharts ${echarts.version}, licensed under the Apache License, Version 2.0 (${echarts.license}).`,
    'You may obtain a copy of the License at http://www.apache.org/licenses/LICENSE-2.0',
    'Its NOTICE file:',
    '',
    read('echarts/NOTICE'),
    '',
    `ZRender ${zrender.version} (${zrender.license}):`,
    '',
    read('zrender/LICENSE'),
    '',
    'd3 (BSD-3-Clause), embedded in Apache ECharts\' number utilities:',
    '',
    read('echarts/licenses/LICENSE-d3'),
  ].join('\n');
  // The notice also goes into an HTML comment and an inline <script>: keep it inert in both.
  if (/\*\/|<!--|-->|<\/script|--/i.test(text)) throw new Error('a licence text contains a comment delimiter');
  return `/*!\n${text}\n*/`;
}

export async function buildWeb() {
  mkdirSync(OUT, { recursive: true });
  const result = await esbuild.build({
    entryPoints: [`${PAGE}main.ts`],
    outfile: `${OUT}page.js`,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    // ECharts guards its development warnings with process.env.NODE_ENV; there is no `process` in a page.
    define: { 'process.env.NODE_ENV': '"production"' },
    // The banner carries every notice; the few `/*!` comments left in sources would repeat part of it.
    legalComments: 'none',
    banner: { js: licenceBanner() },
    charset: 'utf8',
    metafile: true,
    logLevel: 'warning',
  });
  // src/web/html.ts inlines the bundle in a <script>; "<!--" there could hide its end tag.
  if (readFileSync(`${OUT}page.js`, 'utf8').includes('<!--')) throw new Error('dist/web/page.js contains "<!--"');
  const css = await esbuild.transform(readFileSync(`${PAGE}page.css`, 'utf8'), { loader: 'css', minify: true, target: 'chrome100' });
  writeFileSync(`${OUT}page.css`, css.code);
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await buildWeb();
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  console.log(`written: dist/web/page.js (${(bytes / 1024).toFixed(0)} KiB), dist/web/page.css`);
}
