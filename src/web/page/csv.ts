/** CSV export of the table's rows as shown (filtered, brushed, sorted), every column, as a download. */
import type { SweepView, TrialView } from '../model.js';
import { columns } from './table.js';

/**
 * The rows as CSV (RFC 4180: CRLF line ends, fields quoted where needed): the table's columns
 * with raw values (numbers unformatted, accuracies as fractions), then the trial's place in
 * the sweep (TrialView.number), error and pruning line.
 */
export function toCsv(sweep: SweepView, rows: readonly TrialView[]): string {
  const cols = columns(sweep);
  const header = [...cols.map((c) => (c.key.startsWith('hp:') ? c.key.slice(3) : c.key)), 'number', 'error', 'pruned'];
  const lines = rows.map((t) => [...cols.map((c) => c.raw(t)), t.number, t.error, t.pruned]);
  return [header, ...lines].map((l) => l.map(field).join(',')).join('\r\n') + '\r\n';
}

function field(v: number | string | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Saves text as a file through a Blob URL: no request leaves the page, and it works from file://. */
export function download(filename: string, text: string, type = 'text/csv;charset=utf-8'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  // The download reads the Blob after the click returns: revoke later, as FileSaver.js does.
  setTimeout(() => URL.revokeObjectURL(url), 40_000);
}
