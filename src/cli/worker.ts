import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { datasetLine, type Dataset } from '../data/dataset.js';
import { datasetOpener } from '../data/registry.js';
import { UserError } from '../errors.js';
import { parseSpec } from '../spec/load-spec.js';
import type { DataSettings, SweepSpec } from '../spec/schema.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { currentEnvironment } from '../sweep/environment.js';
import { resolveSpec } from '../sweep/resolve-spec.js';
import { runSweep, type RunSweepOptions } from '../sweep/run-sweep.js';
import { codeFile } from '../spec/code.js';
import { checkCode } from '../trial/check-code.js';
import { programSha256 } from '../trial/program/runner.js';
import type { SweepRecord } from '../trial/types.js';
import { makeStrategy, proposesAsItGoes } from '../search/strategy.js';
import { maxInitialFailures, trialsFolder, type Io } from './command.js';
import type { WorkerOptions } from './commands.js';
import { progressLog } from './progress-log.js';
import { giveUpLine, lostLine, targetLine, userStop } from './user-stop.js';
import { checkTfjsVersions } from '../train/tfjs-version.js';

/**
 * `sweep worker`: trains the trials of every sweep in the database that has some left (or
 * of `--sweep` only), each sweep by the spec recorded with it, on the data its trials recorded
 * (refused in one line where its checksum differs), until every trial is done.
 * While other workers hold the last trials it keeps watching, so that a trial whose worker
 * died (its lease expired) is taken over. With `--wait` it also waits for new sweeps.
 */
export async function worker(values: WorkerOptions, io: Io): Promise<number> {
  const { out } = io;
  checkTfjsVersions();
  const giveUpAfter = maxInitialFailures();
  const store = await openStore(values.db);
  const stop = userStop(io);
  // Often enough to take over a dead worker's trial soon after its lease ends.
  const pollMs = Math.min(5_000, store.leaseMs / 2);
  const open = datasetOpener({ dataDir: values.data, log: out }, (d) => out(`worker: data ${datasetLine(d)}`));
  // Sweeps whose first trials all failed here: this worker starts no more of theirs.
  const gaveUpOn = new Set<string>();
  // Sweeps a trial's reaching their target ended (metric.target): nothing more of theirs runs.
  const ended = new Set<string>();
  try {
    out(`worker: database ${store.location}${values.sweep ? `, sweep ${values.sweep}` : ''}`);
    while (!stop.signal.aborted) {
      const sweeps = (await store.sweeps()).filter((s) => values.sweep === undefined || s.name === values.sweep);
      if (values.sweep !== undefined && sweeps.length === 0 && !values.wait) {
        throw new UserError(`no sweep named "${values.sweep}" in ${store.location}`);
      }
      const todo = [];
      for (const summary of sweeps) {
        if (gaveUpOn.has(summary.name) || ended.has(summary.name)) continue;
        const record = (await store.sweep(summary.name))!;
        const spec = parseSpec(record.specYaml, specName(record, store));
        // A sweep that proposes as it goes (TPE, NSGA-II) is open while it has trials left to propose, as well as to claim.
        const proposing = proposesAsItGoes(spec.search.method) && summary.total < spec.search.trials!;
        if (summary.pending > 0 || summary.running > 0 || proposing) todo.push({ record, written: spec });
      }
      if (todo.length === 0 && !values.wait) break;
      let trained = 0;
      for (const { record, written } of todo) {
        if (stop.signal.aborted) break;
        const trains = written.code
          ? { spec: written, code: await codeOf(record, written, values.db, io), dataset: undefined }
          : await onData(store, record, written, open);
        const { spec, dataset } = trains;
        const log = progressLog(out, makeStrategy(spec).keys, spec.metric.name);
        const result = await runSweep({
          spec, specText: record.specYaml, specPath: record.specPath, store, dataset, code: trains.code, backend: values.backend,
          joining: true, giveUpAfter, workers: values.workers ?? availableParallelism(), signal: stop.signal,
          environment: await currentEnvironment(dataset?.files ?? {}, record.specPath),
          onEvent: (e) => {
            if (e.type === 'trial-end' && e.lost) io.err(lostLine(e.trialId));
            // A sweep with nothing to claim is not news: it says nothing.
            if (e.type === 'start' && e.todo === 0) return;
            if (e.type === 'end' && e.summary.completed + e.summary.failed + e.summary.interrupted + e.summary.pruned === 0) return;
            log(e);
          },
        });
        trained += result.completed + result.failed + result.interrupted + result.pruned;
        if (result.gaveUpAfter !== undefined) {
          io.err(giveUpLine(spec.name, result.gaveUpAfter));
          gaveUpOn.add(spec.name);
        }
        if (result.reachedTarget) {
          out(targetLine(spec, result.reachedTarget));
          ended.add(spec.name);
        }
      }
      // The rest is held by other workers (or there is none, with --wait): look again in a while.
      if (trained === 0) await sleep(pollMs, undefined, { signal: stop.signal }).catch(() => {});
    }
    out(stop.signal.aborted ? 'worker: stopped' : 'worker: no trials left');
    return stop.code || (gaveUpOn.size > 0 ? 1 : 0);
  } finally {
    stop.dispose();
    await store.close();
  }
}

/**
 * A sweep of the user's code: run from the folder of the spec it was started with (its path as
 * recorded, from this worker's folder), checked before any trial is claimed; code that is not
 * the file the sweep started with is said once, and run.
 */
async function codeOf(record: SweepRecord, spec: SweepSpec, db: string, io: Io): Promise<NonNullable<RunSweepOptions['code']>> {
  const code = spec.code!;
  const specDir = dirname(resolve(record.specPath ?? '.'));
  await checkCode(code, specDir, {});
  const file = resolve(specDir, codeFile(code));
  const sha = programSha256(file);
  if (record.programSha256 !== null && sha !== record.programSha256) {
    io.err(`worker: ${file} is not the ${code.kind} sweep ${record.name} started with (SHA-256 ${sha?.slice(0, 12)}… here, ${record.programSha256.slice(0, 12)}… recorded)`);
  }
  return { specDir, trialsDir: trialsFolder(db, record.name), warn: io.err };
}

/** A sweep of sweep's models, on the data its trials were recorded with (by which the spec names them). */
async function onData(
  store: Store, record: SweepRecord, written: SweepSpec, open: (settings: DataSettings, base: string) => Promise<Dataset>,
): Promise<{ spec: SweepSpec; dataset: Dataset; code?: undefined }> {
  const { settings, base } = await recordedData(store, record, written);
  const dataset = await open(settings, base);
  return { spec: resolveSpec(written, dataset, specName(record, store)), dataset };
}

function specName(record: SweepRecord, store: Store): string {
  return `the spec of sweep ${record.name} in ${store.location}`;
}

/**
 * The data settings a sweep's trials were recorded with (its latest trial's: where the data lay
 * and its checksum, which the data found there must match), and the folder a relative path in them
 * is relative to. A sweep with no trial yet (TPE before its first proposal) has only its spec's.
 */
async function recordedData(store: Store, record: SweepRecord, spec: SweepSpec): Promise<{ settings: DataSettings; base: string }> {
  const trials = await store.trials(record.id);
  const latest = trials.reduce<(typeof trials)[number] | undefined>((a, t) => (a && a.id > t.id ? a : t), undefined);
  return { settings: latest?.data ?? spec.data, base: record.specPath ? dirname(record.specPath) : '.' };
}
