/**
 * The parameters as environment variables, sweep's addition to W&B's agent (which sets none): a
 * program that reads its settings from the environment gets the same text `${args}` would pass,
 * each under SWEEP_PARAM_<NAME>, and SWEEP_PARAMS_FILE names the JSON file holding them all.
 */
import { UserError } from '../../errors.js';
import { pythonStr } from './python-text.js';
import type { FloatParams, ParamValues } from './param-args.js';

export const PARAM_VAR_PREFIX = 'SWEEP_PARAM_';
/** The variable naming the trial's JSON file of parameters (what `${args_json_file}` names too). */
export const PARAMS_FILE_VAR = 'SWEEP_PARAMS_FILE';

/** The variable for parameter `name`: upper-cased, each character outside A-Z and 0-9 as `_` (`learning-rate` -> SWEEP_PARAM_LEARNING_RATE). */
export function paramEnvName(name: string): string {
  return PARAM_VAR_PREFIX + name.replace(/[^A-Za-z0-9]/gu, '_').toUpperCase();
}

/**
 * Each parameter's variable by parameter name. Two names that would share one (`lr` and `LR`,
 * `batch-size` and `batch_size`) are a UserError naming both: neither could be told apart there.
 */
export function paramEnvNames(names: readonly string[]): Map<string, string> {
  const owner = new Map<string, string>();
  for (const name of names) {
    const v = paramEnvName(name);
    const other = owner.get(v);
    if (other !== undefined) throw new UserError(`parameters ${JSON.stringify(other)} and ${JSON.stringify(name)} would both be the environment variable ${v}: rename one`);
    owner.set(v, name);
  }
  return new Map([...owner].map(([v, name]) => [name, v]));
}

/**
 * The variables to add for `params`, each value Python's str() of the parameter. A NUL byte in a
 * name or a value is a UserError: no environment variable or argv element can carry one.
 */
export function paramEnv(params: ParamValues, floats: FloatParams = new Set()): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, v] of paramEnvNames(Object.keys(params))) {
    const text = pythonStr(params[name], { floats: floats.has(name) });
    if (`${name}${text}`.includes('\0')) throw new UserError(`parameter ${JSON.stringify(name)} holds a NUL byte, which no program argument or environment variable can carry`);
    env[v] = text;
  }
  return env;
}
