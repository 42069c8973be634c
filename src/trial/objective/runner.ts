/**
 * Trials of the user's objective module (`objective: ./train.mjs`, or `.ts`): `train(params,
 * trial)` run in a piscina worker (worker.ts), one trial per task, no process per trial. Each
 * `trial.report(step, metrics)` becomes a step (steps.ts), judged by the early-stopping rule
 * before `report` resolves; a pruned trial sees `trial.shouldStop` and returns, or is ended with
 * its worker thread after the grace period. How it ends:
 * - train() returns, having reported the sweep's metric: completed;
 * - it throws, returns without the metric, or passes the timeout: failed;
 * - pruned by the rule; interrupted by the sweep's stop (the run rejects, as the pool's does).
 *
 * A TypeScript module is bundled with esbuild once per sweep, beside itself (so that its imports
 * resolve as they would), and the bundle removed when the sweep ends.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { UserError } from '../../errors.js';
import type { Objective } from '../../metrics/registry.js';
import type { TrainResult, Verdict, WorkerEvent } from '../../pool/protocol.js';
import { isCodeConfig, type CodeSpec } from '../../spec/code.js';
import type { RunJob, TrialRunner } from '../runner.js';
import { workerFile } from '../../worker-file.js';
import { Steps } from '../steps.js';
import type { ObjectiveResult, ObjectiveTask, StepReport } from './protocol.js';

/** What the record says ran an objective's trials (`trials.backend`). */
export const OBJECTIVE_BACKEND = 'objective';

const TYPESCRIPT = /\.[cm]?tsx?$/;


export type ObjectiveRunnerOptions = {
  readonly code: CodeSpec;
  readonly specDir: string;
  /** Where the trials' folders are made: one per trial, named by its config id. */
  readonly trialsDir: string;
  readonly sweep: string;
  readonly metric: Objective;
  /** Every objective of a sweep of several: a trial that returns without one of them fails. */
  readonly objectives?: readonly Objective[];
  readonly workers: number;
};

export class ObjectiveRunner implements TrialRunner {
  private readonly piscina: Piscina;
  private readonly module: Promise<{ file: string; remove: () => void }>;

  constructor(private readonly o: ObjectiveRunnerOptions) {
    if (o.code.objective === undefined) throw new Error('an ObjectiveRunner needs the spec\'s objective');
    this.module = prepareObjective(resolve(o.specDir, o.code.objective));
    // Swallowed here, seen by every run that awaits it.
    this.module.catch(() => {});
    this.piscina = new Piscina({
      filename: workerFile(import.meta.url, './worker.js'), minThreads: o.workers, maxThreads: o.workers, concurrentTasksPerWorker: 1, idleTimeout: 60_000,
    });
  }

  trialDir(configId: string): string {
    return join(this.o.trialsDir, configId);
  }

  async run(job: RunJob, onEvent: (e: WorkerEvent, reply: (v: Verdict) => void) => void, signal: AbortSignal): Promise<TrainResult> {
    const { trial } = job;
    if (!isCodeConfig(trial.config)) throw new Error(`trial ${trial.id} trains a built-in model, not an objective`);
    const { code, metric } = this.o;
    const { file } = await this.module;
    const dir = this.trialDir(trial.configId);
    mkdirSync(dir, { recursive: true });
    const steps = new Steps(job, metric.name, OBJECTIVE_BACKEND, onEvent);
    // Ends the worker's task: the sweep's stop, the timeout, or a pruned trial past its grace.
    const end = new AbortController();
    let timedOut = false;
    const timers: NodeJS.Timeout[] = [];
    const after = (seconds: number, f: () => void) => timers.push(setTimeout(f, seconds * 1000));
    if (code.trial.timeout !== undefined) after(code.trial.timeout, () => { timedOut = true; end.abort(); });
    steps.onPrune = () => after(code.trial.grace, () => end.abort());
    const onStop = () => {
      steps.abandon();
      end.abort();
    };
    signal.addEventListener('abort', onStop);
    if (signal.aborted) onStop();

    const { port1, port2 } = new MessageChannel();
    port1.on('message', (r: StepReport) => {
      steps.report(r);
      // The report resolves once the step is judged (or passed on, where nothing judges it).
      void steps.settled().then(() => port1.postMessage({ type: 'verdict', stop: steps.pruned }));
    });
    const task: Omit<ObjectiveTask, 'port'> = {
      module: file, params: trial.config.params, trial: { id: trial.id, number: trial.number, sweep: this.o.sweep, dir },
    };
    let result: ObjectiveResult | undefined;
    try {
      result = await this.piscina.run({ ...task, port: port2 }, { transferList: [port2], signal: end.signal }) as ObjectiveResult;
    } catch (err) {
      if (!end.signal.aborted) throw err;
    } finally {
      for (const t of timers) clearTimeout(t);
      signal.removeEventListener('abort', onStop);
      // Reports posted just before the end may still be queued on the port.
      await new Promise((r) => setImmediate(r));
      port1.close();
    }
    if (signal.aborted) throw Object.assign(new Error('the sweep is stopping'), { name: 'AbortError' });
    if (!steps.pruned) steps.finish();
    await steps.settled();
    const logs = result?.logs;
    if (steps.pruned) return { ok: 'stopped', backend: OBJECTIVE_BACKEND, epochs: steps.epochs(), logs };
    const failed = (error: string): TrainResult => ({ ok: false, error, backend: OBJECTIVE_BACKEND, epochs: steps.epochs(), logs });
    if (timedOut) return failed(`timed out after ${code.trial.timeout} s (trial.timeout in the spec)`);
    if (!result!.ok) return failed(result!.error);
    if (code.metricDeclared && !steps.reportedObjective) {
      const names = steps.names();
      return failed(`train() returned without reporting ${metric.name}, the sweep's metric (${names.length ? `it reported ${names.join(', ')}` : 'it called trial.report with nothing'})`);
    }
    // A spec that names no metric asks for none: returning completes the trial.
    const missing = code.metricDeclared ? steps.missing(this.o.objectives ?? []) : [];
    if (missing.length > 0) return failed(`train() returned without reporting ${missing.join(', ')}, of the sweep's objectives (it reported ${steps.names().join(', ')})`);
    return { ok: true, outcome: steps.outcome(OBJECTIVE_BACKEND), model: null, logs };
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
    (await this.module.catch(() => undefined))?.remove();
  }
}

/**
 * The module as the worker imports it: a JavaScript file as it is; a TypeScript one bundled by
 * esbuild beside itself (its own imports of packages left to Node). Throws a UserError of one
 * line where the file is missing, does not compile, or exports no `train`.
 */
export async function prepareObjective(path: string): Promise<{ file: string; remove: () => void }> {
  if (!existsSync(path)) throw new UserError(`objective module not found: ${path}`);
  const { build } = await import('esbuild');
  const typescript = TYPESCRIPT.test(path);
  const out = join(dirname(path), `.${basename(path)}.${createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 8)}.sweep.mjs`);
  let exports: string[];
  try {
    const r = await build({
      entryPoints: [path], bundle: typescript, packages: 'external', platform: 'node', format: 'esm', target: 'node20',
      write: typescript, outfile: out, sourcemap: typescript ? 'inline' : false, metafile: true, logLevel: 'silent',
    });
    exports = Object.values(r.metafile.outputs).find((o) => o.entryPoint !== undefined)?.exports ?? [];
  } catch (err) {
    const first = (err as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors?.[0];
    if (!first) throw err;
    const at = first.location ? `${resolve(first.location.file)}:${first.location.line}:${first.location.column + 1} ` : '';
    throw new UserError(`objective module ${at}does not compile: ${first.text}`);
  }
  const remove = () => { if (typescript) rmSync(out, { force: true }); };
  if (!exports.includes('train')) {
    remove();
    throw new UserError(`objective module ${path} exports no \`train\`: export async function train(params, trial) { … }`);
  }
  return { file: typescript ? out : path, remove };
}
