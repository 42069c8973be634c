/**
 * A deterministic sweep on PostgreSQL through a kill -9 storm: two processes sharing the sweep
 * (a run and a `sweep worker`, two trials each) are SIGKILLed again and again at failpoints (in a
 * claim, before a decision, mid-epoch, in a completion), started again each time, and the sweep
 * ends with the same trials, epochs, decisions and weights as one uninterrupted worker on SQLite.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DETERMINISTIC_SPEC, recorded } from '../cli/deterministic-sweep.js';
import { runUntil, STORM } from '../cli/kill-storm.js';
import { sweepProcess } from '../cli/run-cli.js';
import { createTestDb } from '../store/pg-test-db.js';
import { tempDir } from '../temp-dir.js';

// PostgreSQL cannot tell that a process on this host died: its trials wait out their lease. A
// short one, so that recovery takes seconds, yet longer than the 5 s between heartbeats.
const ENV = { SWEEP_LEASE_SECONDS: '6' };

describe('a deterministic sweep on PostgreSQL', () => {
  it('comes out of a kill -9 storm on two processes as one uninterrupted worker on SQLite', async () => {
    const dir = tempDir('sweep-deterministic-pg-storm-');
    const spec = join(dir, 'spec.yaml');
    writeFileSync(spec, DETERMINISTIC_SPEC('det-pg-storm', 12));
    const clean = join(dir, 'clean.db');
    expect(sweepProcess('run', spec, '--db', clean, '--workers', '1').code).toBe(0);
    const { url } = await createTestDb();
    // The sweep is recorded first (a run killed before its first claim), so that the worker can join from the start.
    expect((await runUntil(['run', spec, '--db', url], { at: 'failpoint', name: 'before-claim:1' }, ENV)).signal).toBe('SIGKILL');
    let killed = 0;
    for (const kill of STORM) {
      // Both processes die at a failpoint's moment (each at its own count of it); at a line the
      // run prints, the run does and the worker with it, as a host that went down.
      const down = new AbortController();
      const worker = runUntil(['worker', '--sweep', 'det-pg-storm', '--db', url, '--workers', '2'],
        kill.at === 'failpoint' ? kill : { at: 'abort', signal: down.signal }, ENV);
      const run = await runUntil(['run', spec, '--db', url, '--workers', '2'], kill, ENV);
      down.abort();
      const w = await worker;
      for (const end of [run, w]) {
        if (end.signal === 'SIGKILL') killed++;
        else expect(end.code, end.out).toBe(0);
      }
    }
    expect(killed).toBeGreaterThanOrEqual(8);
    const last = await runUntil(['run', spec, '--db', url, '--workers', '2'], undefined, ENV);
    expect(last.code, last.out).toBe(0);
    expect(await recorded(url)).toEqual(await recorded(clean));
  });
});
