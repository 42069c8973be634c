import { describe, expect, it } from 'vitest';
import { checkCollect } from '../../src/spec/collect.js';

describe('checkCollect: a spec\'s collect section', () => {
  it.each([
    ['no section', undefined],
    ['an empty one', {}],
    ['a filter', { filter: String.raw`(\w+)=([\d.]+)` }],
    ['a filter with more groups than two (Katib\'s example, `{` and `|` as written)', { filter: String.raw`{metricName: ([\w|-]+), metricValue: ((-?\d+)(\.\d+)?)}` }],
    ['named groups, which count in order', { filter: String.raw`(?<name>\w+): (?<value>\S+)` }],
    ['a step alone', { step: String.raw`Epoch (\d+)/\d+` }],
    ['both', { filter: String.raw`(\w+): (-?\d+\.\d+)`, step: String.raw`Epoch (\d+)` }],
  ])('accepts %s', (_, spec) => {
    expect(checkCollect(spec)).toBeUndefined();
  });

  it.each([
    ['a list', [], 'collect', /^must be a mapping/],
    ['null', null, 'collect', /^must be a mapping/],
    ['a string', '(\\w+)=(\\S+)', 'collect', /^must be a mapping/],
    ['an unknown option', { filter: '(a)(b)', format: 'json' }, 'collect.format', /^is not an option of collect \(filter, step\)$/],
    ['a filter that is no string', { filter: 3 }, 'collect.filter', /^must be a regular expression, written as a string$/],
    ['a filter that does not compile', { filter: '(\\w+=(\\d+)' }, 'collect.filter', /^is not a regular expression: Invalid regular expression: .*Unterminated group$/],
    ['one that only compiles with a | after it', { filter: '(a)(b)\\' }, 'collect.filter', /^is not a regular expression: .*\\ at end of pattern$/],
    ['a filter with one group', { filter: '(\\w+)=\\d+' }, 'collect.filter', /^needs two groups: the name, then the value/],
    ['a filter whose parentheses do not capture', { filter: '(?:\\w+)=(?:\\d+)' }, 'collect.filter', /^needs two groups/],
    ['a step without a group', { filter: '(a)(b)', step: 'Epoch \\d+' }, 'collect.step', /^needs a group: the step number, as in Epoch \(\\d\+\)$/],
    ['a step that does not compile', { step: '[' }, 'collect.step', /^is not a regular expression/],
    ['a step that is no string', { step: ['Epoch (\\d+)'] }, 'collect.step', /^must be a regular expression/],
  ])('refuses %s, naming where', (_, spec, path, problem) => {
    const found = checkCollect(spec);
    expect(found?.path).toBe(path);
    expect(found?.problem).toMatch(problem);
    expect(found?.problem).not.toContain('\n');
  });

  it('keeps a message on one line when the pattern holds a newline', () => {
    expect(checkCollect({ filter: '(a\n' })?.problem).toMatch(/^is not a regular expression: [^\n]*\\n/);
  });
});
