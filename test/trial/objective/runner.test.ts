/**
 * ObjectiveRunner on real worker threads (piscina, the built worker in dist/): small modules of
 * the user's, JavaScript and TypeScript, and how each way one behaves becomes a trial's events
 * and result. A test answers verdicts itself; whole sweeps are in test/cli/program.test.ts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TrainResult, Verdict, WorkerEvent } from '../../../src/pool/protocol.js';
import type { CodeSpec } from '../../../src/spec/code.js';
import { ObjectiveRunner, prepareObjective } from '../../../src/trial/objective/runner.js';
import type { TrialRecord } from '../../../src/trial/types.js';
import { tempDir } from '../../temp-dir.js';

const runners: ObjectiveRunner[] = [];
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.close()));
});

type Setup = { code?: Partial<CodeSpec>; decidesAfter?: (step: number) => boolean; verdict?: (step: number) => boolean; file?: string };

/** Runs `source` as the objective of one trial with `params`; its events and result. */
async function runObjective(source: string, params: Record<string, unknown> = { x: 1 }, s: Setup = {}) {
  const dir = tempDir();
  const file = s.file ?? 'train.mjs';
  writeFileSync(join(dir, file), source);
  const code: CodeSpec = { kind: 'objective', objective: file, interpreter: 'python3', trial: { grace: 1 }, grid: {}, metricDeclared: true, ...s.code };
  const runner = new ObjectiveRunner({ code, specDir: dir, trialsDir: join(dir, 'trials'), sweep: 't', metric: { name: 'score', goal: 'maximize' }, workers: 1 });
  runners.push(runner);
  const trial = { id: 3, number: 0, configId: 'beef', config: { model: 'objective', params }, epochsDone: 0 } as unknown as TrialRecord;
  const events: WorkerEvent[] = [];
  const result: TrainResult = await runner.run(
    { trial, keep: false, resumeFrom: null, recorded: [], decidesAfter: s.decidesAfter ?? (() => false) },
    (e, reply: (v: Verdict) => void) => {
      events.push(e);
      if (e.type === 'epoch' && e.awaitsVerdict) setImmediate(() => reply({ type: 'verdict', epoch: e.metrics.epoch, stop: s.verdict?.(e.metrics.epoch) ?? false }));
    },
    new AbortController().signal,
  );
  return { result, steps: events.flatMap((e) => (e.type === 'epoch' ? [e.metrics] : [])), dir: runner.trialDir('beef') };
}

describe('an objective module', () => {
  it('trains in a worker thread: its reports are steps, its metric completes it, its console output is its logs', async () => {
    const { result, steps, dir } = await runObjective(`
      export async function train(params, trial) {
        console.log('training with', JSON.stringify(params), 'in', trial.dir);
        for (let step = 1; step <= 3; step++) await trial.report(step, { loss: 1 / step, score: step * params.x });
      }`, { x: 2 });
    expect(steps.map((m) => [m.epoch, m.loss, m.reported])).toEqual([[1, 1, { score: 2 }], [2, 0.5, { score: 4 }], [3, 1 / 3, { score: 6 }]]);
    expect(result).toMatchObject({ ok: true, outcome: { backend: 'objective', weightsSha256: null } });
    expect(result.logs?.stdout.text).toBe(`training with {"x":2} in ${dir}\n`);
  });

  it('reports its own latency_ms, as it may params: a value of the whole trial, on its outcome, not on a step', async () => {
    const { result, steps } = await runObjective(`
      export async function train(params, trial) {
        await trial.report(1, { score: 0.5, latency_ms: 0.75, params: 1234 });
      }`);
    expect(steps.map((m) => m.reported)).toEqual([{ score: 0.5 }]);
    expect(result).toMatchObject({ ok: true, outcome: { latencyMs: 0.75, params: 1234 } });
  });

  it('may be TypeScript: bundled with esbuild, types and all', async () => {
    const { result, steps } = await runObjective(`
      type Params = { x: number };
      interface Trial { report(step: number, metrics: Record<string, number>): Promise<void> }
      export async function train(params: Params, trial: Trial): Promise<void> {
        await trial.report(1, { score: params.x as number });
      }`, { x: 5 }, { file: 'train.ts' });
    expect(result.ok).toBe(true);
    expect(steps.map((m) => m.reported?.score)).toEqual([5]);
  });

  it('is pruned by a verdict: report resolves, shouldStop turns true, and it returns', async () => {
    const { result, steps } = await runObjective(`
      export async function train(params, trial) {
        for (let step = 1; step <= 10; step++) {
          await trial.report(step, { score: step });
          if (trial.shouldStop) return;
        }
      }`, {}, { decidesAfter: () => true, verdict: (step) => step === 2 });
    expect(result).toMatchObject({ ok: 'stopped', backend: 'objective' });
    expect(steps.map((m) => m.epoch)).toEqual([1, 2]);
  });

  it('that ignores shouldStop is ended with its worker thread after the grace', async () => {
    const started = performance.now();
    const { result } = await runObjective(`
      export async function train(params, trial) {
        await trial.report(1, { score: 1 });
        await new Promise(() => {});
      }`, {}, { decidesAfter: () => true, verdict: () => true });
    expect(result.ok).toBe('stopped');
    expect(performance.now() - started).toBeGreaterThan(900);
  });

  it('fails where train() throws (its stack kept in the logs), returns without the metric, reports a step lower than the last, or passes its timeout', async () => {
    const threw = await runObjective(`export async function train() { throw new Error('out of memory on purpose'); }`);
    expect(threw.result).toMatchObject({ ok: false, error: 'train() threw Error: out of memory on purpose' });
    expect(threw.result.logs?.stderr.text).toMatch(/^Error: out of memory on purpose\n +at \S*train \(file:.*train\.mjs:1:/);
    expect((await runObjective(`export async function train(p, t) { await t.report(1, { loss: 1 }); }`)).result)
      .toMatchObject({ ok: false, error: 'train() returned without reporting score, the sweep\'s metric (it reported loss)' });
    expect((await runObjective(`export async function train(p, t) { await t.report(2, { score: 1 }); await t.report(1, { score: 2 }); }`)).result)
      .toMatchObject({ ok: false, error: 'train() threw RangeError: trial.report: step 1 after step 2: steps go up' });
    expect((await runObjective(`export async function train(p, t) { await t.report(1, { score: 'high' }); }`)).result)
      .toMatchObject({ ok: false, error: 'train() threw TypeError: trial.report: metric "score" must be a number, not string' });
    expect((await runObjective(`export async function train(p, t) { await t.report(1, { score: 1 }); await new Promise(() => {}); }`, {}, { code: { trial: { grace: 1, timeout: 0.5 } } })).result)
      .toMatchObject({ ok: false, error: 'timed out after 0.5 s (trial.timeout in the spec)' });
  });
});

describe('prepareObjective', () => {
  it('refuses a missing module, one that does not compile (with its place) and one without train, in one line each', async () => {
    const dir = tempDir();
    await expect(prepareObjective(join(dir, 'none.mjs'))).rejects.toThrow(`objective module not found: ${join(dir, 'none.mjs')}`);
    writeFileSync(join(dir, 'bad.ts'), 'export async function train( {\n');
    await expect(prepareObjective(join(dir, 'bad.ts'))).rejects.toThrow(new RegExp(`^objective module ${join(dir, 'bad.ts')}:2:1 does not compile: `));
    writeFileSync(join(dir, 'other.mjs'), 'export function fit() {}\n');
    await expect(prepareObjective(join(dir, 'other.mjs'))).rejects.toThrow(`objective module ${join(dir, 'other.mjs')} exports no \`train\`: export async function train(params, trial) { … }`);
  });
});
