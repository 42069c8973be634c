/**
 * The argv elements each parameter macro of a command becomes: a port of W&B's
 * `create_sweep_command_args` (wandb/wandb `wandb/sdk/launch/sweeps/utils.py`, read at commit
 * b6e2950). Every value is written with Python's str() (`f"{param}={_value}"`), and the JSON
 * macros hold `json.dumps` of the parameters.
 */
import { dictEntries, pythonJson, pythonStr } from './python-text.js';

/** A trial's parameter values by name, as JSON-able values. */
export type ParamValues = Readonly<Record<string, unknown>>;

/** The macros that stand for the parameters, each expanding to zero or more argv elements. */
export const PARAM_MACROS = [
  'args', 'args_no_equals', 'args_no_hyphens', 'args_no_boolean_flags', 'args_json', 'args_append_hydra', 'args_override_hydra',
] as const;
export type ParamMacro = (typeof PARAM_MACROS)[number];

/** Which parameters hold Python floats: their whole numbers are written `32.0` (see python-text.ts). */
export type FloatParams = ReadonlySet<string>;

/**
 * The parameters in W&B's order: sorted by name (code point order), nested dicts too. wandb/sweeps
 * `src/sweeps/params.py` (b1dfc5f) builds a run's config from `sorted(d.items())` in
 * `HyperParameterSet.from_config` and renests dotted names in `sorted(d.keys())` in `to_config`.
 */
export function sortedParams(params: ParamValues): [string, unknown][] {
  return Object.keys(params).sort(byCodePoint).map((k) => [k, sortedDeep(params[k])]);
}

/** Each parameter macro's argv elements for `params`, in sortedParams' order. */
export function paramArgs(params: ParamValues, floats: FloatParams = new Set()): Record<ParamMacro, string[]> {
  const out = Object.fromEntries(PARAM_MACROS.map((m) => [m, [] as string[]])) as Record<ParamMacro, string[]>;
  for (const [name, value] of sortedParams(params)) {
    const text = pythonStr(value, { floats: floats.has(name) });
    const flag = `${name}=${text}`;
    out.args.push(`--${flag}`);
    out.args_no_hyphens.push(flag);
    out.args_no_equals.push(`--${name}`, text);
    out.args_append_hydra.push(`+${flag}`);
    out.args_override_hydra.push(`++${flag}`);
    // `isinstance(_value, bool)`: True is a bare flag, False is left out; 0 and 1 stay numbers.
    if (value === true) out.args_no_boolean_flags.push(`--${name}`);
    else if (value !== false) out.args_no_boolean_flags.push(`--${flag}`);
  }
  out.args_json.push(paramsJson(params, floats));
  return out;
}

/** `json.dumps` of the parameters in sortedParams' order: W&B's `${args_json}`, and the text of its params file. */
export function paramsJson(params: ParamValues, floats: FloatParams = new Set()): string {
  const parts = sortedParams(params).map(([k, v]) => `${pythonJson(k)}: ${pythonJson(v, { floats: floats.has(k) })}`);
  return `{${parts.join(', ')}}`;
}

function sortedDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedDeep);
  const items = dictEntries(v);
  // Anything else is left for pythonStr to write, or to refuse.
  if (items === undefined) return v;
  // A Map, as an object would move keys like "10" ahead of "9" whatever order they were put in.
  return new Map(items.sort(([a], [b]) => byCodePoint(a, b)).map(([k, x]) => [k, sortedDeep(x)]));
}

/** Python's (and Go's) string order, by code point: JS's default compares UTF-16 units, which differs past U+FFFF. */
export function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}
