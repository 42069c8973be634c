/**
 * A program's output cut into the lines a terminal would leave on screen. A `\r` that is not
 * part of `\r\n` starts its line over, as progress bars redraw (Keras's Progbar writes
 * `\b`*width + `\r` before each update whenever `"posix" in sys.modules`, so on Linux and
 * macOS even into a pipe: keras-team/keras v2.15.0 keras/utils/generic_utils.py and v3.15.1
 * keras/src/utils/progbar.py, `_dynamic_display`): only what stands on a line when its `\n`
 * comes is read, so a redrawn value is never read twice. Colour codes and backspaces are
 * dropped, so a filter is written against what a person sees.
 *
 * No line is held past LINE_LIMIT characters: a program that prints a gigabyte without a
 * newline costs us no more than that.
 */

/** The longest line read, in UTF-16 code units; a longer one is skipped whole (see OutputLines). */
export const LINE_LIMIT = 64 * 1024;

/** A finished line: its number in the output (counting `\n`s, from 1) and its text as shown. */
export type OutputLine = { readonly number: number; readonly text: string };

const BREAK = /[\r\n]/g;
// CSI sequences: SGR colours (Keras 3 bolds its counts, `\x1b[1m`), cursor moves, erases.
const CSI = /\x1b\[[0-?]*[ -/]*[@-~]/g;
const BACKSPACE = /\x08/g;

export class OutputLines {
  private held = '';
  /** The held line outgrew LINE_LIMIT: the rest is dropped until it ends, and it is not read. */
  private cut = false;
  /** A `\r` came: the held text stands unless new text comes before the `\n`. */
  private returned = false;
  private number = 1;
  private ended = false;
  private readonly decoder = new TextDecoder('utf-8');

  /**
   * The lines `chunk` finishes, in order. Chunks come in output order and may split a line
   * anywhere; bytes may split a character (they are decoded as UTF-8, a bad byte as U+FFFD).
   * A line longer than LINE_LIMIT is skipped: a value cut in two must not read as another.
   */
  push(chunk: string | Uint8Array): OutputLine[] {
    if (this.ended) throw new Error('OutputLines.push after end()');
    const text = typeof chunk === 'string' ? this.decoder.decode() + chunk : this.decoder.decode(chunk, { stream: true });
    const lines: OutputLine[] = [];
    let at = 0;
    for (;;) {
      BREAK.lastIndex = at;
      const found = BREAK.exec(text);
      const end = found === null ? text.length : found.index;
      if (end > at) this.take(text, at, end);
      if (found === null) return lines;
      if (found[0] === '\n') {
        const line = this.finish();
        if (line !== undefined) lines.push(line);
      } else {
        this.returned = true;
      }
      at = end + 1;
    }
  }

  /** The last line, where the output ended without a newline. Nothing may be pushed after. */
  end(): OutputLine[] {
    if (this.ended) return [];
    const tail = this.decoder.decode();
    const lines = tail === '' ? [] : this.push(tail);
    this.ended = true;
    if (this.held === '' && !this.cut) return lines;
    const line = this.finish();
    return line === undefined ? lines : [...lines, line];
  }

  private take(text: string, from: number, to: number): void {
    if (this.returned) {
      this.held = '';
      this.cut = false;
      this.returned = false;
    }
    if (this.cut) return;
    const room = LINE_LIMIT - this.held.length;
    if (to - from > room) {
      this.held = '';
      this.cut = true;
    } else {
      this.held += text.slice(from, to);
    }
  }

  private finish(): OutputLine | undefined {
    const line = this.cut ? undefined : { number: this.number, text: this.held.replace(CSI, '').replace(BACKSPACE, '') };
    this.held = '';
    this.cut = false;
    this.returned = false;
    this.number += 1;
    return line;
  }
}
