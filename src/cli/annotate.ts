import { UsageError, UserError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { SweepRecord } from '../trial/types.js';
import type { Io } from './command.js';
import type { NoteOptions, TagOptions } from './commands.js';
import { resolveTrial } from './export.js';
import { findSweep, noteLine, withStore } from './inspect.js';

/** Tags and notes are written to a database that is there: one a typo names is not made. */
const WRITER = { existing: true };

/**
 * What a tag may be: a word people type in a shell and a dashboard's filter (no spaces or commas),
 * short enough for a table's column.
 */
const TAG = /^[A-Za-z0-9][A-Za-z0-9_.:/+@=-]{0,63}$/;

/**
 * `sweep tag TRIAL NAME…`: tags the trial (a trial id, or a sweep's name for its best trial, as
 * `repro` and `export` take it); with `--remove`, takes the names off, every one of which it must
 * have; with no names, lists its tags. Adding a tag it has already is no error.
 */
export async function tag(ref: string, names: readonly string[], values: TagOptions, { out }: Io): Promise<number> {
  for (const name of names) {
    if (!TAG.test(name)) throw new UsageError(`tag "${name}": a tag is 1 to 64 letters, digits and _ . : / + @ = -, starting with a letter or digit`);
  }
  if (values.remove && names.length === 0) throw new UsageError('--remove needs the tags to take off');
  return withStore(values.db, async (store) => {
    const { trial, sweep } = await resolveTrial(store, ref);
    const had = (await store.annotations(sweep.id)).tags.filter((t) => t.trialId === trial.id).map((t) => t.name);
    const which = `trial ${trial.id} of sweep ${sweep.name}`;
    if (names.length === 0) {
      out(had.length > 0 ? `${which}: ${had.join(', ')}` : `${which} has no tags`);
      return 0;
    }
    if (values.remove) {
      // All or nothing: a name it never had is more likely a typo than a wish.
      const missing = names.filter((n) => !had.includes(n));
      if (missing.length > 0) throw new UserError(`${which} has no tag ${missing.map((m) => `"${m}"`).join(', ')} (its tags: ${had.join(', ') || 'none'})`);
      const removed = await store.removeTags(trial.id, names);
      out(`${which}: removed ${removed.join(', ')}`);
      return 0;
    }
    const added = await store.addTags(trial.id, names);
    const already = [...new Set(names)].filter((n) => !added.includes(n));
    out(`${which}: ${added.length > 0 ? `tagged ${added.join(', ')}` : 'nothing new'}${already.length > 0 ? ` (already: ${already.join(', ')})` : ''}`);
    return 0;
  }, WRITER);
}

/**
 * `sweep note SWEEP|TRIAL "TEXT"`: adds a note to a sweep (by name) or a trial (by id: a name of
 * digits only is read as a trial id, as `repro` reads one); with no text, lists its notes; with
 * `--clear`, removes them.
 */
export async function note(ref: string, text: string | undefined, values: NoteOptions, { out }: Io): Promise<number> {
  if (values.clear && text !== undefined) throw new UsageError('--clear takes no text: it removes every note on it');
  if (text !== undefined && text.trim() === '') throw new UsageError('the note is empty: give its text, or --clear to remove the notes');
  return withStore(values.db, async (store) => {
    const { sweep, trialId } = await target(store, ref);
    const which = trialId === null ? `sweep ${sweep.name}` : `trial ${trialId} of sweep ${sweep.name}`;
    if (values.clear) {
      const n = await store.clearNotes(sweep.id, trialId);
      out(`${which}: ${n === 0 ? 'no notes to remove' : `removed ${n} ${n === 1 ? 'note' : 'notes'}`}`);
    } else if (text !== undefined) {
      await store.addNote(sweep.id, trialId, text);
      out(`${which}: noted`);
    } else {
      const notes = (await store.annotations(sweep.id)).notes.filter((n) => n.trialId === trialId);
      if (notes.length === 0) out(`${which} has no notes`);
      for (const n of notes) out(noteLine(n));
    }
    return 0;
  }, WRITER);
}

/** A sweep by name, or a trial by id with its sweep. */
async function target(store: Store, ref: string): Promise<{ sweep: SweepRecord; trialId: number | null }> {
  if (!/^\d+$/.test(ref)) return { sweep: await findSweep(store, ref), trialId: null };
  const trial = await store.trial(Number(ref));
  if (!trial) throw new UserError(`no trial ${ref} in ${store.location} (a sweep is named by its name)`);
  return { sweep: (await store.sweepById(trial.sweepId))!, trialId: trial.id };
}
