import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { bestAnalyzer } from '../web/best.js';
import { buildDashboard } from '../web/build-data.js';
import { loadAssets, renderPage } from '../web/html.js';
import type { Io } from './command.js';
import type { ReportOptions } from './commands.js';
import { findSweep, withStore } from './inspect.js';

/**
 * `sweep report SWEEP`: one HTML file with its data, JavaScript and CSS inline, that makes no
 * network request and opens from file:// (to mail, or attach to a paper).
 */
export function report(name: string, values: ReportOptions, { out, err }: Io): Promise<number> {
  return withStore(values.db, async (store) => {
    const sweep = await findSweep(store, name);
    const data = await buildDashboard(store, sweep, {
      live: null, href: (s) => `${s}.html`, best: bestAnalyzer(store, values.data, err),
    });
    const file = values.out ?? `${sweep.name}.html`;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, renderPage(data, loadAssets()).html);
    out(`${file}: sweep ${sweep.name}, ${data.sweep.trials.length} trials`);
    return 0;
  });
}
