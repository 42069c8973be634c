import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../temp-dir.js';
import { BIN, sweep, sweepProcess } from './run-cli.js';

const tmp = () => tempDir('sweep-cli-');

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
    [[], 2, /^Usage: sweep \[options\] \[command\]/],
    [['frobnicate'], 2, /^sweep: unknown command 'frobnicate'\nsee 'sweep --help'\n$/],
    [['rnu'], 2, /^sweep: unknown command 'rnu' \(did you mean run\?\)\n/],
    [['run'], 2, /^sweep run: missing required argument 'spec'\nsee 'sweep run --help'\n$/],
    [['run', 'sweeps/dropout.yaml', '--backend', 'gpu'], 2, /^sweep run: option '--backend <name>' argument 'gpu' is invalid\. Allowed choices are auto, node, wasm, cpu\./],
    [['run', 'sweeps/dropout.yaml', '--workers', '0'], 2, /^sweep run: option '--workers <n>' argument '0' is invalid\. Expected an integer from 1 to 256\./],
    [['run', 'sweeps/dropout.yaml', '--colour'], 2, /^sweep run: unknown option '--colour'\n/],
    [['run', 'sweeps/dropout.yaml', '--worker', '2'], 2, /^sweep run: unknown option '--worker' \(did you mean --workers\?\)\n/],
    [['ls', 'extra'], 2, /^sweep ls: too many arguments for 'ls'/],
    [['query', 'SELECT 1', '--json', '--csv'], 2, /^sweep query: option '--csv' cannot be used with option '--json'/],
    [['predict', 'sweeps', '--limit', '-3'], 2, /^sweep predict: option '--limit <n>' argument '-3' is invalid/],
    [['export', '1'], 2, /^sweep export: required option '--out <dir>' not specified/],
    [['completion', 'fish'], 2, /^sweep completion: command-argument value 'fish' is invalid for argument 'shell'\. Allowed choices are bash, zsh\./],
    [['run', 'sweeps/missing.yaml'], 1, /^sweep: sweeps\/missing\.yaml: cannot read the spec \(no such file\)\n$/],
    [['show', 'x', '--db', '/nonexistent/x.db'], 1, /^sweep: \/nonexistent\/x\.db: no database here yet/],
  ])('sweep %j exits %i with one clear line', async (args, code, message) => {
    const r = await sweep(...args);
    expect(r.code).toBe(code);
    expect(r.err).toMatch(message);
  });

  it.each([
    ['run', [/^Usage: sweep run \[options\] <spec>$/m, /--db <path> +the SQLite file, or postgres:\/\/USER@HOST:PORT\/DB \(default:\s+"runs\/sweeps\.db", env: SWEEP_DB\)/, /--backend <name> +the TensorFlow\.js backend \(choices: "auto", "node", "wasm",\s+"cpu", default: "auto"\)/, /--max-trials <n> +the largest grid accepted \(default: 10000\)/, /^Example:\n {2}\$ sweep run sweeps\/dropout\.yaml/m]],
    ['query', [/^Usage: sweep query \[options\] \[sql\]$/m, /--csv +print RFC 4180 CSV/, /--schema/, /^Example:\n {2}\$ sweep query "SELECT/m]],
    ['show', [/^Usage: sweep show \[options\] <sweep>$/m, /--json +print JSON instead of a table/]],
  ] as const)('`sweep %s --help` exits 0 with its options, their defaults and an example', async (command, patterns) => {
    const viaFlag = await sweep(command, '--help');
    expect(viaFlag.code).toBe(0);
    expect(viaFlag.err).toBe('');
    for (const p of patterns) expect(viaFlag.out).toMatch(p);
    // `sweep help COMMAND` is the same page.
    expect((await sweep('help', command)).out).toBe(viaFlag.out);
  });

  it('`sweep --help` lists every command; the binary prints the package version', async () => {
    const help = await sweep('--help');
    expect(help.code).toBe(0);
    for (const c of ['run', 'ls', 'show', 'best', 'watch', 'query', 'repro', 'export', 'predict', 'completion']) {
      expect(help.out).toMatch(new RegExp(`^  ${c} `, 'm'));
    }
    // The real binary, once: its shebang, its package.json, its exit code.
    const version = sweepProcess('--version');
    expect(version).toEqual({ code: 0, out: `${JSON.parse(readFileSync('package.json', 'utf8')).version}\n`, err: '' });
  });

  it('the bash completion completes commands, options and choices from the declarations', async () => {
    const script = (await sweep('completion', 'bash')).out;
    const complete = (...words: string[]) => spawnSync('bash', ['-c',
      `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _sweep; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ], { encoding: 'utf8' }).stdout.trim().split('\n');
    expect(complete('sweep', 'r')).toEqual(['run', 'repro', 'report']);
    expect(complete('sweep', 'run', '--ba')).toEqual(['--backend']);
    expect(complete('sweep', 'run', '--backend', '')).toEqual(['auto', 'node', 'wasm', 'cpu']);
    expect(complete('sweep', 'query', '--')).toEqual(['--db', '--json', '--csv', '--schema', '--help']);
    expect(complete('sweep', 'completion', '')).toEqual(['bash', 'zsh']);
  });

  it('the zsh completion is valid zsh naming every command and option', async () => {
    const script = (await sweep('completion', 'zsh')).out;
    expect(script.startsWith('#compdef sweep\n')).toBe(true);
    for (const word of ['run:train every configuration', "'--max-trials[the largest grid accepted]:n: '", ':name:(auto node wasm cpu)', "'1:spec:_files'"]) {
      expect(script).toContain(word);
    }
    const zsh = spawnSync('zsh', ['-n'], { input: script, encoding: 'utf8' });
    // zsh is installed by .ci/run; on a machine without it only the text is checked.
    if (zsh.error) return;
    expect(zsh.stderr).toBe('');
    expect(zsh.status).toBe(0);
  });

  it('rejects an invalid spec before touching the database', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'bad.yaml'), SPEC.replace('0.25]', '1.25]'));
    const r = await sweep('run', join(dir, 'bad.yaml'), '--db', join(dir, 'runs', 'sweeps.db'));
    expect(r.code).toBe(1);
    expect(r.err).toBe(`sweep: ${join(dir, 'bad.yaml')}:7:18 grid.dropout[1]: must be in [0, 1)\n`);
    expect(existsSync(join(dir, 'runs'))).toBe(false);
  });

  it('--dry-run lists the configurations and trains nothing', async () => {
    const r = await sweep('run', '--dry-run', 'sweeps/ann-vs-cnn.yaml', '--db', join(tmp(), 'x.db'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/sweep "ann-vs-cnn", 3 configurations/);
    expect(r.out.split('\n').filter((l) => /^\d+ +[0-9a-f]{16} +(ann|cnn)/.test(l))).toHaveLength(3);
  });

  // Without `program:`: a W&B file of sweep's own hyperparameters (with one, it sweeps that program: test/cli/program.test.ts).
  it('takes a W&B sweep file: says once which of its keys it ignores, and trains it with early stopping', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'wandb.yaml'), `project: fashion
entity: me
name: wb
method: random
run_cap: 3
metric: {name: val_accuracy, goal: maximize}
data: {validationSplit: 0.2, trainLimit: 300, testLimit: 100}
parameters:
  epochs: {value: 3}
  units: {values: [4, 8]}
  learning_rate: {distribution: log_uniform_values, min: 0.0001, max: 0.1}
early_terminate: {type: hyperband, min_iter: 1, eta: 2}
`);
    const r = await sweep('run', join(dir, 'wandb.yaml'), '--db', join(dir, 'w.db'), '--workers', '1');
    expect(r.code).toBe(0);
    expect(r.err.match(/W&B keys project, entity ignored/g)).toHaveLength(1);
    expect(r.out).toMatch(/sweep wb: 3 configurations/);
    const shown = await sweep('query', '--db', join(dir, 'w.db'), 'SELECT COUNT(DISTINCT scheduler) AS n, MIN(scheduler) AS s FROM decisions');
    expect(shown.out).toMatch(/\b1 +wandb-hyperband\b/);
  });

  it('runs a sweep into SQLite, continues it, and shows, lists and reproduces its best', async () => {
    const dir = tmp();
    const db = join(dir, 'runs', 'sweeps.db');
    writeFileSync(join(dir, 'cli.yaml'), SPEC);
    const first = await sweep('run', join(dir, 'cli.yaml'), '--db', db, '--workers', '2', '--no-tui');
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/epoch 2\/2: loss [\d.]+ acc [\d.]+% val_loss [\d.]+ val_acc [\d.]+%/);
    expect(first.out).toMatch(/sweep cli finished in [\d.]+s: 2 completed, 0 failed/);

    const d = new Database(db, { readonly: true });
    const rows = d.prepare(`SELECT dropout, val_accuracy, test_accuracy FROM leaderboard WHERE sweep = 'cli'`).all();
    expect(rows).toHaveLength(2);
    // Each trial's latency, measured in its worker after it trained, and its row in trial_metrics.
    const latencies = d.prepare(`SELECT t.latency_ms AS trial, m.value AS metric FROM trials t
      JOIN trial_metrics m ON m.trial_id = t.id AND m.name = 'latency_ms' AND m.step = t.epochs_done`).all() as { trial: number; metric: number }[];
    d.close();
    expect(latencies).toHaveLength(2);
    for (const l of latencies) expect(l.metric === l.trial && l.trial > 0 && l.trial < 100).toBe(true);

    const again = await sweep('run', join(dir, 'cli.yaml'), '--db', db);
    expect(again.out).toMatch(/2 configurations, 2 already done, 0 to train/);

    expect((await sweep('ls', '--db', db)).out).toMatch(/^cli +2 +2 +0 +0 +0 +0 +val_accuracy +\d+\.\d\d%/m);
    const listed = JSON.parse((await sweep('ls', '--db', db, '--json')).out);
    expect(listed).toMatchObject([{ name: 'cli', total: 2, completed: 2, metric: 'val_accuracy' }]);
    const shown = (await sweep('show', 'cli', '--db', db)).out.split('\n');
    expect(shown[0]).toMatch(/^rank +trial +status +dropout +val_acc +val_loss +test_acc +latency +epochs/);
    expect(shown[2]).toMatch(/^ +1 +\d +completed .* \d+(\.\d+)?ms +2\/2 /);
    const json = JSON.parse((await sweep('show', 'cli', '--db', db, '--json')).out);
    expect(json).toHaveLength(2);
    expect(json[0].epochs).toHaveLength(2);

    // `sweep best` writes a runnable one-configuration spec of the same configuration.
    const best = await sweep('best', 'cli', '--db', db);
    expect(best.code).toBe(0);
    writeFileSync(join(dir, 'best.yaml'), best.out);
    const configId = best.out.match(/config ([0-9a-f]{16})/)![1];
    const dry = await sweep('run', '--dry-run', join(dir, 'best.yaml'));
    expect(dry.out).toMatch(/1 configurations/);
    expect(dry.out).toContain(configId);
    // --json: the same trial, with the spec that retrains it.
    const bestJson = JSON.parse((await sweep('best', 'cli', '--db', db, '--json')).out);
    expect(bestJson).toMatchObject({ sweep: 'cli', configId, valAccuracy: json[0].valAccuracy, spec: { name: 'cli-best' } });
  });

  it('exits 1 with a summary when every trial fails', async () => {
    const dir = tmp();
    // A dense layer past any typed array: refused by the worker at once, as out of memory.
    writeFileSync(join(dir, 'fail.yaml'), SPEC.replace(/grid:[\s\S]*/, 'grid:\n  epochs: [1]\n  model:\n    cnn: {filters: [[1024]], pooling: [none], units: [[65536]]}\n'));
    const r = await sweep('run', join(dir, 'fail.yaml'), '--db', join(dir, 'x.db'));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAILED: out of memory: /);
    expect(r.out).toMatch(/sweep cli finished in [\d.]+s: 0 completed, 1 failed/);
  });

  it('refuses a CNN that pools the images away before training, in one line, with nothing recorded', async () => {
    // (It was a failed trial per configuration; runSweep, which does not check, still records one so.)
    const dir = tmp();
    writeFileSync(join(dir, 'fail.yaml'), SPEC.replace(/grid:[\s\S]*/, 'grid:\n  epochs: [1]\n  model:\n    cnn: {filters: [[2, 2, 2, 2, 2, 2]]}\n'));
    const r = await sweep('run', join(dir, 'fail.yaml'), '--db', join(dir, 'x.db'));
    expect(r.code).toBe(1);
    expect(r.err).toBe(`sweep: ${join(dir, 'fail.yaml')}: filters [2, 2, 2, 2, 2, 2] with pooling max do not fit the 28×28 images of Fashion-MNIST: the CNN's conv block 5 has a 1×1 input: too small to pool; use fewer conv layers or pooling: none\n`);
    expect(r.out).toBe('');
    expect(existsSync(join(dir, 'x.db'))).toBe(false);
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

  it('a val_loss sweep logs its best as the lowest loss, never as a negative number', async () => {
    const dir = tmp();
    const db = join(dir, 'loss.db');
    writeFileSync(join(dir, 'loss.yaml'), SPEC.replace('seed: 3', 'seed: 3\nmetric: val_loss'));
    const r = await sweep('run', join(dir, 'loss.yaml'), '--db', db, '--workers', '1');
    expect(r.code).toBe(0);
    const logged = [...r.out.matchAll(/best: trial (\d+) val_loss (\S+)$/gm)].map((m) => ({ trial: Number(m[1]), value: m[2] }));
    expect(logged).toHaveLength(2);
    const losses = new Database(db, { readonly: true }).prepare('SELECT id, val_loss FROM trials ORDER BY id').all() as { id: number; val_loss: number }[];
    const lowest = losses.reduce((a, b) => (b.val_loss < a.val_loss ? b : a));
    // After the last trial the running best is the lowest loss of all, printed as the loss itself.
    expect(logged[1]).toEqual({ trial: lowest.id, value: lowest.val_loss.toFixed(4) });
    expect(logged.every((l) => !l.value.startsWith('-'))).toBe(true);
  });

  it('stops as q does when its stdout is closed (`sweep run SPEC | head -3`): exit 0, the running trial interrupted', () => {
    const dir = tmp();
    const db = join(dir, 'pipe.db');
    writeFileSync(join(dir, 'long.yaml'), SPEC.replace('epochs: [2]', 'epochs: [200]'));
    // head leaves after three lines; the next epoch's line finds the pipe closed.
    const r = spawnSync('bash', ['-c', `"$0" "${BIN}" run "${join(dir, 'long.yaml')}" --db "${db}" --workers 1 | head -3 >/dev/null; echo "\${PIPESTATUS[0]}"`, process.execPath],
      { encoding: 'utf8', env: { ...process.env, CI: '1' } });
    expect(r.stdout.trim()).toBe('0');
    expect(r.stderr).toMatch(/^stdout closed: stopping; running trials are interrupted/m);
    expect(r.stderr).not.toMatch(/EPIPE|internal error/);
    const d = new Database(db, { readonly: true });
    expect(d.prepare('SELECT status FROM trials ORDER BY id').pluck().all()).toEqual(['interrupted', 'pending']);
  });
});
