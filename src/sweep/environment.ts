import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { fusedMultiplyAdd } from '../train/kernels/fma.js';

const require = createRequire(import.meta.url);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What a trial's result depends on besides its configuration: recorded so it can be reproduced. */
export type Environment = {
  node: string;
  tfjs: string;
  sweep: string;
  /** The git commit of the checkout `sweep` ran from, or null outside one. */
  commit: string | null;
  /** SHA-256 of each decompressed dataset file. */
  dataset: Record<string, string>;
  /**
   * Whether the wasm products (convolutions; dense layers too, since they have their own kernel)
   * fused their multiply-adds (relaxed SIMD), and with them Adam took PyTorch's form of its update:
   * their floats depend on it. Absent in trials recorded before sweep had them, which ran without.
   */
  fma?: boolean;
};

/** This process's environment (without reading tfjs itself: only its package.json). */
export function currentEnvironment(dataset: Record<string, string>): Environment {
  const version = (pkg: string) => (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  let commit: string | null = null;
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    commit = null;
  }
  return {
    node: process.version,
    tfjs: version(require.resolve('@tensorflow/tfjs/package.json')),
    sweep: version(`${ROOT}package.json`),
    commit,
    dataset,
    fma: fusedMultiplyAdd(),
  };
}

/** The fields that differ between two environments (the commit aside: code changes show as results). */
export function environmentDiff(a: Environment, b: Environment): string[] {
  const out: string[] = [];
  for (const k of ['node', 'tfjs', 'sweep'] as const) if (a[k] !== b[k]) out.push(`${k} ${a[k]} → ${b[k]}`);
  const fma = (e: Environment) => (e.fma === true ? 'on' : 'off');
  if (fma(a) !== fma(b)) out.push(`fused multiply-add arithmetic (wasm products, Adam) ${fma(a)} → ${fma(b)}`);
  for (const f of Object.keys({ ...a.dataset, ...b.dataset })) {
    if (a.dataset[f] !== b.dataset[f]) out.push(`dataset ${f} checksum ${a.dataset[f]?.slice(0, 12) ?? '-'} → ${b.dataset[f]?.slice(0, 12) ?? '-'}`);
  }
  return out;
}
