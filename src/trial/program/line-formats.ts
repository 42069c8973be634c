/**
 * What one line of a program's output says: a step marker and named values. Two ways to read
 * it: the built-in formats (a JSON object, else name=value pairs), or a spec's own filter.
 * Step rules (which step the values belong to) are the collector's, not this file's.
 */

/** A line's step marker (as given: NaN where it is no number) and its values, in line order. */
export type Reading = {
  readonly step?: number;
  readonly values: ReadonlyArray<readonly [name: string, value: number]>;
};

// A number as programs print one: Katib's DefaultFilter's (`[+-]?\d*(\.\d+)?([Ee][+-]?\d+)?`,
// kubeflow/katib 33c8ff4 pkg/metricscollector/v1beta1/common/const.go) without its empty match,
// with `1.`, and with the words for the values training goes to when it diverges:
// Python and NumPy print `nan`, `inf`, `-inf`; JavaScript `NaN`, `Infinity`; Go `+Inf`.
const NUMBER = String.raw`[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|[+-]?(?:nan|inf(?:inity)?)`;
const WHOLE_NUMBER = new RegExp(`^(?:${NUMBER})$`, 'i');

/**
 * `text` (trimmed) as a number, or undefined where it is not one whole. Contract: accepts
 * exactly the numbers the name=value format reads; `nan` in any case is NaN, `inf` Infinity.
 */
export function parseNumber(text: string): number | undefined {
  const t = text.trim();
  if (!WHOLE_NUMBER.test(t)) return undefined;
  const word = t.replace(/^[+-]/, '').toLowerCase();
  if (word === 'nan') return NaN;
  if (word.startsWith('inf')) return t.startsWith('-') ? -Infinity : Infinity;
  return Number(t);
}

/**
 * The names that mark a line's step rather than name a value, the first one present winning
 * (the others are values): the report's own word; Keras's and most loops'; and TensorFlow
 * Estimator's, which Katib's JSON examples carry (kubeflow/katib 33c8ff4
 * pkg/metricscollector/v1beta1/file-metricscollector/file-metricscollector_test.go).
 */
export const STEP_NAMES: readonly string[] = ['step', 'epoch', 'global_step'];

/** A name=value pair: Katib's DefaultFilter, but see readPairs for where it differs. */
const PAIR = new RegExp(String.raw`(?<![\w./-])([a-z_][\w./-]*)\s*=\s*(${NUMBER})(?!\w|\.\d)`, 'gi');

/**
 * The built-in formats, tried in this order: a JSON object (from the line's first `{` to its
 * end), else name=value pairs. Contract: never throws; a line with neither reads as no values.
 */
export function readBuiltIn(line: string): Reading {
  return readJson(line) ?? readPairs(line);
}

/**
 * The line as a JSON object, or undefined where it holds none. What precedes the first `{` is
 * skipped: a log's timestamp and level, or a progress bar that a report was printed after.
 * Python's json.dumps writes NaN, Infinity and -Infinity bare, which JSON.parse refuses: they
 * are read as numbers. A member that is a number, or a string that is one whole (Katib's JSON
 * format writes `"loss": "0.2208"`), is a value; `timestamp` (Katib's) and anything else are not.
 */
function readJson(line: string): Reading | undefined {
  const from = line.indexOf('{');
  if (from < 0) return undefined;
  const body = line.slice(from).trimEnd();
  if (!body.endsWith('}')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(/NaN|Infinity/.test(body) ? quoteBareWords(body) : body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const members = Object.entries(parsed).flatMap(([name, v]): [string, number][] => {
    const value = typeof v === 'number' ? v : typeof v === 'string' ? parseNumber(v) : undefined;
    return name === 'timestamp' || value === undefined ? [] : [[name, value]];
  });
  const stepName = STEP_NAMES.find((n) => Object.hasOwn(parsed as object, n));
  if (stepName === undefined) return { values: members };
  const given = members.find(([n]) => n === stepName);
  return { step: given === undefined ? NaN : given[1], values: members.filter(([n]) => n !== stepName) };
}

/** Python's bare NaN, Infinity and -Infinity as strings, leaving strings that hold those words alone. */
function quoteBareWords(json: string): string {
  return json.replace(/"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)/g, (m, word?: string) => (word === undefined ? m : `"${word}"`));
}

/**
 * name=value pairs, several to a line; a step name (STEP_NAMES) marks the line's step. Where
 * this differs from Katib's DefaultFilter, on purpose: names may hold `.` and `/` (W&B's
 * `train/loss`) but not `|` (a slip in Katib's `[\w|-]`), and start with a letter or `_`, at
 * the start of a word (`--lr=0.1`, an echoed command line, is no metric); a value must end
 * there, so `version=1.2.3` and `mode=inference` are no values (Katib reads 1.2 and nothing);
 * and `nan`, `inf` and the like are values. A leading RFC 3339 timestamp (Katib's TEXT format)
 * holds no `=`, so it is skipped with the rest of the text.
 */
function readPairs(line: string): Reading {
  const pairs: [string, number][] = [];
  for (const m of line.matchAll(PAIR)) pairs.push([m[1], parseNumber(m[2]) as number]);
  const stepName = STEP_NAMES.find((n) => pairs.some(([name]) => name === n));
  if (stepName === undefined) return { values: pairs };
  // Given twice, the later stands, as a value given twice does.
  const step = pairs.filter(([n]) => n === stepName).at(-1)![1];
  return { step, values: pairs.filter(([n]) => n !== stepName) };
}

/**
 * The values a spec's own filter finds on the line: every match, group 1 the name and group 2
 * the value, as Katib reads its filters. A match whose value is no number is skipped: a broad
 * filter may catch `ETA: 3s`. Contract: `filter` has the `g` flag.
 */
export function readFilter(line: string, filter: RegExp): Reading['values'] {
  const values: [string, number][] = [];
  for (const m of line.matchAll(filter)) {
    const name = m[1]?.trim();
    const value = m[2] === undefined ? undefined : parseNumber(m[2]);
    if (name && value !== undefined) values.push([name, value]);
  }
  return values;
}

/** The step a spec's step pattern finds on the line (group 1; NaN where it is no number), or undefined. */
export function readStepPattern(line: string, pattern: RegExp): number | undefined {
  const m = pattern.exec(line);
  if (m === null) return undefined;
  return m[1] === undefined ? NaN : parseNumber(m[1]) ?? NaN;
}
