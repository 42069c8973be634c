import { Box, Text } from 'ink';
import { formatValue, LABEL } from '../spec/labels.js';
import { duration, percent, sparkline, truncate } from './format.js';
import type { TrialConfig, TrialSnapshot } from '../trial/types.js';

/** Columns the leaderboard can be sorted by: the sweep's metric first. */
export type SortKey = 'score' | 'val_acc' | 'test_acc' | 'time' | keyof TrialConfig;

export function sortKeys(keys: readonly (keyof TrialConfig)[]): SortKey[] {
  return ['score', 'val_acc', 'test_acc', 'time', ...keys];
}

type Props = {
  /** Completed trials, best first. */
  readonly ranked: readonly TrialSnapshot[];
  readonly keys: readonly (keyof TrialConfig)[];
  readonly sort: SortKey;
  readonly offset: number;
  readonly width: number;
  /** Rows of trials that fit; the rest become "+N more". */
  readonly height: number;
};

type Column = { title: string; sortKey?: SortKey; align: 'left' | 'right'; cell: (t: TrialSnapshot, rank: number) => string };

/** Sorts ranked trials by a column; ties keep the ranking. Rank stays the metric's. */
export function sortTrials(ranked: readonly TrialSnapshot[], sort: SortKey): TrialSnapshot[] {
  if (sort === 'score') return [...ranked];
  const value = (t: TrialSnapshot): number | string => {
    switch (sort) {
      case 'val_acc': return -(t.valAccuracy ?? 0);
      case 'test_acc': return -(t.testAccuracy ?? 0);
      case 'time': return t.seconds ?? 0;
      default: {
        const v = t.config[sort];
        return typeof v === 'number' ? v : formatValue(v);
      }
    }
  };
  return [...ranked].sort((a, b) => {
    const [x, y] = [value(a), value(b)];
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** Completed trials ranked by the sweep's metric, fitted to the terminal; the best row stands out. */
export function Leaderboard({ ranked, keys, sort, offset, width, height }: Props) {
  const rankOf = new Map(ranked.map((t, i) => [t.id, i + 1]));
  const rows = sortTrials(ranked, sort);
  const columns: Column[] = [
    { title: '#', sortKey: 'score', align: 'right', cell: (_t, r) => String(r) },
    { title: 'trial', align: 'right', cell: (t) => String(t.id) },
    ...keys.map((k): Column => ({ title: LABEL[k], sortKey: k, align: 'left', cell: (t) => formatValue(t.config[k]) })),
    { title: 'val_acc', sortKey: 'val_acc', align: 'right', cell: (t) => percent(t.valAccuracy) },
    { title: 'test_acc', sortKey: 'test_acc', align: 'right', cell: (t) => percent(t.testAccuracy) },
    { title: 'epochs', align: 'right', cell: (t) => String(t.epochs.length) },
    { title: 'time', sortKey: 'time', align: 'right', cell: (t) => duration(t.seconds) },
    { title: 'val_acc by epoch', align: 'left', cell: (t) => sparkline(t.epochs.map((e) => e.valAccuracy)) },
  ];
  const title = (c: Column) => (c.sortKey === sort ? `${c.title}▼` : c.title);
  const widthOf = (cols: Column[]) => cols.reduce((sum, c) => sum + Math.max(title(c).length, ...rows.map((t) => c.cell(t, rankOf.get(t.id)!).length)) + 2, -2);
  // Too narrow: the sparkline goes first, then lines are cut.
  const shown = widthOf(columns) > width ? columns.slice(0, -1) : columns;
  const widths = shown.map((c) => Math.max(title(c).length, ...rows.map((t) => c.cell(t, rankOf.get(t.id)!).length)));
  const line = (cells: string[]) =>
    truncate(cells.map((v, i) => (shown[i].align === 'right' ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ').trimEnd(), width);

  const start = Math.max(0, Math.min(offset, rows.length - height));
  const visible = rows.slice(start, start + Math.max(1, height));
  const more = rows.length - visible.length;
  const bestId = ranked[0]?.id;
  return (
    <Box flexDirection="column">
      <Text bold>Leaderboard</Text>
      {rows.length === 0 ? <Text dimColor>  no completed trials yet</Text> : (
        <>
          <Text underline>{line(shown.map(title))}</Text>
          {visible.map((t) => {
            const text = line(shown.map((c) => c.cell(t, rankOf.get(t.id)!)));
            return t.id === bestId
              ? <Text key={t.id} bold color="green">{text}</Text>
              : <Text key={t.id}>{text}</Text>;
          })}
          {more > 0 ? <Text dimColor>{truncate(`  +${more} more${start > 0 ? ` (${start} above)` : ''}  ↑↓ scroll`, width)}</Text> : null}
        </>
      )}
    </Box>
  );
}
