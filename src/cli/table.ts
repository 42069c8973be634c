/** Formats rows as an aligned text table; numbers align right, text left. */
export type Cell = string | number | null;
export function formatTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const cells = rows.map((r) => r.map((c) => (c === null ? '-' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const numeric = headers.map((_, i) => rows.length > 0 && cells.every((r) => /^(-|-?\d+(\.\d+)?)$/.test(r[i])));
  const line = (r: readonly string[]) =>
    r.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** A fraction as a percentage with two decimals, e.g. 0.8851 → "88.51". */
export const pct = (v: number | null | undefined): string | null => (v == null ? null : (v * 100).toFixed(2));
