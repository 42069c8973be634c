/**
 * The TensorFlow.js version src/train/tfjs-internals.ts was written for, and the check that the
 * installed one is it. Apart from it, without TensorFlow.js itself, so that the command line can
 * refuse another version up front without loading tfjs (a second) in its main thread.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { UserError } from '../errors.js';

/** The tfjs version every accessor here was written against. */
export const TFJS_VERSION = '4.22.0';

/** The packages whose internals sweep reaches into. */
export const TFJS_PACKAGES = [
  '@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-wasm',
] as const;
export type TfjsPackage = (typeof TFJS_PACKAGES)[number];

// tfjs-core and tfjs-layers are not sweep's own dependencies but @tensorflow/tfjs's: resolved
// from there, they are the copies `import * as tf from '@tensorflow/tfjs'` runs, wherever the
// package manager put them.
const VIA_TFJS: readonly TfjsPackage[] = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers'];

/**
 * The version in `name`'s package.json as this project resolves it (tfjs-core and tfjs-layers
 * as @tensorflow/tfjs resolves them), or null where it is not installed.
 */
export function readInstalledVersion(name: TfjsPackage): string | null {
  try {
    const project = createRequire(import.meta.url);
    const from = VIA_TFJS.includes(name) ? createRequire(project.resolve('@tensorflow/tfjs/package.json')) : project;
    return (JSON.parse(readFileSync(from.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return null;
    throw err;
  }
}

/**
 * Throws a UserError, one line naming each tfjs package that `read` finds at another version
 * than TFJS_VERSION (or missing); returns where all are at it.
 */
export function checkTfjsVersions(read: (name: TfjsPackage) => string | null = readInstalledVersion): void {
  const wrong = TFJS_PACKAGES.flatMap((name) => {
    const version = read(name);
    return version === TFJS_VERSION ? [] : [version === null ? `no ${name}` : `${name} ${version}`];
  });
  if (wrong.length === 0) return;
  throw new UserError(
    `${wrong.join(' and ')} ${wrong.length === 1 ? 'is' : 'are'} installed; sweep's kernels reach into tfjs internals `
    + `written for ${TFJS_VERSION} (src/train/tfjs-internals.ts): install ${TFJS_VERSION} (npm ci)`,
  );
}
