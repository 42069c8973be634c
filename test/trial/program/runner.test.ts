/**
 * ProgramRunner on real child processes (small Node programs): how each way a program can
 * behave becomes a trial's events and result. The store and the judge are out of the loop here
 * (test/cli/program.test.ts runs whole sweeps): a test answers verdicts itself.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TrainResult, Verdict, WorkerEvent } from '../../../src/pool/protocol.js';
import type { CodeSpec } from '../../../src/spec/code.js';
import { ProgramRunner, checkLaunch, lastLines } from '../../../src/trial/program/runner.js';
import type { EpochMetrics, TrialRecord } from '../../../src/trial/types.js';
import { tempDir } from '../../temp-dir.js';

type Setup = {
  code?: Partial<CodeSpec>; recorded?: EpochMetrics[]; decidesAfter?: (step: number) => boolean; verdict?: (step: number) => boolean;
  /** Hears each step passed on, as `step N`, in order with the verdicts. */
  log?: string[];
};

/** Runs `source` (an ES module) as one trial with parameters `params`; its events and result. */
async function runProgram(source: string, params: Record<string, unknown> = { x: 1 }, s: Setup = {}) {
  const dir = tempDir();
  writeFileSync(join(dir, 'prog.mjs'), source);
  const code: CodeSpec = {
    kind: 'program', program: 'prog.mjs', interpreter: process.execPath, trial: { grace: 1 }, grid: {}, metricDeclared: true, ...s.code,
  };
  const runner = new ProgramRunner({ code, specDir: dir, trialsDir: join(dir, 'trials'), sweep: 't', metric: { name: 'score', goal: 'maximize' } });
  const trial = { id: 7, number: 0, configId: 'c0ffee', config: { model: 'program', params }, epochsDone: 0 } as unknown as TrialRecord;
  const events: WorkerEvent[] = [];
  const controller = new AbortController();
  const result: TrainResult = await runner.run(
    { trial, keep: false, resumeFrom: null, recorded: s.recorded ?? [], decidesAfter: s.decidesAfter ?? (() => false) },
    (e: WorkerEvent, reply: (v: Verdict) => void) => {
      events.push(e);
      if (e.type === 'epoch') s.log?.push(`step ${e.metrics.epoch}${e.awaitsVerdict ? ', awaits' : ''}`);
      if (e.type === 'epoch' && e.awaitsVerdict) setImmediate(() => reply({ type: 'verdict', epoch: e.metrics.epoch, stop: s.verdict?.(e.metrics.epoch) ?? false }));
    },
    controller.signal,
  );
  const steps = events.flatMap((e) => (e.type === 'epoch' ? [e.metrics] : []));
  return { result, events, steps, dir: runner.trialDir('c0ffee'), specDir: dir };
}

const REPORTS = `for (let step = 1; step <= 3; step++) console.log(\`epoch=\${step} loss=\${1 / step} score=\${step / 10}\`);`;

describe('a program trial', () => {
  it('completes on exit 0 having reported the metric: each step once, built-in names in their fields, others as reported', async () => {
    const { result, events, steps } = await runProgram(REPORTS);
    expect(events[0]).toMatchObject({ type: 'started', backend: 'program', epochs: [] });
    expect(steps.map((m) => [m.epoch, m.loss, m.reported])).toEqual([[1, 1, { score: 0.1 }], [2, 0.5, { score: 0.2 }], [3, 1 / 3, { score: 0.3 }]]);
    expect(result.ok).toBe(true);
    if (result.ok !== true) return;
    expect(result.outcome.epochs.map((m) => m.reported?.score)).toEqual([0.1, 0.2, 0.3]);
    expect(result.outcome).toMatchObject({ backend: 'program', weightsSha256: null });
    expect(Number.isNaN(result.outcome.valAccuracy)).toBe(true);
    expect(result.logs?.stdout.text).toContain('epoch=3 loss=0.3333333333333333 score=0.3');
  });

  it('gets its parameters as W&B passes them, in the environment, in a params file, and its own folder', async () => {
    const { result, dir } = await runProgram(`
      import { readFileSync } from 'node:fs';
      const file = JSON.parse(readFileSync(process.env.SWEEP_PARAMS_FILE, 'utf8'));
      console.log(JSON.stringify({ step: 1, score: 1, argv: 0 }));
      console.error(JSON.stringify([process.argv.slice(2), process.env.SWEEP_PARAM_LR, file, process.env.SWEEP_TRIAL_DIR]));
    `, { lr: 0.001, layers: 2, name: 'a b' });
    expect(result.ok).toBe(true);
    expect(JSON.parse(result.logs!.stderr.text)).toEqual([['--layers=2', '--lr=0.001', '--name=a b'], '0.001', { layers: 2, lr: 0.001, name: 'a b' }, dir]);
  });

  it('fails on a non-zero exit, with the end of its stderr', async () => {
    const { result } = await runProgram(`console.log('epoch=1 score=0.5'); console.error('Traceback\\nValueError: bad shape'); process.exit(3);`);
    expect(result).toMatchObject({ ok: false, error: 'the program exited with code 3: Traceback | ValueError: bad shape' });
    expect(result.ok === false && result.epochs.map((m) => m.epoch)).toEqual([1]);
  });

  it('fails where it exits 0 without the metric, saying what it did report, or that nothing was a report', async () => {
    expect((await runProgram(`console.log('epoch=1 loss=0.5 acc=0.9')`)).result)
      .toMatchObject({ ok: false, error: 'the program exited 0 without reporting score, the sweep\'s metric (it reported acc, loss)' });
    expect((await runProgram(``)).result)
      .toMatchObject({ ok: false, error: 'the program exited 0 without reporting score, the sweep\'s metric (it printed nothing on stdout)' });
    expect((await runProgram(`console.log('%%% garbage ==='); console.log('no metrics here')`)).result).toMatchObject({
      ok: false, error: 'the program exited 0 without reporting score, the sweep\'s metric (no line of its stdout was a report (name=value pairs or a JSON object))',
    });
  });

  it('completes without a metric where the spec names none (W&B\'s grid needs none)', async () => {
    expect((await runProgram(`console.log('epoch=1 loss=0.5')`, {}, { code: { metricDeclared: false } })).result.ok).toBe(true);
  });

  it('records NaN as NaN and goes on', async () => {
    const { result } = await runProgram(`console.log('epoch=1 score=nan loss=NaN'); console.log('epoch=2 score=0.5 loss=inf')`);
    expect(result.ok).toBe(true);
    if (result.ok !== true) return;
    expect(result.outcome.epochs.map((m) => [m.loss, m.reported?.score])).toEqual([[NaN, NaN], [Infinity, 0.5]]);
  });

  it('fails where its steps go back, naming the line, and stops the program there', async () => {
    const { result } = await runProgram(`console.log('epoch=2 score=1'); console.log('epoch=1 score=2'); setTimeout(() => {}, 60_000);`);
    expect(result).toMatchObject({ ok: false, error: 'line 2 of the trial\'s output reports step 1 after step 2: "epoch=1 score=2"' });
  });

  it('is pruned by a verdict: SIGTERM and a stop file, then SIGKILL after the grace when it ignores them; later reports are dropped', async () => {
    const started = performance.now();
    const { result, steps, dir } = await runProgram(`
      process.on('SIGTERM', () => console.error('asked to stop, going on'));
      let step = 0;
      setInterval(() => console.log('epoch=' + ++step + ' score=0.1'), 20);
    `, {}, { decidesAfter: () => true, verdict: (step) => step === 2 });
    expect(result).toMatchObject({ ok: 'stopped', backend: 'program' });
    expect(steps.map((m) => m.epoch)).toEqual([1, 2]);
    expect(result.logs?.stderr.text).toContain('asked to stop, going on');
    expect(existsSync(join(dir, 'stop'))).toBe(true);
    // The grace is 1 s: then SIGKILL.
    expect(performance.now() - started).toBeGreaterThan(900);
  });

  it('waits for each verdict before it passes on the next step; the last, passed on once the program ended, awaits none', async () => {
    const log: string[] = [];
    const { steps } = await runProgram(`for (let s = 1; s <= 3; s++) console.log('epoch=' + s + ' score=' + s); console.log('epoch=4 loss=1');`, {}, {
      decidesAfter: () => true, verdict: (step) => { log.push(`verdict ${step}`); return false; }, log,
    });
    expect(steps.map((m) => m.epoch)).toEqual([1, 2, 3, 4]);
    // Step 4 has no score: it is complete only when the program ends, and then nothing is left to stop.
    expect(log).toEqual(['step 1, awaits', 'verdict 1', 'step 2, awaits', 'verdict 2', 'step 3, awaits', 'verdict 3', 'step 4']);
  });

  it('fails at its timeout', async () => {
    const { result } = await runProgram(`console.log('epoch=1 score=1'); setTimeout(() => {}, 60_000);`, {}, { code: { trial: { grace: 1, timeout: 0.5 } } });
    expect(result).toMatchObject({ ok: false, error: 'timed out after 0.5 s (trial.timeout in the spec)' });
  });

  it('on a resumed attempt, keeps the recorded steps before its first report and drops the rest', async () => {
    const recorded = [1, 2, 3].map((epoch) => ({ epoch, loss: NaN, accuracy: NaN, valLoss: NaN, valAccuracy: NaN, seconds: 1, reported: { score: epoch } }));
    const { events, result } = await runProgram(`console.log('epoch=3 score=30'); console.log('epoch=4 score=40')`, {}, { recorded });
    expect(events[0]).toMatchObject({ type: 'started', epochs: recorded.slice(0, 2) });
    expect(result.ok === true && result.outcome.epochs.map((m) => m.reported?.score)).toEqual([1, 2, 30, 40]);
  });

  it('steps from 0 are its own: a program counting epochs from 0 is recorded so', async () => {
    const { steps } = await runProgram(`for (let e = 0; e < 2; e++) console.log(JSON.stringify({ epoch: e, score: e }))`);
    expect(steps.map((m) => m.epoch)).toEqual([0, 1]);
  });
});

describe('checkLaunch', () => {
  const code = (o: Partial<CodeSpec>): CodeSpec => ({ kind: 'program', program: 'train.py', interpreter: 'python3', trial: { grace: 30 }, grid: {}, metricDeclared: true, ...o });

  it('refuses a missing program, a missing interpreter and a command W&B would not run as meant, each in one line', () => {
    const dir = tempDir();
    expect(() => checkLaunch(code({}), dir, {})).toThrow(`program not found: ${join(dir, 'train.py')} (\`program: train.py\`, from the spec's folder)`);
    writeFileSync(join(dir, 'train.py'), 'print(1)\n');
    expect(() => checkLaunch(code({ interpreter: 'python-that-is-not-there' }), dir, {})).toThrow(/^program not found: python-that-is-not-there is not on PATH/);
    expect(() => checkLaunch(code({ command: ['${env}', '${interpreter}', '${program}', '${args_dict}'] }), dir, {})).toThrow(/^command element 3 "\$\{args_dict\}"/);
    expect(() => checkLaunch(code({ interpreter: process.execPath }), dir, {})).not.toThrow();
  });
});

describe('lastLines', () => {
  it('keeps the last three non-empty lines on one line, cut to 400 characters', () => {
    expect(lastLines('a\n\nb\r\nc\nd\n\n')).toBe('b | c | d');
    expect(lastLines('x'.repeat(1000))).toHaveLength(401);
  });
});
