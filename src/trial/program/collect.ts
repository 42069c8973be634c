/**
 * Metrics read from a trial program's standard output, with no library in the program (as
 * Katib's StdOut collector reads them). The output is fed as it comes, in chunks split
 * anywhere; each line that adds values yields a report of its step with every value that
 * step has so far, so early stopping can judge a step as soon as its objective arrives.
 *
 * Lines are read as a terminal shows them (output-lines.ts: `\r` redraws, colours dropped,
 * 64 KiB at most), in one of two ways (line-formats.ts):
 * - without a filter: a JSON object (Python's bare NaN and Infinity included), else
 *   name=value pairs (Katib's DefaultFilter, with nan and inf); `step`, `epoch` or
 *   `global_step` on the line marks its step;
 * - with `collect.filter`: only the filter's matches, never the built-in formats (a program
 *   whose output we cannot change prints `a=b` text of other kinds).
 * `collect.step` marks a step on any line it matches, in either way.
 *
 * Step rules:
 * - a marked step holds for the line's values and every line after, until the next marker;
 *   a value given again in that step replaces the earlier one (Keras redraws its `loss`);
 * - the same step marked again goes on with it; a lower one is the program's mistake
 *   (a UserError naming the line);
 * - before any marker, values gather into step 1 until a name comes again, which starts the
 *   next step (2, 3, …), as NNI numbers reports that carry no step (microsoft/nni 10744c0
 *   nni/trial.py, `_intermediate_seq`).
 */
import { UserError } from '../../errors.js';
import { compileCollect, type CollectSpec } from '../../spec/collect.js';
import { readBuiltIn, readFilter, readStepPattern, type Reading } from './line-formats.js';
import { OutputLines, type OutputLine } from './output-lines.js';
import type { Report } from '../steps.js';

export type { CollectSpec } from '../../spec/collect.js';

/** A step's values so far, as of the line that last added to them. */
export type { Report } from '../steps.js';

/** How much of a line an error quotes: enough to find it in the program's log. */
const QUOTED = 200;

export class MetricCollector {
  private readonly lines = new OutputLines();
  private readonly read: (text: string) => Reading;
  /** The step values go to; undefined until a value or a marker comes. */
  private step: number | undefined;
  /** Whether a marker set the step: then a value given again replaces, never starts a step. */
  private marked = false;
  private values = new Map<string, number>();

  /** Contract: throws a UserError where `spec` is not valid (checkCollect's problem, on one line). */
  constructor(spec?: CollectSpec) {
    const { filter, step } = compileCollect(spec);
    this.read = (text) => {
      const reading: Reading = filter === undefined ? readBuiltIn(text) : { values: readFilter(text, filter) };
      const marked = step === undefined ? undefined : readStepPattern(text, step);
      return marked === undefined ? reading : { step: marked, values: reading.values };
    };
  }

  /**
   * The reports the lines that `chunk` finishes yield, in output order. Contract: throws a
   * UserError naming the line (its number and text) where a line marks a step lower than the
   * step before, or a step that is not a whole number of at least 0.
   */
  push(chunk: string | Uint8Array): Report[] {
    return this.collect(this.lines.push(chunk));
  }

  /** The reports of the output's last line, where it ended without a newline. Call once, at the end. */
  end(): Report[] {
    return this.collect(this.lines.end());
  }

  private collect(lines: readonly OutputLine[]): Report[] {
    const reports: Report[] = [];
    for (const line of lines) {
      const report = this.take(line);
      if (report !== undefined) reports.push(report);
    }
    return reports;
  }

  private take(line: OutputLine): Report | undefined {
    const { step, values } = this.read(line.text);
    if (step !== undefined) this.mark(step, line);
    if (values.length === 0) return undefined;
    if (this.step === undefined) {
      this.step = 1;
    } else if (!this.marked && values.some(([name]) => this.values.has(name))) {
      this.step += 1;
      this.values = new Map();
    }
    for (const [name, value] of values) this.values.set(name, value);
    // fromEntries defines own properties, so a metric named __proto__ stays a metric.
    return { step: this.step, values: Object.freeze(Object.fromEntries(this.values)) };
  }

  private mark(step: number, line: OutputLine): void {
    if (!Number.isSafeInteger(step) || step < 0) {
      throw new UserError(`line ${line.number} of the trial's output gives a step that is not a whole number of at least 0: ${quote(line.text)}`);
    }
    if (this.step !== undefined && step < this.step) {
      throw new UserError(`line ${line.number} of the trial's output reports step ${step} after step ${this.step}: ${quote(line.text)}`);
    }
    if (step !== this.step) {
      this.step = step + 0; // -0, from JSON's -0, is step 0
      this.values = new Map();
    }
    this.marked = true;
  }
}

function quote(text: string): string {
  return JSON.stringify(text.length > QUOTED ? `${text.slice(0, QUOTED)}…` : text);
}
