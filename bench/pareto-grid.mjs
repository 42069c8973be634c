// Measures the table bench/pareto.mjs searches (bench/pareto-grid.json): `sweep run
// bench/pareto-grid.yaml` (one worker, so that no trial's seconds are shared with another's),
// then, for each trial and each of epochs 1, 2, 4 and 8, one configuration with the validation
// accuracy after that epoch and its training time: e times the median of the trial's 8 epoch
// times (training and validation). The learning rate is constant and nothing depends on the
// number of epochs planned, so the model after epoch e of an 8-epoch trial is the model of an
// e-epoch trial: 36 trainings give 144 configurations. The median, not the sum of the first e
// epochs, because a shared machine slows some epochs and not others: it keeps the cost of a
// configuration its own. About 15 minutes on two busy cores.
// Usage: npm run build && node bench/pareto-grid.mjs [DB] (DB: read a finished run of the spec instead).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const SPEC = 'bench/pareto-grid.yaml';
const EPOCHS = [1, 2, 4, 8];
const dir = mkdtempSync(join(tmpdir(), 'sweep-pareto-grid-'));
try {
  const db = process.argv[2] ?? join(dir, 'grid.db');
  if (!process.argv[2]) execFileSync(process.execPath, ['dist/cli/main.js', 'run', SPEC, '--db', db, '--no-tui', '--workers', '1'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const d = new Database(db, { readonly: true });
  const trials = d.prepare("SELECT id, config_json, backend FROM trials WHERE status = 'completed' ORDER BY id").all();
  const epochs = d.prepare('SELECT epoch, val_accuracy, seconds FROM epochs WHERE trial_id = ? ORDER BY epoch');
  const rows = [];
  for (const t of trials) {
    const c = JSON.parse(t.config_json);
    const layers = c.model === 'ann' ? c.units : c.filters;
    const all = epochs.all(t.id);
    const times = all.map((e) => e.seconds).sort((a, b) => a - b);
    const epochSeconds = (times[times.length / 2 - 1] + times[times.length / 2]) / 2;
    for (const e of all.filter((x) => EPOCHS.includes(x.epoch))) {
      rows.push({
        model: c.model, width: layers[0], depth: layers.length, dropout: c.dropout, epochs: e.epoch,
        val_accuracy: e.val_accuracy, train_seconds: Number((e.epoch * epochSeconds).toFixed(3)),
      });
    }
  }
  const backend = trials[0].backend;
  d.close();
  if (rows.length !== 144) throw new Error(`expected 144 configurations, measured ${rows.length}`);
  const table = {
    about: `${SPEC} trained by sweep (${backend} backend, 1 worker) on ${cpus()[0].model}, ${cpus().length} cores; `
      + 'each row a configuration: its validation accuracy after `epochs` epochs, and `epochs` times the median epoch time of its trial',
    spec: readFileSync(SPEC, 'utf8'),
    rows,
  };
  // One configuration a line.
  const text = JSON.stringify({ ...table, rows: [] }, null, 1).replace('"rows": []', `"rows": [\n${rows.map((r) => `  ${JSON.stringify(r)}`).join(',\n')}\n ]`);
  writeFileSync('bench/pareto-grid.json', `${text}\n`);
  console.log(`bench/pareto-grid.json: ${rows.length} configurations`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
