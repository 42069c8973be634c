/**
 * The user's code checked before a sweep records or runs anything: a program that cannot be
 * launched as its spec says, or an objective module that is missing, does not compile or
 * exports no `train`, is one UserError line.
 */
import { resolve } from 'node:path';
import type { CodeSpec } from '../spec/code.js';
import { checkLaunch } from './program/runner.js';

/** `params`: any trial's, to build a program's command line with. */
export async function checkCode(code: CodeSpec, specDir: string, params: Readonly<Record<string, unknown>>): Promise<void> {
  if (code.kind === 'program') return checkLaunch(code, specDir, params);
  // The objective's runner brings piscina: a program's check does without it.
  const { prepareObjective } = await import('./objective/runner.js');
  (await prepareObjective(resolve(specDir, code.objective!))).remove();
}
