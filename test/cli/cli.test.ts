import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { BIN, sweep } from './run-cli.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'sweep-cli-'));

const SPEC = `name: cli
seed: 3
data: {validationSplit: 0.2, trainLimit: 800, testLimit: 200}
grid:
  epochs: [2]
  units: [[16]]
  dropout: [0.0, 0.25]
`;

describe('sweep CLI', () => {
  it.each([
    [[], 2, /usage:/],
    [['frobnicate'], 2, /^sweep: unknown command "frobnicate"/],
    [['run'], 2, /^sweep: sweep run: expected SPEC, got none/],
    [['run', 'sweeps/dropout.yaml', '--backend', 'gpu'], 2, /^sweep: sweep run: --backend must be one of auto, node, wasm, cpu, got "gpu"/],
    [['run', 'sweeps/dropout.yaml', '--workers', '0'], 2, /--workers must be an integer from 1 to 256/],
    [['run', 'sweeps/dropout.yaml', '--colour'], 2, /Unknown option '--colour'/],
    [['run', 'sweeps/missing.yaml'], 1, /^sweep: sweeps\/missing\.yaml: cannot read the spec \(no such file\)\n$/],
    [['show', 'x', '--db', '/nonexistent/x.db'], 1, /^sweep: \/nonexistent\/x\.db: no database here yet/],
  ])('sweep %j exits %i with one clear line', (args, code, message) => {
    const r = sweep(...args);
    expect(r.code).toBe(code);
    expect(r.err || r.out).toMatch(message);
  });

  it('rejects an invalid spec before touching the database', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'bad.yaml'), SPEC.replace('0.25]', '1.25]'));
    const r = sweep('run', join(dir, 'bad.yaml'), '--db', join(dir, 'runs', 'sweeps.db'));
    expect(r.code).toBe(1);
    expect(r.err).toBe(`sweep: ${join(dir, 'bad.yaml')}:7:18 grid.dropout[1]: must be in [0, 1)\n`);
    expect(existsSync(join(dir, 'runs'))).toBe(false);
  });

  it('--dry-run lists the configurations and trains nothing', () => {
    const r = sweep('run', '--dry-run', 'sweeps/ann-vs-cnn.yaml', '--db', join(tmp(), 'x.db'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/sweep "ann-vs-cnn", 3 configurations/);
    expect(r.out.split('\n').filter((l) => /^\d+ +[0-9a-f]{16} +(ann|cnn)/.test(l))).toHaveLength(3);
  });

  it('runs a sweep into SQLite, continues it, and shows, lists and reproduces its best', () => {
    const dir = tmp();
    const db = join(dir, 'runs', 'sweeps.db');
    writeFileSync(join(dir, 'cli.yaml'), SPEC);
    const first = sweep('run', join(dir, 'cli.yaml'), '--db', db, '--workers', '2', '--no-tui');
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/epoch 2\/2: loss [\d.]+ acc [\d.]+% val_loss [\d.]+ val_acc [\d.]+%/);
    expect(first.out).toMatch(/sweep cli finished in [\d.]+s: 2 completed, 0 failed/);

    const rows = new Database(db, { readonly: true })
      .prepare(`SELECT dropout, val_accuracy, test_accuracy FROM leaderboard WHERE sweep = 'cli'`).all();
    expect(rows).toHaveLength(2);

    const again = sweep('run', join(dir, 'cli.yaml'), '--db', db);
    expect(again.out).toMatch(/2 configurations, 2 already done, 0 to train/);

    expect(sweep('ls', '--db', db).out).toMatch(/^cli +2 +2 +0 +0 +0 +val_accuracy +\d+\.\d\d/m);
    const shown = sweep('show', 'cli', '--db', db).out.split('\n');
    expect(shown[0]).toMatch(/^rank +trial +status +dropout +val_acc/);
    expect(shown[2]).toMatch(/^ +1 +\d +completed/);
    const json = JSON.parse(sweep('show', 'cli', '--db', db, '--json').out);
    expect(json).toHaveLength(2);
    expect(json[0].epochs).toHaveLength(2);

    // `sweep best` writes a runnable one-configuration spec of the same configuration.
    const best = sweep('best', 'cli', '--db', db);
    expect(best.code).toBe(0);
    writeFileSync(join(dir, 'best.yaml'), best.out);
    const configId = best.out.match(/config ([0-9a-f]{16})/)![1];
    const dry = sweep('run', '--dry-run', join(dir, 'best.yaml'));
    expect(dry.out).toMatch(/1 configurations/);
    expect(dry.out).toContain(configId);
  });

  it('exits 1 with a summary when every trial fails', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'fail.yaml'), SPEC.replace(/grid:[\s\S]*/, 'grid:\n  epochs: [1]\n  model:\n    cnn: {filters: [[2, 2, 2, 2, 2, 2]]}\n'));
    const r = sweep('run', join(dir, 'fail.yaml'), '--db', join(dir, 'x.db'));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAILED: the CNN's conv layer 5 has a 1×1 input: too small to pool/);
    expect(r.out).toMatch(/sweep cli finished in [\d.]+s: 0 completed, 1 failed/);
  });

  it.each([['SIGINT', 130], ['SIGTERM', 143]] as const)('stops gracefully on %s: exit %i, the running trial interrupted, nothing lost', async (signal, exitCode) => {
    const dir = tmp();
    const db = join(dir, 'sweeps.db');
    writeFileSync(join(dir, 'long.yaml'), SPEC.replace('epochs: [2]', 'epochs: [200]'));
    const child = spawn(process.execPath, [BIN, 'run', join(dir, 'long.yaml'), '--db', db, '--workers', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const code = await new Promise<number | null>((done) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (!child.killed && out.includes('epoch 1/200')) child.kill(signal);
      });
      child.on('exit', done);
    });
    expect(code).toBe(exitCode);
    expect(out).toMatch(new RegExp(`${signal}: stopping`));
    const d = new Database(db, { readonly: true });
    expect(d.prepare('SELECT status FROM trials ORDER BY id').pluck().all()).toEqual(['interrupted', 'pending']);
    expect(d.prepare('SELECT COUNT(*) FROM epochs').pluck().get()).toBeGreaterThanOrEqual(1);
    expect(d.pragma('integrity_check', { simple: true })).toBe('ok');
  });
});
