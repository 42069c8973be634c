/**
 * Talk to sweep from a trial program in Node (20 or later), with nothing installed. Copy this
 * file next to your script, or import it by path:
 *
 *   import { params, report, shouldStop, trialDir } from './report.mjs';
 *
 *   const p = params();                       // this trial's hyperparameters
 *   for (let epoch = 1; epoch <= (p.epochs ?? 10); epoch++) {
 *     const { loss, acc } = await trainOneEpoch(p.lr);
 *     report(epoch, { loss, val_accuracy: acc });
 *     if (shouldStop()) { await saveCheckpoint(trialDir()); break; }
 *   }
 *
 * sweep reads reports from standard output: one JSON line each, which any program may print
 * itself (`{"step": 3, "loss": 0.25}`).
 *
 * Importing this module listens for SIGTERM (sweep stops a trial with SIGTERM), and only
 * notes the request: shouldStop() turns true and the program ends itself. A program that
 * never asks goes on until sweep's grace ends and it is killed. Node hears a signal only
 * between tasks, so a loop must await (an epoch of tfjs's fit does) for shouldStop() to see
 * it; the stop file is seen at once.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The names sweep reads as the step, never as a metric (src/trial/program/line-formats.ts). */
const STEP_NAMES = ['step', 'epoch', 'global_step'];

let stopAsked = false;

/**
 * Print one report: `step` (a whole number from 0, growing) and `metrics`, an object of
 * numbers, as report(3, { loss: 0.25 }). NaN and the infinities are printed the way sweep
 * reads them (JSON.stringify would print null). Resolves once the line is written: on POSIX
 * Node writes to a pipe asynchronously, so a program that ends with process.exit() awaits its
 * last report first (or ends by returning, which lets the write finish).
 */
export function report(step, metrics = {}) {
  if (!Number.isSafeInteger(step) || step < 0) throw new TypeError(`report: the step must be a whole number of at least 0, not ${String(step)}`);
  if (typeof metrics !== 'object' || metrics === null) throw new TypeError('report: metrics must be an object of numbers');
  const members = [`"step": ${step}`];
  for (const [name, value] of Object.entries(metrics)) {
    if (name === '') throw new TypeError('report: a metric\'s name must not be empty');
    if (STEP_NAMES.includes(name)) throw new TypeError(`report: "${name}" would be read as the step; give the step first, and name the metric otherwise`);
    if (typeof value !== 'number') throw new TypeError(`report: metric "${name}" must be a number, not ${JSON.stringify(value) ?? String(value)}`);
    members.push(`${JSON.stringify(name)}: ${numberText(value)}`);
  }
  return new Promise((resolve) => {
    // A failed write is process.stdout's 'error', as for console.log: not a second error here.
    process.stdout.write(`{${members.join(', ')}}\n`, () => resolve());
  });
}

/** A number as Python's json writes it: NaN, Infinity and -Infinity bare, which sweep reads. */
function numberText(value) {
  if (Number.isFinite(value)) return JSON.stringify(value);
  return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
}

/**
 * This trial's parameters: the JSON object in the file that SWEEP_PARAMS_FILE names, or {}
 * when it names none (the program run by hand). A fresh object at each call.
 */
export function params() {
  const path = process.env.SWEEP_PARAMS_FILE;
  if (!path) return {};
  const loaded = JSON.parse(readFileSync(path, 'utf8'));
  if (typeof loaded !== 'object' || loaded === null || Array.isArray(loaded)) throw new TypeError(`${path}: the trial's parameters must be a JSON object`);
  return loaded;
}

/**
 * True once sweep has asked this trial to stop: it sent SIGTERM, or a file `stop` stands in
 * the trial's folder (SWEEP_TRIAL_DIR). The program decides what to do: save, report, return.
 */
export function shouldStop() {
  if (stopAsked) return true;
  const folder = process.env.SWEEP_TRIAL_DIR;
  return Boolean(folder) && existsSync(join(folder, 'stop'));
}

/** The trial's own folder, kept across its runs (for checkpoints): SWEEP_TRIAL_DIR, or the current directory. */
export function trialDir() {
  return process.env.SWEEP_TRIAL_DIR || process.cwd();
}

// A listener of its own, so Node no longer ends the process on SIGTERM; it keeps no
// program alive (signal handles are unreferenced).
process.on('SIGTERM', () => {
  stopAsked = true;
});
