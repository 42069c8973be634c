import { splitSizes } from '../data/split.js';
import { isCodeConfig } from '../spec/code.js';
import { recordedSpec } from '../spec/load-spec.js';
import { prunedLine } from '../early-stop/describe.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import type { SweepRecord } from '../trial/types.js';
import type { ViewState } from '../tui/index.js';
import type { Io } from './command.js';
import type { WatchOptions } from './commands.js';
import { findSweep, show } from './inspect.js';

const REFRESH_MS = 1000;

/**
 * `sweep watch SWEEP`: the live screen for a sweep another process runs (or ran), read
 * from the database about once a second. Read-only: it never writes and never makes the
 * writer wait. Without a terminal it prints the table once, as `sweep show` does.
 */
export async function watch(name: string, values: WatchOptions, io: Io): Promise<number> {
  if (!io.interactive) return show(name, { db: values.db, json: false }, io);
  const store = await openStore(values.db, { readonly: true });
  try {
    const sweep = await findSweep(store, name);
    const { createViewStore, mount } = await import('../tui/index.js');
    const view = createViewStore(await fromDatabase(store, sweep, Date.now()), 0);
    // One read at a time: a slow database must not stack up polls.
    let reading = false;
    const poll = setInterval(() => {
      if (reading) return;
      reading = true;
      findSweep(store, sweep.name).then((s) => fromDatabase(store, s, Date.now())).then((state) => view.set(state))
        .catch(() => { /* a read that failed (a restarting server): the next poll tries again */ })
        .finally(() => { reading = false; });
    }, REFRESH_MS);
    let quit = () => {};
    const quitting = new Promise<void>((resolve) => { quit = resolve; });
    const screen = mount(view, { onQuit: quit, onInterrupt: quit });
    process.once('SIGTERM', quit);
    await quitting;
    clearInterval(poll);
    await screen.close();
    return 0;
  } finally {
    await store.close();
  }
}

/** The view state of a sweep as the database has it now. */
async function fromDatabase(store: Store, sweep: SweepRecord, now: number): Promise<ViewState> {
  const trials = await store.snapshot(sweep.id);
  const latest = trials.filter((t) => t.backend).sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? ''))[0];
  const first = trials.length ? await store.trial(trials[0].id) : undefined;
  return {
    header: { sweep: sweep.name, specPath: sweep.specPath, dbPath: store.location, backend: latest?.backend ?? '-', workers: null, mode: 'watch' },
    metric: { name: sweep.metric, goal: sweep.goal },
    trainSamples: first && !isCodeConfig(first.config) ? splitSizes(first.data).train : 0,
    // The last `sweep run` of this spec started when it updated the sweep.
    startedAt: Date.parse(sweep.updatedAt),
    now,
    trials,
    planned: Math.max(trials.length, recordedSpec(sweep)?.search.trials ?? 0),
    prunedWhy: Object.fromEntries((await store.decisions(sweep.id))
      .filter((d) => d.verdict === 'prune').map((d) => [d.trialId, prunedLine(d, sweep.metric)])),
    stopping: false,
    finished: null,
    notes: (await store.annotations(sweep.id)).notes,
  };
}
