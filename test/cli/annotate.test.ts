import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDb } from '../store/pg-test-db.js';
import { tempDir } from '../temp-dir.js';
import { countingGit, GIT } from '../counting-git.js';
import { BIN, rows, sweep } from './run-cli.js';

const git = (cwd: string, ...args: string[]) => spawnSync(GIT, args, { cwd, encoding: 'utf8' }).stdout.trim();

const SPEC = `name: tiny
seed: 3
data: {validationSplit: 0.2, trainLimit: 600, testLimit: 200}
grid:
  epochs: [1]
  units: [[16]]
  dropout: [0.0, 0.2]
`;

/** A spec committed in a git repository of its own, and a database beside it. */
function repository(): { dir: string; spec: string; db: string } {
  const dir = tempDir('sweep-annotate-');
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.email', 't@example.com');
  git(dir, 'config', 'user.name', 't');
  writeFileSync(join(dir, 'tiny.yaml'), SPEC);
  git(dir, 'add', 'tiny.yaml');
  git(dir, 'commit', '-q', '-m', 'spec');
  return { dir, spec: join(dir, 'tiny.yaml'), db: join(dir, 'runs', 'sweeps.db') };
}

describe('sweep tag and sweep note', () => {
  const { spec, db } = repository();
  beforeAll(async () => {
    expect((await sweep('run', spec, '--db', db)).code).toBe(0);
  });

  it('tag a trial by id, or a sweep\'s best by its name, as repro and export take it; list and remove its tags', async () => {
    const t = await sweep('tag', '2', 'wide', 'baseline', '--db', db);
    expect(t).toMatchObject({ code: 0, out: 'trial 2 of sweep tiny: tagged wide, baseline\n' });
    expect((await sweep('tag', '2', 'baseline', 'x1', '--db', db)).out).toBe('trial 2 of sweep tiny: tagged x1 (already: baseline)\n');
    const [best] = rows<{ trial_id: number }>(db, "SELECT trial_id FROM leaderboard WHERE sweep = 'tiny' AND rank = 1");
    expect((await sweep('tag', 'tiny', 'best', '--db', db)).out).toBe(`trial ${best.trial_id} of sweep tiny: tagged best\n`);
    // Oldest first; those tagged at once by name.
    expect((await sweep('tag', '2', '--db', db)).out).toBe('trial 2 of sweep tiny: baseline, wide, x1\n');
    expect((await sweep('tag', '2', '--remove', 'x1', '--db', db)).out).toBe('trial 2 of sweep tiny: removed x1\n');
    // A name it never had: nothing is removed, and the line says what it has.
    const typo = await sweep('tag', '2', '--remove', 'wide', 'basline', '--db', db);
    expect(typo).toMatchObject({ code: 1, err: 'sweep: trial 2 of sweep tiny has no tag "basline" (its tags: baseline, wide)\n' });
    expect(rows(db, "SELECT tag FROM trial_tags WHERE sweep = 'tiny' AND trial_id = 2 ORDER BY tag")).toEqual([{ tag: 'baseline' }, { tag: 'wide' }]);
  });

  it('note a sweep or a trial; list, and clear, one target\'s notes', async () => {
    expect((await sweep('note', 'tiny', 'tried wider layers', '--db', db)).out).toBe('sweep tiny: noted\n');
    expect((await sweep('note', '1', 'the first\nof two', '--db', db)).out).toBe('trial 1 of sweep tiny: noted\n');
    expect((await sweep('note', 'tiny', '--db', db)).out).toMatch(/^note \d{4}-\d\d-\d\d \d\d:\d\d: tried wider layers\n$/);
    expect((await sweep('note', '1', '--db', db)).out).toMatch(/^note .+ on trial 1: the first ⏎ of two\n$/);
    expect(rows(db, "SELECT trial_id, text FROM sweep_notes WHERE sweep = 'tiny' ORDER BY trial_id")).toEqual([
      { trial_id: null, text: 'tried wider layers' }, { trial_id: 1, text: 'the first\nof two' },
    ]);
    await sweep('note', 'tiny', 'then narrower', '--db', db);
    expect((await sweep('note', 'tiny', '--clear', '--db', db)).out).toBe('sweep tiny: removed 2 notes\n');
    expect((await sweep('note', 'tiny', '--db', db)).out).toBe('sweep tiny has no notes\n');
    expect(rows(db, 'SELECT COUNT(*) AS n FROM notes')).toEqual([{ n: 1 }]);
  });

  it('sweep show lists the tags in a column, the notes, and where the results were recorded', async () => {
    await sweep('note', 'tiny', 'a sweep note', '--db', db);
    const shown = (await sweep('show', 'tiny', '--db', db)).out;
    expect(shown).toMatch(/ tags\n/);
    expect(shown).toMatch(/ baseline, wide\n/);
    expect(shown).toMatch(/note .+: a sweep note\n/);
    expect(shown).toMatch(/note .+ on trial 1: the first ⏎ of two\n/);
    expect(shown).toMatch(/recorded by its last run:\n {2}sweep \d+\.\d+\.\d+.*, Node v\d+.*, TensorFlow\.js 4\.22\.0\n {2}CPU .+; kernels (native-avx512|native-avx2|wasm), fused multiply-adds (on|off)\n {2}spec's repository: [0-9a-f]{12} \(clean, 1 untracked\)\n {2}dataset SHA-256: train-images-idx3-ubyte\.gz c59f468a2f67/);
    const json = JSON.parse((await sweep('show', 'tiny', '--json', '--db', db)).out) as { id: number; tags: string[]; notes: { text: string }[] }[];
    expect(json.find((t) => t.id === 2)!.tags).toEqual(['baseline', 'wide']);
    expect(json.find((t) => t.id === 1)!.notes.map((n) => n.text)).toEqual(['the first\nof two']);
  });

  it.each([
    [['tag', '99', 'x'], 1, /^sweep: no trial 99 in /],
    [['tag', 'nope', 'x'], 1, /^sweep: no sweep named "nope" in .+ \(there are: tiny\)$/],
    [['tag', '1', 'has space'], 2, /^sweep tag: tag "has space": a tag is 1 to 64 letters/],
    [['tag', '1', '--remove'], 2, /^sweep tag: --remove needs the tags to take off$/],
    [['note', '99', 'x'], 1, /^sweep: no trial 99 in .+ \(a sweep is named by its name\)$/],
    [['note', 'tiny', ''], 2, /^sweep note: the note is empty/],
    [['note', 'tiny', 'x', '--clear'], 2, /^sweep note: --clear takes no text/],
  ])('a user error is one line and a non-zero exit: sweep %j', async (args, code, line) => {
    const r = await sweep(...args, '--db', db);
    expect(r.code).toBe(code);
    expect(r.err.split('\n')[0]).toMatch(line);
  });

  it('never creates a database that is not there', async () => {
    const missing = join(tempDir('sweep-annotate-none-'), 'none.db');
    const r = await sweep('tag', '1', 'x', '--db', missing);
    expect(r).toMatchObject({ code: 1, err: `sweep: ${missing}: no database here yet (run \`sweep run SPEC\` first, or pass --db)\n` });
    expect(existsSync(missing)).toBe(false);
  });

  it('tags and notes a sweep on PostgreSQL alike', async () => {
    const { url } = await createTestDb();
    expect((await sweep('copy', '--from', db, '--to', url)).code).toBe(0);
    expect((await sweep('tag', 'tiny', 'pg', '--db', url)).code).toBe(0);
    expect((await sweep('note', 'tiny', 'on the server', '--db', url)).code).toBe(0);
    const shown = (await sweep('show', 'tiny', '--db', url)).out;
    expect(shown).toMatch(/ pg\n|, pg\n/);
    expect(shown).toMatch(/: on the server\n/);
    // `sweep copy` carried the tags and notes the file had.
    expect(shown).toMatch(/baseline, wide/);
    expect(shown).toMatch(/: a sweep note\n/);
  });
});

describe('where a result came from', () => {
  const run = (args: readonly string[], path: string) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, CI: '1', PATH: path } });

  it('`sweep run` starts one git for a clean spec\'s repository, two for a dirty one, none outside one', () => {
    const { dir, spec, db } = repository();
    writeFileSync(join(dir, '.gitignore'), 'runs/\n');
    git(dir, 'add', '.gitignore');
    git(dir, 'commit', '-q', '-m', 'ignore runs');
    const clean = countingGit();
    expect(run(['run', spec, '--db', db, '--dry-run'], clean.path).status).toBe(0);
    // A dry run records nothing: it asks nothing.
    expect(clean.starts()).toEqual([]);
    expect(run(['run', spec, '--db', db], clean.path).status).toBe(0);
    expect(clean.starts()).toHaveLength(1);
    const [cleanEnv] = rows<{ env_json: string }>(db, 'SELECT env_json FROM sweeps');
    expect(JSON.parse(cleanEnv.env_json).specGit).toEqual({ commit: git(dir, 'rev-parse', 'HEAD'), dirty: false, diffSha256: null, untracked: 0 });

    writeFileSync(spec, SPEC.replace('[0.0, 0.2]', '[0.0, 0.2, 0.4]'));
    const dirty = countingGit();
    expect(run(['run', spec, '--db', db], dirty.path).status).toBe(0);
    expect(dirty.starts()).toHaveLength(2);
    const [trial] = rows<{ env_json: string }>(db, "SELECT env_json FROM trials WHERE dropout = 0.4 AND status = 'completed'");
    expect(JSON.parse(trial.env_json).specGit).toMatchObject({ dirty: true, diffSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });

    const outside = tempDir('sweep-nogit-');
    writeFileSync(join(outside, 'tiny.yaml'), SPEC);
    const none = countingGit();
    expect(run(['run', join(outside, 'tiny.yaml'), '--db', join(outside, 's.db')], none.path).status).toBe(0);
    expect(none.starts()).toEqual([]);
  });

  it('a sweep runs where git is missing, and records no repository', () => {
    const { spec, db } = repository();
    const bin = tempDir('sweep-no-git-');
    // Only node itself on the PATH.
    const r = spawnSync(process.execPath, [BIN, 'run', spec, '--db', db], { encoding: 'utf8', env: { ...process.env, CI: '1', PATH: bin } });
    expect(r.status).toBe(0);
    const [s] = rows<{ env_json: string }>(db, 'SELECT env_json FROM sweeps');
    expect(JSON.parse(s.env_json).specGit).toBeNull();
  });
});
