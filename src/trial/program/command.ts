/**
 * How a program trial is launched: the argv to spawn (argv[0] the executable, no shell) and the
 * variables to add to its environment. The rules are W&B's agent's, read in wandb/wandb at commit
 * b6e2950 (2026-08-21): `wandb/wandb_agent.py` `Agent._command_run` and
 * `wandb/sdk/launch/sweeps/utils.py` `create_sweep_command` and `create_sweep_command_args`.
 *
 * What sweep does otherwise: a macro W&B's agent would drop or pass on unreplaced is an error
 * here (checkCommand), where W&B runs the program without it; and every parameter is also an
 * environment variable (param-env.ts), which `${envvar:NAME}` can read.
 */
import { UserError } from '../../errors.js';
import { PARAM_MACROS, paramArgs, paramsJson, type FloatParams, type ParamValues } from './param-args.js';
import { PARAMS_FILE_VAR, paramEnv, paramEnvName } from './param-env.js';
import { pythonStr } from './python-text.js';

export type { ParamValues } from './param-args.js';

/** W&B's `DEFAULT_SWEEP_COMMAND`, run when a spec gives no command (or an empty one). */
export const DEFAULT_COMMAND: readonly string[] = ['${env}', '${interpreter}', '${program}', '${args}'];

/** Every macro an element may be, whole: `_command_run`'s `sweep_vars` keys, less `args_dict`. */
export const MACROS: readonly string[] = ['env', 'interpreter', 'program', 'args_json_file', ...PARAM_MACROS];

/**
 * A command element as YAML gives it: W&B's agent writes each with str(), so `5` runs as "5" (a
 * YAML `1.0` runs as "1", where W&B writes "1.0": the loaded number no longer says; quote it).
 */
export type CommandElement = string | number | boolean;

export type LaunchSettings = {
  /** What `${program}` becomes: the program's path, absolute. */
  readonly program: string;
  /** The spec's `command`; absent or empty, DEFAULT_COMMAND (W&B: `command or DEFAULT_SWEEP_COMMAND`). */
  readonly command?: readonly CommandElement[];
  /** What `${interpreter}` becomes; W&B's agent always writes `python`, the default. */
  readonly interpreter?: string;
};

export type LaunchContext = {
  /** Where the caller writes `paramsFileText`: `${args_json_file}` and SWEEP_PARAMS_FILE name it. */
  readonly paramsFile: string;
  /** The environment the program would get without `Launch.env`; `${envvar:NAME}` reads it, with `Launch.env` over it. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `${env}` is /usr/bin/env, and nothing on Windows; process.platform unless given. */
  readonly platform?: NodeJS.Platform;
  /** Parameters that hold Python floats, written `32.0` where a whole number would be `32` (see python-text.ts). */
  readonly floats?: FloatParams;
};

export type Launch = {
  /** What to spawn, argv[0] the executable, each element one argument as it is (no shell). */
  argv: string[];
  /** Variables to add to the program's environment: SWEEP_PARAM_<NAME> for each parameter, and SWEEP_PARAMS_FILE. */
  env: Record<string, string>;
  /** What to write at `paramsFile`: `json.dumps` of the parameters, as W&B writes its `${args_json_file}`. */
  paramsFileText: string;
  /** Variables `${envvar:NAME}` found unset: each became its own name, as in W&B, which deserves a warning. */
  unsetVars: string[];
};

/** Why a command cannot run as meant, and the index of the element at fault. */
export type CommandProblem = { readonly index: number; readonly problem: string };

// create_sweep_command: `SWEEP_COMMAND_ENV_VAR_REGEX = re.compile(r"\$\{envvar\:([A-Z0-9_]*)\}")`.
const ENVVAR = /\$\{envvar:([A-Z0-9_]*)\}/g;
const ANY_ENVVAR = /\$\{envvar:([^}]*)\}/g;
const ANY_MACRO = /\$\{([^}]*)\}/g;
// Macros that stand for values, not for something that can run.
const NOT_RUNNABLE = new Set<string>(['args_json_file', ...PARAM_MACROS]);

/**
 * The argv and environment for one trial of a program with parameter values `params`.
 * Throws UserError for a command checkCommand refuses, and for parameters param-env.ts refuses.
 */
export function buildLaunch(s: LaunchSettings, params: ParamValues, o: LaunchContext): Launch {
  const command = s.command?.length ? s.command : DEFAULT_COMMAND;
  const problem = checkCommand(command, Object.keys(params));
  if (problem) throw commandError(command, problem);

  const env: Record<string, string> = { ...paramEnv(params, o.floats), [PARAMS_FILE_VAR]: o.paramsFile };
  const lookup: Readonly<Record<string, string | undefined>> = { ...o.env, ...env };
  const vars: Record<string, readonly string[]> = {
    ...paramArgs(params, o.floats),
    interpreter: [s.interpreter ?? 'python'],
    program: [s.program],
    args_json_file: [o.paramsFile],
    // `if platform.system() != "Windows": sweep_vars["env"] = ["/usr/bin/env"]`; unset, the macro gives nothing.
    env: (o.platform ?? process.platform) === 'win32' ? [] : ['/usr/bin/env'],
  };
  const unsetVars = new Set<string>();
  const argv: string[] = [];
  command.forEach((element, index) => {
    // create_sweep_command first: `os.environ.get(m.group(1), m.group(1))`, an unset variable gives its own name.
    const text = pythonStr(element).replace(ENVVAR, (_, name: string) => {
      const value = lookup[name];
      if (value !== undefined) return value;
      unsetVars.add(name);
      return name;
    });
    // Then _command_run: `if c.startswith("${") and c.endswith("}")`, the whole element is a macro.
    const name = wholeMacro(text);
    if (name === undefined) argv.push(text);
    else if (Object.hasOwn(vars, name)) argv.push(...vars[name]);
    // Only a variable's value can get here (checkCommand saw the rest); W&B would drop the element.
    else throw commandError(command, { index, problem: `the environment made it ${JSON.stringify(text)}, not a macro sweep knows` });
  });
  if (argv.length === 0) throw new UserError('command: nothing to run (every element expanded to nothing)');
  return { argv, env, paramsFileText: paramsJson(params, o.floats), unsetVars: [...unsetVars] };
}

/**
 * The first problem with a spec's `command` (`paramNames`: the sweep's parameters), or undefined.
 * Any argv W&B's agent runs as meant is allowed: `[bash, run.sh, ${args}]` needs no `${program}`.
 */
export function checkCommand(command: readonly unknown[], paramNames: readonly string[] = []): CommandProblem | undefined {
  const texts: string[] = [];
  for (const [index, element] of command.entries()) {
    if (!['string', 'number', 'boolean'].includes(typeof element)) {
      return { index, problem: `is ${kindOf(element)}: each element is one argument, a string` };
    }
    const text = pythonStr(element);
    const problem = elementProblem(text, paramNames);
    if (problem) return { index, problem };
    texts.push(text);
  }
  const interpreter = texts.indexOf('${interpreter}');
  if (interpreter >= 0 && !texts.includes('${program}')) {
    return { index: interpreter, problem: '${interpreter} without ${program} would start the interpreter on the parameters alone: add ${program}' };
  }
  const first = texts.findIndex((t) => t !== '${env}');
  const macro = first >= 0 ? wholeMacro(texts[first]) : undefined;
  if (macro !== undefined && NOT_RUNNABLE.has(macro)) {
    return { index: first, problem: `the command would start with \${${macro}}, which is not a program: put the executable first` };
  }
  return undefined;
}

function elementProblem(text: string, paramNames: readonly string[]): string | undefined {
  if (text.includes('\0')) return 'holds a NUL byte, which no program argument can carry';
  for (const [ref, name] of text.matchAll(ANY_ENVVAR)) {
    if (!/^[A-Z0-9_]+$/.test(name)) return `${ref} names no variable W&B's agent reads (A-Z, 0-9 and _ only): it would stay as written`;
  }
  const whole = text.search(ANY_ENVVAR) < 0 ? wholeMacro(text) : undefined;
  if (whole === 'args_dict') return "${args_dict} is W&B's internal dict (its agent puts only the parameters' names there): use ${args_json}";
  if (whole !== undefined && !MACROS.includes(whole)) {
    return `unknown macro \${${whole}} (W&B's agent would drop it without a word); macros: ${MACROS.map((m) => `\${${m}}`).join(', ')}`;
  }
  if (whole !== undefined) return undefined;
  for (const [ref, name] of text.matchAll(ANY_MACRO)) {
    if (MACROS.includes(name)) return `${ref} is replaced only as a whole element: W&B's agent would pass ${JSON.stringify(text)} as written`;
    if (paramNames.includes(name)) {
      return `${ref} would reach the program as written: W&B's agent replaces no parameter inside an element; use \${args} or \${envvar:${paramEnvName(name)}}`;
    }
  }
  return undefined;
}

function kindOf(v: unknown): string {
  if (v === null || v === undefined) return 'empty';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'a mapping' : `a ${typeof v}`;
}

// `c.startswith("${") and c.endswith("}")` and `c[2:-1]`: so "${a}-${b}" is the macro "a}-${b".
function wholeMacro(text: string): string | undefined {
  return text.startsWith('${') && text.endsWith('}') ? text.slice(2, -1) : undefined;
}

function commandError(command: readonly unknown[], p: CommandProblem): UserError {
  const el = command[p.index];
  const shown = ['string', 'number', 'boolean'].includes(typeof el) ? pythonStr(el) : String(JSON.stringify(el) ?? el);
  // A macro's name may hold a newline, and the message must stay on one line.
  const problem = p.problem.replace(/[\x00-\x1f\x7f]/g, (c) => JSON.stringify(c).slice(1, -1));
  return new UserError(`command element ${p.index} ${JSON.stringify(shown)}: ${problem}`);
}
