import { describe, it, expect } from 'vitest';
import { parseIdx } from '../../src/data/idx.js';
import { UserError } from '../../src/errors.js';
import { idx } from './idx-files.js';


function errorOf(fn: () => unknown): UserError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return err as UserError;
  }
  throw new Error('expected a UserError');
}

const FILE = 'dir/some-file.gz';

describe('parseIdx', () => {
  it('parses a rank-1 label file', () => {
    const bytes = idx([3], [9, 0, 7]);
    const { dims, data } = parseIdx(bytes, FILE, { rank: 1 });
    expect(dims).toEqual([3]);
    expect([...data]).toEqual([9, 0, 7]);
  });

  it('parses a rank-3 image file as a view, without copying', () => {
    const bytes = idx([2, 2, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]);
    const { dims, data } = parseIdx(bytes, FILE, { rank: 3, dims: [-1, 2, 3] });
    expect(dims).toEqual([2, 2, 3]);
    expect([...data]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]);
    expect(data.buffer).toBe(bytes.buffer);
    expect(data.byteOffset).toBe(16);
  });

  it('honours the byteOffset of its input', () => {
    const inner = idx([2], [4, 5]);
    const outer = new Uint8Array(inner.length + 7);
    outer.set(inner, 5);
    const { dims, data } = parseIdx(outer.subarray(5, 5 + inner.length), FILE);
    expect(dims).toEqual([2]);
    expect([...data]).toEqual([4, 5]);
  });

  it('accepts an empty payload', () => {
    expect(parseIdx(idx([0, 28, 28], []), FILE, { rank: 3, dims: [-1, 28, 28] }).data.length).toBe(0);
  });

  it.each([
    ['bad magic', idx([1], [0], 0x12345601), { rank: 1 }, 'bad magic number 0x12345601'],
    ['a float IDX file', idx([1], [0, 0, 0, 0], 0x00000d01), { rank: 1 }, 'bad magic number 0x00000d01'],
    ['rank 0', idx([], [], 0x00000800), undefined, 'bad magic number 0x00000800'],
    ['wrong rank', idx([2], [1, 2]), { rank: 3 }, 'wrong rank: expected 3'],
    ['wrong dims', idx([1, 28, 27], new Array(28 * 27).fill(0)), { rank: 3, dims: [-1, 28, 28] }, 'wrong dimensions: expected Nx28x28, got 1x28x27'],
    ['wrong count', idx([2], [1, 2]), { rank: 1, dims: [3] }, 'wrong dimensions: expected 3, got 2'],
    ['under 4 bytes', new Uint8Array([0, 0, 8]), undefined, 'truncated IDX file: expected at least 4 bytes, got 3'],
    ['a truncated header', idx([2, 2, 2], []).subarray(0, 10), { rank: 3 }, 'truncated IDX file: expected a 16-byte header, got 10 bytes'],
    ['a truncated payload', idx([3, 2], [1, 2, 3, 4, 5]), { rank: 2 }, 'truncated IDX file: expected 18 bytes, got 17'],
    ['a payload too long', idx([2], [1, 2, 3]), { rank: 1 }, 'IDX file too long: expected 10 bytes, got 11'],
  ])('rejects %s, naming the file', (_name, bytes, want, message) => {
    const err = errorOf(() => parseIdx(bytes, FILE, want));
    expect(err.message.startsWith(`${FILE}: `)).toBe(true);
    expect(err.message).toContain(message);
  });

  it('explains the expected magic number', () => {
    expect(errorOf(() => parseIdx(idx([1], [0], 0x08000001), FILE, { rank: 3 })).message).toContain('expected 0x00000803');
  });
});
