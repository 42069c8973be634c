import { UserError } from '../errors.js';

/** IDX data type byte for unsigned bytes, the only kind the MNIST family uses. */
const UBYTE = 0x08;

export interface IdxArray {
  /** Size of each dimension, outermost first (e.g. [60000, 28, 28]). */
  dims: number[];
  /** The payload in row-major order; a view into the input, not a copy. */
  data: Uint8Array;
}

export interface IdxExpect {
  rank: number;
  /** Expected size of each dimension; a negative entry accepts any size (e.g. [-1, 28, 28]). */
  dims?: number[];
}

function hex32(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}

function shape(dims: readonly number[]): string {
  return dims.map((d) => (d < 0 ? 'N' : String(d))).join('x');
}

/**
 * Parses an IDX file of unsigned bytes (magic 0x000008RR, RR = rank).
 * `file` only names the file in errors; every defect is a UserError because the bytes come from disk or the network.
 */
export function parseIdx(bytes: Uint8Array, file: string, expect?: IdxExpect): IdxArray {
  const fail = (cause: string): never => {
    throw new UserError(`${file}: ${cause}`);
  };
  if (bytes.length < 4) fail(`truncated IDX file: expected at least 4 bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const rank = magic & 0xff;
  if (magic >>> 8 !== UBYTE || rank === 0) {
    const wanted = expect ? hex32((UBYTE << 8) | expect.rank) : '0x000008RR';
    fail(`bad magic number ${hex32(magic)}: not an IDX file of unsigned bytes (expected ${wanted})`);
  }
  if (expect && rank !== expect.rank) {
    fail(`wrong rank: expected ${expect.rank} dimension(s), got ${rank} (magic ${hex32(magic)})`);
  }
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    fail(`truncated IDX file: expected a ${headerBytes}-byte header, got ${bytes.length} bytes`);
  }
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i));
  if (expect?.dims) {
    const want = expect.dims;
    const ok = want.length === rank && want.every((d, i) => d < 0 || d === dims[i]);
    if (!ok) fail(`wrong dimensions: expected ${shape(want)}, got ${shape(dims)}`);
  }
  // A float product is exact here: anything past 2^53 is far longer than any file we could have read.
  const expectedBytes = headerBytes + dims.reduce((a, b) => a * b, 1);
  if (bytes.length < expectedBytes) {
    fail(`truncated IDX file: expected ${expectedBytes} bytes, got ${bytes.length}`);
  }
  if (bytes.length > expectedBytes) {
    fail(`IDX file too long: expected ${expectedBytes} bytes, got ${bytes.length}`);
  }
  return { dims, data: bytes.subarray(headerBytes, expectedBytes) };
}
