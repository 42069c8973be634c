import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { buildLaunch, checkCommand, DEFAULT_COMMAND, type LaunchContext, type ParamValues } from '../../../src/trial/program/command.js';
import { tempDir } from '../../temp-dir.js';

// W&B's sources quoted below: wandb/wandb at b6e2950, wandb/wandb_agent.py (Agent._command_run) and
// wandb/sdk/launch/sweeps/utils.py (create_sweep_command, create_sweep_command_args).

const PROGRAM = '/work/project/train.py';
const FILE = '/work/trials/7/params.json';
const ctx = (o: Partial<LaunchContext> = {}): LaunchContext => ({ paramsFile: FILE, env: {}, platform: 'linux', ...o });
const argvOf = (command: readonly string[], params: ParamValues, o: Partial<LaunchContext> = {}) =>
  buildLaunch({ program: PROGRAM, command }, params, ctx(o)).argv;

// Written out of order: W&B's run config comes sorted by name (wandb/sweeps params.py, `sorted(d.items())`).
const PARAMS: ParamValues = {
  use_bn: true,
  lr: 1e-5,
  dropout: false,
  opt: { name: 'adam', beta: 0.9 },
  layers: [128, 64],
  note: null,
  name: 'a b',
  batch_size: 32,
};

describe('parameter macros', () => {
  it.each<[string, string[]]>([
    // `_flag: str = f"{param}={_value}"`, `flags.append("--" + _flag)`
    ['${args}', ['--batch_size=32', '--dropout=False', '--layers=[128, 64]', '--lr=1e-05', '--name=a b', '--note=None', "--opt={'beta': 0.9, 'name': 'adam'}", '--use_bn=True']],
    // `flags_no_hyphens.append(_flag)`
    ['${args_no_hyphens}', ['batch_size=32', 'dropout=False', 'layers=[128, 64]', 'lr=1e-05', 'name=a b', 'note=None', "opt={'beta': 0.9, 'name': 'adam'}", 'use_bn=True']],
    // `if isinstance(_value, bool): if _value: flags_no_booleans.append("--" + param)` else `flags_no_booleans.append("--" + _flag)`
    ['${args_no_boolean_flags}', ['--batch_size=32', '--layers=[128, 64]', '--lr=1e-05', '--name=a b', '--note=None', "--opt={'beta': 0.9, 'name': 'adam'}", '--use_bn']],
    // `args_no_equals += [f"--{param}", str(_value)]`
    ['${args_no_equals}', ['--batch_size', '32', '--dropout', 'False', '--layers', '[128, 64]', '--lr', '1e-05', '--name', 'a b', '--note', 'None', '--opt', "{'beta': 0.9, 'name': 'adam'}", '--use_bn', 'True']],
    // `flags_append_hydra.append("+" + _flag)`
    ['${args_append_hydra}', ['+batch_size=32', '+dropout=False', '+layers=[128, 64]', '+lr=1e-05', '+name=a b', '+note=None', "+opt={'beta': 0.9, 'name': 'adam'}", '+use_bn=True']],
    // `flags_override_hydra.append("++" + _flag)`
    ['${args_override_hydra}', ['++batch_size=32', '++dropout=False', '++layers=[128, 64]', '++lr=1e-05', '++name=a b', '++note=None', "++opt={'beta': 0.9, 'name': 'adam'}", '++use_bn=True']],
    // `"args_json": [json.dumps(flags_dict)]`: one element
    ['${args_json}', ['{"batch_size": 32, "dropout": false, "layers": [128, 64], "lr": 1e-05, "name": "a b", "note": null, "opt": {"beta": 0.9, "name": "adam"}, "use_bn": true}']],
    // `sweep_vars["args_json_file"] = [args_json_file_path]`
    ['${args_json_file}', [FILE]],
  ])('%s', (macro, expected) => {
    expect(argvOf(['run', macro], PARAMS)).toEqual(['run', ...expected]);
  });

  it('writes the params file as ${args_json} is written (`fp.write(sweep_vars["args_json"][0])`)', () => {
    const launch = buildLaunch({ program: PROGRAM, command: ['run', '${args_json}'] }, PARAMS, ctx());
    expect(launch.paramsFileText).toBe(launch.argv[1]);
    expect(JSON.parse(launch.paramsFileText)).toEqual(PARAMS);
  });

  it.each<[string, string[]]>([
    ['${args}', []],
    ['${args_no_equals}', []],
    ['${args_json}', ['{}']],
  ])('with no parameters %s gives %j', (macro, expected) => {
    expect(argvOf(['run', macro], {})).toEqual(['run', ...expected]);
  });

  it("sorts names by code point, as Python's sorted() does, not by UTF-16 unit", () => {
    const params = { b: 1, a: 2, C: 3, 10: 4, 9: 5, '😀b': 6, '\uff5ea': 7 };
    expect(argvOf(['run', '${args_no_hyphens}'], params)).toEqual(['run', '10=4', '9=5', 'C=3', 'a=2', 'b=1', '\uff5ea=7', '😀b=6']);
  });

  it('sorts the keys of nested dicts too, "10" before "9"', () => {
    expect(argvOf(['run', '${args}'], { x: { 9: 'a', 10: 'b', a: { z: 1, y: 2 } } })).toEqual(['run', "--x={'10': 'b', '9': 'a', 'a': {'y': 2, 'z': 1}}"]);
  });

  it('writes the parameters named in `floats` as Python floats', () => {
    expect(argvOf(['run', '${args}', '${args_json}'], { lr: 1, epochs: 1 }, { floats: new Set(['lr']) })).toEqual(['run', '--epochs=1', '--lr=1.0', '{"epochs": 1, "lr": 1.0}']);
  });
});

describe('the launch macros', () => {
  it('runs `${env} ${interpreter} ${program} ${args}` when no command is given, or an empty one (`command or DEFAULT_SWEEP_COMMAND`)', () => {
    const expected = ['/usr/bin/env', 'python', PROGRAM, '--lr=0.1'];
    expect(buildLaunch({ program: PROGRAM }, { lr: 0.1 }, ctx()).argv).toEqual(expected);
    expect(buildLaunch({ program: PROGRAM, command: [] }, { lr: 0.1 }, ctx()).argv).toEqual(expected);
    expect(DEFAULT_COMMAND).toEqual(['${env}', '${interpreter}', '${program}', '${args}']);
  });

  it('drops ${env} on Windows (`if platform.system() != "Windows": sweep_vars["env"] = ["/usr/bin/env"]`)', () => {
    expect(buildLaunch({ program: PROGRAM }, { lr: 0.1 }, ctx({ platform: 'win32' })).argv).toEqual(['python', PROGRAM, '--lr=0.1']);
  });

  it('takes the interpreter given (W&B always writes `sweep_vars["interpreter"] = ["python"]`)', () => {
    expect(buildLaunch({ program: PROGRAM, interpreter: 'python3' }, {}, ctx()).argv).toEqual(['/usr/bin/env', 'python3', PROGRAM]);
  });

  it('writes number and boolean elements with str() (`c = str(c)`)', () => {
    expect(argvOf(['python', 'train.py', '--epochs', 5, 0.5, 1e-5, true] as unknown as string[], {})).toEqual(['python', 'train.py', '--epochs', '5', '0.5', '1e-05', 'True']);
  });

  it('adds SWEEP_PARAM_<NAME> for each parameter and SWEEP_PARAMS_FILE', () => {
    expect(buildLaunch({ program: PROGRAM }, { lr: 1e-5, 'batch-size': 32 }, ctx()).env).toEqual({
      SWEEP_PARAM_LR: '1e-05',
      SWEEP_PARAM_BATCH_SIZE: '32',
      SWEEP_PARAMS_FILE: FILE,
    });
  });
});

describe('${envvar:NAME}', () => {
  const env = { DATA: '/data', EMPTY: '', ARGS: '${args}' };
  it.each<[string, string, string[], string[]]>([
    ['a whole element', '${envvar:DATA}', ['/data'], []],
    // `for m in matches[::-1]: ... command[i] = f"{command[i][: m.start()]}{_var}{command[i][m.end() :]}"`
    ['inside a longer element', '--data=${envvar:DATA}/x', ['--data=/data/x'], []],
    ['twice in one element', '${envvar:DATA}:${envvar:DATA}', ['/data:/data'], []],
    ['unset, twice: named once', '${envvar:NOPE}${envvar:NOPE}', ['NOPENOPE'], ['NOPE']],
    ['set to the empty string', '-${envvar:EMPTY}-', ['--'], []],
    // `_var: str = os.environ.get(m.group(1), m.group(1))`: unset, the name itself
    ['unset', '--data=${envvar:NOPE}', ['--data=NOPE'], ['NOPE']],
    ['a parameter variable sweep adds', '--lr=${envvar:SWEEP_PARAM_LR}', ['--lr=0.1'], []],
    ['the params file variable', '--config=${envvar:SWEEP_PARAMS_FILE}', [`--config=${FILE}`], []],
    // Replaced before `c.startswith("${")` is asked, so a value that reads as a macro is one.
    ['a value that is a macro', '${envvar:ARGS}', ['--lr=0.1'], []],
  ])('%s', (_, element, expected, unset) => {
    const launch = buildLaunch({ program: PROGRAM, command: ['run', element] }, { lr: 0.1 }, ctx({ env }));
    expect(launch.argv).toEqual(['run', ...expected]);
    expect(launch.unsetVars).toEqual(unset);
  });

  it.each([
    ['${argz}', /^command element 1 "\$\{envvar:X\}": the environment made it "\$\{argz\}", not a macro sweep knows$/],
    ['${toString}', /the environment made it "\$\{toString\}"/],
  ])('refuses a value that reads as an unknown macro, %s, where W&B would drop it', (value, message) => {
    expect(() => argvOf(['run', '${envvar:X}'], {}, { env: { X: value } })).toThrow(message);
  });
});

describe('awkward values', () => {
  const AWKWARD = ['a b', `it's "quoted"`, 'k=v=w', 'héllo 😀', 'line1\nline2', '', '$(touch x); `y` *.py', 'back\\slash', '\t'];

  it.each(AWKWARD)('%j is one argv element, as it is', (value) => {
    expect(argvOf(['run', '${args}', '${args_no_equals}'], { v: value })).toEqual(['run', `--v=${value}`, '--v', value]);
  });

  it('reach a real program unchanged, in its argv and its environment (no shell)', () => {
    const dir = tempDir();
    const program = join(dir, 'echo.mjs');
    writeFileSync(program, 'console.log(JSON.stringify({ argv: process.argv.slice(2), env: process.env.SWEEP_PARAM_V5 }));\n');
    const params = Object.fromEntries(AWKWARD.map((v, i) => [`v${i}`, v]));
    const launch = buildLaunch({ program, interpreter: process.execPath, command: ['${interpreter}', '${program}', '${args}'] }, params, ctx());
    const [exe, ...args] = launch.argv;
    const r = spawnSync(exe, args, { cwd: dir, env: { ...process.env, ...launch.env }, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ argv: AWKWARD.map((v, i) => `--v${i}=${v}`), env: '' });
  });
});

describe("W&B's documented examples", () => {
  it('"sweepdemo" (Define a sweep configuration, Basic structure): no command, so the default one', () => {
    const params = { learning_rate: 0.0123, batch_size: 32, epochs: 10, optimizer: 'adam' };
    expect(buildLaunch({ program: '/p/train.py' }, params, ctx()).argv).toEqual([
      '/usr/bin/env', 'python', '/p/train.py', '--batch_size=32', '--epochs=10', '--learning_rate=0.0123', '--optimizer=adam',
    ]);
  });

  it('the custom command (How do I use custom CLI commands with sweeps?)', () => {
    const command = ['${env}', 'python', '${program}', '-b', 'your-training-config', '${args}'];
    expect(buildLaunch({ program: '/p/train.py', command }, { batch_size: 8, lr: 0.0001 }, ctx()).argv).toEqual([
      '/usr/bin/env', 'python', '/p/train.py', '-b', 'your-training-config', '--batch_size=8', '--lr=0.0001',
    ]);
  });

  // Define a sweep configuration, "Macro and custom command arguments example": the page says
  // `--batch_size=${batch_size}` is replaced, but the agent replaces only whole elements and ${envvar:…}.
  const MACRO_EXAMPLE = ['${env}', '${interpreter}', '${program}', '--batch_size=${batch_size}', '--optimizer=${optimizer}', '--test=True'];

  it('the macro example as it is (only learning_rate a parameter): what W&B runs, the ${…} unreplaced', () => {
    expect(buildLaunch({ program: '/p/run.py', command: MACRO_EXAMPLE }, { learning_rate: 0.05 }, ctx()).argv).toEqual([
      '/usr/bin/env', 'python', '/p/run.py', '--batch_size=${batch_size}', '--optimizer=${optimizer}', '--test=True',
    ]);
  });

  it('the macro example with batch_size a parameter: refused, rather than passed on unreplaced', () => {
    expect(checkCommand(MACRO_EXAMPLE, ['batch_size', 'optimizer'])).toEqual({
      index: 3,
      problem: "${batch_size} would reach the program as written: W&B's agent replaces no parameter inside an element; use ${args} or ${envvar:SWEEP_PARAM_BATCH_SIZE}",
    });
  });
});

describe('checkCommand', () => {
  it.each<[string, unknown[]]>([
    ['a shell script without ${program}', ['bash', 'run.sh', '${args}']],
    ['a module run with -m', ['python', '-m', 'pkg.train', '${args_no_hyphens}']],
    ['numbers and booleans', ['python', 'train.py', '--epochs', 5, '--fast', true]],
    ['a shell variable left for the shell', ['bash', '-c', 'exec python train.py --data "${DATA_DIR}"']],
    ['${envvar:…} whole and inside', ['${env}', '${envvar:PYTHON}', '${program}', '--data=${envvar:DATA_1}']],
    ['the default', [...DEFAULT_COMMAND]],
    ['empty (the default runs)', []],
  ])('allows %s', (_, command) => {
    expect(checkCommand(command, ['lr'])).toBeUndefined();
  });

  it.each<[string, unknown[], number, RegExp]>([
    ['an unknown macro', ['python', '${program}', '${argz}'], 2, /^unknown macro \$\{argz\} \(W&B's agent would drop it without a word\); macros: \$\{env\}, /],
    ['a parameter as a whole macro', ['python', '${program}', '${lr}'], 2, /^unknown macro \$\{lr\}/],
    ['two macros in one element (W&B reads the macro "args}${args")', ['python', '${program}', '${args}${args}'], 2, /^unknown macro \$\{args\}\$\{args\}/],
    ['${args_dict}, W&B-internal', ['python', '${program}', '${args_dict}'], 2, /^\$\{args_dict\} is W&B's internal dict .*use \$\{args_json\}$/],
    ['a macro inside a longer element', ['python', '${program}', '--config=${args_json_file}'], 2, /^\$\{args_json_file\} is replaced only as a whole element: W&B's agent would pass "--config=\$\{args_json_file\}" as written$/],
    ['a parameter inside an element', ['python', '${program}', '--lr=${lr}'], 2, /^\$\{lr\} would reach the program as written: .*\$\{envvar:SWEEP_PARAM_LR\}$/],
    ['an envvar name W&B does not read', ['python', '${program}', '--d=${envvar:data}'], 2, /^\$\{envvar:data\} names no variable W&B's agent reads \(A-Z, 0-9 and _ only\)/],
    ['an empty envvar name', ['python', '${program}', '${envvar:}'], 2, /^\$\{envvar:\} names no variable/],
    ['${interpreter} without ${program}', ['${env}', '${interpreter}', 'train.py', '${args}'], 1, /^\$\{interpreter\} without \$\{program\}/],
    ['a command that starts with the parameters', ['${env}', '${args}'], 1, /^the command would start with \$\{args\}, which is not a program: put the executable first$/],
    ['a mapping element', ['python', { a: 1 }], 1, /^is a mapping: each element is one argument, a string$/],
    ['a list element', ['python', ['a']], 1, /^is a list:/],
    ['a null element', ['python', null], 1, /^is empty:/],
    ['a NUL byte', ['python', 'a\0b'], 1, /^holds a NUL byte/],
  ])('refuses %s', (_, command, index, problem) => {
    const p = checkCommand(command, ['lr']);
    expect(p?.index).toBe(index);
    expect(p?.problem).toMatch(problem);
  });

  it('makes buildLaunch throw a one-line UserError naming the element', () => {
    const build = () => argvOf(['python', '${program}', '${argz}'], { lr: 0.1 });
    expect(build).toThrow(UserError);
    expect(build).toThrow(/^command element 2 "\$\{argz\}": unknown macro \$\{argz\} [^\n]*$/);
  });

  it.each<[string, unknown]>([
    ['a macro name with a newline', '${a\nb}'],
    ['an element that is no text', { a: 1 }],
    ['an undefined element', undefined],
  ])('keeps the UserError on one line for %s', (_, element) => {
    expect(() => argvOf(['python', element] as string[], {})).toThrow(/^command element 1 [^\n]+$/);
  });

  it('refuses a command that comes to nothing', () => {
    expect(() => argvOf(['${env}'], {}, { platform: 'win32' })).toThrow(/^command: nothing to run/);
  });
});
