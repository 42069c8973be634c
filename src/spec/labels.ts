/**
 * How configurations read, whatever trains them: a built-in model's hyperparameters by the
 * registry's keys and labels, the user's code's parameters by the spec's own names.
 */
import { isCodeConfig, type AnyConfig } from './code.js';
import { applies, HYPERPARAMETERS, REGISTRY, type HyperparameterKey } from './hyperparameters.js';

/** Short display name of a hyperparameter, as columns and log lines show it. */
export const LABEL = Object.fromEntries(
  Object.entries(REGISTRY).map(([key, e]) => [key, e.label]),
) as Record<HyperparameterKey, string>;

/** A parameter's display name: the registry's label for a hyperparameter, else its own name. */
export function labelOf(key: string): string {
  return key in LABEL ? LABEL[key as HyperparameterKey] : key;
}

/** A configuration's values by key: a built-in model's hyperparameters (and `model`), or the code's parameters. */
export function paramsOf(c: AnyConfig): Readonly<Record<string, unknown>> {
  return isCodeConfig(c) ? c.params : c;
}

/** A value as tables and log lines show it: lists joined by "-", drawn numbers to 4 significant digits. */
export function formatValue(v: unknown): string {
  if (v === undefined) return '-';
  if (typeof v === 'number' && !Number.isInteger(v)) return String(Number(v.toPrecision(4)));
  if (Array.isArray(v)) return v.map(formatValue).join('-');
  return v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** "dropout=0.2 units=128" for the keys that distinguish this configuration. */
export function describeConfig(c: AnyConfig, keys: readonly string[]): string {
  const values = paramsOf(c);
  return keys.filter((k) => values[k] !== undefined).map((k) => `${labelOf(k)}=${formatValue(values[k])}`).join(' ');
}

/** Every parameter name these configurations of the user's code have, sorted (as each configuration lists its own). */
function codeNames(configs: readonly AnyConfig[]): string[] {
  return [...new Set(configs.filter(isCodeConfig).flatMap((c) => Object.keys(c.params)))].sort();
}

/**
 * The keys whose values differ across these configurations: hyperparameters in table order,
 * then code parameters in name order. A parameter some configurations lack (a conditional one)
 * differs where others have it.
 */
export function varyingKeys(configs: readonly AnyConfig[]): string[] {
  const code = configs.filter(isCodeConfig);
  const builtIn = configs.filter((c) => !isCodeConfig(c));
  const differ = (list: readonly AnyConfig[], key: string) => new Set(list.map((c) => JSON.stringify(paramsOf(c)[key]))).size > 1;
  // A key varies where it acts: precise BN's batches differ between BN and plain trials only because batchNorm does.
  const acting = (key: HyperparameterKey) => builtIn.filter((c) => applies(c as unknown as Record<string, unknown>, key));
  const names = codeNames(code);
  return [
    ...HYPERPARAMETERS.filter((key) => differ(acting(key), key)),
    ...names.filter((name) => differ(code, name)),
  ];
}

/** Every key any of these configurations has: hyperparameters in table order, then code parameters in name order. */
export function shownKeys(configs: readonly AnyConfig[]): string[] {
  const names = codeNames(configs);
  const builtIn = configs.filter((c) => !isCodeConfig(c));
  return [...HYPERPARAMETERS.filter((k) => builtIn.some((c) => paramsOf(c)[k] !== undefined)), ...names];
}

/**
 * How many steps (epochs) the trial trains when it is not stopped: a built-in model's epochs; for
 * the user's code, `steps` given (the spec's trial.steps), else its parameter `epochs` where that is
 * a whole number; null where nothing says.
 */
export function plannedSteps(c: AnyConfig, steps?: number): number | null {
  if (!isCodeConfig(c)) return c.epochs;
  if (steps !== undefined) return steps;
  const epochs = c.params.epochs;
  return typeof epochs === 'number' && Number.isInteger(epochs) && epochs > 0 ? epochs : null;
}
