/**
 * How a trial's epochs reach the store (src/sweep/trial-run.ts): steps that arrive together, or
 * while the trial's last write is still in flight, are written in one transaction; a step the
 * early-stopping rule decides on ends its write, and is recorded with its decision. Real child
 * processes (a small Node program) swept by runSweep, on SQLite and on PostgreSQL, with the
 * store's writes of epochs seen through a wrapper.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parseSpec } from '../../src/spec/load-spec.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/store.js';
import { runSweep } from '../../src/sweep/run-sweep.js';
import { createTestDb } from '../store/pg-test-db.js';
import { tempDir } from '../temp-dir.js';

const BACKENDS: [string, (dir: string) => Promise<Store>][] = [
  ['SQLite', (dir) => SqliteStore.open(join(dir, 'sweeps.db'))],
  ['PostgreSQL', async () => PostgresStore.open((await createTestDb()).url)],
];

// Ten steps printed in one write: they reach sweep as one chunk of output.
const AT_ONCE = `let out = '';
for (let step = 1; step <= 10; step++) out += \`epoch=\${step} score=\${step / 10}\\n\`;
process.stdout.write(out);
`;

// Step 1; once sweep's write of it has begun (the test's gate leaves a file 'writing' in the
// trial's folder), steps 2 to 10 one write each; then a file saying they were all printed. The
// wait is bounded (10 s), and each look is 1 ms apart.
const ONE_BY_ONE = `import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const dir = process.env.SWEEP_TRIAL_DIR;
const pause = () => new Promise((next) => setTimeout(next, 1));
process.stdout.write('epoch=1 score=0.1\\n');
for (let look = 0; look < 10_000 && !existsSync(join(dir, 'writing')); look++) await pause();
for (let step = 2; step <= 10; step++) {
  process.stdout.write(\`epoch=\${step} score=\${step / 10}\\n\`);
  await pause();
}
writeFileSync(join(dir, 'printed'), '');
`;

type Write = { epochs: number[]; decided: boolean };

/** `store`, but each recordEpochs call is logged in `writes` (and waits for `gate` first, where given). */
function watched(store: Store, writes: Write[], gate?: (n: number) => Promise<void>): Store {
  return Object.assign(Object.create(store) as Store, {
    recordEpochs: async (...args: Parameters<Store['recordEpochs']>) => {
      const n = writes.push({ epochs: args[1].map((m) => m.epoch), decided: args[4] !== undefined });
      await gate?.(n);
      return store.recordEpochs(...args);
    },
  });
}

/** Sweeps `program` (one trial) into `store` with `search`; what the view heard of each epoch, in order. */
async function sweepOnce(dir: string, store: Store, program: string, more = '') {
  writeFileSync(join(dir, 'prog.mjs'), program);
  const text = `name: batch\nprogram: prog.mjs\ninterpreter: ${process.execPath}\nmetric: {name: score, goal: maximize}\n${more}grid:\n  x: [1]\n`;
  const spec = parseSpec(text, join(dir, 'spec.yaml'));
  const heard: number[] = [];
  const result = await runSweep({
    spec, specText: text, specPath: join(dir, 'spec.yaml'), store, workers: 1, backend: 'cpu',
    code: { specDir: dir, trialsDir: join(dir, 'trials') },
    onEvent: (e) => { if (e.type === 'epoch') heard.push(e.metrics.epoch); },
  });
  return { result, heard };
}

describe.each(BACKENDS)('a program trial\'s steps on %s', (_name, open) => {
  it('printed at once, are written in one transaction, every step kept in order', async () => {
    const dir = tempDir('sweep-trial-run-');
    const store = await open(dir);
    onTestFinished(() => store.close());
    const writes: Write[] = [];
    const { result, heard } = await sweepOnce(dir, watched(store, writes), AT_ONCE);
    expect(result).toMatchObject({ completed: 1, failed: 0 });
    expect(writes).toEqual([{ epochs: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], decided: false }]);
    expect(heard).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const sweep = (await store.sweep('batch'))!;
    const [trial] = await store.trials(sweep.id);
    expect((await store.epochs(trial.id)).map((m) => [m.epoch, m.reported?.score])).toEqual(Array.from({ length: 10 }, (_, i) => [i + 1, (i + 1) / 10]));
  });

  it('that arrive while the last write is in flight, are written together by the next', async () => {
    const dir = tempDir('sweep-trial-run-');
    const store = await open(dir);
    onTestFinished(() => store.close());
    const writes: Write[] = [];
    // The first write (of step 1 alone: the program prints nothing more until it begins) waits
    // until the program has printed every other step, one write each.
    const folder = join(dir, 'trials');
    const trialDir = () => join(folder, readdirSync(folder)[0]);
    const gate = async (n: number) => {
      if (n !== 1) return;
      writeFileSync(join(trialDir(), 'writing'), '');
      for (let look = 0; look < 2_000 && !existsSync(join(trialDir(), 'printed')); look++) await sleep(5);
    };
    const { result, heard } = await sweepOnce(dir, watched(store, writes, gate), ONE_BY_ONE);
    expect(result).toMatchObject({ completed: 1, failed: 0 });
    expect(writes[0].epochs).toEqual([1]);
    // Every later step was there before the first write ended: few writes, not one each.
    expect(writes.length).toBeLessThanOrEqual(3);
    expect(writes.flatMap((w) => w.epochs)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(heard).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('a step the rule decides on ends its write and is recorded with its decision; the steps after it wait for the verdict', async () => {
    const dir = tempDir('sweep-trial-run-');
    const store = await open(dir);
    onTestFinished(() => store.close());
    const writes: Write[] = [];
    // ASHA decides after steps 1, 2, 4 and 8 (rungs of a reduction factor of 2).
    const { result } = await sweepOnce(dir, watched(store, writes), AT_ONCE,
      'trial: {steps: 10}\nsearch: {method: grid, earlyStopping: {type: asha, minEpochs: 1, reductionFactor: 2}}\n');
    expect(result).toMatchObject({ completed: 1 });
    expect(writes).toEqual([
      { epochs: [1], decided: true }, { epochs: [2], decided: true }, { epochs: [3, 4], decided: true },
      { epochs: [5, 6, 7, 8], decided: true }, { epochs: [9, 10], decided: false },
    ]);
    const sweep = (await store.sweep('batch'))!;
    expect((await store.decisions(sweep.id)).map((d) => [d.epoch, d.metricAtEpoch])).toEqual([[1, 0.1], [2, 0.2], [4, 0.4], [8, 0.8]]);
  });
});
