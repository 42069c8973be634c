import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fusedMultiplyAdd } from '../train/kernels/fma.js';
import { nativeStatus } from '../train/kernels/native.js';
import { gitState, headCommit, type GitState } from './git-state.js';

const require = createRequire(import.meta.url);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * What a trial's result depends on besides its configuration: recorded with each completed trial
 * and with its sweep, so that it can be reproduced (docs/provenance.md). Fields added later are
 * optional: older records lack them.
 */
export type Environment = {
  node: string;
  tfjs: string;
  sweep: string;
  /** The git commit of the checkout `sweep` itself ran from, or null (an installed package has none). */
  commit: string | null;
  /** SHA-256 of each decompressed dataset file. */
  dataset: Record<string, string>;
  /**
   * Whether the wasm products (convolutions; dense layers too, since they have their own kernel)
   * fused their multiply-adds (relaxed SIMD), and with them Adam took PyTorch's form of its update:
   * their floats depend on it. Absent in trials recorded before sweep had them, which ran without.
   */
  fma?: boolean;
  /** The CPU's model, as the operating system names it. */
  cpu?: string;
  /**
   * What computed the products (GEMM, convolutions, Adam): `native-avx512` or `native-avx2` (the
   * native addon, src/train/kernels/native.ts), `wasm`, or the backend's own (`tensorflow`, `cpu`).
   * A sweep's record says what the wasm backend would use; a trial's, what trained it (none for the user's code).
   */
  kernels?: string;
  /** The git state of the repository the spec lies in; null where it is in none (or git is missing). */
  specGit?: GitState | null;
  /** The SHA-256 of the user's program or objective module, for a sweep of the user's code. */
  program?: string | null;
};

/**
 * This process's environment (without loading tfjs itself: only its package.json), with the
 * git state of the folder of the spec at `specPath` (none: not asked).
 */
export async function currentEnvironment(dataset: Record<string, string>, specPath?: string | null): Promise<Environment> {
  const version = (pkg: string) => (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  return {
    node: process.version,
    tfjs: version(require.resolve('@tensorflow/tfjs/package.json')),
    sweep: version(`${ROOT}package.json`),
    commit: headCommit(ROOT),
    dataset,
    fma: fusedMultiplyAdd(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    kernels: wasmKernels(),
    // A spec recorded elsewhere (another host's path, seen by `sweep worker`) is not looked for in whatever repository holds this folder.
    ...(specPath && existsSync(specPath) ? { specGit: await gitState(dirname(resolve(specPath))) } : {}),
  };
}

/**
 * The kernels the wasm backend's products run on here: the native addon where the fused build
 * runs and it loads (the same choice `productKernels` makes, in the same process), else wasm.
 */
function wasmKernels(): string {
  const isa = fusedMultiplyAdd() ? nativeStatus() : 'off';
  return isa === 'avx512' || isa === 'avx2' ? `native-${isa}` : 'wasm';
}

/** `env` as a trial the `backend` trained records it: the kernels that backend ran (the user's code's own: none). */
export function trialEnvironment(env: Environment, backend: string): Environment {
  const { kernels, ...rest } = env;
  if (backend === 'wasm') return { ...rest, ...(kernels === undefined ? {} : { kernels }) };
  return backend === 'tensorflow' || backend === 'cpu' ? { ...rest, kernels: backend } : rest;
}

/**
 * The fields that differ between two environments, each in a few words: what `sweep repro` warns
 * of. `arithmetic`: only those that change a built-in model's floats (versions, fused multiply-adds,
 * data), for which a result that moves is expected; not sweep's commit (a change of code shows in
 * the results), the CPU or the kernels (the native ones compute the wasm ones' floats, bit for
 * bit), nor the spec's repository or the user's code, which sweep's models do not run.
 */
export function environmentDiff(a: Environment, b: Environment, scope: 'all' | 'arithmetic' = 'all'): string[] {
  const out: string[] = [];
  const all = scope === 'all';
  const short = (v: string | null | undefined) => (v ? v.slice(0, 12) : '-');
  for (const k of ['node', 'tfjs', 'sweep'] as const) if (a[k] !== b[k]) out.push(`${k} ${a[k]} → ${b[k]}`);
  if (all && a.commit && b.commit && a.commit !== b.commit) out.push(`sweep's commit ${short(a.commit)} → ${short(b.commit)}`);
  const fma = (e: Environment) => (e.fma === true ? 'on' : 'off');
  if (fma(a) !== fma(b)) out.push(`fused multiply-add arithmetic (wasm products, Adam) ${fma(a)} → ${fma(b)}`);
  // Fields older records lack are not differences: nothing is known of them.
  const known = <K extends keyof Environment>(k: K) => all && a[k] !== undefined && b[k] !== undefined && a[k] !== b[k];
  if (known('cpu')) out.push(`CPU ${a.cpu} → ${b.cpu}`);
  if (known('kernels')) out.push(`kernels ${a.kernels} → ${b.kernels}`);
  if (known('program')) out.push(`program SHA-256 ${short(a.program)} → ${short(b.program)}`);
  if (all && a.specGit !== undefined && b.specGit !== undefined) out.push(...gitDiff(a.specGit, b.specGit));
  for (const f of Object.keys({ ...a.dataset, ...b.dataset })) {
    if (a.dataset[f] !== b.dataset[f]) out.push(`dataset ${f} checksum ${short(a.dataset[f])} → ${short(b.dataset[f])}`);
  }
  return out;
}

/** How the spec's repository moved: its commit, and its uncommitted changes. */
function gitDiff(a: GitState | null, b: GitState | null): string[] {
  if (a === null || b === null) return a === b ? [] : [`spec's repository ${describeGit(a)} → ${describeGit(b)}`];
  const out: string[] = [];
  if (a.commit !== b.commit) out.push(`spec's commit ${a.commit?.slice(0, 12) ?? 'none'} → ${b.commit?.slice(0, 12) ?? 'none'}`);
  if (a.dirty !== b.dirty || a.diffSha256 !== b.diffSha256) out.push(`spec's uncommitted changes ${dirt(a)} → ${dirt(b)}`);
  return out;
}

/** A git state in a few words: `3f2a9c1b0d4e (clean)`, `… (dirty, diff 8be1…)`, or `none` outside a repository. */
export function describeGit(g: GitState | null | undefined): string {
  if (g === undefined) return 'not recorded';
  if (g === null) return 'not in a git repository';
  return `${g.commit?.slice(0, 12) ?? 'no commit'} (${dirt(g)}${g.untracked > 0 ? `, ${g.untracked} untracked` : ''})`;
}

const dirt = (g: GitState) => (g.dirty ? `dirty, diff ${g.diffSha256?.slice(0, 12) ?? '?'}` : 'clean');

/** An environment in a few lines, for people (`sweep show`): versions, machine, the spec's repository, the code and data checksums. */
export function describeEnvironment(e: Environment): string[] {
  const files = Object.entries(e.dataset ?? {});
  return [
    `sweep ${e.sweep}${e.commit ? ` (commit ${e.commit.slice(0, 12)})` : ''}, Node ${e.node}, TensorFlow.js ${e.tfjs}`,
    `CPU ${e.cpu ?? 'not recorded'}; kernels ${e.kernels ?? 'not recorded'}, fused multiply-adds ${e.fma === true ? 'on' : 'off'}`,
    `spec's repository: ${describeGit(e.specGit)}`,
    ...(e.program === undefined ? [] : [`program SHA-256 ${e.program ?? 'not readable'}`]),
    ...(files.length === 0 ? [] : [`dataset SHA-256: ${files.map(([f, h]) => `${f} ${h.slice(0, 12)}`).join(', ')}`]),
  ];
}
