import { describe, it, expect } from 'vitest';
import { currentEnvironment, environmentDiff, type Environment } from '../../src/sweep/environment.js';
import { fusedMultiplyAdd } from '../../src/train/kernels/simd.js';

describe('the recorded environment', () => {
  const now = currentEnvironment({ 'train-images': 'abc' });

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
});
