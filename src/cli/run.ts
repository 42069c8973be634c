import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { loadFashionMnist } from '../data/fashion-mnist.js';
import { UsageError, UserError } from '../errors.js';
import { countConfigs, expandGrid, HYPERPARAMETERS, varyingKeys } from '../grid/expand.js';
import { nodeBackendInstalled } from '../pool/node-backend.js';
import { BACKENDS, type BackendChoice } from '../pool/protocol.js';
import { loadSpec } from '../spec/load-spec.js';
import { Store } from '../store/store.js';
import { currentEnvironment } from '../sweep/environment.js';
import { runSweep } from '../sweep/run-sweep.js';
import { DEFAULT_DB, parse } from './args.js';
import { formatValue, LABEL } from '../grid/describe.js';
import { progressLog } from './progress-log.js';
import { formatTable } from './table.js';

export const RUN_USAGE = 'sweep run SPEC [--db runs/sweeps.db] [--workers N] [--backend auto|node|wasm|cpu] [--data DIR] [--dry-run] [--no-tui] [--retry-failed] [--max-trials N]';

/** Grids larger than this are refused unless --max-trials allows them: likely a typo, not a plan. */
export const DEFAULT_MAX_TRIALS = 10_000;

/** `sweep run`: validates the spec, then trains every configuration not yet completed. Returns the exit code. */
export async function run(argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parse('run', argv, {
    db: { type: 'string', default: DEFAULT_DB },
    workers: { type: 'string' },
    backend: { type: 'string', default: 'auto' },
    data: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    'no-tui': { type: 'boolean', default: false },
    'retry-failed': { type: 'boolean', default: false },
    'max-trials': { type: 'string' },
  }, ['spec']);
  const maxTrials = values['max-trials'] === undefined ? DEFAULT_MAX_TRIALS : Number(values['max-trials']);
  if (!Number.isSafeInteger(maxTrials) || maxTrials < 1) throw new UsageError(`sweep run: --max-trials must be a positive integer, got "${values['max-trials']}"`);
  const backend = values.backend as BackendChoice;
  if (!BACKENDS.includes(backend)) throw new UsageError(`sweep run: --backend must be one of ${BACKENDS.join(', ')}, got "${values.backend}"`);
  if (backend === 'node' && !nodeBackendInstalled()) {
    throw new UserError('--backend node: @tensorflow/tfjs-node is not installed (see the README\'s Backends section)');
  }
  let workers = availableParallelism();
  if (values.workers !== undefined) {
    workers = Number(values.workers);
    if (!Number.isInteger(workers) || workers < 1 || workers > 256) throw new UsageError(`sweep run: --workers must be an integer from 1 to 256, got "${values.workers}"`);
  }
  // tfjs-node's addon cannot load in a second worker thread; it uses the cores itself.
  if (backend === 'node' || (backend === 'auto' && nodeBackendInstalled())) workers = 1;

  const specPath = positionals[0];
  const { spec, text } = loadSpec(specPath);
  // Counted before anything is built: a grid of millions is refused, not materialised.
  const count = countConfigs(spec);
  if (count > maxTrials) {
    throw new UserError(`${specPath}: the grid has ${count.toLocaleString('en-US')} configurations, more than ${maxTrials.toLocaleString('en-US')}; shrink it or pass --max-trials ${count}`);
  }
  const trials = expandGrid(spec);
  const keys = varyingKeys(trials.map((t) => t.config));

  if (values['dry-run']) {
    out(`${specPath}: sweep "${spec.name}", ${count} configurations (seed ${spec.seed}, metric ${spec.metric})`);
    const shown = HYPERPARAMETERS.filter((k) => trials.some((t) => t.config[k] !== undefined));
    out(formatTable(['#', 'config', ...shown.map((k) => LABEL[k])],
      trials.map((t, i) => [i + 1, t.configId, ...shown.map((k) => formatValue(t.config[k]))])));
    return 0;
  }

  const dataset = await loadFashionMnist({ dir: values.data, log: out });
  const store = Store.open(values.db);
  const stop = new AbortController();
  // How the run was stopped decides the exit code: q is a normal end, signals are not.
  let stoppedWith = 0;
  const live = !values['no-tui'] && process.stdout.isTTY === true && process.stdin.isTTY === true && !process.env.CI;
  // Ink takes ~0.4 s to load: only when the screen is shown.
  const tui = live ? await import('../tui/index.js') : null;
  const view = tui
    ? tui.createViewStore(tui.initialState({ sweep: spec.name, specPath, dbPath: values.db, backend, workers, mode: 'run' }, Date.now()))
    : null;
  const requestStop = (code: number, why: string) => {
    if (stop.signal.aborted) process.exit(code);
    stoppedWith = code;
    if (view) view.dispatch({ type: 'stopping' }, true);
    else out(`${why}: stopping; running trials are interrupted and run again next time (again to quit at once)`);
    stop.abort();
  };
  const onSignal = (signal: NodeJS.Signals) => requestStop(signal === 'SIGINT' ? 130 : 143, signal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const screen = tui && view ? tui.mount(view, { onQuit: () => requestStop(0, 'q'), onInterrupt: () => requestStop(130, 'SIGINT') }) : null;
  try {
    if (!view) out(`data: Fashion-MNIST (${dataset.source}, ${dataset.dir}); database: ${values.db}`);
    const result = await runSweep({
      spec, specText: text, specPath, store, dataset, workers, backend, signal: stop.signal,
      artifactsDir: values.db === ':memory:' ? null : dirname(values.db), retryFailed: values['retry-failed'],
      environment: currentEnvironment(dataset.sha256),
      onEvent: view ? (e) => view.dispatch(e, e.type === 'end') : progressLog(out, keys, spec.metric),
    });
    if (!view && result.best) {
      out(`best: trial ${result.best.trialId}; \`sweep best ${spec.name}\` prints its configuration`);
    }
    if (stop.signal.aborted) return stoppedWith;
    return result.failed > 0 && result.completed === 0 && result.skipped === 0 ? 1 : 0;
  } finally {
    await screen?.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    store.close();
  }
}
