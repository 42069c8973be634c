import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../temp-dir.js';
import { BIN } from './run-cli.js';

const SPEC = `name: crash
seed: 4
data: {validationSplit: 0.2, trainLimit: 1000, testLimit: 200}
grid:
  epochs: [4]
  units: [[16], [32]]
  dropout: [0.0, 0.3]
`;

type Kill =
  | { at: 'failpoint'; name: string }  // SIGKILL from inside, at an exact place (src/failpoint.ts)
  | { at: 'output'; text: string };    // SIGKILL from outside, as soon as `text` is printed

/** Runs `sweep run` until it exits or the kill comes; resolves with how it ended. */
function runOnce(dir: string, kill?: Kill, extra: string[] = []): Promise<{ code: number | null; signal: string | null; out: string }> {
  const env = { ...process.env, CI: '1', ...(kill?.at === 'failpoint' ? { SWEEP_FAILPOINT: kill.name } : {}) };
  const child = spawn(process.execPath, [BIN, 'run', join(dir, 'spec.yaml'), '--db', join(dir, 'runs', 'sweeps.db'), ...extra], { env });
  let out = '';
  const killNow = () => { if (child.exitCode === null) child.kill('SIGKILL'); };
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (kill?.at === 'output' && out.includes(kill.text)) killNow();
  });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  return new Promise((done) => child.on('exit', (code, signal) => done({ code, signal, out })));
}

/** What must be the same after any number of crashes: completed configurations and their metrics. */
function record(dir: string) {
  const db = new Database(join(dir, 'runs', 'sweeps.db'), { readonly: true });
  const result = {
    integrity: db.pragma('integrity_check', { simple: true }),
    trials: db.prepare(`SELECT config_id, status, epochs_done, val_accuracy, test_accuracy, test_loss FROM trials ORDER BY config_id`).all(),
    epochs: db.prepare(`SELECT t.config_id, e.epoch, e.loss, e.accuracy, e.val_loss, e.val_accuracy
                        FROM epochs e JOIN trials t ON t.id = e.trial_id ORDER BY t.config_id, e.epoch`).all(),
    perConfig: db.prepare('SELECT COUNT(*) AS n FROM trials GROUP BY config_id HAVING n > 1').all(),
  };
  db.close();
  return result;
}

const fresh = () => {
  const dir = tempDir('sweep-crash-');
  writeFileSync(join(dir, 'spec.yaml'), SPEC);
  return dir;
};

describe('kill -9 at any moment', () => {
  it('loses at most the epochs in flight: after restarts the database equals an uninterrupted run', async () => {
    const clean = fresh();
    expect((await runOnce(clean, undefined, ['--workers', '1'])).code).toBe(0);
    const expected = record(clean);
    expect(expected.trials).toHaveLength(4);
    expect(expected.epochs).toHaveLength(16);

    const dir = fresh();
    // Each run is killed at the next of these moments; the failpoints' counts are per run.
    const kills: Kill[] = [
      { at: 'failpoint', name: 'before-claim:1' },              // at startup: sweep and trials recorded, none claimed
      { at: 'failpoint', name: 'claim:2' },                     // inside the claim transaction
      { at: 'failpoint', name: 'epoch-write:2' },               // during an epoch's write (its row and its checkpoint)
      // Mid-epoch: trial 2's last epoch, then trial 3's first two are recorded, and the worker
      // is training trial 3's third.
      { at: 'failpoint', name: 'epoch-recorded:3' },
      { at: 'failpoint', name: 'trial-write:1' },               // during a trial's completion write
      { at: 'output', text: 'completed:' },                     // between trials
    ];
    let killed = 0;
    for (const kill of kills) {
      const r = await runOnce(dir, kill, ['--workers', '1']);
      if (process.env.CRASH_DEBUG) console.log(JSON.stringify(kill), r.signal, r.code, r.out.trim().split('\n').slice(-2).join(' / '));
      // Every failpoint is on this run's path, so it must have killed it; the kill from outside
      // may come only after the sweep finished, and then the run ended as normal.
      if (kill.at === 'failpoint') expect(r.signal, `${kill.name} was never reached:\n${r.out}`).toBe('SIGKILL');
      if (r.signal === 'SIGKILL') killed++;
      else expect(r.code).toBe(0);
      expect(record(dir).integrity).toBe('ok');
    }
    expect(killed).toBeGreaterThanOrEqual(6);
    const last = await runOnce(dir, undefined, ['--workers', '1']);
    expect(last.code).toBe(0);
    const after = record(dir);
    expect(after.perConfig).toEqual([]);
    expect(after).toEqual(expected);
  });

  it('two processes share one sweep without training any configuration twice', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'spec.yaml'), SPEC.replace('dropout: [0.0, 0.3]', 'dropout: [0.0, 0.1, 0.2, 0.3]'));
    const [a, b] = await Promise.all([runOnce(dir, undefined, ['--workers', '1']), runOnce(dir, undefined, ['--workers', '1'])]);
    // On a failure, show what each process printed.
    if (a.code !== 0 || b.code !== 0) console.log(`first:\n${a.out.slice(-1500)}\nsecond:\n${b.out.slice(-1500)}`);
    expect([a.code, b.code]).toEqual([0, 0]);
    const db = new Database(join(dir, 'runs', 'sweeps.db'), { readonly: true });
    const rows = db.prepare('SELECT status, attempts, owner FROM trials').all() as { status: string; attempts: number; owner: string }[];
    expect(rows).toHaveLength(8);
    expect(rows.every((r) => r.status === 'completed' && r.attempts === 1)).toBe(true);
    // Both took part.
    expect(new Set(rows.map((r) => r.owner)).size).toBe(2);
    db.close();
  });
});
