import { readFileSync } from 'node:fs';
import { LineCounter, isMap, isPair, isScalar, parseDocument, type Document, type Node } from 'yaml';
import type { core } from 'zod';
import { checkSettings } from '../data/registry.js';
import { UserError } from '../errors.js';
import { BUILT_IN_METRICS, builtInObjectiveProblem, isBuiltInMetric } from '../metrics/registry.js';
import { isWeighted } from './axes.js';
import { type CodeAxis, type CodeRange, type CodeSpec } from './code.js';
import { gridEntries, isConditional, isLeaf, mapLeaves, type GridNode } from './conditional.js';
import { checkCollect } from './collect.js';
import { REGISTRY, type HyperparameterKey } from './hyperparameters.js';
import { KIND_AXES, MODEL_KINDS, specSchema, type Axis, type SweepSpec, type Weighted } from './schema.js';
import { fromWandb, isWandbConfig } from './wandb.js';

/** A spec that cannot be used; the message reads `file:line:col path: problem`. */
export class SpecError extends UserError {
  constructor(file: string, line: number, col: number, path: string, problem: string) {
    super(`${file}:${line}:${col} ${path ? `${path}: ` : ''}${problem}`);
    this.name = 'SpecError';
  }
}

type Path = readonly PropertyKey[];

/**
 * Reads and validates a spec file (native or a W&B sweep configuration); a missing file or an
 * invalid spec is a UserError. `notes` are lines to print once before the sweep runs (see parseSpecWithNotes).
 */
export function loadSpec(file: string): { spec: SweepSpec; text: string; notes: string[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: cannot read the spec (${code === 'ENOENT' ? 'no such file' : code ?? String(err)})`);
  }
  return { ...parseSpecWithNotes(text, file), text };
}

/**
 * The spec a sweep was recorded with, for views (`watch`, the dashboard); undefined where its
 * text no longer parses (a sweep recorded by an older `sweep`).
 */
export function recordedSpec(record: { specYaml: string; specPath: string | null; name: string }): SweepSpec | undefined {
  try {
    return parseSpec(record.specYaml, record.specPath ?? record.name);
  } catch {
    return undefined;
  }
}

/** Parses spec text (native or W&B); every error names the file, line, column and the field's path. */
export function parseSpec(text: string, file: string): SweepSpec {
  return parseSpecWithNotes(text, file).spec;
}

/**
 * parseSpec, with the notes the run should print once: for a W&B sweep configuration (see
 * wandb.ts), a line such as `x.yaml: W&B keys program, command ignored (…)`; none for a native spec.
 */
export function parseSpecWithNotes(text: string, file: string): { spec: SweepSpec; notes: string[] } {
  const lines = new LineCounter();
  // maxAliasCount bounds "billion laughs" documents; uniqueKeys rejects a key given twice.
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax) {
    const at = lines.linePos(syntax.pos[0]);
    throw new SpecError(file, at.line, at.col, '', `invalid YAML: ${syntax.message.split('\n')[0]}`);
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new SpecError(file, 1, 1, '', `invalid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const where = (path: Path, key?: string) => {
    const node = nodeAt(doc.contents, path, key);
    const at = lines.linePos(node?.range?.[0] ?? 0);
    return { line: at.line, col: at.col };
  };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new SpecError(file, 1, 1, '', 'a spec must be a YAML mapping with at least a `name`');
  }
  /** Throws the error for `path` in the file, at the key `key` under it when given (else at its value). */
  const refuse = (path: Path, problem: string, key?: string): never => {
    const at = where(path, key);
    throw new SpecError(file, at.line, at.col, formatPath(key === undefined ? path : [...path, key]), problem);
  };

  // A W&B configuration becomes a native raw spec; errors on it then point back at its W&B keys.
  let native = raw as Record<string, unknown>;
  let notes: string[] = [];
  let origin = (path: Path): Path => path;
  if (isWandbConfig(native)) {
    const wandb = fromWandb(native, {
      file, refuse,
      isIntLiteral: (path) => {
        const node: unknown = doc.getIn(path, true);
        return isScalar(node) && typeof node.value === 'number' && INT_LITERAL.test(node.source ?? '');
      },
    });
    ({ raw: native, notes, origin } = wandb);
  }
  /** refuse, for a path of the native spec. */
  const fail = (path: Path, problem: string, key?: string): never => {
    const full = origin(key === undefined ? path : [...path, key]);
    return key === undefined ? refuse(full, problem) : refuse(full.slice(0, -1), problem, String(full[full.length - 1]));
  };

  const parsed = specSchema.safeParse(native);
  if (!parsed.success) {
    const issue = deepestIssue(parsed.error.issues);
    if (issue.code === 'custom' && issue.params?.atKey) {
      // A problem with a key itself (a parameter's name): pointed at the key, not its value.
      return fail(issue.path.slice(0, -1), issue.message, String(issue.path[issue.path.length - 1]));
    }
    const key = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
    return fail(issue.path, key === undefined ? friendly(issue) : `unknown key "${key}"`, key);
  }
  // A choice is a name: YAML reads `1:` or `true:` as a number or a boolean, which a program would get as text.
  for (const { node, path } of gridEntries<unknown>(parsed.data.code?.grid ?? parsed.data.grid as Record<string, never>)) {
    if (!isConditional(node)) continue;
    const written: unknown = doc.getIn(['grid', ...path], true);
    if (!isMap(written)) continue;
    for (const pair of written.items) {
      if (!isScalar(pair.key) || typeof pair.key.value === 'string') continue;
      const at = lines.linePos(pair.key.range?.[0] ?? 0);
      const text = pair.key.source ?? String(pair.key.value);
      throw new SpecError(file, at.line, at.col, formatPath(['grid', ...path, text]),
        `a choice is a name, and YAML reads ${text} as ${pair.key.value === null ? 'null' : `a ${typeof pair.key.value}`}: write it in quotes ("${text}")`);
    }
  }
  if (parsed.data.code) return { spec: checkCode(parsed.data, parsed.data.code, { fail, isIntLiteral: (path) => intLiteral(doc, origin(path)) }), notes };
  // The dataset's own keys and sizes, which the (browser-safe) schema does not know.
  const spec = { ...parsed.data, data: checkSettings(parsed.data.data, (path, problem) => fail(['data', ...path], problem)) };

  // The built-in models report the registry's metrics only: a metric of the trial's own would never arrive.
  if (native.metrics === undefined) {
    const notBuiltIn = builtInObjectiveProblem(spec.metric.name);
    if (notBuiltIn !== undefined) fail(typeof native.metric === 'string' ? ['metric'] : ['metric', 'name'], notBuiltIn);
  }
  spec.objectives.forEach((o, i) => {
    if (!isBuiltInMetric(o.name)) {
      const written = (native.metrics as unknown[])[i];
      fail(typeof written === 'string' ? ['metrics', i] : ['metrics', i, 'name'], `must be a metric sweep records (${BUILT_IN_METRICS.filter((m) => m.objective || m.cost).map((m) => m.name).join(', ')}), got ${JSON.stringify(o.name)}`);
    }
  });
  // A bound on a metric the built-in models record, or on a numeric hyperparameter.
  spec.constraints.forEach((c, i) => {
    const numeric = c.name in REGISTRY && REGISTRY[c.name as HyperparameterKey].range !== null;
    if (!isBuiltInMetric(c.name) && !numeric) {
      fail(['constraints', i], `"${c.name}" is neither a metric sweep records nor a numeric hyperparameter (e.g. params, train_seconds, val_accuracy, dropout, epochs)`);
    }
  });

  // Random search and TPE draw a bounded number of trials; a grid takes lists, not ranges.
  const { method } = spec.search;
  if (method !== 'grid' && spec.search.trials === undefined) {
    const at = where(['search'], 'method');
    throw new SpecError(file, at.line, at.col, 'search.trials', `${method} search needs \`trials: N\`, how many trials to run`);
  }
  if (method === 'grid') {
    for (const [path, axis] of gridAxes(spec)) {
      if (!Array.isArray(axis)) fail(path.slice(0, -1), GRID_TAKES_LISTS(axis as Axis), String(path[path.length - 1]));
    }
  }

  // A CNN-only key at the top of the grid (or under a choice there) must apply to some CNN in this sweep.
  const { model, ...shared } = spec.grid;
  const kinds = model === undefined ? ['ann'] : Array.isArray(model) ? model : Object.keys(model);
  for (const { name, path } of gridEntries(shared as Record<string, GridNode<Axis>>, ['grid'])) {
    if (!kinds.some((k) => KIND_AXES[k as (typeof MODEL_KINDS)[number]].includes(name))) {
      fail(path.slice(0, -1), `only ${MODEL_KINDS.filter((k) => KIND_AXES[k].includes(name)).join(', ')} models take "${name}", and this grid has none`, name);
    }
  }
  return { spec, notes };
}

/** Why a grid refuses an axis that is not a plain list. */
const GRID_TAKES_LISTS = (axis: Axis) => (isWeighted(axis)
  ? 'probabilities need `search.method: random` or `tpe`; a grid runs every value once'
  : 'a range needs `search.method: random` or `tpe`; a grid takes a list of values');

// A number written as an integer (`32`, `0x20`; not `32.0` or `1e3`): YAML's int forms, which W&B's loader reads as int.
const INT_LITERAL = /^[-+]?(?:[0-9]+|0x[0-9a-fA-F]+|0o[0-7]+)$/;

/** Whether the YAML number at `path` is written as an integer. */
function intLiteral(doc: Document, path: Path): boolean {
  const node: unknown = doc.getIn(path, true);
  return isScalar(node) && typeof node.value === 'number' && INT_LITERAL.test(node.source ?? '');
}

/**
 * A code spec, checked past its schema: ranges only for random search and TPE, each range's
 * type (int where its bounds are written as integers, as W&B infers int_uniform, unless `type`
 * says), and a `collect` whose patterns work.
 */
function checkCode(
  spec: SweepSpec, code: CodeSpec, src: { fail: (path: Path, problem: string, key?: string) => never; isIntLiteral: (path: Path) => boolean },
): SweepSpec {
  const grid = mapLeaves(code.grid, (axis, path): CodeAxis => {
    if (Array.isArray(axis)) return axis;
    if (spec.search.method === 'grid') src.fail(['grid', ...path.slice(0, -1)], GRID_TAKES_LISTS(axis as Axis), String(path[path.length - 1]));
    if ('probabilities' in axis) return axis;
    const range = axis as CodeRange;
    // {min, max} written as integers draw integers (W&B's int_uniform); a normal or a beta draws real numbers unless `type` says.
    const ints = 'min' in range && src.isIntLiteral(['grid', ...path, 'min']) && src.isIntLiteral(['grid', ...path, 'max']);
    const type = range.type ?? (ints ? 'int' : 'float');
    if (type === 'int' && 'min' in range && (!Number.isInteger(range.min) || !Number.isInteger(range.max))) src.fail(['grid', ...path], 'an int range needs integer min and max', 'type');
    return { ...range, type };
  });
  if (spec.search.method !== 'grid' && spec.search.trials === undefined) src.fail(['search'], `${spec.search.method} search needs \`trials: N\`, how many trials to run`, 'method');
  if (spec.search.earlyStopping && !code.metricDeclared) {
    src.fail(['search', 'earlyStopping'], 'early stopping judges the metric your program reports: name it, as in `metric: {name: val_loss, goal: minimize}`');
  }
  // ASHA's and Hyperband's rungs are fractions of the longest trial: its steps must be known.
  if (spec.search.earlyStopping && code.trial.steps === undefined && !('epochs' in grid)) {
    src.fail(['search', 'earlyStopping'], 'early stopping needs to know how many steps a trial reports: add `trial: {steps: N}`, or a parameter `epochs`');
  }
  const bad = checkCollect(code.collect);
  if (bad) src.fail(bad.path.split('.'), bad.problem);
  return { ...spec, code: { ...code, grid } };
}

/** Every axis of the grid with its path: shared keys (and those under their choices), then each kind's own. */
function gridAxes(spec: SweepSpec): [PropertyKey[], unknown][] {
  const { model, ...shared } = spec.grid;
  const leaves = (grid: Record<string, GridNode<Axis> | undefined>, at: PropertyKey[]): [PropertyKey[], unknown][] =>
    [...gridEntries(grid as Record<string, GridNode<Axis>>, at)].filter((e) => e.node !== undefined && isLeaf(e.node)).map((e) => [[...e.path], e.node]);
  const out = leaves(shared, ['grid']);
  if (model && !Array.isArray(model)) {
    for (const [kind, sub] of Object.entries(model)) out.push(...leaves(sub ?? {}, ['grid', 'model', kind]));
  }
  return out;
}

const depth = (branch: readonly core.$ZodIssue[]) => Math.max(...branch.map((i) => i.path.length));
const typed = (branch: readonly core.$ZodIssue[]) => (branch.some((i) => i.code !== 'invalid_type') ? 1 : 0);

/** Of a union's alternatives, report the one that got furthest into the value. */
function deepestIssue(issues: readonly core.$ZodIssue[]): core.$ZodIssue {
  const first = issues[0];
  // A discriminated union whose discriminator matched no option has no branches to look into.
  if (first.code !== 'invalid_union' || first.errors.length === 0) return first;
  const branches = first.errors
    .map((branch) => branch.map((i) => ({ ...i, path: [...first.path, ...i.path] }) as core.$ZodIssue))
    // The deepest first; at one depth, one that took the value's type (a finite-number check failing, say).
    .sort((a, b) => depth(b) - depth(a) || typed(b) - typed(a));
  const best = branches[0];
  // Every alternative failed at the top: the value has the wrong shape altogether (the union's own words, where it has them).
  if (best.every((i) => i.path.length === first.path.length && i.code === 'invalid_type')) {
    const own = first.message !== 'Invalid input' ? first.message : 'must be a list of model kinds or a map from kind to its grid';
    return { ...first, message: own };
  }
  return deepestIssue(best);
}

function friendly(issue: core.$ZodIssue): string {
  if (issue.code === 'invalid_type') {
    return issue.message.replace(/^Invalid input: /, '').replace(/received/, 'got');
  }
  return issue.message;
}

/** `grid.units[1][0]` from ['grid', 'units', 1, 0]. */
export function formatPath(path: Path): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');
}

/** The YAML node at `path` (or the key node of `key` under it), for its position. */
function nodeAt(root: Node | null, path: Path, key?: string): Node | undefined {
  let node: unknown = root;
  let last: Node | undefined = root ?? undefined;
  for (const p of path) {
    if (!node || typeof node !== 'object' || !('items' in node)) break;
    const items = (node as { items: unknown[] }).items;
    const next: unknown = isMap(node)
      ? items.find((it) => isPair(it) && isScalar(it.key) && it.key.value === p)
      : items[p as number];
    if (next === undefined) break;
    node = isPair(next) ? next.value : next;
    if (node && typeof node === 'object' && 'range' in node) last = node as Node;
  }
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((it) => isScalar(it.key) && it.key.value === key);
    if (pair && isScalar(pair.key)) return pair.key;
  }
  return last;
}

/**
 * The spec text with its number of trials set to `trials` (`search.trials`, or a W&B file's
 * `run_cap`) and, where given, its name: what `sweep run --trials` and `--fork` record, so that a
 * `sweep worker` joining later reads the sweep as this run made it. Comments and order are kept.
 */
export function rewriteSpec(text: string, change: { readonly trials?: number; readonly name?: string }): string {
  const doc = parseDocument(text);
  const raw = doc.toJS() as Record<string, unknown> | null;
  if (raw === null || typeof raw !== 'object') return text;
  if (change.trials !== undefined) {
    if (isWandbConfig(raw)) doc.set('run_cap', change.trials);
    else doc.setIn(['search', 'trials'], change.trials);
  }
  if (change.name !== undefined) doc.set('name', change.name);
  return doc.toString();
}
