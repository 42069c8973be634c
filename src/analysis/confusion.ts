/**
 * What a classifier gets wrong on a test set, from its predicted probabilities: accuracy, the
 * confusion matrix and the most confidently wrong images. Pure: no tfjs.
 */

/** One misclassified image: its index in the test set, true class, predicted class and the probability given to it. */
export type WrongPrediction = { index: number; label: number; predicted: number; confidence: number };

export type TestSetReport = {
  /** Correct predictions over `count`; NaN for an empty test set. */
  accuracy: number;
  /** confusion[true][predicted], classes × classes. */
  confusion: number[][];
  /** At most `wrongCount` misclassified images, highest confidence first, ties by index. */
  wrong: WrongPrediction[];
};

/**
 * Accuracy, confusion matrix and the `wrongCount` most confidently wrong of `count` images, whose
 * class probabilities are `probabilities` (count × classes, row-major). The prediction is the
 * argmax, the first class on ties. Throws a RangeError where the sizes or a label do not fit.
 */
export function testSetReport(labels: Uint8Array, probabilities: Float32Array, count: number, classes: number, wrongCount: number): TestSetReport {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  if (!Number.isInteger(classes) || classes < 1) throw new RangeError(`classes must be a positive integer, got ${classes}`);
  if (labels.length < count) throw new RangeError(`labels has ${labels.length} entries, fewer than count (${count})`);
  if (probabilities.length < count * classes) {
    throw new RangeError(`probabilities has ${probabilities.length} entries, fewer than count × classes (${count * classes})`);
  }
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const wrong: WrongPrediction[] = [];
  let correct = 0;
  for (let i = 0; i < count; i++) {
    const label = labels[i];
    if (label >= classes) throw new RangeError(`labels[${i}] is ${label}, not a class below ${classes}`);
    let predicted = 0;
    for (let c = 1; c < classes; c++) if (probabilities[i * classes + c] > probabilities[i * classes + predicted]) predicted = c;
    confusion[label][predicted]++;
    if (predicted === label) correct++;
    else wrong.push({ index: i, label, predicted, confidence: probabilities[i * classes + predicted] });
  }
  wrong.sort((a, b) => b.confidence - a.confidence || a.index - b.index);
  return { accuracy: count === 0 ? NaN : correct / count, confusion, wrong: wrong.slice(0, Math.max(0, wrongCount)) };
}
