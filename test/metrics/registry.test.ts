import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BUILT_IN_METRICS, bestFirst, builtInObjectiveProblem, checkObjective, epochValue, formatMetric, isBetter, metricDef, objectiveNames,
  score, trialValue,
} from '../../src/metrics/registry.js';

describe('the metric registry', () => {
  it('declares each built-in metric once, with a goal, a format, where it lives and a doc line', () => {
    const names = BUILT_IN_METRICS.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    for (const m of BUILT_IN_METRICS) {
      expect(m.goal, m.name).toMatch(/^(maximize|minimize)$/);
      expect(m.epochField ?? m.trialField, `${m.name} lives somewhere`).toBeDefined();
      // Known after every epoch means an epoch's record holds it: early stopping reads it there.
      if (m.when === 'epoch') expect(m.epochField, m.name).toBeDefined();
      expect(m.doc, m.name).toMatch(/^[a-z][^\n]*[^.]$/);
      if (!m.objective) expect(m.notObjective, `${m.name} says why it cannot rank a sweep`).toBeTruthy();
    }
    expect(objectiveNames()).toEqual(['val_accuracy', 'val_loss']);
  });

  it.each([
    ['val_accuracy', undefined, { name: 'val_accuracy', goal: 'maximize' }],
    ['val_loss', undefined, { name: 'val_loss', goal: 'minimize' }],
    ['val_loss', 'minimize', { name: 'val_loss', goal: 'minimize' }],
    // A metric a trial reports: its goal is the spec's to give.
    ['f1', 'maximize', { name: 'f1', goal: 'maximize' }],
    ['error_rate', 'minimize', { name: 'error_rate', goal: 'minimize' }],
  ] as const)('takes %s (goal %s) as an objective', (name, goal, objective) => {
    expect(checkObjective(name, goal)).toEqual(objective);
  });

  it('takes a cost (params, train_seconds) as one of several objectives, with its own goal, and never the test set\'s metrics', () => {
    expect(checkObjective('params', undefined, false, true)).toEqual({ name: 'params', goal: 'minimize' });
    expect(checkObjective('train_seconds', 'minimize', false, true)).toEqual({ name: 'train_seconds', goal: 'minimize' });
    expect(checkObjective('latency_ms', undefined, false, true)).toEqual({ name: 'latency_ms', goal: 'minimize' });
    expect(checkObjective('latency_ms', undefined)).toMatchObject({ field: 'name' });
    expect(checkObjective('train_seconds', 'maximize', false, true)).toMatchObject({ field: 'goal' });
    expect(checkObjective('test_accuracy', undefined, false, true)).toMatchObject({ field: 'name' });
  });

  it.each([
    ['val_accuracy', 'minimize', 'goal', 'sweep can only maximize val_accuracy, not minimize it: write `goal: maximize`'],
    ['test_accuracy', undefined, 'name', 'test_accuracy cannot be what the sweep ranks on (the test set is evaluated once and chooses nothing)'],
    ['params', undefined, 'name', 'params is a cost: list it in `metrics:` beside what it costs, e.g. [val_accuracy, params] (alone, a cost alone ranks the smallest model first'],
    ['f1', undefined, 'name', '"f1" is not a metric sweep measures: give its goal (maximize or minimize)'],
  ] as const)('refuses %s (goal %s) as an objective, at its %s', (name, goal, field, problem) => {
    const checked = checkObjective(name, goal);
    expect(checked).toMatchObject({ field });
    expect((checked as { problem: string }).problem).toContain(problem);
  });

  it('says which metrics the built-in models can rank on', () => {
    expect(builtInObjectiveProblem('val_loss')).toBeUndefined();
    expect(builtInObjectiveProblem('validation_loss')).toBe('must be val_accuracy or val_loss, the metrics sweep records (got "validation_loss")');
    expect(builtInObjectiveProblem('loss')).toMatch(/^loss cannot be what the sweep ranks on \(it is measured on the training images/);
  });

  it('turns any metric into a score where higher is better, a missing value lowest', () => {
    expect(score('maximize', 0.9)).toBe(0.9);
    expect(score('minimize', 0.25)).toBe(-0.25);
    for (const missing of [null, undefined, NaN]) {
      expect(score('maximize', missing)).toBe(-Infinity);
      expect(score('minimize', missing)).toBe(-Infinity);
    }
    expect(isBetter('minimize', 0.1, 0.2)).toBe(true);
    expect(isBetter('maximize', 0.1, 0.2)).toBe(false);
    expect(isBetter('minimize', 0.1, NaN)).toBe(true);
    expect(isBetter('minimize', NaN, 0.1)).toBe(false);
  });

  it('orders values best first under either goal, missing ones last', () => {
    const values = [0.3, null, 0.1, NaN, 0.2];
    expect([...values].sort(bestFirst('minimize'))).toEqual([0.1, 0.2, 0.3, null, NaN]);
    expect([...values].sort(bestFirst('maximize'))).toEqual([0.3, 0.2, 0.1, null, NaN]);
  });

  it.each([
    ['val_accuracy', 0.88924, '88.92%'],
    ['val_loss', 0.312345, '0.3123'],
    ['train_seconds', 42.25, '42.3s'],
    ['params', 101770, '101,770'],
    // Latency to 3 significant digits: an ANN's tenths of a millisecond, a CNN's several.
    ['latency_ms', 0.41234, '0.412ms'],
    ['latency_ms', 12.345, '12.3ms'],
    // A reported metric reads as a plain number, to 4 significant digits.
    ['f1', 0.912345, '0.9123'],
    ['steps', 3, '3'],
    ['val_accuracy', null, '-'],
    ['f1', NaN, '-'],
  ] as const)('formats %s %s as %s', (name, value, text) => {
    expect(formatMetric(name, value)).toBe(text);
  });

  it('reads a metric from an epoch or a finished trial: a built-in field, or a value the trial reported', () => {
    const epoch = { epoch: 2, loss: 0.5, accuracy: 0.8, valLoss: 0.4, valAccuracy: 0.85, seconds: 3, reported: { f1: 0.7 } };
    expect(epochValue('val_loss', epoch)).toBe(0.4);
    expect(epochValue('epoch_seconds', epoch)).toBe(3);
    expect(epochValue('f1', epoch)).toBe(0.7);
    expect(epochValue('recall', epoch)).toBeNaN();
    expect(trialValue('train_seconds', { seconds: 31 })).toBe(31);
    expect(trialValue('latency_ms', { latencyMs: 0.25 })).toBe(0.25);
    expect(trialValue('latency_ms', {})).toBeNaN();
    expect(trialValue('val_accuracy', { valAccuracy: null })).toBeNaN();
    expect(trialValue('f1', { reported: { f1: 0.75 } })).toBe(0.75);
  });

  it('treats a name no one declared as a metric a trial reports, its goal the spec\'s', () => {
    expect(metricDef('f1', 'maximize')).toMatchObject({ name: 'f1', goal: 'maximize', format: 'number', measuredBy: 'trial', objective: true });
    expect(metricDef('f1')).toMatchObject({ goal: null, objective: false });
    expect(metricDef('val_loss', 'maximize').goal).toBe('minimize');
  });
});

/** Every TypeScript file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : /\.tsx?$/.test(name) ? [path] : [];
  });
}

describe('which way a metric goes is the registry\'s to say', () => {
  // Comparing a metric's name to decide a direction or a format is what the registry replaced.
  // The schema's migrations are history and keep the SQL they ran with.
  it('no code outside src/metrics/ tests a metric\'s name to decide', () => {
    const decides = /[=!]==\s*'val_(loss|accuracy)'|'val_(loss|accuracy)'\s*[=!]==|WHEN 'val_loss' THEN|metric === 'val/;
    const offenders = sources('src')
      .filter((f) => !f.startsWith(join('src', 'metrics')) && !/store\/schema(-postgres|-v8)?\.ts$/.test(f))
      .flatMap((f) => readFileSync(f, 'utf8').split('\n').map((line, i) => [f, i + 1, line] as const))
      .filter(([, , line]) => decides.test(line))
      .map(([f, n, line]) => `${f}:${n}: ${line.trim()}`);
    expect(offenders).toEqual([]);
  });
});
