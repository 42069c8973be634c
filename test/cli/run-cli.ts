import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

/** The built CLI, as `npx sweep` runs it (npm test builds first). */
export const BIN = resolve('dist/cli/main.js');

/** Runs `sweep ARGS…` to completion with CI set (plain log, no live screen). */
export function sweep(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
