import type { Trial } from '../trial/types.js';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describeDataset, openDataset } from '../data/registry.js';
import { UserError } from '../errors.js';
import { countConfigs } from '../search/grid.js';
import { makeStrategy } from '../search/strategy.js';
import { nodeBackendInstalled } from '../pool/node-backend.js';
import { loadSpec, recordedSpec, rewriteSpec } from '../spec/load-spec.js';
import type { SweepSpec } from '../spec/schema.js';
import { datasetLine, type Dataset, type DatasetInfo } from '../data/dataset.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { forkPriors, sequenceChanges } from '../sweep/sequence.js';
import { currentEnvironment } from '../sweep/environment.js';
import { resolveSpec } from '../sweep/resolve-spec.js';
import { runSweep, type RunSweepOptions } from '../sweep/run-sweep.js';
import { codeFile, isCodeConfig } from '../spec/code.js';
import { checkCode } from '../trial/check-code.js';
import { buildLaunch } from '../trial/program/command.js';
import { maxInitialFailures, trialsFolder, type Io } from './command.js';
import type { RunOptions } from './commands.js';
import { formatValue, labelOf, paramsOf, shownKeys } from '../spec/labels.js';
import { progressLog } from './progress-log.js';
import { hasFronts } from '../sweep/fronts.js';
import { giveUpLine, lostLine, targetLine, userStop } from './user-stop.js';
import { formatTable } from './table.js';
import { checkTfjsVersions } from '../train/tfjs-version.js';

/** `sweep run`: validates the spec, then trains every configuration not yet completed. Returns the exit code. */
export async function run(specPath: string, values: RunOptions, io: Io): Promise<number> {
  const { out } = io;
  const { backend, maxTrials } = values;
  if (backend === 'node' && !nodeBackendInstalled()) {
    throw new UserError('--backend node: @tensorflow/tfjs-node is not installed (see docs/backends.md)');
  }
  let workers = values.workers ?? availableParallelism();
  // tfjs-node's addon cannot load in a second worker thread; it uses the cores itself.
  if (backend === 'node' || (backend === 'auto' && nodeBackendInstalled())) workers = 1;

  const loaded = loadSpec(specPath);
  // A W&B file's keys that only launch W&B's own agents (program, command, …): said once.
  for (const note of loaded.notes) io.err(note);
  // --trials N is the spec's own number from here on; +N is counted once the store is open (runWith).
  const absolute = values.trials && !values.trials.more ? values.trials.n : undefined;
  const written = absolute === undefined ? loaded.spec : { ...loaded.spec, search: { ...loaded.spec.search, trials: absolute } };
  const text = absolute === undefined ? loaded.text : rewriteSpec(loaded.text, { trials: absolute });
  // Counted before anything is built: a grid of millions is refused, not materialised.
  const { method, trials: cap } = written.search;
  const count = method === 'grid' ? Math.min(countConfigs(written), cap ?? Infinity) : cap!;
  if (count > maxTrials) {
    const what = method === 'grid' ? 'the grid has' : `search.trials asks for`;
    throw new UserError(`${specPath}: ${what} ${count.toLocaleString('en-US')} configurations, more than ${maxTrials.toLocaleString('en-US')}; shrink it or pass --max-trials ${count}`);
  }
  if (written.code) return runCode(specPath, written, text, count, values, io);
  if (values.data !== undefined && written.data.dataset !== undefined) {
    throw new UserError(`--data ${values.data}: that finds Fashion-MNIST, but ${specPath} trains on the ${written.data.dataset} dataset (its data.path)`);
  }
  // The data is checked, and its identity known, before any config id is made or anything recorded.
  const from = { base: dirname(specPath), dataDir: values.data, log: out };
  // A dry run needs only that identity: Fashion-MNIST's is pinned, so it is not even read.
  if (values.dryRun) {
    const info = await describeDataset(written.data, from);
    return dryRun(specPath, resolveSpec(written, info, specPath), info, count, out);
  }
  // Another TensorFlow.js than the kernels were written for would fail every trial: said once, first.
  checkTfjsVersions();
  const dataset = await openDataset(written.data, from);
  const spec = resolveSpec(written, dataset, specPath);
  return runWith({ specPath, written, spec, text, values, io, workers, dataset, head: `data: ${datasetLine(dataset)}` });
}

/**
 * `sweep run` on a spec of the user's code (a program, an objective module): nothing of the data
 * or TensorFlow.js; the code is checked before anything is recorded, and each trial keeps a
 * folder under the database's (trials/SWEEP/CONFIG-ID).
 */
async function runCode(specPath: string, spec: SweepSpec, text: string, count: number, values: RunOptions, io: Io): Promise<number> {
  const code = spec.code!;
  const specDir = dirname(resolve(specPath));
  const trials = makeStrategy(spec).initial();
  await checkCode(code, specDir, trials[0] && isCodeConfig(trials[0].config) ? trials[0].config.params : {});
  if (values.dryRun) return dryRunCode(specPath, specDir, spec, count, io.out);
  const trialsDir = trialsFolder(values.db, spec.name);
  return runWith({
    specPath, written: spec, spec, text, values, io, workers: values.workers ?? availableParallelism(),
    code: { specDir, trialsDir, warn: io.err }, head: `${code.kind}: ${resolve(specDir, codeFile(code))}; trial folders: ${trialsDir}`,
  });
}

/** Runs the sweep with the live screen or log lines, until done or stopped; the exit code. */
async function runWith(r: {
  specPath: string; spec: SweepSpec; text: string; values: RunOptions; io: Io; workers: number; head: string;
  /** The spec as written (its data not yet resolved), as the store records it. */
  written: SweepSpec;
  dataset?: Dataset; code?: RunSweepOptions['code'];
}): Promise<number> {
  const { specPath, values, io, workers, dataset } = r;
  const { out } = io;
  const { backend } = values;
  const giveUpAfter = maxInitialFailures();
  const store = await openStore(values.db);
  let grown: Awaited<ReturnType<typeof grow>>;
  try {
    grown = await grow(store, r);
  } catch (err) {
    await store.close();
    throw err;
  }
  const { spec, text } = grown;
  const { keys } = makeStrategy(spec);
  const live = values.tui && io.interactive;
  // Ink takes ~0.4 s to load: only when the screen is shown.
  const tui = live ? await import('../tui/index.js') : null;
  const view = tui
    ? tui.createViewStore(tui.initialState({ sweep: spec.name, specPath, dbPath: store.location, backend, workers, mode: 'run' }, Date.now()))
    : null;
  const stop = userStop(io, view ? () => view.dispatch({ type: 'stopping' }, true) : undefined);
  const screen = tui && view ? tui.mount(view, { onQuit: () => stop.request(0, 'q'), onInterrupt: () => stop.request(130, 'SIGINT') }) : null;
  try {
    const log = progressLog(out, keys, spec.metric.name);
    if (!view) out(`${r.head}; database: ${store.location}`);
    const result = await runSweep({
      spec, specText: text, specPath, store, dataset, code: r.code, workers, backend, signal: stop.signal,
      retryFailed: values.retryFailed ?? false, giveUpAfter, ...(grown.fork ? { fork: grown.fork } : {}),
      environment: await currentEnvironment(dataset?.files ?? {}, specPath),
      onEvent: (e) => {
        // A worker that was cut off long enough for another to take its trial over says so.
        if (e.type === 'trial-end' && e.lost) io.err(lostLine(e.trialId));
        if (view) view.dispatch(e, e.type === 'end');
        else log(e);
      },
    });
    if (result.carried !== undefined) out(`sweep ${spec.name}: forked from sweep ${r.written.name}, whose ${result.carried} trial${result.carried === 1 ? '' : 's'} in its space it starts with`);
    if (result.gaveUpAfter !== undefined) io.err(giveUpLine(spec.name, result.gaveUpAfter));
    if (result.reachedTarget) out(targetLine(spec, result.reachedTarget));
    if (!view && result.best && hasFronts(spec)) {
      // Of several objectives (or under constraints) the answer is the first front, not one trial.
      const sweep = await store.sweep(spec.name);
      const first = sweep ? (await store.trials(sweep.id)).filter((t) => t.front === 1 && t.violation === 0).map((t) => t.id) : [];
      out(`first front: ${first.length > 0 ? `trials ${first.join(', ')}` : 'none yet'}; \`sweep show ${spec.name}\` lists them, \`sweep best ${spec.name} --trial N\` prints one's configuration`);
    } else if (!view && result.best) {
      out(`best: trial ${result.best.trialId}; \`sweep best ${spec.name}\` prints its configuration`);
    }
    if (stop.signal.aborted) return stop.code;
    if (result.gaveUpAfter !== undefined) return 1;
    return result.failed > 0 && result.completed === 0 && result.skipped === 0 ? 1 : 0;
  } finally {
    await screen?.close();
    stop.dispose();
    await store.close();
  }
}

/**
 * The sweep this run records, against what the store holds (src/sweep/sequence.ts): `--fork NAME`
 * makes it a new sweep seeded with the old one's trials in its space (its trials counted on after
 * them); `--trials +N` asks N more than the sweep has (or than its spec asks for); and a sweep
 * recorded before whose spec changed anything but its number of trials is refused in one line, unless
 * it is a grid (a set of configurations: what changed is added or left alone).
 */
async function grow(store: Store, r: { specPath: string; spec: SweepSpec; written: SweepSpec; text: string; values: RunOptions }) {
  const { specPath, written, values } = r;
  let { spec, text } = r;
  const before = await store.sweep(written.name);
  const recorded = before ? recordedSpec(before) : undefined;
  let fork: RunSweepOptions['fork'] | undefined;
  let name = written.name;
  if (values.fork !== undefined) {
    if (!before || !recorded) throw new UserError(`--fork ${values.fork}: ${store.location} has no sweep "${written.name}" (the name in ${specPath}) to fork from`);
    if (values.fork === written.name) throw new UserError(`--fork ${values.fork}: that is the sweep's own name; name the new sweep`);
    const priors = await forkPriors(store, before, written, recorded);
    fork = { fromId: before.id, priors };
    name = values.fork;
    spec = { ...spec, name };
    // Its own trials count on after the ones it starts with.
    if (spec.search.method !== 'grid' && spec.search.trials !== undefined) spec = { ...spec, search: { ...spec.search, trials: spec.search.trials + priors.length } };
    text = rewriteSpec(text, { name, ...(spec.search.method !== 'grid' ? { trials: spec.search.trials } : {}) });
  } else if (before && recorded && written.search.method !== 'grid') {
    const changes = sequenceChanges(recorded, written);
    if (changes.length > 0) {
      throw new UserError(`${specPath}: sweep "${written.name}" was recorded with another search (${changes.slice(0, 3).join('; ')}${changes.length > 3 ? `; ${changes.length - 3} more` : ''}); `
        + `to run this one from its results, start a new sweep: sweep run ${specPath} --fork NEW_NAME`);
    }
  }
  if (values.trials?.more) {
    const target = name === written.name ? before : await store.sweep(name);
    const has = target ? (await store.trials(target.id)).length : 0;
    const trials = Math.max(has, spec.search.trials ?? 0) + values.trials.n;
    spec = { ...spec, search: { ...spec.search, trials } };
    text = rewriteSpec(text, { trials });
  }
  return { spec, text, fork };
}

/** A dry run's trials: the table of those known up front (with their config ids); for a strategy that proposes as it goes, the line saying how, and null. */
function dryRunTrials(spec: SweepSpec, strategy: ReturnType<typeof makeStrategy>, count: number, out: (line: string) => void): Trial[] | null {
  if (strategy.propose) {
    out(proposesLine(spec, count));
    return null;
  }
  const trials = strategy.initial();
  const shown = shownKeys(trials.map((t) => t.config));
  out(formatTable(['#', 'config', ...shown.map(labelOf)],
    trials.map((t, i) => [i + 1, t.configId, ...shown.map((k) => formatValue(paramsOf(t.config)[k]))])));
  return trials;
}

/** What a dry run says a sweep that proposes as it goes will do. */
function proposesLine(spec: SweepSpec, count: number): string {
  // A deterministic proposal sees the trials before it but the last B − 1: its model starts that much later.
  const ahead = spec.search.deterministic ? spec.search.parallelism - 1 : 0;
  if (spec.search.method === 'nsga2') {
    const population = spec.search.population ?? 50;
    return `NSGA-II breeds each generation of ${population} from the best of the last: the first ${Math.min(count, population + ahead)} are random search's.`;
  }
  return `TPE proposes each trial from the results before it${ahead > 0 ? ` but the last ${ahead}` : ''}: the first ${Math.min(count, 10 + ahead)} are random search's.`;
}

/** What the sweep ranks on, for a dry run's first line: its metric, or its objectives and constraints. */
function objectivesPhrase(spec: SweepSpec, goals = false): string {
  const constraints = spec.constraints.length > 0 ? `; constraints ${spec.constraints.map((c) => c.text).join(', ')}` : '';
  if (spec.objectives.length > 1) return `objectives ${spec.objectives.map((o) => `${o.name} (${o.goal}d)`).join(', ')}${constraints}`;
  return `metric ${spec.metric.name}${goals ? `, ${spec.metric.goal}d` : ''}${constraints}`;
}

/** `sweep run --dry-run`: the data, and the configurations with their config ids, trained on nothing. */
function dryRun(specPath: string, spec: SweepSpec, data: DatasetInfo, count: number, out: (line: string) => void): number {
  const { method } = spec.search;
  const strategy = makeStrategy(spec);
  out(`${specPath}: sweep "${spec.name}", ${count} ${method === 'grid' ? 'configurations' : `trials of ${method} search`} (seed ${spec.seed}, ${objectivesPhrase(spec)})${spec.search.earlyStopping ? `, early stopping: ${spec.search.earlyStopping.type}` : ''}`);
  const [height, width, channels] = data.shape;
  out(`data: ${data.label}: ${data.counts.train} training and ${data.counts.test} test images of ${height}×${width}×${channels}, ${data.classes.length} classes, SHA-256 ${data.checksum.slice(0, 16)}…`);
  dryRunTrials(spec, strategy, count, out);
  return 0;
}

/** `sweep run --dry-run` on a program's spec: the trials, with their parameters, and the command the first one runs. */
function dryRunCode(specPath: string, specDir: string, spec: SweepSpec, count: number, out: (line: string) => void): number {
  const code = spec.code!;
  const { method } = spec.search;
  out(`${specPath}: sweep "${spec.name}" of ${codeFile(code)}, ${count} ${method === 'grid' ? 'configurations' : `trials of ${method} search`} (seed ${spec.seed}, ${code.metricDeclared ? objectivesPhrase(spec, true) : 'no metric: a trial completes on exit 0'})${spec.search.earlyStopping ? `, early stopping: ${spec.search.earlyStopping.type}` : ''}`);
  const strategy = makeStrategy(spec);
  const trials = dryRunTrials(spec, strategy, count, out);
  if (!trials) return 0;
  const first = trials[0]?.config;
  if (code.kind === 'program' && first && isCodeConfig(first)) {
    const { argv } = buildLaunch({ program: resolve(specDir, code.program!), command: code.command, interpreter: code.interpreter }, first.params, {
      paramsFile: '$SWEEP_PARAMS_FILE', env: process.env,
    });
    out(`trial 1 runs: ${argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ')}`);
  }
  return 0;
}
