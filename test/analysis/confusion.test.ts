import { describe, expect, it } from 'vitest';
import { testSetReport } from '../../src/analysis/confusion.js';

// Six images, three classes:
//   0: true 0, [0.7, 0.2, 0.1]  → 0 right
//   1: true 1, [0.6, 0.3, 0.1]  → 0 wrong, confidence 0.6
//   2: true 2, [0.1, 0.1, 0.8]  → 2 right
//   3: true 0, [0.4, 0.4, 0.2]  → 0 right: a tie goes to the first class (the last would be 1, wrong)
//   4: true 1, [0.05, 0.15, 0.8] → 2 wrong, confidence 0.8
//   5: true 2, [0.6, 0.3, 0.1]  → 0 wrong, confidence 0.6, tied with image 1
const labels = Uint8Array.from([0, 1, 2, 0, 1, 2]);
const probabilities = Float32Array.from([
  0.7, 0.2, 0.1, 0.6, 0.3, 0.1, 0.1, 0.1, 0.8, 0.4, 0.4, 0.2, 0.05, 0.15, 0.8, 0.6, 0.3, 0.1,
]);
const f = Math.fround;

describe('testSetReport', () => {
  it('counts confusion[true][predicted] and the accuracy', () => {
    const r = testSetReport(labels, probabilities, 6, 3, 10);
    expect(r.confusion).toEqual([[2, 0, 0], [1, 0, 1], [1, 0, 1]]);
    expect(r.accuracy).toBe(3 / 6);
  });

  it.each([
    // Most confidently wrong first; images 1 and 5 tie at 0.6 and go by index.
    [10, [4, 1, 5]],
    [2, [4, 1]],
    [1, [4]],
    [0, []],
  ])('lists the %i most confidently wrong images: %j', (wrongCount, indices) => {
    expect(testSetReport(labels, probabilities, 6, 3, wrongCount).wrong.map((w) => w.index)).toEqual(indices);
  });

  it('gives each wrong image its label, prediction and the probability it gave the prediction', () => {
    expect(testSetReport(labels, probabilities, 6, 3, 3).wrong).toEqual([
      { index: 4, label: 1, predicted: 2, confidence: f(0.8) },
      { index: 1, label: 1, predicted: 0, confidence: f(0.6) },
      { index: 5, label: 2, predicted: 0, confidence: f(0.6) },
    ]);
  });

  it('reads only the first count images', () => {
    const r = testSetReport(labels, probabilities, 2, 3, 5);
    expect(r).toEqual({ accuracy: 0.5, confusion: [[1, 0, 0], [1, 0, 0], [0, 0, 0]], wrong: [{ index: 1, label: 1, predicted: 0, confidence: f(0.6) }] });
  });

  it('gives an empty test set no accuracy', () => {
    expect(testSetReport(new Uint8Array(0), new Float32Array(0), 0, 3, 5)).toEqual({
      accuracy: NaN, confusion: [[0, 0, 0], [0, 0, 0], [0, 0, 0]], wrong: [],
    });
  });

  it.each([
    ['a label past the classes', Uint8Array.from([0, 3]), probabilities, 2, 3, 'labels[1] is 3, not a class below 3'],
    ['too few probabilities', labels, probabilities.subarray(0, 17), 6, 3, 'probabilities has 17 entries, fewer than count × classes (18)'],
    ['too few labels', labels.subarray(0, 5), probabilities, 6, 3, 'labels has 5 entries, fewer than count (6)'],
  ])('throws on %s', (_, l, p, count, classes, message) => {
    expect(() => testSetReport(l, p, count, classes, 1)).toThrow(new RangeError(message));
  });
});
