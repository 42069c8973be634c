import v8 from 'node:v8';
import { fusedMultiplyAdd } from './fma.js';

/**
 * Turns on WebAssembly relaxed SIMD where the engine has it behind a flag (Node 20), so the
 * convolutions' GEMM fuses its multiply-adds. V8 reads the flag when a module compiles, so this
 * must run at start-up, before any WebAssembly (the worker threads started later share it).
 * Node 22 has it on already. Returns whether fused multiply-adds are now available.
 */
export function enableRelaxedSimd(): boolean {
  if (fusedMultiplyAdd()) return true;
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  return fusedMultiplyAdd(true);
}
