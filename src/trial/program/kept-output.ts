/**
 * What is kept of one output stream of a trial's program for its record: the first bytes and the
 * last bytes, with a count of those dropped in between. A program may print without end (a
 * progress bar, a debug loop); the record costs at most `headBytes + tailBytes` (plus one read's
 * chunk) however much it writes, and keeps what a reader of a failed trial wants: how it started
 * and how it ended (the traceback).
 */

/** A stream's kept text and how many of its bytes are not in it. */
export type KeptOutput = {
  /** The kept head and tail, decoded as UTF-8; where bytes were dropped, a marker line stands between them. */
  readonly text: string;
  /** Bytes written but not kept (0 when the whole stream is in `text`). */
  readonly droppedBytes: number;
  /** Bytes the stream carried in all. */
  readonly totalBytes: number;
};

export class KeptBytes {
  private readonly head: Buffer;
  private headLength = 0;
  /** The newest chunks; only the last `tailBytes` of them are kept (the first may start before them). */
  private tail: Buffer[] = [];
  private tailLength = 0;
  private total = 0;

  /** Keeps up to `headBytes` from the start and `tailBytes` from the end. */
  constructor(headBytes: number, private readonly tailBytes: number) {
    this.head = Buffer.alloc(headBytes);
  }

  /** Takes the stream's next bytes (the caller may reuse nothing: `chunk` may be held). */
  push(chunk: Buffer): void {
    this.total += chunk.length;
    const toHead = Math.min(this.head.length - this.headLength, chunk.length);
    if (toHead > 0) {
      chunk.copy(this.head, this.headLength, 0, toHead);
      this.headLength += toHead;
      chunk = chunk.subarray(toHead);
    }
    if (chunk.length === 0 || this.tailBytes === 0) return;
    this.tail.push(chunk);
    this.tailLength += chunk.length;
    // Drop whole chunks once the rest covers the tail: memory stays within tailBytes + one chunk.
    while (this.tail.length > 1 && this.tailLength - this.tail[0].length >= this.tailBytes) {
      this.tailLength -= this.tail.shift()!.length;
    }
  }

  /** The stream so far, as its record keeps it. */
  snapshot(): KeptOutput {
    const head = this.head.subarray(0, this.headLength);
    const whole = Buffer.concat(this.tail, this.tailLength);
    const tail = whole.subarray(Math.max(0, whole.length - this.tailBytes));
    let dropped = this.total - head.length - tail.length;
    if (dropped === 0) return { text: Buffer.concat([head, tail]).toString('utf8'), droppedBytes: 0, totalBytes: this.total };
    // The cut may fall inside a character: its pieces count as dropped rather than decode as U+FFFD.
    const h = head.subarray(0, completeEnd(head));
    const t = tail.subarray(continuationBytes(tail));
    dropped += head.length - h.length + tail.length - t.length;
    const text = `${h.toString('utf8')}\n[sweep: ${dropped} bytes of output not kept]\n${t.toString('utf8')}`;
    return { text, droppedBytes: dropped, totalBytes: this.total };
  }
}

/** Where `b` ends once an incomplete UTF-8 sequence at its end is cut off. */
function completeEnd(b: Buffer): number {
  for (let i = b.length - 1; i >= Math.max(0, b.length - 4); i--) {
    const byte = b[i];
    if ((byte & 0xc0) === 0x80) continue;            // a continuation byte: its lead is further back
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return i + need <= b.length ? b.length : i;
  }
  return b.length;
}

/** How many continuation bytes (the rest of a character cut in two) open `b`, at most 3. */
function continuationBytes(b: Buffer): number {
  let i = 0;
  while (i < 3 && i < b.length && (b[i] & 0xc0) === 0x80) i++;
  return i;
}
