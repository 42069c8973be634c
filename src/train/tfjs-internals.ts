// Why: sweep's kernels and layers reach past TensorFlow.js's public API (its layers' and
// optimizers' private fields, the engine's state, the wasm backend's memory). None of that is
// tfjs's contract: any release may rename or reshape it, and the failure would be a wrong
// number or an undefined deep inside a trial. So src/train touches it only through this module,
// written for one tfjs version, and the backend does not start on another (checkTfjsVersions).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
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

// The wasm backend's memory: where tfjs-backend-wasm keeps each tensor, and the emscripten
// module's own views of it.

/** A tensor's byte offset in the wasm backend's memory (its private TensorData). */
export function heapOffset(backend: BackendWasm, t: tf.TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset;
}

/** The backend's whole memory as bytes: a view that growing the heap detaches, so take it after allocating. */
export function wasmHeap(backend: BackendWasm): Uint8Array {
  return (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8;
}

/** The backend's memory, where it is a plain (unshared) WebAssembly.Memory; else null. */
export function wasmMemory(backend: BackendWasm): WebAssembly.Memory | null {
  const memory = (backend.wasm as { asm?: { memory?: unknown } } | undefined)?.asm?.memory;
  return memory instanceof WebAssembly.Memory && memory.buffer instanceof ArrayBuffer ? memory : null;
}

// Kernels.

/** A kernel's (or a gradient's) attributes as the fields tfjs's kernel of that name takes, such as tf.Conv2DAttrs. */
export function kernelAttrs<T>(attrs: tf.NamedAttrMap | undefined): T {
  return attrs as unknown as T;
}
