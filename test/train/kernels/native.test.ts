import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NATIVE_ADDON } from '../../../src/train/kernels/native.js';

const SCRIPT = fileURLToPath(new URL('./native-check.mjs', import.meta.url));
const node20 = Number(process.versions.node.split('.')[0]) < 22;
type Report = {
  fma: boolean; isa: string; dispatched: boolean; rangeError: string | null;
  gemm: { m: number; k: number; n: number; transposed: boolean; acc: number; isa: string; same: boolean }[];
  conv: { geometry: number[]; rows: number; isa: string; forward: boolean; filterGrad: boolean }[];
};

// Reads dist/ and build/: `npm ci` builds the addon, `npm test` dist/.
describe.runIf(process.arch === 'x64' && process.platform === 'linux')('the native GEMM (gemm.c)', () => {
  it('is built by npm ci on this machine', () => {
    expect(existsSync(NATIVE_ADDON)).toBe(true);
  });

  const report = JSON.parse(execFileSync(process.execPath, [...(node20 ? ['--experimental-wasm-relaxed-simd'] : []), SCRIPT], { encoding: 'utf8' })) as Report;

  it('runs the products where the wasm GEMM would fuse its multiply-adds', () => {
    expect(report.fma).toBe(true);
    expect(['avx512', 'avx2']).toContain(report.isa);
    expect(report.dispatched).toBe(true);
  });

  it('gives the wasm fused GEMM\'s floats, bit for bit, at every block edge and with each vector width', () => {
    expect(report.gemm.length).toBeGreaterThanOrEqual(44);
    expect(report.gemm.filter((g) => !g.same)).toEqual([]);
    expect(new Set(report.gemm.map((g) => g.isa))).toContain('avx2');
  });

  it('convolves and takes filter gradients as the wasm kernels do, bit for bit', () => {
    expect(report.conv.length).toBeGreaterThanOrEqual(4);
    expect(report.conv.filter((c) => !c.forward || !c.filterGrad)).toEqual([]);
  });

  it('refuses an operand outside the memory', () => {
    expect(report.rangeError).toMatch(/^RangeError: .*outside the memory/);
  });
}, 60_000);
