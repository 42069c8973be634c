import { describe, expect, it } from 'vitest';
import { LINE_LIMIT, OutputLines, type OutputLine } from '../../../src/trial/program/output-lines.js';

/** Every line `chunks` make, `end()` included. */
function linesOf(...chunks: (string | Uint8Array)[]): OutputLine[] {
  const out = new OutputLines();
  return [...chunks.flatMap((c) => out.push(c)), ...out.end()];
}
const texts = (...chunks: (string | Uint8Array)[]) => linesOf(...chunks).map((l) => l.text);

describe('OutputLines: the lines a terminal would leave on screen', () => {
  it.each([
    ['\\n ends a line', 'a\nb\n', ['a', 'b']],
    ['\\r\\n is one break', 'a\r\nb\r\n', ['a', 'b']],
    ['a \\r starts its line over', 'bar 10%\rbar 50%\rdone\n', ['done']],
    ['text before the \\r stands when the \\n follows it at once', 'done\r\n', ['done']],
    ['several \\r in a row are one', 'x\r\r\ry\n', ['y']],
    ['the last line needs no newline', 'a\nb', ['a', 'b']],
    ['nor does one that was redrawn last', 'a\rb\r', ['b']],
    ['an empty output has no line', '', []],
    ['colours are dropped', '\x1b[1m1688/1688\x1b[0m \x1b[32m━━\x1b[0m\x1b[37m\x1b[0m loss\n', ['1688/1688 ━━ loss']],
    ['backspaces are dropped', 'loss: 0.5\b\b\b\b\n', ['loss: 0.5']],
  ])('%s', (_, output, expected) => {
    expect(texts(output)).toEqual(expected);
  });

  it('numbers lines by their \\n, whatever was redrawn on them', () => {
    expect(linesOf('a\rb\nc\r\nd\n\ne').map((l) => [l.number, l.text])).toEqual([[1, 'b'], [2, 'c'], [3, 'd'], [4, ''], [5, 'e']]);
  });

  it('gives the same lines however the output is split, bytes in the middle of a character included', () => {
    const sample = 'Epoch 1/2\n\r  1/9 ━━━ loss: 2.3\b\b\b\r9/9 ━━━ loss: 0.5 ✓\r\nnaïve=1\r\r\nlast';
    const whole = texts(sample);
    expect(whole).toEqual(['Epoch 1/2', '9/9 ━━━ loss: 0.5 ✓', 'naïve=1', 'last']);
    for (let i = 0; i <= sample.length; i++) expect(texts(sample.slice(0, i), sample.slice(i))).toEqual(whole);
    const bytes = new TextEncoder().encode(sample);
    for (let i = 0; i <= bytes.length; i++) expect(texts(bytes.subarray(0, i), bytes.subarray(i))).toEqual(whole);
    expect(texts(...Array.from(bytes, (b) => Uint8Array.of(b)))).toEqual(whole);
  });

  it('skips a line longer than LINE_LIMIT whole, and goes on counting', () => {
    const long = 'x'.repeat(LINE_LIMIT) + ' loss=0.5';
    expect(linesOf('a\n', long, '\nb\n').map((l) => [l.number, l.text])).toEqual([[1, 'a'], [3, 'b']]);
    expect(texts('y'.repeat(LINE_LIMIT) + '\n')).toEqual(['y'.repeat(LINE_LIMIT)]);
    // A long line redrawn by \r is only as long as its last drawing.
    expect(texts('x'.repeat(LINE_LIMIT * 2) + '\rshort\n')).toEqual(['short']);
  });

  it('holds no more than LINE_LIMIT of a gigabyte printed without a newline', () => {
    // V8's strings stop near 512 MiB: a collector that held the line would throw long before the end.
    const out = new OutputLines();
    const mib = 'z'.repeat(1024 * 1024);
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1024; i++) expect(out.push(mib)).toEqual([]);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
    expect(out.push('\nloss=1\n').map((l) => [l.number, l.text])).toEqual([[2, 'loss=1']]);
  });

  it('refuses output after end()', () => {
    const out = new OutputLines();
    out.end();
    expect(() => out.push('a')).toThrow(/after end/);
  });
});
