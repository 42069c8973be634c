import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MetricCollector, type CollectSpec, type Report } from '../../../src/trial/program/collect.js';

// What model.fit(x, y, epochs=7, validation_split=0.1) prints for Fashion-MNIST (54,000 of its
// 60,000 images left to train on, at batch 32: 1688 steps an epoch), byte for byte, from
// Keras's own Progbar code, keras-team/keras v2.15.0 (601488f) keras/utils/generic_utils.py
// and v3.15.1 (250b421) keras/src/utils/progbar.py, run under a simulated clock (4 s an epoch,
// 2 ms a step) and called as ProgbarLogger calls it (keras/callbacks.py;
// keras/src/callbacks/progbar_logger.py): `Epoch e/7`, then at verbose=1 update(seen, logs,
// finalize=False) after each batch and update(1688, epoch logs, finalize=True) after
// validation; at verbose=2 the last call only. Keras 3 sorts its logs by name
// (keras/src/utils/python_utils.py, pythonify_logs). One change from fit: Progbar's interval
// is 1 s, not 0.05 s, so an epoch redraws 5 times, not 70; each redraw has the same form. Into
// a pipe on Linux, verbose=1 still redraws with `\b`s and `\r` ("posix" in sys.modules), and
// Keras 3 still prints its colour codes.
const fixture = (name: string) => readFileSync(new URL(`fixtures/${name}.txt`, import.meta.url), 'utf8');
const bytesOf = (name: string) => readFileSync(new URL(`fixtures/${name}.txt`, import.meta.url));

/** Each epoch's logs as fit ends it (the fixtures' values): loss, accuracy, val_loss, val_accuracy. */
const EPOCHS = [
  [0.4981, 0.8247, 0.3907, 0.8575], [0.3762, 0.8640, 0.3668, 0.8682], [0.3312, 0.8788, 0.3453, 0.8812],
  [0.3101, 0.8857, 0.3320, 0.8803], [0.2930, 0.8916, 0.3369, 0.8788], [0.2785, 0.8963, 0.3172, 0.8857],
  [0.2671, 0.9001, 0.3242, 0.8840],
].map(([loss, accuracy, val_loss, val_accuracy], i) => ({ step: i + 1, values: { loss, accuracy, val_loss, val_accuracy } }));

/**
 * The filter the docs recommend for Keras: a value is what Keras prints for one (`.4f`, or
 * `.4e` at or below 1e-3, `nan`, `inf`), so a time (`ETA: 1:05`, `4s`) is none; a step is the
 * line `Epoch e/N` whole.
 */
const KERAS: CollectSpec = { filter: String.raw`(\w+): (-?(?:\d+\.\d+(?:e[+-]\d+)?|nan|inf))`, step: String.raw`^Epoch (\d+)/\d+$` };
/** The first filter one would write: it reads a mantissa for the value, and a time for a metric. */
const NAIVE: CollectSpec = { filter: String.raw`(\w+): ([0-9.]+)`, step: String.raw`Epoch (\d+)/\d+` };

function collect(output: string | Uint8Array, spec?: CollectSpec): Report[] {
  const c = new MetricCollector(spec);
  return [...c.push(output), ...c.end()];
}

/** The last report of each step: what the step ended with. */
function lastOfEach(reports: readonly Report[]): Report[] {
  return reports.filter((r, i) => reports[i + 1]?.step !== r.step);
}

describe('Keras\'s model.fit output, read with a filter', () => {
  it.each(['keras2-fit-verbose1', 'keras2-fit-verbose2', 'keras3-fit-verbose1', 'keras3-fit-verbose2'])('%s: one report an epoch, with its four metrics', (name) => {
    expect(collect(bytesOf(name), KERAS)).toEqual(EPOCHS);
  });

  it('never reads a redrawn progress update, though each one shows a loss', () => {
    const output = fixture('keras2-fit-verbose1');
    expect(output.split('\r').filter((s) => s.includes(' - ETA: ') && s.includes(' - loss: ')).length).toBeGreaterThan(20);
    // Even the first filter one would write reads these fixtures right: only what stays on a line counts.
    expect(collect(output, NAIVE)).toEqual(EPOCHS);
  });

  it('reads the values Keras prints in e-notation, nan and inf, where the first filter reads a mantissa or nothing', () => {
    // Progbar's verbose=2 line for a loss at or below 1e-3 (`.4e`) and a diverged validation.
    const line = '1688/1688 - 4s - 2ms/step - accuracy: 1.0000 - loss: 4.5000e-04 - val_accuracy: 0.1000 - val_loss: nan\n';
    expect(collect(`Epoch 7/7\n${line}`, KERAS)).toEqual([{ step: 7, values: { accuracy: 1, loss: 4.5e-4, val_accuracy: 0.1, val_loss: NaN } }]);
    expect(collect(`Epoch 7/7\n${line}`, NAIVE)[0].values).toEqual({ accuracy: 1, loss: 4.5, val_accuracy: 0.1 });
    expect(collect('Epoch 1/7\n1688/1688 - 4s - loss: inf - accuracy: 0.1000 - val_loss: -inf\n', KERAS)[0].values).toEqual({ loss: Infinity, accuracy: 0.1, val_loss: -Infinity });
  });

  it('where Keras cannot redraw (not a terminal, not POSIX), reads each update and ends each epoch on its logs, taking no time for a metric', () => {
    // Progbar writes "\n" where it would write "\b" * width + "\r": the same text, line by line.
    const output = fixture('keras2-fit-verbose1').replace(/\x08*\r/g, '\n');
    const reports = collect(output, KERAS);
    expect(reports.length).toBeGreaterThan(7 * 4);
    expect(lastOfEach(reports)).toEqual(EPOCHS);
    expect(reports.every((r) => !('ETA' in r.values))).toBe(true);
    expect(collect(output, NAIVE).some((r) => 'ETA' in r.values)).toBe(true);
  });

  it('reads an epoch whose redraws add up to far more than a line may hold', () => {
    const [epoch1] = fixture('keras2-fit-verbose1').split('Epoch 2/7');
    const first = epoch1.indexOf('\r');
    const redraw = epoch1.slice(first, epoch1.indexOf('\r', first + 1));
    const slow = epoch1.replace(redraw, redraw.repeat(10_000));
    expect(slow.length).toBeGreaterThan(1_000_000);
    expect(collect(slow, KERAS)).toEqual(EPOCHS.slice(0, 1));
  });
});

describe('Keras\'s model.fit output, without a filter', () => {
  it('gives no metrics: Keras prints `name: value`, which the built-in formats do not read', () => {
    expect(collect(bytesOf('keras3-fit-verbose1'))).toEqual([]);
  });

  it('reads a report a callback prints while the progress bar waits for its last redraw', () => {
    // fit appends ProgbarLogger after the user's callbacks (keras v2.15.0 keras/callbacks.py and
    // v3.15.1 keras/src/callbacks/callback_list.py, _add_default_callbacks), so a callback's
    // on_epoch_end prints after the last batch's update, before the epoch's final line.
    const lines = fixture('keras3-fit-verbose1').split('\n').map((line) => {
      const epoch = EPOCHS.find((e) => line.includes(`val_loss: ${e.values.val_loss.toFixed(4)}`));
      if (epoch === undefined) return line;
      const final = line.search(/\x08*\r[^\r]*$/);
      return `${line.slice(0, final)}{"epoch": ${epoch.step}, "val_loss": ${epoch.values.val_loss}}\n${line.slice(final)}`;
    });
    const reports = collect(lines.join('\n'));
    expect(reports).toEqual(EPOCHS.map(({ step, values }) => ({ step, values: { val_loss: values.val_loss } })));
  });
});
