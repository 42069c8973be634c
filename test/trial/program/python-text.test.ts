import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { pythonJson, pythonStr } from '../../../src/trial/program/python-text.js';

// Expected texts are what python3 (3.11) printed for str(v) and json.dumps(v).
describe('pythonStr', () => {
  it.each<[string, unknown, string]>([
    ['a float below 1e-4 in exponent form, two exponent digits', 1e-5, '1e-05'],
    ['0.001 as it is', 0.001, '0.001'],
    ['1e-4 still in decimal form', 0.0001, '0.0001'],
    ['shortest round-trip digits', 0.1 + 0.2, '0.30000000000000004'],
    ['a third', 1 / 3, '0.3333333333333333'],
    ['a negative small float', -2.5e-7, '-2.5e-07'],
    ['the smallest subnormal', 5e-324, '5e-324'],
    ['the largest double', 1.7976931348623157e308, '1.7976931348623157e+308'],
    ['a half', 0.5, '0.5'],
    ['an int', 32, '32'],
    ['a whole number below 1e21 as an int (as W&B\'s server hands it on)', 1e20, '100000000000000000000'],
    ['a whole number from 1e21 as a float', 1e22, '1e+22'],
    ['2**60 with shortest digits, zero-padded', 2 ** 60, '1152921504606847000'],
    ['-0 as the int 0', -0, '0'],
    ['a bigint exactly', 1152921504606846976n, '1152921504606846976'],
    ['nan', Number.NaN, 'nan'],
    ['inf', Number.POSITIVE_INFINITY, 'inf'],
    ['-inf', Number.NEGATIVE_INFINITY, '-inf'],
    ['True', true, 'True'],
    ['False', false, 'False'],
    ['None', null, 'None'],
    ['a string unquoted', 'adam', 'adam'],
    ['a string with spaces, quotes and a newline unchanged', 'it\'s "x"\ny', 'it\'s "x"\ny'],
    ['the empty string', '', ''],
    ['a list of ints', [128, 64], '[128, 64]'],
    ['an empty list', [], '[]'],
    ['an empty dict', {}, '{}'],
    ['a nested dict, its strings quoted', { lr: 0.1, n: 'x' }, "{'lr': 0.1, 'n': 'x'}"],
    ['a list of everything', ['a b', "it's", true, null, [128, 64], { lr: 0.1, n: 'x\ny' }], `['a b', "it's", True, None, [128, 64], {'lr': 0.1, 'n': 'x\\ny'}]`],
    ['a Map in its own order', new Map([['b', 1], ['10', 2], ['9', 3]]), "{'b': 1, '10': 2, '9': 3}"],
  ])('%s', (_, v, expected) => {
    expect(pythonStr(v)).toBe(expected);
  });

  it.each<[string, unknown, string]>([
    ['32 as 32.0', 32, '32.0'],
    ['100 as 100.0', 100, '100.0'],
    ['1e15 in decimal form', 1e15, '1000000000000000.0'],
    ['the largest double below 1e16 in decimal form', 9999999999999998, '9999999999999998.0'],
    ['1e16 in exponent form', 1e16, '1e+16'],
    ['-0 keeps its sign', -0, '-0.0'],
    ['numbers inside a list', [1, 0.5], '[1.0, 0.5]'],
    ['a bigint as a float', 2n ** 70n, '1.1805916207174113e+21'],
    ['booleans stay booleans', [true, 1], '[True, 1.0]'],
  ])('with floats: %s', (_, v, expected) => {
    expect(pythonStr(v, { floats: true })).toBe(expected);
  });

  it.each<[string, string, string]>([
    ['single quotes by default', 'ab', "['ab']"],
    ['double quotes around a \'', "it's", `["it's"]`],
    ['single quotes, escaped, around both', `it's "x"`, `['it\\'s "x"']`],
    ['a backslash doubled', 'a\\b', "['a\\\\b']"],
    ['tab, newline, return as \\t \\n \\r', '\t\n\r', "['\\t\\n\\r']"],
    ['NUL and DEL as \\x', '\x00\x7f', "['\\x00\\x7f']"],
    ['a no-break space as \\xa0', '\xa0', "['\\xa0']"],
    ['a line separator and a zero-width space as \\u', '\u2028\u200b', "['\\u2028\\u200b']"],
    ['a lone surrogate as \\u', '\ud800', "['\\ud800']"],
    ['printable non-ASCII as it is', 'é😀ß', "['é😀ß']"],
  ])('repr inside a list: %s', (_, s, expected) => {
    expect(pythonStr([s])).toBe(expected);
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['a function', () => 1],
    ['a Date', new Date(0)],
    ['a Set', new Set([1])],
  ])('refuses %s', (_, v) => {
    expect(() => pythonStr([v])).toThrow(TypeError);
  });
});

describe('pythonJson', () => {
  it.each<[string, unknown, string]>([
    ['", " and ": " between items', { a: 1, b: [1, 2] }, '{"a": 1, "b": [1, 2]}'],
    ['floats as repr writes them', [1e-5, 1e22, 0.1], '[1e-05, 1e+22, 0.1]'],
    ['true, false, null', [true, false, null], '[true, false, null]'],
    ['NaN and the infinities', [Number.NaN, Infinity, -Infinity], '[NaN, Infinity, -Infinity]'],
    ['non-ASCII as \\u escapes, a surrogate pair past U+FFFF', 'é😀', '"\\u00e9\\ud83d\\ude00"'],
    ['controls and DEL escaped, / kept', '\n\x01\x7f/"\\', '"\\n\\u0001\\u007f/\\"\\\\"'],
    ['empty containers', [[], {}], '[[], {}]'],
  ])('%s', (_, v, expected) => {
    expect(pythonJson(v)).toBe(expected);
  });

  it('with floats, whole numbers as 1.0', () => {
    expect(pythonJson({ lr: 1, n: [2, 0.5] }, { floats: true })).toBe('{"lr": 1.0, "n": [2.0, 0.5]}');
  });
});

// The same texts from python3 itself, over values chosen to be awkward and many seeded random doubles.
const hasPython = spawnSync('python3', ['--version']).status === 0;

describe.skipIf(!hasPython)('against python3', () => {
  // Each case: JSON text for json.loads, and whether its numbers are floats; python answers [str(v), json.dumps(v)].
  const PY = `
import json, sys
def floats(v):
    if isinstance(v, bool): return v
    if isinstance(v, int): return float(v)
    if isinstance(v, list): return [floats(x) for x in v]
    if isinstance(v, dict): return {k: floats(x) for k, x in v.items()}
    return v
out = []
for text, as_float in json.loads(sys.stdin.read()):
    v = json.loads(text)
    if as_float: v = floats(v)
    out.append([str(v), json.dumps(v)])
print(json.dumps(out))
`;
  function python(cases: [unknown, boolean][]): [string, string][] {
    // JSON.stringify writes whole numbers below 1e21 without a fraction, so json.loads reads them as int: the rule pythonStr follows.
    const input = JSON.stringify(cases.map(([v, f]) => [JSON.stringify(v), f]));
    const r = spawnSync('python3', ['-c', PY], { input, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as [string, string][];
  }
  const ours = (cases: [unknown, boolean][]) => cases.map(([v, f]) => [pythonStr(v, { floats: f }), pythonJson(v, { floats: f })]);

  it('agrees on awkward values', () => {
    // Characters assigned before Unicode 14, so that Node's and python3's tables agree on what is printable.
    const strings = ["it's", 'say "hi"', `both ' and "`, 'back\\slash', '\t\n\r\x00\x1f\x7f', '\xa0\xad\u2028\u2029\u200b\ufeff', 'é😀ß', '\ud800', '\udfff\ud800', '\u0378', '\ue000', '', ' '];
    const cases: [unknown, boolean][] = [
      ...strings.flatMap((s): [unknown, boolean][] => [[s, false], [[s], false], [{ [s]: s }, false]]),
      [[0, -1, 1e20, 1e21, 2 ** 53, 2 ** 60, 123456789], false],
      [[0, 1, 32, 1e15, 9999999999999998, 1e16, 1e21, 2 ** 60], true],
      [{ lr: 1e-5, layers: [128, 64], on: true, off: false, none: null, nested: { a: [0.5, 'x'] } }, false],
    ];
    expect(ours(cases)).toEqual(python(cases));
  });

  it('agrees on 4000 seeded random doubles, as floats and as they come', () => {
    let s = 0x9e3779b9;
    const next = () => {
      s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
      return s >>> 0;
    };
    const doubles: number[] = [];
    const view = new DataView(new ArrayBuffer(8));
    while (doubles.length < 2000) {
      // Uniform bit patterns: every exponent, subnormals included.
      view.setUint32(0, next());
      view.setUint32(4, next());
      const x = view.getFloat64(0);
      if (Number.isFinite(x)) doubles.push(x);
    }
    // And values of the size parameters have, either side of the 1e-4 and 1e16 switches.
    for (let i = 0; i < 2000; i++) doubles.push((next() / 2 ** 32) * 10 ** ((next() % 30) - 10));
    const cases: [unknown, boolean][] = doubles.flatMap((x): [unknown, boolean][] => [[x, true], [x, false]]);
    expect(ours(cases)).toEqual(python(cases));
  });
});
