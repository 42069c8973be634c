import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../temp-dir.js';
import { BIN } from './run-cli.js';

// The real CLI in a real terminal: tmux gives it a TTY, keys and a screen to read.
const SOCKET = `sweep-test-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const screen = (pane: string) => tmux('capture-pane', '-p', '-t', pane);
// Removed after the file's tests, once afterAll below (registered later, so run first) has ended tmux.
const dir = tempDir('sweep-tui-');
const db = join(dir, 'sweeps.db');

async function waitFor(what: () => boolean, label: string, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!what()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Runs a command in a new tmux window of the test's session, recording its exit code. */
function start(window: string, args: string, exitFile: string) {
  // CI is set in CI runs, and `sweep` rightly falls back to the line log there: unset it for this terminal.
  // After the exit code, the window stays open (its last screen readable) until afterAll ends tmux.
  const cmd = `cd ${process.cwd()} && env -u CI ${process.execPath} ${BIN} ${args}; echo $? > ${exitFile}.part && mv ${exitFile}.part ${exitFile}; exec tail -f /dev/null`;
  if (window === 'run') tmux('new-session', '-d', '-s', 'sweep', '-n', window, '-x', '110', '-y', '40', cmd);
  else tmux('new-window', '-t', 'sweep', '-n', window, cmd);
}

afterAll(() => {
  try { tmux('kill-server'); } catch { /* already gone */ }
});

describe('sweep run in a terminal', () => {
  it('shows the live screen, stops on q with exit 0, resumes, and `watch` shows the same leaderboard', async () => {
    const spec = join(dir, 'tui.yaml');
    writeFileSync(spec, `name: tuitest
seed: 1
data: {validationSplit: 0.1, trainLimit: 1500, testLimit: 300}
grid:
  epochs: [12]
  units: [[16], [32]]
  dropout: [0.0, 0.2, 0.4]
`);
    start('run', `run ${spec} --db ${db} --workers 2`, join(dir, 'run.exit'));
    await waitFor(() => /^ +1 +\d+ +\d+ +0(\.\d)? +\d+\.\d\d%/m.test(screen('sweep:run')), 'a ranked trial on the live leaderboard');
    const live = screen('sweep:run');
    expect(live).toMatch(/^sweep tuitest  ·  spec .*tui\.yaml  ·  backend wasm  ·  workers 2  ·  db \//m);
    expect(live).toMatch(/\d+\/6 trials +\(\d+ completed, 0 failed, \d+ running, \d+ pending\)/);
    // (Throughput shows "-" in the instant when every running trial is still before its first epoch.)
    expect(live).toMatch(/elapsed \d+s +· +ETA (\d+(m\d\ds|s)|-) +· +(-|[\d,]+) samples\/s/);
    expect(live).toMatch(/^Running\n +trial \d+ +units=\d+ dropout=[\d.]+ +epoch \d+\/12/m);
    expect(live).toMatch(/^#▼ +trial +units +dropout +val_acc +test_acc +epochs +time +val_acc by epoch/m);

    // A second terminal watches the same sweep from the database, read-only.
    start('watch', `watch tuitest --db ${db}`, join(dir, 'watch.exit'));
    await waitFor(() => /^watching tuitest/m.test(screen('sweep:watch')) && /^ +1 +\d+/m.test(screen('sweep:watch')), 'the watch screen');
    expect(screen('sweep:watch')).toMatch(/^#▼ +trial +units +dropout +val_acc/m);

    tmux('send-keys', '-t', 'sweep:run', 'q');
    await waitFor(() => existsSync(join(dir, 'run.exit')), 'sweep run to exit');
    expect(readFileSync(join(dir, 'run.exit'), 'utf8').trim()).toBe('0');
    const final = screen('sweep:run');
    expect(final).toMatch(/sweep tuitest (stopped|finished) after \d+s: \d+ completed, 0 failed/);
    expect(final).toMatch(/reproduce: sweep best tuitest > best\.yaml && sweep run best\.yaml/);
    const d = new Database(db, { readonly: true });
    const statuses = d.prepare('SELECT status FROM trials').pluck().all() as string[];
    expect(statuses).not.toContain('running');
    const completed = statuses.filter((s) => s === 'completed').length;
    expect(completed).toBeGreaterThanOrEqual(1);

    // The watcher sees the stopped sweep, never wrote, and leaves on q.
    tmux('send-keys', '-t', 'sweep:watch', 'q');
    await waitFor(() => existsSync(join(dir, 'watch.exit')), 'sweep watch to exit');
    expect(readFileSync(join(dir, 'watch.exit'), 'utf8').trim()).toBe('0');

    // Running the spec again picks up where it stopped.
    start('again', `run ${spec} --db ${db} --workers 2`, join(dir, 'again.exit'));
    await waitFor(() => existsSync(join(dir, 'again.exit')), 'the second run to finish', 120_000);
    expect(readFileSync(join(dir, 'again.exit'), 'utf8').trim()).toBe('0');
    expect(screen('sweep:again')).toMatch(new RegExp(`sweep tuitest finished after \\d+s: ${6 - completed} completed, 0 failed, 0 interrupted, ${completed} done before`));
    expect(d.prepare(`SELECT COUNT(*) FROM trials WHERE status = 'completed'`).pluck().get()).toBe(6);
    d.close();
  });
});
