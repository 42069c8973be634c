import { UserError } from '../errors.js';
import type { Io } from './command.js';
import type { LogsOptions } from './commands.js';
import { withStore } from './inspect.js';

/**
 * `sweep logs TRIAL`: the kept output of one attempt at a program trial, stdout then stderr,
 * each under a line that names it and says how much it wrote. From the store: a trial run on
 * another host (PostgreSQL) has its logs here too.
 */
export function logs(ref: string, values: LogsOptions, { out }: Io): Promise<number> {
  return withStore(values.db, async (store) => {
    if (!/^\d+$/.test(ref)) throw new UserError(`sweep logs takes a trial's id (a number, as \`sweep show\` lists them), not "${ref}"`);
    const trial = await store.trial(Number(ref));
    if (!trial) throw new UserError(`no trial ${ref} in ${store.location}`);
    const kept = await store.logs(trial.id);
    if (kept.length === 0) {
      throw new UserError(trial.config.model === 'program'
        ? `trial ${trial.id} has no logs yet (${trial.status}; an attempt's output is kept when it ends)`
        : `trial ${trial.id} trained a built-in model in sweep's own workers: only a program's trials have logs`);
    }
    const attempt = values.attempt ?? kept[kept.length - 1].attempt;
    const chosen = kept.find((k) => k.attempt === attempt);
    if (!chosen) throw new UserError(`trial ${trial.id} has logs of attempt ${kept.map((k) => k.attempt).join(', ')}, not ${attempt}`);
    const both = !values.stdout && !values.stderr;
    for (const stream of ['stdout', 'stderr'] as const) {
      if (!both && !values[stream]) continue;
      const { text, bytes } = chosen[stream];
      if (both) out(`--- ${stream} of trial ${trial.id}, attempt ${attempt} (${bytes} bytes) ---`);
      if (text.length > 0) out(text.endsWith('\n') ? text.slice(0, -1) : text);
    }
    return 0;
  });
}
