/**
 * Why a trial's program could not be started, found before starting it: the program is not
 * there, is not executable, or names in its #! line an interpreter that is not there. The
 * program runs behind a shell (launch.ts), so exec's ENOENT and EACCES would reach sweep only as
 * an exit status of 126 or 127 and a line of the shell's; and for a script, ENOENT names the
 * script when the missing file is its interpreter. Checked here, each is a UserError of one line
 * that names the cause and the path.
 */
import { closeSync, constants, accessSync, openSync, readSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, resolve } from 'node:path';
import { UserError } from '../../errors.js';

/** The PATH a POSIX shell searches when none is set (dash's default). */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Throws a UserError where `argv0` cannot be run from `cwd` with `path` as PATH (as the child's
 * environment has it): not found, a directory, not executable, or its #! interpreter missing.
 * Returns the file that would run. The check is not a promise: the file may change before exec.
 */
export function checkProgram(argv0: string, cwd: string, path: string | undefined): string {
  if (argv0 === '') throw new UserError('the trial\'s program is empty: name a program to run');
  const file = argv0.includes('/') ? resolve(cwd, argv0) : searchPath(argv0, cwd, path);
  const kind = fileKind(file);
  if (kind === 'missing') throw new UserError(`program not found: ${file}`);
  if (kind === 'directory') throw new UserError(`program is a directory, not a file: ${file}`);
  if (kind === 'not executable') {
    throw new UserError(`program is not executable: ${file} (chmod +x it, or name its interpreter first, as in python3 ${argv0})`);
  }
  checkInterpreter(file, cwd, path);
  return file;
}

/** Where execvp would find `name`: the first executable file of that name on PATH. */
function searchPath(name: string, cwd: string, path: string | undefined): string {
  let notExecutable: string | undefined;
  for (const dir of (path ?? DEFAULT_PATH).split(delimiter)) {
    const file = resolve(cwd, dir, name);  // an empty entry is the working directory
    const kind = fileKind(file);
    if (kind === 'executable') return file;
    if (kind === 'not executable') notExecutable ??= file;
  }
  if (notExecutable !== undefined) return notExecutable;  // reported as not executable, as execvp's EACCES
  throw new UserError(`program not found: ${name} is not on PATH (${path ?? DEFAULT_PATH})`);
}

type Kind = 'missing' | 'directory' | 'not executable' | 'executable';

function fileKind(file: string): Kind {
  try {
    if (statSync(file).isDirectory()) return 'directory';
  } catch {
    return 'missing';  // ENOENT, ENOTDIR, ELOOP, EACCES on the way: exec fails the same
  }
  try {
    accessSync(file, constants.X_OK);
    return 'executable';
  } catch {
    return 'not executable';
  }
}

/** Throws where `file` is a script whose #! line names an interpreter that cannot run. */
function checkInterpreter(file: string, cwd: string, path: string | undefined): void {
  const line = shebang(file);
  if (line === null) return;
  const where = `(the #! line of ${file})`;
  if (line.includes('\r')) throw new UserError(`interpreter not found: the #! line of ${file} ends in a carriage return (Windows line endings)`);
  // The kernel splits the line once: the interpreter, then at most one argument, spaces and all.
  const m = /^[ \t]*(\S+)(?:[ \t]+(.*?))?[ \t]*$/.exec(line);
  if (m === null) throw new UserError(`interpreter not found: the #! line of ${file} names none`);
  const interpreter = isAbsolute(m[1]) ? m[1] : resolve(cwd, m[1]);
  const kind = fileKind(interpreter);
  if (kind === 'missing' || kind === 'directory') throw new UserError(`interpreter not found: ${interpreter} ${where}`);
  if (kind === 'not executable') throw new UserError(`interpreter is not executable: ${interpreter} ${where}`);
  const arg = m[2];
  // `#!/usr/bin/env NAME`: env searches PATH for NAME (one word; with options, env has its own say).
  if (interpreter.endsWith('/env') && arg !== undefined && !arg.startsWith('-') && !arg.includes('=')) {
    let found: string;
    try {
      found = searchPath(arg, cwd, path);
    } catch {
      throw new UserError(`interpreter not found: ${arg} is not on PATH ${where}`);
    }
    if (fileKind(found) !== 'executable') throw new UserError(`interpreter is not executable: ${found} ${where}`);
  }
}

/** The first line of `file` after "#!", or null where it does not start so (or cannot be read). */
function shebang(file: string): string | null {
  const buf = Buffer.alloc(256);
  let n: number;
  try {
    const fd = openSync(file, 'r');
    try {
      n = readSync(fd, buf, 0, buf.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;  // unreadable but executable: exec decides
  }
  if (n < 2 || buf[0] !== 0x23 || buf[1] !== 0x21) return null;
  const text = buf.subarray(2, n).toString('latin1');
  const end = text.indexOf('\n');
  return end < 0 ? text : text.slice(0, end);
}
