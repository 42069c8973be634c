/**
 * A W&B sweep configuration read as a sweep spec: `sweep run wandb.yaml` takes the file a W&B
 * user already has and turns it into the native raw spec, which specSchema then validates like
 * any other. What W&B would do and sweep cannot is refused here, with the W&B key's position,
 * before anything trains.
 *
 * The rules are W&B's own, read at wandb/sweeps b1dfc5f: `src/sweeps/config/schema.json` (keys,
 * defaults, how a parameter's distribution is inferred: the first of its `parameter.anyOf` schemas
 * that fits), `config/schema.py` (`validate_min_max`, `validate_categorical_prob`,
 * `check_for_deprecated_distributions`), `params.py` (what each distribution draws:
 * `HyperParameter.ppf`), `grid_search.py` (which distributions a grid enumerates) and
 * `hyperband_stopping.py`; the docs' "Sweep configuration options"
 * (https://docs.wandb.ai/guides/sweeps/sweep-config-keys).
 */
import { builtInObjectiveProblem, metricDef } from '../metrics/registry.js';
import { HYPERPARAMETERS, REGISTRY, type HyperparameterKey } from './hyperparameters.js';

type Path = readonly PropertyKey[];
type Raw = Record<string, unknown>;

/** What the conversion needs from the parsed file. */
export type WandbSource = {
  readonly file: string;
  /** Throws the file's one-line error for `path` (at the key `key` under it, when given). */
  refuse(path: Path, problem: string, key?: string): never;
  /** Whether the number at `path` is written as an integer (`32`, not `32.0`): W&B's loader reads those as int. */
  isIntLiteral(path: Path): boolean;
};

/** A W&B configuration as a native raw spec, with what the run should tell the user. */
export type WandbSpec = {
  /** The native raw spec, for specSchema to validate. */
  readonly raw: Raw;
  /** Lines for the user, each `file: …` (the W&B keys that were ignored). */
  readonly notes: string[];
  /** The W&B path that a path of `raw` came from, so a schema error points at the W&B key. */
  origin(path: Path): Path;
};

// sweep's own top-level keys, allowed in a W&B file and passed through (W&B has name and description too).
const PASSED = ['name', 'description', 'seed', 'data', 'train', 'program', 'command', 'interpreter', 'collect', 'trial'];
// W&B keys about launching its agents and where its runs are stored: sweep trains and records runs itself.
const IGNORED = ['project', 'entity', 'job', 'image_uri', 'controller', 'apiVersion', 'kind'];
const CONVERTED = ['method', 'metric', 'metrics', 'scheduler', 'parameters', 'early_terminate', 'run_cap'];
const UNHONOURED: Record<string, string> = {};

/**
 * `method: custom` with W&B's multi-objective `metrics:` (cfg.py, b1dfc5f): the search the
 * scheduler's engine would run, as sweep's own. Optuna's `create_study` samples several
 * objectives with NSGAIISampler by default; Ax is Bayesian, as TPE is.
 */
const CUSTOM_ENGINES: Record<string, { method: 'nsga2' | 'tpe'; why: string }> = {
  optuna: { method: 'nsga2', why: 'Optuna\'s default sampler for several objectives, NSGAIISampler' },
  ax: { method: 'tpe', why: 'Bayesian, as Ax\'s is' },
};

const METHODS = { grid: 'grid', random: 'random', bayes: 'tpe' } as const;
type WandbMethod = keyof typeof METHODS;

// W&B's distributions, each with the keys it takes besides `distribution` (schema.json's param_* definitions).
const DISTRIBUTIONS = {
  constant: ['value'],
  categorical: ['values'],
  categorical_w_probabilities: ['values', 'probabilities'],
  int_uniform: ['min', 'max'],
  uniform: ['min', 'max'],
  log_uniform: ['min', 'max'],
  log_uniform_values: ['min', 'max'],
  inv_log_uniform: ['min', 'max'],
  inv_log_uniform_values: ['min', 'max'],
  q_uniform: ['min', 'max', 'q'],
  q_log_uniform: ['min', 'max', 'q'],
  q_log_uniform_values: ['min', 'max', 'q'],
  normal: ['mu', 'sigma'],
  q_normal: ['mu', 'sigma', 'q'],
  log_normal: ['mu', 'sigma'],
  q_log_normal: ['mu', 'sigma', 'q'],
  beta: ['a', 'b'],
  q_beta: ['a', 'b', 'q'],
} as const;
type Distribution = keyof typeof DISTRIBUTIONS;
// Keys W&B fills in when they are left out (schema.json's defaults); the others are required.
const DEFAULTS: Record<string, number> = { q: 1, mu: 0, sigma: 1, a: 1, b: 1 };
// The ones whose values are real numbers: an integer hyperparameter needs int_uniform or a q_ with a whole q.
const REAL = ['uniform', 'log_uniform', 'log_uniform_values', 'inv_log_uniform', 'inv_log_uniform_values'];
// Drawn without bounds (a normal), or rounded past them (a q_beta with q 0.6 draws 1.2): every one of
// sweep's hyperparameters takes values between bounds, so these are for a program's own parameters.
const UNBOUNDED: Record<string, string> = {
  normal: 'a normal', q_normal: 'a normal', log_normal: 'a log-normal', q_log_normal: 'a log-normal', beta: 'a beta', q_beta: 'a beta',
};
// log_uniform, q_log_uniform and inv_log_uniform take natural-log exponents; W&B's validator flags them (schema.py).
const EXPONENTS: Record<string, string> = { log_uniform: 'log_uniform_values', q_log_uniform: 'q_log_uniform_values', inv_log_uniform: 'inv_log_uniform_values' };
// grid_search.py turns these into lists: range(min, max + 1) and np.arange(min, max, q).
const ENUMERATED = ['int_uniform', 'q_uniform'];
// A grid axis this long is a typo (int_uniform up to 60000), not a sweep anyone means to run.
const MAX_ENUMERATED = 1000;

// Parameter names: the registry's camelCase keys and its snake_case columns (as the database has them).
const NAMES = new Map<string, HyperparameterKey>(
  HYPERPARAMETERS.flatMap((k) => [[k, k], [REGISTRY[k].column, k]] as [string, HyperparameterKey][]),
);

// W&B's hyperband keys and the native rule's names for them.
const HYPERBAND_KEYS: Record<string, string> = { min_iter: 'minIter', max_iter: 'maxIter', eta: 'eta', s: 's', strict: 'strict' };
// A native range's keys that W&B spells otherwise (`log` comes from the distribution's name).
const RANGE_KEYS: Record<string, string> = { step: 'q', log: 'distribution' };

/**
 * How a native grid axis was written in the W&B file, to map its paths back: `inverted` is
 * inv_log_uniform's range, whose native min comes from W&B's max (e^-max) and max from its min.
 */
type Origin = { readonly at: Path; readonly form: 'value' | 'values' | 'weighted' | 'range' | 'inverted' | 'enumerated' | 'nested' };

const isMap = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Whether a raw spec is a W&B sweep configuration: it has W&B's top-level keys and neither `grid`
 * nor `search`. A `metric` mapping alone is not one: native specs write `{name, goal}` too.
 */
export function isWandbConfig(raw: Raw): boolean {
  if ('grid' in raw || 'search' in raw) return false;
  return ['method', 'parameters', 'early_terminate', 'run_cap'].some((k) => k in raw);
}

/** The native raw spec for a W&B configuration; anything sweep cannot honour is refused through `src.refuse`. */
export function fromWandb(w: Raw, src: WandbSource): WandbSpec {
  const ignored: string[] = [];
  for (const key of Object.keys(w)) {
    if (IGNORED.includes(key)) ignored.push(key);
    else if (key in UNHONOURED) src.refuse([], UNHONOURED[key], key);
    else if (!PASSED.includes(key) && !CONVERTED.includes(key)) {
      src.refuse([], `unknown key "${key}" (a W&B sweep takes ${CONVERTED.join(', ')}; sweep adds ${PASSED.join(', ')})`, key);
    }
  }
  if (w.name === undefined) src.refuse(['name'], 'sweep needs a name: add `name: my-sweep` (letters, digits, ".", "_" or "-")');

  const custom = w.method === 'custom' ? wandbCustom(w, src) : undefined;
  // A custom scheduler's search draws from the space as random and Bayesian search do.
  const method = custom ? 'random' : wandbMethod(w.method, src);
  // A W&B sweep of a program (its `program:`) has parameters of the program's own; else they are sweep's hyperparameters.
  const free = w.program !== undefined;
  if (w.metrics !== undefined && !custom) src.refuse(['metrics'], `\`metrics\` requires \`method: custom\` (got \`method: ${String(w.method)}\`), as W&B's cfg.py says: multi-objective optimization is only supported with a custom scheduler`);
  if (w.scheduler !== undefined && !custom) src.refuse(['scheduler'], 'a scheduler is for `method: custom`');
  const metric = custom ? undefined : wandbMetric(w, method, src, free);
  const { grid, origins, notes: parameterNotes } = wandbParameters(w.parameters, method, src, free);
  const earlyStopping = wandbEarlyTerminate(w.early_terminate, src);
  // W&B runs random and Bayesian search until someone stops it; sweep plans a number of trials.
  if (method !== 'grid' && w.run_cap === undefined) {
    src.refuse(['method'], `${method} search needs \`run_cap: N\`, how many trials to run (W&B would run it until stopped)`);
  }

  const raw: Raw = {};
  for (const key of PASSED) if (key in w) raw[key] = w[key];
  if (metric !== undefined) raw.metric = metric;
  if (custom) raw.metrics = custom.metrics;
  raw.search = {
    method: custom ? custom.method : METHODS[method],
    ...(w.run_cap === undefined ? {} : { trials: w.run_cap }),
    ...(earlyStopping === undefined ? {} : { earlyStopping }),
  };
  raw.grid = grid;

  const notes = [...(custom ? [`${src.file}: method custom with scheduler.engine ${custom.engine} runs as sweep's ${custom.method} (${CUSTOM_ENGINES[custom.engine].why})`] : []), ...(ignored.length === 0 ? [] : [
    `${src.file}: W&B key${ignored.length > 1 ? 's' : ''} ${ignored.join(', ')} ignored (sweep runs its own training and records its own results)`,
  ]), ...parameterNotes];
  return { raw, notes, origin: (path) => origin(path, origins) };
}

/**
 * W&B's `method: custom` (cfg.py, schema.json at b1dfc5f): several objectives (`metrics:`, two
 * or more, each a W&B metric) searched by a scheduler's engine, which sweep runs as its own
 * search (CUSTOM_ENGINES); the scheduler's own code (`source`) and W&B's engine, which cfg.py
 * does not let run `method: custom`, are refused, as is early_terminate beside a scheduler.
 */
function wandbCustom(w: Raw, src: WandbSource): { metrics: Raw[]; method: 'nsga2' | 'tpe'; engine: string } {
  if (w.metrics === undefined) src.refuse(['method'], 'sweep runs method "custom" for W&B\'s multi-objective `metrics:` only: with one metric, use grid, random or bayes');
  if (w.metric !== undefined) src.refuse(['metric'], '`metric` and `metrics` cannot both be set: use `metric` for a single objective, or `metrics` for multi-objective optimization (W&B\'s cfg.py)');
  const s = w.scheduler;
  if (!isMap(s) || s.engine === undefined) src.refuse(s === undefined ? ['method'] : ['scheduler'], 'method custom needs a `scheduler: {engine: optuna}` (or ax): its engine says how to search');
  for (const key of Object.keys(s)) {
    if (key !== 'engine') src.refuse(['scheduler'], `cannot honour scheduler.${key}: sweep runs its own search, not a scheduler's code`, key);
  }
  if (s.engine === 'wandb') src.refuse(['scheduler', 'engine'], '`scheduler.engine: wandb` does not support `method: custom` (W&B\'s cfg.py): use optuna or ax');
  if (typeof s.engine !== 'string' || !(s.engine in CUSTOM_ENGINES)) src.refuse(['scheduler', 'engine'], 'must be optuna, ax or wandb');
  if (w.early_terminate !== undefined) src.refuse(['early_terminate'], '`early_terminate` cannot be used together with `scheduler` (W&B\'s cfg.py): early termination is the scheduler\'s own');
  if (!Array.isArray(w.metrics) || w.metrics.length < 2) src.refuse(['metrics'], 'must list two or more metrics, each {name, goal}');
  const metrics = (w.metrics as unknown[]).map((m, i) => {
    if (!isMap(m) || typeof m.name !== 'string') src.refuse(['metrics', i], 'must be a metric: {name, goal}');
    for (const key of Object.keys(m)) {
      if (key === 'target' || key === 'impute' || key === 'impute_while_running') {
        src.refuse(['metrics', i], `cannot honour \`${key}\` in a list of several objectives: it is a single metric's`, key);
      }
      if (key !== 'name' && key !== 'goal') src.refuse(['metrics', i], `unknown key "${key}" (a metric has name and goal)`, key);
    }
    if (m.goal !== undefined && m.goal !== 'minimize' && m.goal !== 'maximize') src.refuse(['metrics', i, 'goal'], 'must be minimize or maximize');
    // W&B's goal defaults to minimize (schema.json).
    return { name: m.name, goal: m.goal ?? 'minimize' };
  });
  const engine = s.engine as string;
  return { metrics, method: CUSTOM_ENGINES[engine].method, engine };
}

/** W&B's method, checked: grid, random or bayes. */
function wandbMethod(m: unknown, src: WandbSource): WandbMethod {
  if (m === undefined) src.refuse(['method'], 'a W&B sweep needs `method`: grid, random or bayes');
  if (typeof m !== 'string' || !(m in METHODS)) src.refuse(['method'], 'must be grid, random or bayes');
  return m as WandbMethod;
}

/**
 * The native metric `{name, goal}`, or undefined where W&B has none and needs none (grid and
 * random: sweep then ranks by val_accuracy). Which names sweep can rank on is the native
 * schema's to say; here only W&B's own defaults and keys.
 */
function wandbMetric(w: Raw, method: WandbMethod, src: WandbSource, free: boolean): Raw | undefined {
  const m = w.metric;
  const shape = '{name: val_accuracy, goal: maximize} or {name: val_loss, goal: minimize}';
  if (m === undefined) {
    // bayes_search.py and hyperband_stopping.py both raise without a metric.
    if (method === 'bayes') src.refuse(['method'], `bayes search needs a \`metric\`: ${shape}`);
    if (w.early_terminate !== undefined) src.refuse(['early_terminate'], `hyperband stopping needs a \`metric\`: ${shape}`);
    return undefined;
  }
  if (!isMap(m)) src.refuse(['metric'], `must be a mapping: ${shape}`);
  for (const key of Object.keys(m)) {
    if (!['name', 'goal', 'target', 'impute', 'impute_while_running'].includes(key)) {
      src.refuse(['metric'], `unknown key "${key}" (a metric has name, goal, target, impute and impute_while_running)`, key);
    }
  }
  if (m.target !== undefined && (typeof m.target !== 'number' || !Number.isFinite(m.target))) src.refuse(['metric', 'target'], 'must be a number');
  for (const key of ['impute', 'impute_while_running'] as const) {
    const allowed = key === 'impute' ? ['latest', 'best', 'worst'] : ['latest', 'best', 'worst', 'false'];
    if (m[key] !== undefined && !allowed.includes(m[key] as string)) src.refuse(['metric', key], `must be ${allowed.join(', ')}`);
  }
  if (typeof m.name !== 'string') src.refuse(m.name === undefined ? ['metric'] : ['metric', 'name'], `needs a metric's name: ${shape}`);
  // Said before the rest of the file is read: it is why most W&B files written for a script of one's own cannot run here.
  const notBuiltIn = free ? undefined : builtInObjectiveProblem(m.name as string);
  if (notBuiltIn !== undefined) src.refuse(['metric', 'name'], notBuiltIn);
  if (m.goal !== undefined && m.goal !== 'minimize' && m.goal !== 'maximize') src.refuse(['metric', 'goal'], 'must be minimize or maximize');
  // W&B's goal defaults to minimize (schema.json): a metric sweep knows to go the other way says so here.
  const wanted = metricDef(m.name as string).goal;
  if (m.goal === undefined && wanted === 'maximize') {
    src.refuse(['metric'], `sweep can only maximize ${m.name as string}, not minimize it (W&B's goal defaults to minimize): write \`goal: maximize\``);
  }
  // schema.json: impute defaults to worst, impute_while_running to false; only Bayesian search uses them (bayes_search.py).
  const whileRunning = m.impute_while_running === undefined || m.impute_while_running === 'false' ? undefined : m.impute_while_running;
  return {
    name: m.name, goal: m.goal ?? 'minimize',
    ...(m.target === undefined ? {} : { target: m.target }),
    ...(method === 'bayes' ? { impute: m.impute ?? 'worst', ...(whileRunning === undefined ? {} : { imputeWhileRunning: whileRunning }) } : {}),
  };
}

/**
 * The native grid for W&B's `parameters`, with where each axis came from (keyed by its native
 * path under `grid`, see originKey). A program's parameter may nest (W&B's param_dict: a mapping
 * whose only key is `parameters`): it becomes a native nested parameter, each field drawn on its
 * own as params.py's HyperParameterSet draws the leaves it unnests, the program given one mapping
 * (params.py's `to_config` renests them under one top-level `{value: {...}}`).
 */
function wandbParameters(
  p: unknown, method: WandbMethod, src: WandbSource, free: boolean,
): { grid: Raw; origins: Map<string, Origin>; notes: string[] } {
  if (p === undefined) src.refuse(['parameters'], 'a W&B sweep needs `parameters`');
  if (!isMap(p) || Object.keys(p).length === 0) {
    src.refuse(['parameters'], 'must map hyperparameter names to `value`, `values`, or a `distribution` with `min` and `max`');
  }
  const origins = new Map<string, Origin>();
  const notes: string[] = [];
  const level = (params: Raw, at: Path, gridAt: Path): Raw => {
    const grid: Raw = {};
    const names = new Map<string, string>();
    for (const [name, cfg] of Object.entries(params)) {
      if (isMap(cfg) && 'parameters' in cfg) {
        if (!free) src.refuse([...at, name], 'cannot honour nested parameters: sweep\'s hyperparameters are flat (a program\'s own parameters may nest)', 'parameters');
        for (const k of Object.keys(cfg)) if (k !== 'parameters') src.refuse([...at, name], `unknown key "${k}": a nested parameter takes only \`parameters\``, k);
        if (!isMap(cfg.parameters) || Object.keys(cfg.parameters).length === 0) src.refuse([...at, name, 'parameters'], 'must map each nested parameter\'s name to `value`, `values`, or a `distribution`');
        grid[name] = { parameters: level(cfg.parameters, [...at, name, 'parameters'], [...gridAt, name, 'parameters']) };
        origins.set(originKey([...gridAt, name]), { at: [...at, name], form: 'nested' });
        continue;
      }
      // A program's parameters keep the file's names; sweep's own hyperparameters are looked up.
      const key = free ? name : NAMES.get(name);
      if (key === undefined) {
        const known = HYPERPARAMETERS.map((k) => REGISTRY[k].column).join(', ');
        src.refuse(at, `unknown hyperparameter "${name}": sweep has ${known} (or their camelCase keys)`, name);
      }
      const before = names.get(key);
      if (before !== undefined) src.refuse(at, `"${name}" is "${before}" again`, name);
      if (!isMap(cfg)) src.refuse([...at, name], 'must be a mapping: `value`, `values`, or a `distribution` with `min` and `max`');
      const { axis, form } = wandbParameter(name, free ? null : key as HyperparameterKey, cfg, method, src, notes, [...at, name]);
      grid[key] = axis;
      names.set(key, name);
      origins.set(originKey([...gridAt, key]), { at: [...at, name], form });
    }
    return grid;
  };
  return { grid: level(p, ['parameters'], []), origins, notes };
}

/** How origins key a native path under `grid`. */
const originKey = (path: Path) => JSON.stringify(path.map(String));

/**
 * One parameter as a native axis: a list (value, values, or a grid's enumerated range), values
 * with probabilities, or a range (uniform, normal or beta). What each W&B distribution draws is
 * params.py's `HyperParameter.ppf`, and the native axis draws the same (src/search/random.ts).
 */
function wandbParameter(
  name: string, key: HyperparameterKey | null, cfg: Raw, method: WandbMethod, src: WandbSource, notes: string[], at: Path,
): { axis: unknown; form: Origin['form'] } {
  const d = cfg.distribution ?? inferred(cfg, at, src);
  // Point at `distribution` where it is written; an inferred one is the parameter's.
  const dAt = cfg.distribution === undefined ? at : [...at, 'distribution'];
  const how = cfg.distribution !== undefined ? ''
    : d === 'int_uniform' ? ' (inferred from integer min and max)' : d === 'uniform' ? ' (inferred: min or max is not an integer)' : '';
  if (typeof d !== 'string') src.refuse(dAt, `must be one of ${Object.keys(DISTRIBUTIONS).join(', ')}`);
  if (!(d in DISTRIBUTIONS)) src.refuse(dAt, `unknown distribution "${d}": W&B's are ${Object.keys(DISTRIBUTIONS).join(', ')}`);
  const dist = d as Distribution;
  const takes: readonly string[] = DISTRIBUTIONS[dist];
  for (const k of Object.keys(cfg)) {
    if (k === 'distribution' || takes.includes(k)) continue;
    // schema.json's param_categorical has no probabilities: they make the parameter categorical_w_probabilities.
    const hint = k === 'probabilities' && dist === 'categorical' ? ' (with probabilities it is categorical_w_probabilities: write that, or no distribution)' : '';
    src.refuse(at, `unknown key "${k}": ${dist} takes ${takes.join(', ')}${hint}`, k);
  }
  for (const k of takes) if (!(k in DEFAULTS) && !(k in cfg)) src.refuse(at, `${dist} needs \`${k}\``);

  if (dist === 'constant') return { axis: [cfg.value], form: 'value' };
  if (dist === 'categorical' || dist === 'categorical_w_probabilities') {
    // schema.json: a non-empty array (checked here so that the list's own errors map to `values`).
    if (!Array.isArray(cfg.values) || cfg.values.length === 0) src.refuse([...at, 'values'], 'must be a list of at least one value');
    if (dist === 'categorical') return { axis: cfg.values, form: 'values' };
    const pAt = [...at, 'probabilities'];
    // grid_search.py: "Specification of probabilities for categorical parameters is disallowed in grid search".
    if (method === 'grid') src.refuse(pAt, 'grid search runs every value once and takes no probabilities (W&B\'s refuses them too): use method random or bayes');
    if (key === 'model') src.refuse(pAt, 'cannot honour probabilities for model: sweep draws the model kind uniformly');
    // Their length, sign and sum (schema.json, schema.py's validate_categorical_prob) are the native schema's to check.
    return { axis: { values: cfg.values, probabilities: cfg.probabilities }, form: 'weighted' };
  }

  // A program's parameter takes what its distribution draws: integers from int_uniform, else real numbers.
  const range = key === null ? (dist === 'int_uniform' ? 'int' : 'float') : REGISTRY[key].range;
  if (range === null) src.refuse(dAt, `${dist} draws numbers and ${name} takes named values: give \`values\``);
  for (const k of takes) {
    if (k in cfg && (typeof cfg[k] !== 'number' || !Number.isFinite(cfg[k]))) src.refuse([...at, k], 'must be a number');
  }
  const q = (cfg.q ?? DEFAULTS.q) as number;
  if (!(q > 0)) src.refuse([...at, 'q'], 'must be positive');
  const family = UNBOUNDED[dist];
  if (family !== undefined && key !== null) {
    src.refuse(dAt, `cannot honour ${dist} on ${name}: sweep's hyperparameters take values between bounds, which ${family} does not keep to (a program's own parameters take it): use uniform or log_uniform_values`);
  }
  if (family !== undefined) {
    if (method === 'grid') src.refuse(dAt, `grid search takes \`values\` or \`value\` (W&B also enumerates int_uniform and q_uniform): ${dist} needs method random or bayes`);
    // params.py: norm.ppf(u, mu, sigma), lognorm.ppf(u, s=sigma, scale=e^mu), beta.ppf(u, a, b); q_ rounds each to a multiple of q.
    // sigma, a and b are the native schema's to check: W&B's schema lets them be 0, where scipy draws NaN.
    const [p1, p2] = takes;
    const parameters = { [p1]: cfg[p1] ?? DEFAULTS[p1], [p2]: cfg[p2] ?? DEFAULTS[p2] };
    return {
      axis: { ...parameters, ...(p1 === 'mu' ? { log: dist.includes('log') } : {}), ...(dist.startsWith('q_') ? { step: q } : {}), type: range },
      form: 'range',
    };
  }

  const min = cfg.min as number;
  const max = cfg.max as number;
  if (!(min < max)) src.refuse([...at, 'max'], `must be greater than min (${min})`); // schema.py's validate_min_max
  if (dist === 'int_uniform') {
    for (const k of ['min', 'max']) if (!src.isIntLiteral([...at, k])) src.refuse([...at, k], 'int_uniform takes integers: write it without a decimal point');
    if (range === 'float') {
      const fix = how === '' ? 'use uniform' : `write min as ${min}.0 for uniform`;
      src.refuse(dAt, `int_uniform${how} draws integers and ${name} takes real numbers: ${fix}`);
    }
  }
  if (range === 'int' && REAL.includes(dist)) {
    const q_ = dist.startsWith('inv_') ? 'q_log_uniform_values' : `q_${dist}`;
    src.refuse(dAt, `${dist}${how} draws real numbers and ${name} takes integers: use int_uniform, or ${q_} with a whole-number q`);
  }
  if (range === 'int' && !Number.isInteger(q)) src.refuse([...at, 'q'], `must be a whole number: ${name} takes integers`);
  // An integer range needs integer bounds, and e^min and e^max are not (but for e^0).
  if (range === 'int' && dist === 'q_log_uniform') {
    src.refuse(dAt, `q_log_uniform's bounds e^min and e^max are not integers, and ${name} takes integers: use q_log_uniform_values with integer min and max`);
  }

  if (method === 'grid') {
    if (!ENUMERATED.includes(dist)) {
      src.refuse(dAt, `grid search takes \`values\` or \`value\` (W&B also enumerates int_uniform and q_uniform): ${dist}${how} needs method random or bayes`);
    }
    // range(min, max + 1), or np.arange(min, max, q): ceil((max - min) / q) values, max itself left out.
    const n = dist === 'int_uniform' ? max - min + 1 : Math.ceil((max - min) / q);
    if (n > MAX_ENUMERATED) src.refuse(at, `${dist} from ${min} to ${max} is ${n} grid values, more than ${MAX_ENUMERATED}: give \`values\``);
    // 15 digits keep 0.1 * 3 the 0.3 that was meant, as the native q rounding does.
    const step = dist === 'int_uniform' ? 1 : q;
    return { axis: Array.from({ length: n }, (_, i) => Number((min + i * step).toPrecision(15))), form: 'enumerated' };
  }
  const values = EXPONENTS[dist];
  if (values !== undefined) {
    const [lo, hi] = dist === 'inv_log_uniform' ? ['-max', '-min'] : ['min', 'max'];
    notes.push(`${src.file}: ${at.map(String).join('.')} is ${dist}, whose min and max are natural-log exponents (it draws from e^${lo} to e^${hi}); W&B's validator flags it: ${values} takes the values themselves`);
  }
  // log_uniform and q_log_uniform take natural-log exponents: their bounds are e^min and e^max.
  // inv_log_uniform draws exp(-U(min, max)) (params.py's inv_log_uniform_v1_ppf), log-uniform over [e^-max, e^-min];
  // inv_log_uniform_values is it over [-ln max, -ln min]: log-uniform over [min, max], each u giving the same value.
  const [lo, hi] = dist === 'log_uniform' || dist === 'q_log_uniform' ? [Math.exp(min), Math.exp(max)]
    : dist === 'inv_log_uniform' ? [Math.exp(-max), Math.exp(-min)] : [min, max];
  return {
    axis: {
      min: lo,
      max: hi,
      log: dist.includes('log'),
      ...(dist.startsWith('q_') ? { step: q } : {}),
      ...(key === null ? { type: range } : {}),
    },
    form: dist === 'inv_log_uniform' ? 'inverted' : 'range',
  };
}

/**
 * W&B's inference where `distribution` is omitted (schema.json's `parameter.anyOf`, first fit):
 * values → categorical, or categorical_w_probabilities with probabilities; value → constant;
 * integer min and max → int_uniform, other numbers → uniform.
 */
function inferred(cfg: Raw, at: Path, src: WandbSource): Distribution {
  if ('values' in cfg) return 'probabilities' in cfg ? 'categorical_w_probabilities' : 'categorical';
  if ('value' in cfg) return 'constant';
  if ('min' in cfg && 'max' in cfg) {
    return src.isIntLiteral([...at, 'min']) && src.isIntLiteral([...at, 'max']) ? 'int_uniform' : 'uniform';
  }
  return src.refuse(at, 'needs `value`, `values`, or `min` and `max` (other distributions name themselves with `distribution`)');
}

/** W&B's hyperband stopping as the native `wandb-hyperband` rule, whose schema checks the values; undefined when absent. */
function wandbEarlyTerminate(e: unknown, src: WandbSource): Raw | undefined {
  if (e === undefined) return undefined;
  const at = ['early_terminate'];
  if (!isMap(e)) src.refuse(at, 'must be a mapping with `type: hyperband`');
  if (e.type === undefined) src.refuse(at, 'needs `type: hyperband`');
  if (e.type !== 'hyperband') src.refuse([...at, 'type'], `cannot honour early_terminate type ${JSON.stringify(e.type)}: sweep runs W&B's hyperband`);
  for (const k of Object.keys(e)) {
    if (k !== 'type' && !(k in HYPERBAND_KEYS)) src.refuse(at, `unknown key "${k}": hyperband takes ${Object.keys(HYPERBAND_KEYS).join(', ')}`, k);
  }
  // W&B takes max_iter over min_iter when both are given; one of them is what its docs ask for.
  if ('min_iter' in e && 'max_iter' in e) src.refuse(at, 'give min_iter or max_iter, not both (W&B would ignore min_iter)', 'min_iter');
  if (!('min_iter' in e) && !('max_iter' in e)) src.refuse(at, 'needs min_iter, or max_iter with s');
  if ('max_iter' in e) {
    // schema.json requires s with max_iter, and with s < 1 hyperband_stopping.py finds no bracket.
    if (!('s' in e)) src.refuse(at, 'max_iter needs s, how many brackets below it', 'max_iter');
    if (typeof e.s === 'number' && e.s < 1) src.refuse([...at, 's'], 'must be at least 1 with max_iter');
  }
  // eta, s and strict left out take the native rule's defaults: eta 3 as schema.json's; strict true as
  // schema.json's, which the controller fills in (the docs' table says false); s 0, unused with min_iter.
  return {
    type: 'wandb-hyperband',
    ...Object.fromEntries(Object.entries(HYPERBAND_KEYS).filter(([k]) => k in e).map(([k, native]) => [native, e[k]])),
  };
}

/** The W&B path a native path came from: grid axes to their parameters, search to method, run_cap and early_terminate. */
function origin(path: Path, origins: ReadonlyMap<string, Origin>): Path {
  const [head, key, ...rest] = path;
  if (head === 'metric') return key === 'goal' ? ['metric', 'goal'] : ['metric', 'name'];
  if (head === 'search') {
    if (key === 'trials') return ['run_cap'];
    if (key !== 'earlyStopping') return ['method'];
    const wandbKey = Object.keys(HYPERBAND_KEYS).find((k) => HYPERBAND_KEYS[k] === rest[0]);
    return ['early_terminate', ...(rest.length === 0 ? [] : [wandbKey ?? rest[0]]), ...rest.slice(1)];
  }
  if (head !== 'grid') return path;
  // The longest native path with an origin: a nested parameter's field before the parameter itself.
  const under = path.slice(1);
  let i = under.length;
  while (i > 0 && !origins.has(originKey(under.slice(0, i)))) i--;
  const o = origins.get(originKey(under.slice(0, i)));
  if (o === undefined) return ['parameters'];
  const at = o.at;
  const tail = under.slice(i);
  if (tail.length === 0) return at;
  return fromNative(at, o.form, tail);
}

/** The W&B path below a parameter (at `at`) for the native path `rest` below its axis, written as `form`. */
function fromNative(at: Path, form: Origin['form'], rest: Path): Path {
  switch (form) {
    case 'values':
      return [...at, 'values', ...rest];
    case 'weighted':
      return [...at, ...rest];
    case 'value':
      return [...at, 'value', ...rest.slice(1)];
    case 'range':
      return [...at, RANGE_KEYS[String(rest[0])] ?? rest[0], ...rest.slice(1)];
    case 'inverted':
      return [...at, rest[0] === 'min' ? 'max' : rest[0] === 'max' ? 'min' : RANGE_KEYS[String(rest[0])] ?? rest[0]];
    case 'enumerated':
      // Values run from min up, so a bad first one is min's fault and a bad later one max's.
      return [...at, rest[0] === 0 ? 'min' : 'max'];
    case 'nested':
      // `parameters` and a field's name, as the W&B file writes them (a field with an origin was found above).
      return [...at, ...rest];
  }
}
