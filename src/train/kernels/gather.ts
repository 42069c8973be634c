// Why: tfjs-backend-wasm 4.22's GatherV2 computes every element's address through generic
// strides (~30 ns per float here), so gathering a shuffled batch of images cost more than the
// batch's forward pass. Gathering whole rows is a memcpy per row.
import * as tf from '@tensorflow/tfjs';
// Side effect: the wasm backend registers its own kernels first, so ours are applied on top of them.
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { kernelAttrs, wasmHeap } from '../tfjs-internals.js';
import { heapOffset, type KernelArgs, overrideWasmKernel } from './wasm-kernel.js';

let builtin: tf.KernelConfig | undefined;

const ROW_DTYPES = new Set(['float32', 'int32', 'bool']);

function gatherWasm(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
  const { axis, batchDims } = kernelAttrs<tf.GatherV2Attrs>(args.attrs);
  // Rows of a tensor by a vector of indices (tf.gather(x, idx)); anything else: the built-in.
  if (tf.util.parseAxisParam(axis, x.shape)[0] !== 0 || (batchDims ?? 0) !== 0 || indices.shape.length !== 1
    || !ROW_DTYPES.has(x.dtype) || indices.dtype !== 'int32') {
    return builtin!.kernelFunc(args) as tf.TensorInfo;
  }
  const rows = x.shape[0];
  const rowShape = x.shape.slice(1);
  const out = backend.makeOutput([indices.shape[0], ...rowShape], x.dtype);
  const rowBytes = tf.util.sizeFromShape(rowShape) * (x.dtype === 'bool' ? 1 : 4);
  // Views after makeOutput: growing the heap detaches older ones.
  const heap = wasmHeap(backend);
  const idx = backend.typedArrayFromHeap(indices) as Int32Array;
  const [src, dst] = [heapOffset(backend, x), heapOffset(backend, out)];
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i];
    if (!(r >= 0 && r < rows)) {
      backend.disposeData(out.dataId);
      throw new Error(`GatherV2: the index value ${r} is not in [0, ${rows - 1}]`);
    }
    heap.copyWithin(dst + i * rowBytes, src + r * rowBytes, src + (r + 1) * rowBytes);
  }
  return out;
}

/** Registers the row-copying GatherV2 for backend 'wasm' over the built-in one. Idempotent. */
export function registerWasmGather(): void {
  builtin = overrideWasmKernel('GatherV2', gatherWasm);
}
