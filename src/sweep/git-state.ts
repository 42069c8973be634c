/**
 * Where a spec's code stood in git: its repository's commit, and whether the work tree differed
 * from it. Read for every run, so it must cost little: the repository is found and a commit read
 * from files, without a process; only a spec inside a repository starts `git`, once to ask what
 * changed and, where something did, once more to hash the diff. No git, no repository, a
 * repository git refuses (another owner's): null, and the sweep runs on.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The git state of the repository a spec lies in (docs/provenance.md). */
export type GitState = {
  /** HEAD's commit; null in a repository without one yet. */
  readonly commit: string | null;
  /** Whether tracked files differ from HEAD, staged or not. Untracked files do not count: a run's own outputs (runs/) often are. */
  readonly dirty: boolean;
  /** SHA-256 of `git diff HEAD --binary` where dirty, so that two dirty runs can be told apart; null where clean (or no HEAD). */
  readonly diffSha256: string | null;
  /** How many untracked, unignored paths `git status` lists (a new folder counts once); their contents are in no hash. */
  readonly untracked: number;
};

/** The folder holding `.git` at or above `folder`, or null: found without starting git. */
export function repositoryRoot(folder: string): string | null {
  for (let dir = resolve(folder); ; dir = dirname(dir)) {
    if (gitDirOf(dir)) return dir;
    if (dirname(dir) === dir) return null;
  }
}

/**
 * HEAD's commit of the repository at `root` (a checkout, or a worktree of one), read from its
 * files as git writes them (loose refs, then packed-refs); null where it cannot be read so.
 */
export function headCommit(root: string): string | null {
  const git = gitDirOf(root);
  if (!git) return null;
  const head = readText(join(git.dir, 'HEAD'));
  if (head === null) return null;
  if (/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(head)) return head;
  const ref = /^ref: (\S+)$/.exec(head)?.[1];
  if (!ref) return null;
  for (const base of [git.dir, git.common]) {
    const loose = readText(join(base, ref));
    if (loose !== null && /^[0-9a-f]{40}/.test(loose)) return loose;
  }
  const packed = readText(join(git.common, 'packed-refs')) ?? '';
  for (const line of packed.split('\n')) {
    const [sha, name] = line.split(' ');
    if (name === ref && /^[0-9a-f]{40}/.test(sha)) return sha;
  }
  return null;
}

/** The git state of the repository `folder` lies in; null outside one, or where git is missing or refuses. */
export async function gitState(folder: string, timeoutMs = 10_000): Promise<GitState | null> {
  const root = repositoryRoot(folder);
  if (root === null) return null;
  const chunks: Buffer[] = [];
  const statusArgs = ['status', '--porcelain=v2', '--branch', '--untracked-files=normal', '--ignore-submodules=dirty'];
  if (!(await git(root, statusArgs, timeoutMs, (c) => chunks.push(c)))) return null;
  const lines = Buffer.concat(chunks).toString('utf8').split('\n');
  const oid = lines.find((l) => l.startsWith('# branch.oid '))?.slice('# branch.oid '.length) ?? null;
  const commit = oid !== null && /^[0-9a-f]{40}/.test(oid) ? oid : null;
  // 1: changed, 2: renamed or copied, u: unmerged; ?: untracked.
  const dirty = lines.some((l) => /^[12u] /.test(l));
  const untracked = lines.filter((l) => l.startsWith('? ')).length;
  let diffSha256: string | null = null;
  if (dirty && commit !== null) {
    // Options that pin the text whatever the user's configuration (prefixes, external diff tools, the algorithm).
    // Hashed as it streams: a diff of binary files may be large.
    const hash = createHash('sha256');
    const ok = await git(root, ['diff', 'HEAD', '--binary', '--no-color', '--no-ext-diff', '--no-textconv', '--diff-algorithm=myers',
      '--src-prefix=a/', '--dst-prefix=b/', '--ignore-submodules=dirty'], timeoutMs, (c) => hash.update(c));
    diffSha256 = ok ? hash.digest('hex') : null;
  }
  return { commit, dirty, diffSha256, untracked };
}

/** The repository's git directory and the common one (a worktree's refs live there), where `dir` holds `.git`. */
function gitDirOf(dir: string): { dir: string; common: string } | null {
  const dotGit = join(dir, '.git');
  let gitDir: string;
  try {
    if (statSync(dotGit).isDirectory()) gitDir = dotGit;
    else {
      // A worktree or submodule: `.git` is a file naming the real one.
      const target = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, 'utf8'))?.[1];
      if (!target) return null;
      gitDir = resolve(dir, target.trim());
    }
  } catch {
    return null;
  }
  const common = readText(join(gitDir, 'commondir'));
  return { dir: gitDir, common: common === null ? gitDir : resolve(gitDir, common) };
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

/**
 * Runs `git ARGS` in `root`, its stdout to `sink`; whether it succeeded (not: it could not start, failed or took too long).
 * `--no-optional-locks`: asking must not take the index lock from the user's own git; the
 * GIT_* variables that point elsewhere (set inside a git hook) are dropped, so `root` is what is read.
 */
function git(root: string, args: readonly string[], timeoutMs: number, sink: (chunk: Buffer) => void): Promise<boolean> {
  const env = { ...process.env };
  for (const k of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_OBJECT_DIRECTORY']) delete env[k];
  return new Promise((done) => {
    const child = spawn('git', ['--no-optional-locks', '-c', 'core.quotePath=true', ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'ignore'] });
    // Not spawn's `timeout`: its timer outlives a git that never started, holding the process open that long.
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const end = (ok: boolean) => {
      clearTimeout(timer);
      done(ok);
    };
    child.stdout.on('data', sink);
    child.on('error', () => end(false));
    child.on('close', (code) => end(code === 0));
  });
}
