// Why: tfjs-backend-wasm 4.22 sums over leading axes by transposing the whole input first, so
// the reduced axes come last, then summing each row. A bias's gradient is exactly that: dy summed
// over batch, height and width ([32, 28, 28, 32] → [32] for the notebook CNN's first layer), a
// full transposed copy and two passes: 2.7 ms of a 30 ms CNN step, more than Adam. Summing the
// rows into one row of column sums reads the input once, in place, in the same order (each
// column from 0, row after row), so the floats are the same.
import * as tf from '@tensorflow/tfjs';
// Side effect: the wasm backend registers its own kernels first, so ours are applied on top of them.
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { kernelAttrs } from '../tfjs-internals.js';
import { simdKernels } from './simd.js';
import { heapOffset, type KernelArgs, overrideWasmKernel } from './wasm-kernel.js';

let builtin: tf.KernelConfig | undefined;

/** How many leading axes `axis` names, when it names exactly the first few but not all; else 0. */
function leadingAxes(axis: number | number[], shape: readonly number[]): number {
  const axes = [...new Set(tf.util.parseAxisParam(axis, [...shape]))].sort((a, b) => a - b);
  const lead = axes.every((a, i) => a === i) ? axes.length : 0;
  return lead < shape.length ? lead : 0;
}

function sumWasm(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { axis, keepDims } = kernelAttrs<tf.SumAttrs>(args.attrs);
  const lead = x.dtype === 'float32' ? leadingAxes(axis, x.shape) : 0;
  const simd = simdKernels(backend);
  if (lead === 0 || simd === null || tf.util.sizeFromShape(x.shape) === 0) return builtin!.kernelFunc(args) as tf.TensorInfo;
  const kept = x.shape.slice(lead);
  const out = backend.makeOutput(keepDims ? [...x.shape.slice(0, lead).map(() => 1), ...kept] : kept, 'float32');
  simd.col_sums(heapOffset(backend, x), heapOffset(backend, out),
    tf.util.sizeFromShape(x.shape.slice(0, lead)), tf.util.sizeFromShape(kept));
  return out;
}

/** Registers the in-place Sum over leading axes for backend 'wasm' over the built-in one. Idempotent. */
export function registerWasmSum(): void {
  builtin = overrideWasmKernel('Sum', sumWasm);
}
