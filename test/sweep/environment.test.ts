import { describe, it, expect } from 'vitest';
import { currentEnvironment, environmentDiff, trialEnvironment, type Environment } from '../../src/sweep/environment.js';
import { fusedMultiplyAdd } from '../../src/train/kernels/simd.js';
import { nativeStatus } from '../../src/train/kernels/native.js';

describe('the recorded environment', async () => {
  const now = await currentEnvironment({ 'train-images': 'abc' });

  it('records whether the wasm products fuse their multiply-adds', () => {
    expect(now.fma).toBe(fusedMultiplyAdd());
  });

  it('names a change of fused multiply-adds, reading an older record without the field as off', () => {
    const older: Environment = { ...now, fma: undefined };
    const fused: Environment = { ...now, fma: true };
    expect(environmentDiff(older, fused)).toEqual(['fused multiply-add arithmetic (wasm products, Adam) off → on']);
    expect(environmentDiff(fused, { ...now, fma: false })).toEqual(['fused multiply-add arithmetic (wasm products, Adam) on → off']);
    expect(environmentDiff(older, { ...now, fma: false })).toEqual([]);
  });

  it('records the CPU and the kernels the wasm backend runs here: native where the fused build runs and the addon loads', () => {
    expect(now.cpu).toMatch(/\S/);
    const isa = nativeStatus();
    expect(now.kernels).toBe(fusedMultiplyAdd() && (isa === 'avx512' || isa === 'avx2') ? `native-${isa}` : 'wasm');
  });

  it.each([
    ['wasm', 'native-avx2'], ['tensorflow', 'tensorflow'], ['cpu', 'cpu'], ['program', undefined], ['objective', undefined],
  ])('a trial trained on the %s backend records the kernels %s', (backend, kernels) => {
    expect(trialEnvironment({ ...now, kernels: 'native-avx2' }, backend).kernels).toBe(kernels);
  });

  it('names every other difference in a few words; fields an older record lacks are none', () => {
    const git = { commit: 'a'.repeat(40), dirty: false, diffSha256: null, untracked: 0 };
    const then: Environment = { ...now, cpu: 'Intel Xeon', kernels: 'native-avx512', program: 'c'.repeat(64), specGit: git };
    const later: Environment = { ...then, cpu: 'AMD EPYC', kernels: 'wasm', program: 'd'.repeat(64), specGit: { ...git, commit: 'b'.repeat(40), dirty: true, diffSha256: 'e'.repeat(64) } };
    expect(environmentDiff(then, later)).toEqual([
      'CPU Intel Xeon → AMD EPYC', 'kernels native-avx512 → wasm', `program SHA-256 ${'c'.repeat(12)} → ${'d'.repeat(12)}`,
      `spec's commit ${'a'.repeat(12)} → ${'b'.repeat(12)}`, `spec's uncommitted changes clean → dirty, diff ${'e'.repeat(12)}`,
    ]);
    expect(environmentDiff(then, { ...later, specGit: null })).toContain(`spec's repository ${'a'.repeat(12)} (clean) → not in a git repository`);
    // None of these changes a built-in model's floats.
    expect(environmentDiff(then, later, 'arithmetic')).toEqual([]);
    const { cpu: _c, kernels: _k, program: _p, specGit: _g, ...older } = then;
    expect(environmentDiff(older, later)).toEqual([]);
  });
});
