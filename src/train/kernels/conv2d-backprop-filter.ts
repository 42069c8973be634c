// Why: tfjs-backend-wasm 4.22 ships no Conv2DBackpropFilter kernel, so conv nets cannot train on 'wasm' without this.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

const KERNEL_NAME = 'Conv2DBackpropFilter';

/** Float64 accumulator reused across calls (grown on demand) so steps don't allocate. */
let accScratch = new Float64Array(0);

function conv2DBackpropFilterWasm(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: {};
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;

  if (dataFormat === 'NCHW') {
    throw new Error(
      `Conv2DBackpropFilter (wasm): dataFormat 'NCHW' is not supported; use 'NHWC' (channelsLast).`,
    );
  }
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new Error(
      `Conv2DBackpropFilter (wasm): x and dy must be float32, got ${x.dtype} and ${dy.dtype}.`,
    );
  }
  if (x.shape.length !== 4 || dy.shape.length !== 4) {
    throw new Error(
      `Conv2DBackpropFilter (wasm): x and dy must be rank 4, got [${x.shape}] and [${dy.shape}].`,
    );
  }

  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1 /* dilations */,
    pad,
    dimRoundingMode,
    false /* depthwise */,
    'channelsLast',
  );
  const N = info.batchSize;
  const H = info.inHeight;
  const W = info.inWidth;
  const CI = info.inChannels;
  const OH = info.outHeight;
  const OW = info.outWidth;
  const CO = info.outChannels;
  const KH = info.filterHeight;
  const KW = info.filterWidth;
  const SH = info.strideHeight;
  const SW = info.strideWidth;
  const PT = info.padInfo.top;
  const PL = info.padInfo.left;
  if (dy.shape[0] !== N || dy.shape[1] !== OH || dy.shape[2] !== OW || dy.shape[3] !== CO) {
    throw new Error(
      `Conv2DBackpropFilter (wasm): dy shape [${dy.shape}] does not match the conv output shape [${info.outShape}].`,
    );
  }

  // Allocate the output first: makeOutput may grow the wasm heap, which detaches earlier heap views.
  const out = backend.makeOutput(info.filterShape, 'float32');
  const xv = backend.typedArrayFromHeap(x) as Float32Array;
  const dyv = backend.typedArrayFromHeap(dy) as Float32Array;
  const dwv = backend.typedArrayFromHeap(out) as Float32Array;

  const dwSize = KH * KW * CI * CO;
  if (accScratch.length < dwSize) accScratch = new Float64Array(dwSize);
  const acc = accScratch;
  acc.fill(0, 0, dwSize);

  // dW[kh,kw,ci,co] = sum_{b,oh,ow} x[b, oh*SH+kh-PT, ow*SW+kw-PL, ci] * dy[b,oh,ow,co]
  // Loop over output positions; for each, an outer product of the (valid) input patch with the
  // dy row, innermost over co so both acc and dy are walked contiguously.
  const xRowStride = W * CI;
  const xImgStride = H * xRowStride;
  const kwStride = CI * CO;
  const khStride = KW * kwStride;
  for (let b = 0; b < N; ++b) {
    const xImg = b * xImgStride;
    for (let oh = 0; oh < OH; ++oh) {
      const ih0 = oh * SH - PT;
      const khMin = ih0 < 0 ? -ih0 : 0;
      const khMax = H - ih0 < KH ? H - ih0 : KH;
      let dyOff = ((b * OH + oh) * OW) * CO;
      for (let ow = 0; ow < OW; ++ow, dyOff += CO) {
        // dy after ReLU/max-pool backprop is mostly zero rows: skip them (their contribution is 0).
        let nz = false;
        for (let co = 0; co < CO; ++co) {
          if (dyv[dyOff + co] !== 0) {
            nz = true;
            break;
          }
        }
        if (!nz) continue;
        const iw0 = ow * SW - PL;
        const kwMin = iw0 < 0 ? -iw0 : 0;
        const kwMax = W - iw0 < KW ? W - iw0 : KW;
        for (let kh = khMin; kh < khMax; ++kh) {
          const xRow = xImg + (ih0 + kh) * xRowStride;
          for (let kw = kwMin; kw < kwMax; ++kw) {
            const xOff = xRow + (iw0 + kw) * CI;
            let accOff = kh * khStride + kw * kwStride;
            for (let ci = 0; ci < CI; ++ci, accOff += CO) {
              const xval = xv[xOff + ci];
              if (xval === 0) continue;
              for (let co = 0; co < CO; ++co) {
                acc[accOff + co] += xval * dyv[dyOff + co];
              }
            }
          }
        }
      }
    }
  }
  for (let i = 0; i < dwSize; ++i) dwv[i] = acc[i];
  return out;
}

/**
 * Registers the kernels tfjs-backend-wasm lacks for CNN training (currently Conv2DBackpropFilter)
 * for backend 'wasm'. Idempotent; call before training on 'wasm'.
 */
export function registerWasmKernels(): void {
  if (tf.getKernel(KERNEL_NAME, 'wasm') === undefined) {
    tf.registerKernel({
      kernelName: KERNEL_NAME,
      backendName: 'wasm',
      kernelFunc: conv2DBackpropFilterWasm as tf.KernelFunc,
    });
  }
}
