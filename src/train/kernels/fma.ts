/**
 * Which of the two builds of simd.wat runs, and whether this engine fuses multiply-adds: no tfjs
 * here, so that the main thread can record it with each trial (src/sweep/environment.ts) without
 * loading TensorFlow.js (a second at start-up).
 */
import { SIMD_FMA_WASM_BASE64, SIMD_WASM_BASE64 } from './simd-module.js';

const BYTES = { exact: SIMD_WASM_BASE64, fma: SIMD_FMA_WASM_BASE64 };
export type Variant = keyof typeof BYTES;
const modules: Partial<Record<Variant, WebAssembly.Module>> = {};
let fmaAvailable: boolean | undefined;

/**
 * Whether the products' GEMM (convolutions, dense layers) runs with fused multiply-adds: where the engine has relaxed SIMD
 * (Node 22 by default, Node 20 once `enableRelaxedSimd` has run before any WebAssembly compiled)
 * and the machine fuses (x86 with FMA3, ARM64).
 * A fused multiply-add rounds once where a multiply and an add round twice, so a product's
 * floats differ (by rounding) from the unfused kernels'; the same switch gives Adam PyTorch's form
 * of its update (src/train/kernels/adam.ts). The choice is recorded with each trial.
 */
export function fusedMultiplyAdd(recheck = false): boolean {
  if (recheck || fmaAvailable === undefined) {
    // Relaxed SIMD allows an engine on a CPU without FMA to multiply, then add: ask the machine.
    fmaAvailable = WebAssembly.validate(Buffer.from(BYTES.fma, 'base64')) && (new WebAssembly.Instance(compiled('fma'), {
      env: { memory: new WebAssembly.Memory({ initial: 1 }) },
    }).exports as { fma_probe(): number }).fma_probe() !== 0;
  }
  return fmaAvailable;
}

/** The variant's module, compiled once per process. */
export function compiled(variant: Variant): WebAssembly.Module {
  return (modules[variant] ??= new WebAssembly.Module(Buffer.from(BYTES[variant], 'base64')));
}
