import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./first-conv-check.mjs', import.meta.url));
const node20 = Number(process.versions.node.split('.')[0]) < 22;
type Kernel = {
  case: unknown[]; specials: string; levels: number; isa: string; planned: boolean;
  y: boolean; pooled: boolean | null; dw: boolean; db: boolean; nanY: number; negativeZeroDz: number; numbersDw: number; sizeDw: number;
};
type Report = {
  fma: boolean; isa: string; kernels: Kernel[]; declined: boolean[];
  training: { fusedCalls: number; steps: number; tapeCalls: number; same: boolean; accuracy: number } | null;
  plain: { case: unknown[]; isa: string; planned: boolean; y: boolean; dw: boolean; nanY: number }[];
  batchNorm: { plainCalls: number; steps: number; same: boolean; accuracy: number } | null;
};

// Relaxed SIMD on, as `sweep run` trains (the one-pass kernels run only with fused multiply-adds),
// in a child process: vitest's own engine has it off. Reads dist/ and build/.
describe.runIf(process.arch === 'x64' && process.platform === 'linux')('the first convolution in one pass (first-conv.ts, native.c)', () => {
  const report = JSON.parse(execFileSync(process.execPath, [...(node20 ? ['--experimental-wasm-relaxed-simd'] : []), SCRIPT], { encoding: 'utf8' })) as Report;

  it('runs here, with each of the machine\'s vector widths', () => {
    expect(report.fma).toBe(true);
    expect(['avx512', 'avx2']).toContain(report.isa);
    expect(report.kernels.every((k) => k.planned)).toBe(true);
    // 6 geometries × 3 kinds of values × 2 kinds of image, per width.
    expect(report.kernels.length).toBe(36 * (report.isa === 'avx512' ? 2 : 1));
    expect(new Set(report.kernels.map((k) => k.isa))).toContain('avx2');
  });

  it('gives the floats of the kernels it replaces, bit for bit: the activation, its pooling, and the filter\'s and bias\'s gradients', () => {
    expect(report.kernels.filter((k) => !k.y || k.pooled === false || !k.dw || !k.db)).toEqual([]);
    expect(report.kernels.filter((k) => k.pooled !== null).length).toBeGreaterThan(0);
  });

  it('was compared where it matters: NaN in pooled windows, gradients of -0, and channels with and without NaN side by side', () => {
    expect(report.kernels.some((k) => k.pooled === true && k.specials === 'images' && k.nanY > 0)).toBe(true);
    expect(report.kernels.some((k) => k.negativeZeroDz > 0)).toBe(true);
    expect(report.kernels.some((k) => k.specials === 'weights' && k.numbersDw > 0 && k.numbersDw < k.sizeDw)).toBe(true);
    expect(report.kernels.filter((k) => k.specials === 'none').every((k) => k.numbersDw === k.sizeDw)).toBe(true);
  });

  it('without the epilogue, gives Conv2D\'s and Conv2DBackpropFilter\'s floats (the GEMM over im2col), bit for bit', () => {
    expect(report.plain.length).toBe(6 * (report.isa === 'avx512' ? 2 : 1));
    expect(report.plain.filter((p) => !p.planned || !p.y || !p.dw)).toEqual([]);
    expect(report.plain.some((p) => p.nanY > 0)).toBe(true);
  });

  it('trains a batch-normalised CNN (through the tape) with them, to the weights of the GEMM\'s way, bit for bit', () => {
    expect(report.batchNorm).not.toBeNull();
    // Each step's Conv2D and Conv2DBackpropFilter, and evaluation's Conv2D.
    expect(report.batchNorm!.plainCalls).toBeGreaterThan(2 * report.batchNorm!.steps);
    expect(report.batchNorm!.same).toBe(true);
    expect(report.batchNorm!.accuracy).toBeGreaterThan(0.3);
  });

  it('leaves to the general kernels what it does not take: more channels in, fewer than 16 filters, strides, other pooling, more than 25 taps', () => {
    expect(report.declined).toEqual([true, true, true, true, true]);
  });

  it('trains a CNN by the direct step to the weights and metrics of tfjs\'s tape, bit for bit, using it at every step', () => {
    expect(report.training).not.toBeNull();
    // With the epilogue: the direct step's, once a step; the tape never.
    expect(report.training!.fusedCalls).toBe(report.training!.steps);
    expect(report.training!.tapeCalls).toBe(0);
    expect(report.training!.same).toBe(true);
    expect(report.training!.accuracy).toBeGreaterThan(0.3);
  });
});
