/**
 * A parameter's value as Python writes it: `str(v)` (what W&B's agent puts after `--key=`) and
 * `json.dumps(v)` (its `${args_json}`), for the JSON-able values a sweep hands a trial.
 *
 * Python tells `1` from `1.0`; a JS number does not. A number is written as an int when it is a
 * whole number below 1e21 in size, as it reaches a program under W&B's server: wandb/sweeps
 * `src/sweeps/grid_search.py` (`yaml_hash`, at b1dfc5f) notes that a float like 3e6 "becomes an
 * int when it becomes part of the run config in AgentHeartbeat" (the server re-encodes the config
 * in Go, which writes whole floats without a fraction and from 1e21 in exponent form, as JS does).
 * `{ floats: true }` writes every number as a Python float instead (`1.0`, `1e+16`), for a
 * parameter the caller knows to be one (a YAML `1.0`, a uniform draw).
 */

/** How numbers are written: `floats` makes every number a Python float (`32` -> `32.0`). */
export type PythonNumbers = { readonly floats?: boolean };

/** Python's `str(v)` for a JSON-able value (None, bool, int/float, str, list, dict or Map); throws on anything else. */
export function pythonStr(v: unknown, o: PythonNumbers = {}): string {
  return typeof v === 'string' ? v : pythonRepr(v, o);
}

/** Python's `json.dumps(v)` with its defaults: `", "` and `": "` between items, ASCII only, NaN allowed. */
export function pythonJson(v: unknown, o: PythonNumbers = {}): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return jsonString(v);
  if (typeof v === 'number' || typeof v === 'bigint') {
    const text = numberText(v, o);
    // json.dumps writes float('nan') and the infinities as JavaScript's names, not as str() does.
    return ({ nan: 'NaN', inf: 'Infinity', '-inf': '-Infinity' } as Record<string, string>)[text] ?? text;
  }
  if (Array.isArray(v)) return `[${v.map((x) => pythonJson(x, o)).join(', ')}]`;
  return `{${entries(v).map(([k, x]) => `${jsonString(k)}: ${pythonJson(x, o)}`).join(', ')}}`;
}

// repr(): what str() of a list or dict writes for each item inside it.
function pythonRepr(v: unknown, o: PythonNumbers): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string') return stringRepr(v);
  if (typeof v === 'number' || typeof v === 'bigint') return numberText(v, o);
  if (Array.isArray(v)) return `[${v.map((x) => pythonRepr(x, o)).join(', ')}]`;
  return `{${entries(v).map(([k, x]) => `${stringRepr(k)}: ${pythonRepr(x, o)}`).join(', ')}}`;
}

/** A dict's items, in order: a plain object's or a Map's (which keeps keys like "10" where they were put); undefined for anything else. */
export function dictEntries(v: unknown): [string, unknown][] | undefined {
  if (v instanceof Map) return [...(v as Map<string, unknown>).entries()];
  if (v === null || typeof v !== 'object') return undefined;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null ? Object.entries(v) : undefined;
}

function entries(v: unknown): [string, unknown][] {
  const items = dictEntries(v);
  if (items === undefined) throw new TypeError(`not a JSON-able value: ${String(v)}`);
  return items;
}

function numberText(v: number | bigint, o: PythonNumbers): string {
  if (typeof v === 'bigint') return o.floats ? floatRepr(Number(v)) : v.toString();
  // String() writes a whole number below 1e21 as its digits, shortest round-trip ones padded with zeros: Go's way too.
  if (!o.floats && Number.isInteger(v) && Math.abs(v) < 1e21) return String(Object.is(v, -0) ? 0 : v);
  return floatRepr(v);
}

/**
 * Python's float repr: the shortest digits that read back as the same double (which toExponential()
 * also gives), in exponent form when the decimal point would sit more than 16 places right of the
 * first digit or 4 or more left of it (CPython `format_float_short`, mode 'r': decpt > 16 or <= -4).
 */
function floatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (x === 0) return `${sign}0.0`;
  const [mantissa, e] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exp = Number(e);
  const decpt = exp + 1;
  if (decpt > 16 || decpt <= -4) {
    const frac = digits.length > 1 ? `.${digits.slice(1)}` : '';
    return `${sign}${digits[0]}${frac}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
  if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
  return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
}

// str.isprintable() is false for these categories, and for every space but ' ' (CPython unicodectype.c).
const UNPRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;
const SHORT_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** repr(s): single quotes unless s holds a ' and no ", escapes for what is not printable. */
function stringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote) out += `\\${ch}`;
    else if (ch in SHORT_ESCAPES) out += SHORT_ESCAPES[ch];
    else if (ch !== ' ' && UNPRINTABLE.test(ch)) out += hexEscape(cp);
    else out += ch;
  }
  return out + quote;
}

function hexEscape(cp: number): string {
  if (cp < 0x100) return `\\x${cp.toString(16).padStart(2, '0')}`;
  if (cp < 0x10000) return `\\u${cp.toString(16).padStart(4, '0')}`;
  return `\\U${cp.toString(16).padStart(8, '0')}`;
}

const JSON_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/** json.dumps of a str with ensure_ascii: all outside ' '..'~' as \uXXXX, UTF-16 units (so a surrogate pair for 😀). */
function jsonString(s: string): string {
  return `"${s.replace(/[^ -~]|["\\]/g, (ch) => JSON_ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}
