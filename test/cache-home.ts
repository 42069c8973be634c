import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * vitest's global setup: the whole run, and every `sweep` process it starts, keeps its cache
 * (the dataset's record of verified files) in one temp folder instead of the user's home.
 */
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'sweep-test-cache-'));
  process.env.XDG_CACHE_HOME = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
