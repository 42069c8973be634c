/**
 * The same spec and seed give the same sweep whatever ran it (docs/search.md, "Deterministic
 * sweeps"): a TPE sweep with ASHA, run by one worker and by two, records identical trials —
 * numbers, configurations, statuses, every epoch's metrics, every early-stopping decision and
 * each trained model's weights hash. Free-running (`deterministic: false`) they differed: ASHA
 * judged a trial against whichever trials reached the rung first, and TPE proposed from
 * whichever had finished.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestDb } from '../store/pg-test-db.js';
import { tempDir } from '../temp-dir.js';
import { DETERMINISTIC_SPEC, recorded } from './deterministic-sweep.js';
import { killStorm, STORM } from './kill-storm.js';
import { BIN, sweepProcess } from './run-cli.js';

// Each run is the binary in a process of its own, as users run it (and as `sweep worker`s on
// other machines are): the vitest process's own workers may take another kernel path.
describe('a deterministic sweep', () => {
  it('records the same trials with one worker and with two', async () => {
    const dir = tempDir('sweep-deterministic-');
    const spec = join(dir, 'spec.yaml');
    writeFileSync(spec, DETERMINISTIC_SPEC('det', 14));
    const runs: Awaited<ReturnType<typeof recorded>>[] = [];
    for (const workers of ['1', '2']) {
      const db = join(dir, `w${workers}.db`);
      const r = sweepProcess('run', spec, '--db', db, '--workers', workers);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      runs.push(await recorded(db));
    }
    const [one, two] = runs;
    expect(one.trials).toHaveLength(14);
    // Early stopping took part: some trials were pruned, with decisions at the rungs.
    expect((one.trials as { status: string }[]).filter((t) => t.status === 'pruned').length).toBeGreaterThan(0);
    expect(one.decisions.length).toBeGreaterThan(5);
    expect(two).toEqual(one);
  });

  it('records the same on PostgreSQL, run by three processes (a run and two `sweep worker`s), as one worker on SQLite', async () => {
    const dir = tempDir('sweep-deterministic-pg-');
    const spec = join(dir, 'spec.yaml');
    writeFileSync(spec, DETERMINISTIC_SPEC('det-pg', 14));
    const sqlite = join(dir, 'one.db');
    expect(sweepProcess('run', spec, '--db', sqlite, '--workers', '1').code).toBe(0);
    const { url } = await createTestDb();
    const exits: Promise<number | null>[] = [];
    const start = (args: string[]): ChildProcess => {
      const child = spawn(process.execPath, [BIN, ...args, '--db', url, '--workers', '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
      exits.push(new Promise((resolve) => child.on('exit', resolve)));
      return child;
    };
    const run = start(['run', spec]);
    // The workers join once the run has recorded the sweep: at its first trial's start.
    await new Promise<void>((resolve) => {
      let seen = '';
      run.stdout!.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (/started/.test(seen)) resolve();
      });
      run.on('exit', () => resolve());
    });
    start(['worker', '--sweep', 'det-pg']);
    start(['worker', '--sweep', 'det-pg']);
    expect(await Promise.all(exits)).toEqual([0, 0, 0]);
    const [one, three] = [await recorded(sqlite), await recorded(url)];
    expect(one.trials).toHaveLength(14);
    expect(three).toEqual(one);
  });

  it('records the same after a kill -9 storm on two workers as an uninterrupted run', async () => {
    const dir = tempDir('sweep-deterministic-storm-');
    const spec = join(dir, 'spec.yaml');
    writeFileSync(spec, DETERMINISTIC_SPEC('det-storm', 10));
    const clean = join(dir, 'clean.db');
    expect(sweepProcess('run', spec, '--db', clean, '--workers', '1').code).toBe(0);
    const db = join(dir, 'stormed.db');
    const { killed, missed, last } = await killStorm(['run', spec, '--db', db, '--workers', '2'], STORM);
    expect(last.code, last.out).toBe(0);
    // The first five kills come early in a run (its first claims, decisions and epochs), while
    // the sweep has most of its work left; the later ones land only where work is left when they
    // come, which the two workers' interleaving decides: 5 to 7 of the 8 landed over five runs.
    expect(killed, `kills that never came: ${JSON.stringify(missed)}`).toBeGreaterThanOrEqual(5);
    const [expected, after] = [await recorded(clean), await recorded(db)];
    expect(after).toEqual(expected);
  });
});
