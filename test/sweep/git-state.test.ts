import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gitState, headCommit, repositoryRoot } from '../../src/sweep/git-state.js';
import { tempDir } from '../temp-dir.js';
import { countingGit, GIT } from '../counting-git.js';

const run = (cwd: string, ...args: string[]) => execFileSync(GIT, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();

/** A repository with one commit of `spec.yaml` and `train.py`. */
function repository(): string {
  const dir = tempDir('sweep-git-');
  run(dir, 'init', '-q', '-b', 'main');
  run(dir, 'config', 'user.email', 't@example.com');
  run(dir, 'config', 'user.name', 't');
  writeFileSync(join(dir, 'spec.yaml'), 'name: s\n');
  writeFileSync(join(dir, 'train.py'), 'print(1)\n');
  run(dir, 'add', '.');
  run(dir, 'commit', '-q', '-m', 'first');
  return dir;
}

const PATH = process.env.PATH;
afterEach(() => { process.env.PATH = PATH; });

describe("the spec's git state", () => {
  it('outside a repository is null, and asks no git', async () => {
    const git = countingGit();
    process.env.PATH = git.path;
    const dir = tempDir('sweep-nogit-');
    expect(repositoryRoot(dir)).toBeNull();
    expect(await gitState(dir)).toBeNull();
    expect(git.starts()).toHaveLength(0);
  });

  it('of a clean tree: its commit, clean, no diff, in one git process', async () => {
    const dir = repository();
    mkdirSync(join(dir, 'sweeps'));
    const git = countingGit();
    process.env.PATH = git.path;
    expect(await gitState(join(dir, 'sweeps'))).toEqual({ commit: run(dir, 'rev-parse', 'HEAD'), dirty: false, diffSha256: null, untracked: 0 });
    expect(git.starts()).toHaveLength(1);
  });

  it("of a dirty tree: a hash of the diff that tells two edits apart, in two; untracked files are counted, not dirt", async () => {
    const dir = repository();
    writeFileSync(join(dir, 'notes.txt'), 'mine\n');
    expect(await gitState(dir)).toMatchObject({ dirty: false, diffSha256: null, untracked: 1 });
    writeFileSync(join(dir, 'train.py'), 'print(2)\n');
    const git = countingGit();
    process.env.PATH = git.path;
    const first = await gitState(dir);
    expect(git.starts()).toHaveLength(2);
    expect(first).toMatchObject({ commit: run(dir, 'rev-parse', 'HEAD'), dirty: true, diffSha256: expect.stringMatching(/^[0-9a-f]{64}$/), untracked: 1 });
    // Staged or not, the same change against HEAD is the same diff.
    run(dir, 'add', 'train.py');
    expect((await gitState(dir))?.diffSha256).toBe(first!.diffSha256);
    writeFileSync(join(dir, 'train.py'), 'print(3)\n');
    expect((await gitState(dir))?.diffSha256).not.toBe(first!.diffSha256);
  });

  it('without git on the PATH is null, and leaves no timer behind to hold the process open', async () => {
    const dir = repository();
    process.env.PATH = tempDir('sweep-empty-path-');
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    expect(await gitState(dir)).toBeNull();
    expect(timers()).toBe(before);
  });

  it("reads HEAD's commit from the files, as git does: loose and packed refs, a detached HEAD, a worktree", () => {
    const dir = repository();
    const sha = run(dir, 'rev-parse', 'HEAD');
    expect(headCommit(dir)).toBe(sha);
    run(dir, 'pack-refs', '--all');
    expect(headCommit(dir)).toBe(sha);
    const tree = join(tempDir('sweep-worktree-'), 'wt');
    run(dir, 'worktree', 'add', '-q', '-b', 'other', tree);
    expect(headCommit(tree)).toBe(sha);
    run(dir, 'checkout', '-q', '--detach');
    expect(headCommit(dir)).toBe(sha);
    expect(headCommit(tempDir('sweep-nogit-'))).toBeNull();
  });
});
