// What every sweep kernel for the wasm backend needs: its tensors' places in the backend's
// memory, and a way to take a kernel's place while keeping the built-in to fall back on.
import * as tf from '@tensorflow/tfjs';
// Side effect: the wasm backend registers its own kernels first, so ours are applied on top of them.
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { wasmMemory } from '../tfjs-internals.js';

// Kept beside the kernels' other tools; the backend's private bookkeeping it reads is tfjs-internals.ts's.
export { heapOffset } from '../tfjs-internals.js';

/**
 * The backend's memory as the native addon takes it (its first argument, that heapOffset's byte
 * offsets point into). Read it after making a kernel's outputs: making them may grow the memory.
 */
export function heapBuffer(backend: BackendWasm): ArrayBuffer {
  return (wasmMemory(backend) as WebAssembly.Memory).buffer as ArrayBuffer;
}

export type KernelArgs = Parameters<tf.KernelFunc>[0];

/**
 * Allocates a float32 output, then hands `compute` views of the inputs and of the output.
 * In this order because allocating may grow the heap, which detaches older views.
 */
export function onHeap(
  backend: BackendWasm, outShape: readonly number[], inputs: readonly tf.TensorInfo[],
  compute: (inputs: Float32Array[], out: Float32Array) => void,
): tf.TensorInfo {
  const out = backend.makeOutput([...outShape], 'float32');
  compute(inputs.map((t) => backend.typedArrayFromHeap(t) as Float32Array), backend.typedArrayFromHeap(out) as Float32Array);
  return out;
}

/** Runs the kernel registered for wasm under `name` on tensor infos (the caller frees temps). */
export function runWasmKernel(
  backend: BackendWasm, name: string, inputs: Record<string, tf.TensorInfo>, attrs: Record<string, unknown>,
): tf.TensorInfo {
  return tf.getKernel(name, 'wasm')!.kernelFunc({ inputs, backend, attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
}

const builtins = new Map<string, tf.KernelConfig | undefined>();

/**
 * Registers `kernelFunc` as wasm's `name` kernel, keeping the built-in's setup (which binds its
 * wasm export, so the built-in still works as a fallback on later backend starts). Returns the
 * built-in, if there was one. Idempotent.
 */
export function overrideWasmKernel(name: string, kernelFunc: tf.KernelFunc): tf.KernelConfig | undefined {
  const current = tf.getKernel(name, 'wasm');
  if (current?.kernelFunc === kernelFunc) return builtins.get(name);
  if (current !== undefined) tf.unregisterKernel(name, 'wasm');
  builtins.set(name, current);
  tf.registerKernel({
    kernelName: name, backendName: 'wasm', kernelFunc, setupFunc: current?.setupFunc, disposeFunc: current?.disposeFunc,
  });
  return current;
}
