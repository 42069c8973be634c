/** KeptBytes: the first and last bytes of a stream, whatever its reads' sizes, cut between characters. */
import { describe, expect, it } from 'vitest';
import { KeptBytes } from '../../../src/trial/program/kept-output.js';

/** Feeds `bytes` to a KeptBytes in reads of `size`. */
function keep(bytes: Buffer, size: number, head: number, tail: number) {
  const kept = new KeptBytes(head, tail);
  for (let i = 0; i < bytes.length; i += size) kept.push(bytes.subarray(i, i + size));
  return kept.snapshot();
}

describe('KeptBytes', () => {
  it('keeps a stream shorter than head and tail whole, however it was read', () => {
    const text = 'loss 0.5\nacc 0.9\n';
    for (const size of [1, 3, 100]) expect(keep(Buffer.from(text), size, 8, 16)).toEqual({ text, droppedBytes: 0, totalBytes: text.length });
  });

  it('keeps the head and the tail of a longer one, whatever its reads\' sizes', () => {
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join(''));
    const expected = `${bytes.subarray(0, 10)}\n[sweep: 970 bytes of output not kept]\n${bytes.subarray(980)}`;
    for (const size of [1, 7, 20, 64, 999, 1000]) expect(keep(bytes, size, 10, 20)).toEqual({ text: expected, droppedBytes: 970, totalBytes: 1000 });
  });

  it('cuts between characters: a character split by a cut counts as dropped', () => {
    // "€" is 3 bytes: the head's 4th byte and the tail's first fall inside one.
    const bytes = Buffer.from(`a€${'x'.repeat(50)}€b`);
    expect(keep(bytes, 5, 3, 3)).toEqual({ text: 'a\n[sweep: 56 bytes of output not kept]\nb', droppedBytes: 56, totalBytes: 58 });
    expect(keep(bytes, 5, 4, 4)).toEqual({ text: 'a€\n[sweep: 50 bytes of output not kept]\n€b', droppedBytes: 50, totalBytes: 58 });
  });

  it('holds at most the tail and one read beyond it', () => {
    const kept = new KeptBytes(4, 100);
    const read = Buffer.alloc(64 * 1024, 'y');
    for (let i = 0; i < 1000; i++) kept.push(read);
    const { droppedBytes, totalBytes, text } = kept.snapshot();
    expect(totalBytes).toBe(1000 * read.length);
    expect(droppedBytes).toBe(totalBytes - 104);
    expect(text.length).toBeLessThan(200);
    // Its private chunks: what it holds beyond the head.
    const held = (kept as unknown as { tail: Buffer[] }).tail;
    expect(held.reduce((n, b) => n + b.length, 0)).toBeLessThanOrEqual(100 + read.length);
  });
});
