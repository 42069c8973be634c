import { UserError } from '../errors.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import type { Io } from './command.js';
import type { CopyOptions } from './commands.js';

/**
 * `sweep copy`: brings a local sweep into a shared store (or back), so that a user who
 * started alone can go wide without losing anything. Each trial arrives whole, with its
 * epochs, checkpoint and model; one the target already has (same sweep, same config id) is
 * left as it is, so copying twice changes nothing. Trials still running at the source
 * arrive interrupted: a worker on the target resumes them from their checkpoint.
 */
export async function copy(values: CopyOptions, { out }: Io): Promise<number> {
  if (values.from === values.to) throw new UserError('--from and --to name the same database');
  const source = await openStore(values.from, { readonly: true });
  let target: Store | undefined;
  try {
    const names = (await source.sweeps()).map((s) => s.name).filter((n) => values.sweep === undefined || n === values.sweep);
    if (values.sweep !== undefined && names.length === 0) throw new UserError(`no sweep named "${values.sweep}" in ${source.location}`);
    target = await openStore(values.to);
    // A reproduction points at its original: ids differ between stores, so they are mapped as trials arrive.
    const ids = new Map<number, number>();
    for (const name of names) {
      const sweep = (await source.sweep(name))!;
      const existing = await target.sweep(name);
      if (existing && existing.metric !== sweep.metric) {
        throw new UserError(`sweep "${name}" is in ${target.location} already, ranked by ${existing.metric}, not ${sweep.metric}: not copied`);
      }
      const sweepId = existing?.id ?? await target.upsertSweep({
        name, metric: sweep.metric, goal: sweep.goal, seed: sweep.seed, specPath: sweep.specPath, specYaml: sweep.specYaml,
        environment: sweep.environment,
      });
      let added = 0;
      const trials = await source.trials(sweep.id);
      const decisions = await source.decisions(sweep.id);
      for (const record of trials.sort((a, b) => a.number - b.number)) {
        const id = await target.importTrial(sweepId, {
          record, epochs: await source.epochs(record.id), decisions: decisions.filter((d) => d.trialId === record.id),
          checkpoint: await source.checkpoint(record.id), model: await source.model(record.id),
        }, record.reproOf === null ? null : ids.get(record.reproOf) ?? null);
        if (id !== null) {
          ids.set(record.id, id);
          added++;
        }
      }
      // Tags and notes go with their trials, by configuration: a trial the target had already gets them too.
      const here = new Map((await target.trials(sweepId)).map((t) => [t.configId, t.id]));
      const idOf = new Map(trials.map((t) => [t.id, here.get(t.configId)]));
      const { tags, notes } = await source.annotations(sweep.id);
      await target.importAnnotations(sweepId, {
        tags: tags.flatMap((g) => (idOf.get(g.trialId) === undefined ? [] : [{ ...g, trialId: idOf.get(g.trialId)! }])),
        notes: notes.flatMap((n) => (n.trialId === null ? [n] : idOf.get(n.trialId) === undefined ? [] : [{ ...n, trialId: idOf.get(n.trialId)! }])),
      });
      out(`sweep ${name}: ${added} trial${added === 1 ? '' : 's'} copied, ${trials.length - added} already there`);
    }
    return 0;
  } finally {
    await source.close();
    await target?.close();
  }
}
