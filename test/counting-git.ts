import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './temp-dir.js';

/** The real git, found once, before any test puts another first on the PATH. */
export const GIT = spawnSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).stdout.trim();

/**
 * A `git` that writes a line (its first words) to a log at each start, then runs the real one:
 * put `path` first on a PATH to count the git processes something starts.
 */
export function countingGit(): { path: string; starts: () => string[] } {
  const bin = tempDir('sweep-git-bin-');
  const log = join(bin, 'log');
  writeFileSync(log, '');
  writeFileSync(join(bin, 'git'), `#!/bin/sh\necho "$1 $2 $3" >> ${log}\nexec ${GIT} "$@"\n`);
  chmodSync(join(bin, 'git'), 0o755);
  return { path: `${bin}:${process.env.PATH}`, starts: () => readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}
