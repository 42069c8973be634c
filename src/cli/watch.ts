import { splitSizes } from '../data/split.js';
import type { DataSettings } from '../spec/schema.js';
import type { Store, SweepRow } from '../store/store.js';
import type { ViewState } from '../tui/index.js';
import { dbOption, defineCommand, type Io } from './command.js';
import { findSweep, openReadonly, show } from './inspect.js';

const REFRESH_MS = 1000;

export const watchCommand = defineCommand<{ db: string }>({
  name: 'watch',
  summary: 'the live screen of a sweep another process runs (or ran), read-only',
  args: ['<sweep>'],
  options: [dbOption()],
  example: 'sweep watch dropout',
  action: ([sweep], opts, io) => watch(sweep, opts, io),
});

/**
 * `sweep watch SWEEP`: the live screen for a sweep another process runs (or ran), read
 * from the database about once a second. Read-only: it never writes and never makes the
 * writer wait. Without a terminal it prints the table once, as `sweep show` does.
 */
export async function watch(name: string, values: { db: string }, io: Io): Promise<number> {
  if (!io.interactive) return show(name, { db: values.db, json: false }, io);
  const store = openReadonly(values.db);
  try {
    const sweep = findSweep(store, name);
    const { createViewStore, mount } = await import('../tui/index.js');
    const view = createViewStore(fromDatabase(store, sweep, values.db, Date.now()), 0);
    const poll = setInterval(() => view.set(fromDatabase(store, findSweep(store, sweep.name), values.db, Date.now())), REFRESH_MS);
    let quit = () => {};
    const quitting = new Promise<void>((resolve) => { quit = resolve; });
    const screen = mount(view, { onQuit: quit, onInterrupt: quit });
    process.once('SIGTERM', quit);
    await quitting;
    clearInterval(poll);
    await screen.close();
    return 0;
  } finally {
    store.close();
  }
}

/** The view state of a sweep as the database has it now. */
function fromDatabase(store: Store, sweep: SweepRow, dbPath: string, now: number): ViewState {
  const trials = store.snapshot(sweep.id);
  const latest = trials.filter((t) => t.backend).sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? ''))[0];
  const data = store.trials(sweep.id)[0]?.data_json;
  return {
    header: { sweep: sweep.name, specPath: sweep.spec_path, dbPath, backend: latest?.backend ?? '-', workers: null, mode: 'watch' },
    metric: sweep.metric,
    trainSamples: data ? splitSizes(JSON.parse(data) as DataSettings).train : 0,
    // The last `sweep run` of this spec started when it updated the sweep.
    startedAt: Date.parse(sweep.updated_at),
    now,
    trials,
    stopping: false,
    finished: null,
  };
}
