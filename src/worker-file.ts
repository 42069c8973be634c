import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * A worker thread's compiled file, `relative` to the module at `url`: beside it when sweep runs
 * from dist/, else (under vitest, running src/*.ts) the same file in dist/.
 */
export function workerFile(url: string, relative: string): string {
  const sibling = fileURLToPath(new URL(relative, url));
  if (existsSync(sibling)) return sibling;
  const at = sibling.lastIndexOf('/src/');
  const built = at < 0 ? sibling : `${sibling.slice(0, at)}/dist/${sibling.slice(at + '/src/'.length)}`;
  if (existsSync(built)) return built;
  throw new Error(`worker not found at ${sibling} or ${built}: run \`npm run build\``);
}
