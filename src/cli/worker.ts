import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Option } from 'commander';
import { loadFashionMnist } from '../data/fashion-mnist.js';
import { UserError } from '../errors.js';
import type { BackendChoice } from '../pool/protocol.js';
import { parseSpec } from '../spec/load-spec.js';
import { openStore } from '../store/open.js';
import { currentEnvironment } from '../sweep/environment.js';
import { runSweep } from '../sweep/run-sweep.js';
import { makeStrategy } from '../search/strategy.js';
import { backendOption, dataOption, dbOption, defineCommand, workersOption, type Io } from './command.js';
import { progressLog } from './progress-log.js';
import { lostLine, userStop } from './user-stop.js';

type WorkerOptions = { db: string; sweep?: string; workers?: number; backend: BackendChoice; data?: string; wait?: boolean };

export const workerCommand = defineCommand<WorkerOptions>({
  name: 'worker',
  summary: 'join the sweeps of a shared database that have work left, and train until none is left',
  args: [],
  options: [
    dbOption(),
    new Option('--sweep <name>', 'only this sweep'),
    workersOption(),
    backendOption(),
    dataOption(),
    new Option('--wait', 'when no work is left, keep waiting for new sweeps until stopped'),
  ],
  example: 'sweep worker --db postgres://sweep@db-host:5432/sweeps --workers 8',
  action: (_args, opts, io) => worker(opts, io),
});

/**
 * `sweep worker`: trains the trials of every sweep in the database that has some left (or
 * of `--sweep` only), each sweep by the spec recorded with it, until every trial is done.
 * While other workers hold the last trials it keeps watching, so that a trial whose worker
 * died (its lease expired) is taken over. With `--wait` it also waits for new sweeps.
 */
export async function worker(values: WorkerOptions, io: Io): Promise<number> {
  const { out } = io;
  const store = await openStore(values.db);
  const stop = userStop(io);
  // Often enough to take over a dead worker's trial soon after its lease ends.
  const pollMs = Math.min(5_000, store.leaseMs / 2);
  try {
    const dataset = await loadFashionMnist({ dir: values.data, log: out });
    const environment = currentEnvironment(dataset.sha256);
    out(`worker: database ${store.location}${values.sweep ? `, sweep ${values.sweep}` : ''}; data: Fashion-MNIST (${dataset.source})`);
    while (!stop.signal.aborted) {
      const sweeps = (await store.sweeps()).filter((s) => values.sweep === undefined || s.name === values.sweep);
      if (values.sweep !== undefined && sweeps.length === 0 && !values.wait) {
        throw new UserError(`no sweep named "${values.sweep}" in ${store.location}`);
      }
      const open = [];
      for (const summary of sweeps) {
        const record = (await store.sweep(summary.name))!;
        const spec = parseSpec(record.specYaml, `the spec of sweep ${record.name} in ${store.location}`);
        // A TPE sweep is open while it has trials left to propose, as well as to claim.
        const proposing = spec.search.method === 'tpe' && summary.total < spec.search.trials!;
        if (summary.pending > 0 || summary.running > 0 || proposing) open.push({ record, spec });
      }
      if (open.length === 0 && !values.wait) break;
      let trained = 0;
      for (const { record, spec } of open) {
        if (stop.signal.aborted) break;
        const log = progressLog(out, makeStrategy(spec).keys, spec.metric.name);
        const result = await runSweep({
          spec, specText: record.specYaml, specPath: record.specPath, store, dataset, backend: values.backend, joining: true,
          workers: values.workers ?? availableParallelism(), signal: stop.signal,
          environment,
          onEvent: (e) => {
            if (e.type === 'trial-end' && e.lost) io.err(lostLine(e.trialId));
            // A sweep with nothing to claim is not news: it says nothing.
            if (e.type === 'start' && e.todo === 0) return;
            if (e.type === 'end' && e.summary.completed + e.summary.failed + e.summary.interrupted + e.summary.pruned === 0) return;
            log(e);
          },
        });
        trained += result.completed + result.failed + result.interrupted + result.pruned;
      }
      // The rest is held by other workers (or there is none, with --wait): look again in a while.
      if (trained === 0) await sleep(pollMs, undefined, { signal: stop.signal }).catch(() => {});
    }
    out(stop.signal.aborted ? 'worker: stopped' : 'worker: no trials left');
    return stop.code;
  } finally {
    stop.dispose();
    await store.close();
  }
}
