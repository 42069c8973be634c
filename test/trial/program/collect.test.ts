import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { MetricCollector, type CollectSpec, type Report } from '../../../src/trial/program/collect.js';

/** Every report the collector gives for `chunks`, fed in order, then end(). */
function collect(chunks: string | (string | Uint8Array)[], spec?: CollectSpec): Report[] {
  const c = new MetricCollector(spec);
  return [...(typeof chunks === 'string' ? [chunks] : chunks).flatMap((x) => c.push(x)), ...c.end()];
}

/** The reports as [step, values] pairs, easier to read in a table. */
const steps = (output: string, spec?: CollectSpec) => collect(output, spec).map((r) => [r.step, r.values]);

/** The error the output raises, as its message. */
function failure(output: string, spec?: CollectSpec): string {
  try {
    collect(output, spec);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error('no error');
}

describe('MetricCollector: the built-in formats', () => {
  it.each([
    // JSON lines.
    ['a JSON object', '{"epoch": 2, "loss": 0.5, "val_accuracy": 0.875}', [[2, { loss: 0.5, val_accuracy: 0.875 }]]],
    ['Python\'s json.dumps of NaN and the infinities', '{"step": 1, "loss": NaN, "a": Infinity, "b": -Infinity}', [[1, { loss: NaN, a: Infinity, b: -Infinity }]]],
    ['strings holding those words are left alone', '{"note": "NaN or Infinity?", "loss": 1}', [[1, { loss: 1 }]]],
    ['a string that is one whole number is a value (Katib\'s JSON format)', '{"loss": "0.22082142531871796", "acc": " 1e-3 ", "tag": "0.5x"}', [[1, { loss: 0.22082142531871796, acc: 0.001 }]]],
    ['booleans, nulls, arrays and nested objects are no values', '{"ok": true, "none": null, "hist": [1, 2], "train": {"loss": 1}, "lr": 0.1}', [[1, { lr: 0.1 }]]],
    ['Katib\'s `timestamp` member is no value', '{"timestamp": 1638422847.28721, "loss": 0.3}', [[1, { loss: 0.3 }]]],
    ['what precedes the object is skipped: a log\'s time and level', '2024-03-04T17:55:08Z INFO {"epoch": 3, "loss": 0.25}', [[3, { loss: 0.25 }]]],
    ['a progress bar a report was printed after', '  50/100 [====>.....] - ETA: 3s - loss: 0.9{"step": 4, "val_loss": 0.4}', [[4, { val_loss: 0.4 }]]],
    ['W&B-style names', '{"epoch": 1, "train/loss": 0.5, "val/acc": 0.8}', [[1, { 'train/loss': 0.5, 'val/acc': 0.8 }]]],
    ['`step` wins over `epoch`, which is then a value', '{"epoch": 2, "step": 1500, "loss": 0.1}', [[1500, { epoch: 2, loss: 0.1 }]]],
    ['a line that is no JSON object falls through to name=value', '{loss=0.5 "unclosed"', [[1, { loss: 0.5 }]]],
    // name=value pairs.
    ['name=value pairs', 'epoch=3 loss=0.25 accuracy=.91', [[3, { loss: 0.25, accuracy: 0.91 }]]],
    ['spaces around =, and other separators', 'loss = 0.5, acc=0.75;val_loss=1', [[1, { loss: 0.5, acc: 0.75, val_loss: 1 }]]],
    ['Katib\'s examples of DefaultFilter values', 'Score=-7.53e-05 s2=-7.53e+05 s3=1E0 s4=1.23E10 accuracy=.98', [[1, { Score: -7.53e-5, s2: -7.53e5, s3: 1, s4: 1.23e10, accuracy: 0.98 }]]],
    ['Python\'s, NumPy\'s, JavaScript\'s and Go\'s words for diverged values', 'a=nan b=inf c=-inf d=NaN e=Infinity f=-Infinity g=+Inf', [[1, { a: NaN, b: Infinity, c: -Infinity, d: NaN, e: Infinity, f: -Infinity, g: Infinity }]]],
    ['Katib\'s TEXT format: a timestamp, then the text', '2024-03-04T17:55:08Z INFO     Train Epoch: 1 [0/60000 (0%)]\tloss=2.3024', [[1, { loss: 2.3024 }]]],
    ['names with . / and -', 'train/loss=0.3 model.fc1.norm=2 val-loss=0.4', [[1, { 'train/loss': 0.3, 'model.fc1.norm': 2, 'val-loss': 0.4 }]]],
    ['a value given twice on a line: the later', 'loss=1 loss=2', [[1, { loss: 2 }]]],
    ['a step name given twice: the later', 'step=1 step=2 loss=1', [[2, { loss: 1 }]]],
  ])('%s', (_, output, expected) => {
    expect(steps(output)).toEqual(expected);
  });

  it.each([
    ['prose', 'Loading the data: 60000 images, done.'],
    ['a version, a word that starts like inf or nan', 'version=1.2.3 mode=inference name=nancy'],
    ['an echoed command line', 'python train.py --lr=0.1 --batch-size=32'],
    ['a name inside a word, a value that runs into letters', '3x=4 loss=0.5s x=1e'],
    ['no value', 'loss= accuracy=high'],
    ['Keras\'s `name: value` (a filter reads it: see keras.test.ts)', '1688/1688 - 4s - loss: 0.3312 - accuracy: 0.8788'],
    ['a JSON array', '[1, 2, 3]'],
  ])('reads nothing from %s', (_, output) => {
    expect(steps(output)).toEqual([]);
  });

  it('keeps a metric named __proto__ a metric', () => {
    const [r] = collect('{"__proto__": 1, "constructor": 2}');
    expect(Object.keys(r.values)).toEqual(['__proto__', 'constructor']);
    expect(r.values.__proto__).toBe(1);
    expect(Object.getPrototypeOf(r.values)).toBe(Object.prototype);
  });
});

describe('MetricCollector: steps', () => {
  it.each([
    ['without markers, values gather until a name comes again', 'a=1 b=2\nc=3\na=4\nb=5\na=6', [
      [1, { a: 1, b: 2 }], [1, { a: 1, b: 2, c: 3 }], [2, { a: 4 }], [2, { a: 4, b: 5 }], [3, { a: 6 }]]],
    ['the same step marked again goes on with it', 'epoch=1 loss=1\n{"epoch": 1, "val_loss": 2}', [[1, { loss: 1 }], [1, { loss: 1, val_loss: 2 }]]],
    ['a marker holds for the lines after it, where a name given again replaces', 'epoch=2\nloss=1\nloss=0.9\nacc=0.5', [
      [2, { loss: 1 }], [2, { loss: 0.9 }], [2, { loss: 0.9, acc: 0.5 }]]],
    ['a higher step starts afresh, gaps allowed', 'epoch=1 loss=1\nepoch=5 acc=1', [[1, { loss: 1 }], [5, { acc: 1 }]]],
    ['step 0 is a step', '{"step": 0, "loss": 1}\n{"step": -0, "acc": 1}', [[0, { loss: 1 }], [0, { loss: 1, acc: 1 }]]],
    ['a marker without values reports nothing', 'epoch=1\n{"epoch": 2}', []],
    ['a marker may follow unmarked steps, at the step they reached or later', 'loss=1\nloss=2\nepoch=2 acc=1', [[1, { loss: 1 }], [2, { loss: 2 }], [2, { loss: 2, acc: 1 }]]],
    ['steps marked as integral floats or strings', '{"epoch": 3.0, "a": 1}\n{"global_step": "4", "a": 2}', [[3, { a: 1 }], [4, { a: 2 }]]],
  ])('%s', (_, output, expected) => {
    expect(steps(output)).toEqual(expected);
  });

  it('reports every value of the step so far, as soon as a line adds one', () => {
    const c = new MetricCollector();
    expect(c.push('{"epoch": 1, "loss": 0.5}\n{"epoch": 1, "val_')).toEqual([{ step: 1, values: { loss: 0.5 } }]);
    expect(c.push('loss": 0.6}\n')).toEqual([{ step: 1, values: { loss: 0.5, val_loss: 0.6 } }]);
    expect(c.end()).toEqual([]);
  });

  it('gives reports that later lines do not change', () => {
    const [first] = collect('epoch=1 loss=1\nloss=2');
    expect(first.values).toEqual({ loss: 1 });
    expect(Object.isFrozen(first.values)).toBe(true);
  });

  it.each([
    ['a lower step', 'epoch=3 loss=1\n\nepoch=2 loss=0.5', 'line 3 of the trial\'s output reports step 2 after step 3: "epoch=2 loss=0.5"'],
    ['a lower step after unmarked ones', 'loss=1\nloss=2\n{"step": 1, "acc": 1}', 'line 3 of the trial\'s output reports step 1 after step 2: "{\\"step\\": 1, \\"acc\\": 1}"'],
    ['a step below the one a marker alone set', '{"epoch": 4}\n{"epoch": 3, "a": 1}', 'line 2 of the trial\'s output reports step 3 after step 4: "{\\"epoch\\": 3, \\"a\\": 1}"'],
    ['a fractional step', 'epoch=1.5 loss=1', 'line 1 of the trial\'s output gives a step that is not a whole number of at least 0: "epoch=1.5 loss=1"'],
    ['a negative step', '{"step": -1, "a": 1}', 'gives a step that is not a whole number of at least 0'],
    ['a step that is no number', '{"step": "three", "a": 1}', 'gives a step that is not a whole number of at least 0'],
    ['a null step', '{"epoch": null}', 'gives a step that is not a whole number of at least 0'],
    ['a step of nan', 'step=nan loss=1', 'gives a step that is not a whole number of at least 0'],
    ['a step too large to count exactly', '{"step": 1e300}', 'gives a step that is not a whole number of at least 0'],
  ])('refuses %s, naming the line', (_, output, message) => {
    expect(failure(output)).toContain(message);
  });

  it('quotes a long line short, on one line', () => {
    const message = failure(`epoch=2\nepoch=1 ${'x'.repeat(1000)}\tend`);
    expect(message).toMatch(/^line 2 of the trial's output reports step 1 after step 2: "epoch=1 x+…"$/);
    expect(message.length).toBeLessThan(300);
  });

  it('counts lines as the program printed them: redrawn ones once, skipped long ones too', () => {
    expect(failure(`epoch=5\r\nwait\rwait\r\n${'x'.repeat(70_000)}\nepoch=4`)).toMatch(/^line 4 /);
  });
});

describe('MetricCollector: a spec\'s own filter', () => {
  // The example spec's filter and the lines its program logs, from Katib's test of its TEXT
  // format (kubeflow/katib 33c8ff4 pkg/metricscollector/v1beta1/file-metricscollector/file-metricscollector_test.go).
  const KATIB = { filter: String.raw`{metricName: ([\w|-]+), metricValue: ((-?\d+)(\.\d+)?)}` };
  const KATIB_LOG = `2024-03-04T17:55:08Z INFO     {metricName: accuracy, metricValue: 0.8078};{metricName: loss, metricValue: 0.5183}
2024-03-04T17:55:08Z INFO     {metricName: accuracy, metricValue: 0.6752}
2024-03-04T17:55:08Z INFO     {metricName: loss, metricValue: 0.3634}
2024-03-04T17:55:08Z INFO     {metricName: accuracy, metricValue: 100}
2024-03-04T17:55:08Z INFO     {metricName: accuracy, metricValue: 888.333}
2024-03-04T17:55:08Z INFO     {metricName: accuracy, metricValue: -0.4759}
{metricName: loss, metricValue: 0.8671}`;

  it('reads every value Katib\'s test expects, in its order, stepping where a name comes again', () => {
    expect(steps(KATIB_LOG, KATIB)).toEqual([
      [1, { accuracy: 0.8078, loss: 0.5183 }], [2, { accuracy: 0.6752 }], [2, { accuracy: 0.6752, loss: 0.3634 }],
      [3, { accuracy: 100 }], [4, { accuracy: 888.333 }], [5, { accuracy: -0.4759 }], [5, { accuracy: -0.4759, loss: 0.8671 }]]);
  });

  it('reads nothing from the values Katib\'s test finds invalid for that filter', () => {
    const invalid = ['.333', '-.333', '- 345.333', '888.'].map((v) => `2024-03-04T17:55:08Z INFO     {metricName: accuracy, metricValue: ${v}}`).join('\n');
    expect(collect(invalid, KATIB)).toEqual([]);
  });

  it('uses only the filter: name=value and JSON lines are no metrics then', () => {
    expect(steps('loss=1\n{"loss": 2}\nacc: 0.5', { filter: String.raw`(\w+): ([\d.]+)` })).toEqual([[1, { acc: 0.5 }]]);
  });

  it('marks no step by a name: `epoch` is a value the filter found', () => {
    expect(steps('epoch=3 loss=1', { filter: String.raw`(\w+)=(\S+)` })).toEqual([[1, { epoch: 3, loss: 1 }]]);
  });

  it('skips a match whose value is no number, and trims the name', () => {
    expect(steps(' - ETA: 3s - loss: 0.5 - lr: nan', { filter: String.raw`(\w+ ?): (\S+)` })).toEqual([[1, { loss: 0.5, lr: NaN }]]);
  });

  it('marks steps by the step pattern, for its own line and those after', () => {
    const spec = { filter: String.raw`(\w+): ([\d.]+)`, step: String.raw`Epoch (\d+)/\d+` };
    expect(steps('Epoch 1/2\nloss: 0.5\nEpoch 2/2 loss: 0.4\nacc: 0.9', spec)).toEqual([[1, { loss: 0.5 }], [2, { loss: 0.4 }], [2, { loss: 0.4, acc: 0.9 }]]);
    expect(failure('Epoch 2/2\nEpoch 1/2', spec)).toBe('line 2 of the trial\'s output reports step 1 after step 2: "Epoch 1/2"');
  });

  it('takes a step pattern without a filter over the built-in formats, whose own markers it outranks', () => {
    expect(steps('Epoch 2/5\nloss=0.3\n{"val_loss": 0.4}\nEpoch 3/5 epoch=9 acc=1', { step: String.raw`Epoch (\d+)/\d+` })).toEqual([
      [2, { loss: 0.3 }], [2, { loss: 0.3, val_loss: 0.4 }], [3, { acc: 1 }]]);
  });

  it('refuses a step pattern whose group is no whole number', () => {
    expect(failure('Epoch x/5', { step: String.raw`Epoch (\w+)/\d+` })).toContain('gives a step that is not a whole number of at least 0: "Epoch x/5"');
    // A group that took no part in the match gives no step either.
    expect(failure('Start', { step: String.raw`Epoch (\d+)|Start` })).toContain('gives a step that is not a whole number of at least 0: "Start"');
  });

  it('refuses a spec checkCollect refuses, on one line', () => {
    expect(() => new MetricCollector({ filter: '(a' })).toThrow(UserError);
    expect(() => new MetricCollector({ filter: '(a' })).toThrow(/^collect\.filter: is not a regular expression: .*\(a/);
    expect(() => new MetricCollector({ filter: String.raw`(\w+)=\S+` })).toThrow(/^collect\.filter: needs two groups/);
  });
});

describe('MetricCollector: output split anywhere', () => {
  const SAMPLE = [
    'Loading… ✓\r\n',
    '{"epoch": 1, "loss": NaN, "naïve": 0.5}\n',
    'epoch=1 val_loss=0.25 acc=.5\r\n',
    'progress 10%\rprogress 90%\r',
    '{"epoch": 2, "loss": 0.5}\n',
    '2024-03-04T17:55:08Z val_loss=inf\n',
    'epoch=3 loss=1e-3',
  ].join('');

  it('gives the same reports for every split of the text and of its bytes', () => {
    const whole = collect(SAMPLE);
    expect(whole.map((r) => [r.step, r.values])).toEqual([
      [1, { loss: NaN, naïve: 0.5 }], [1, { loss: NaN, naïve: 0.5, val_loss: 0.25, acc: 0.5 }],
      [2, { loss: 0.5 }], [2, { loss: 0.5, val_loss: Infinity }], [3, { loss: 0.001 }]]);
    for (let i = 0; i <= SAMPLE.length; i++) expect(collect([SAMPLE.slice(0, i), SAMPLE.slice(i)])).toEqual(whole);
    const bytes = new TextEncoder().encode(SAMPLE);
    for (let i = 0; i <= bytes.length; i++) {
      for (const j of [i, i + 1, i + 7]) expect(collect([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)])).toEqual(whole);
    }
    expect(collect(Array.from(bytes, (b) => Uint8Array.of(b)))).toEqual(whole);
  });
});
