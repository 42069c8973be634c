/**
 * The piscina worker that runs the user's objective module: `train(params, trial)` for one trial
 * per task, in this thread, with no process per trial. `trial.report(step, metrics)` posts the
 * step to the main thread and resolves once its early-stopping verdict is in; `trial.shouldStop`
 * then says whether to return. What the module prints is kept as the trial's logs, not shown.
 */
import { pathToFileURL } from 'node:url';
import { KeptBytes } from '../program/kept-output.js';
import type { ObjectiveResult, ObjectiveTask, StepVerdict, TrialHandle } from './protocol.js';

/** How much of each stream an attempt's record keeps, as for a program. */
const KEEP = { headBytes: 64 * 1024, tailBytes: 448 * 1024 };

const modules = new Map<string, Promise<{ train?: unknown }>>();

export default async function run(task: ObjectiveTask): Promise<ObjectiveResult> {
  const kept = { stdout: new KeptBytes(KEEP.headBytes, KEEP.tailBytes), stderr: new KeptBytes(KEEP.headBytes, KEEP.tailBytes) };
  const restore = capture(kept);
  let stop = false;
  let step: { n: number; values: Record<string, number> } | undefined;
  const verdicts: ((stop: boolean) => void)[] = [];
  task.port.on('message', (v: StepVerdict) => verdicts.shift()?.(v.stop));
  const trial: TrialHandle = {
    id: task.trial.id, number: task.trial.number, sweep: task.trial.sweep, dir: task.trial.dir, params: task.params,
    get shouldStop() { return stop; },
    report: async (n: number, metrics: Readonly<Record<string, unknown>>) => {
      if (stop) return;
      if (!Number.isInteger(n) || n < 0) throw new TypeError(`trial.report: the step must be a whole number of at least 0, not ${String(n)}`);
      if (step !== undefined && n < step.n) throw new RangeError(`trial.report: step ${n} after step ${step.n}: steps go up`);
      if (metrics === null || typeof metrics !== 'object') throw new TypeError('trial.report: the metrics must be an object of numbers, as { loss: 0.25 }');
      const values: Record<string, number> = step?.n === n ? { ...step.values } : {};
      for (const [name, v] of Object.entries(metrics)) {
        if (typeof v !== 'number') throw new TypeError(`trial.report: metric ${JSON.stringify(name)} must be a number, not ${typeof v}`);
        values[name] = v;
      }
      step = { n, values };
      const verdict = new Promise<boolean>((resolve) => verdicts.push(resolve));
      task.port.postMessage({ type: 'report', step: n, values });
      stop = await verdict;
    },
  };
  try {
    const module = await load(task.module);
    if (typeof module.train !== 'function') {
      return { ok: false, error: `${task.module} exports no function train(params, trial)`, logs: logsOf(kept) };
    }
    await (module.train as (p: unknown, t: TrialHandle) => unknown)(task.params, trial);
    return { ok: true, logs: logsOf(kept) };
  } catch (err) {
    // The module's error is the trial's, and is kept with its stack in the trial's stderr.
    kept.stderr.push(Buffer.from(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`));
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return { ok: false, error: `train() threw ${message}`, logs: logsOf(kept) };
  } finally {
    restore();
    task.port.close();
  }
}

function load(file: string): Promise<{ train?: unknown }> {
  let m = modules.get(file);
  if (!m) {
    m = import(pathToFileURL(file).href) as Promise<{ train?: unknown }>;
    modules.set(file, m);
  }
  return m;
}

/** Sends what this thread writes on stdout and stderr to `kept` until the returned function is called. */
function capture(kept: { stdout: KeptBytes; stderr: KeptBytes }): () => void {
  const streams = [process.stdout, process.stderr] as const;
  const originals = streams.map((s) => s.write);
  streams.forEach((stream, i) => {
    const into = i === 0 ? kept.stdout : kept.stderr;
    stream.write = ((chunk: string | Uint8Array, encoding?: unknown, done?: unknown) => {
      into.push(typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding as BufferEncoding : 'utf8') : Buffer.from(chunk));
      const callback = typeof encoding === 'function' ? encoding : done;
      if (typeof callback === 'function') queueMicrotask(() => (callback as () => void)());
      return true;
    }) as typeof stream.write;
  });
  return () => streams.forEach((stream, i) => { stream.write = originals[i]; });
}

function logsOf(kept: { stdout: KeptBytes; stderr: KeptBytes }): ObjectiveResult['logs'] {
  const [out, err] = [kept.stdout.snapshot(), kept.stderr.snapshot()];
  return { stdout: { text: out.text, bytes: out.totalBytes }, stderr: { text: err.text, bytes: err.totalBytes } };
}
