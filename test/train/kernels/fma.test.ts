import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./fma-check.mjs', import.meta.url));
type Report = { fma: boolean; exactProbe: number; stats: { diff: number; max: number; differs: number; n: number; sha: string }[] };
const check = (flags: string[]): Report => JSON.parse(execFileSync(process.execPath, [...flags, SCRIPT], { encoding: 'utf8' })) as Report;
const node20 = Number(process.versions.node.split('.')[0]) < 22;

// Reads dist/: `npm test` builds it first.
describe('convolutions and dense layers with fused multiply-adds (relaxed SIMD), and Adam with them', () => {
  const on = check(node20 ? ['--experimental-wasm-relaxed-simd'] : []);

  it('run where the engine has relaxed SIMD, within float rounding of cpu', () => {
    expect(on.fma).toBe(true); // the fused build's probe (a·b + c, rounded once) is 2⁻²⁴ here
    expect(on.exactProbe).toBe(0); // the same in the unfused build: the product rounds first
    // The forward pass and the filter gradient of a [4, 14, 14, 32] → 64 convolution; a dense
    // layer [32×784]·[784×128], and the gradients of one [32×128]·[128×10] (its input's, its
    // kernel's); a [784×128] weight after five Adam steps (PyTorch's form of the update here).
    expect(on.stats).toHaveLength(7);
    for (const s of on.stats) expect(s.diff).toBeLessThanOrEqual(1e-5 * s.max);
  }, 60_000);

  it.runIf(node20)('fall back to the unfused kernels without the flag: other floats, as close', () => {
    const off = check([]);
    expect(off.fma).toBe(false);
    off.stats.forEach((s, i) => {
      expect(s.diff).toBeLessThanOrEqual(1e-5 * s.max);
      expect(s.sha).not.toBe(on.stats[i].sha);
    });
  }, 60_000);
});
