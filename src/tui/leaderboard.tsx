import { Box, Text } from 'ink';
import { epochValue, formatMetric, type Objective } from '../metrics/registry.js';
import { isCodeConfig } from '../spec/code.js';
import { formatValue, labelOf, paramsOf } from '../spec/labels.js';
import { duration, percent, sparkline, truncate } from './format.js';
import type { TrialSnapshot } from '../trial/types.js';

/** Columns the leaderboard can be sorted by: the sweep's metric first, then results, then each parameter by its key. */
export type SortKey = 'score' | 'val_acc' | 'test_acc' | 'time' | `param:${string}`;

/** The sort keys in the order `s` cycles through them: a sweep of the user's code has no val_acc or test_acc. */
export function sortKeys(keys: readonly string[], code = false): SortKey[] {
  return ['score', ...(code ? [] : ['val_acc', 'test_acc'] as const), 'time', ...keys.map((k): SortKey => `param:${k}`)];
}

/** A sort key's name as the footer says it. */
export function sortName(key: SortKey): string {
  return key.startsWith('param:') ? labelOf(key.slice('param:'.length)) : key;
}

type Props = {
  /** Completed trials, best first. */
  readonly ranked: readonly TrialSnapshot[];
  readonly keys: readonly string[];
  /** What the sweep ranks on: a sweep of the user's code shows it in place of val_acc and test_acc. */
  readonly metric: Objective;
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
        const v = paramsOf(t.config)[sort.slice('param:'.length)];
        return typeof v === 'number' ? v : formatValue(v);
      }
    }
  };
  return [...ranked].sort((a, b) => {
    const [x, y] = [value(a), value(b)];
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/**
 * Completed trials ranked by the sweep's metric (or by front, then metric), fitted to the
 * terminal; the best row stands out, or every row of the first front.
 */
export function Leaderboard({ ranked, keys, metric, sort, offset, width, height }: Props) {
  const rankOf = new Map(ranked.map((t, i) => [t.id, i + 1]));
  const rows = sortTrials(ranked, sort);
  const code = ranked.some((t) => isCodeConfig(t.config));
  // A sweep ranked into Pareto fronts: each trial's front, the first (feasible) marked.
  const fronts = ranked.some((t) => t.front !== undefined);
  const firstFront = (t: TrialSnapshot) => t.front === 1 && t.feasible !== false;
  const columns: Column[] = [
    { title: '#', sortKey: 'score', align: 'right', cell: (_t, r) => String(r) },
    ...(fronts ? [{ title: 'front', align: 'right', cell: (t) => (t.front === undefined ? '-' : `${firstFront(t) ? '*' : t.feasible === false ? '✗' : ''}${t.front}`) } satisfies Column] : []),
    { title: 'trial', align: 'right', cell: (t) => String(t.id) },
    ...keys.map((k): Column => ({ title: labelOf(k), sortKey: `param:${k}`, align: 'left', cell: (t) => formatValue(paramsOf(t.config)[k]) })),
    ...(code ? [
      { title: metric.name, align: 'right', cell: (t) => formatMetric(metric.name, t.metricValue) } satisfies Column,
      { title: 'steps', align: 'right', cell: (t) => String(t.epochs.length) } satisfies Column,
    ] : [
      { title: 'val_acc', sortKey: 'val_acc', align: 'right', cell: (t) => percent(t.valAccuracy) } satisfies Column,
      { title: 'test_acc', sortKey: 'test_acc', align: 'right', cell: (t) => percent(t.testAccuracy) } satisfies Column,
      { title: 'epochs', align: 'right', cell: (t) => String(t.epochs.length) } satisfies Column,
    ]),
    { title: 'time', sortKey: 'time', align: 'right', cell: (t) => duration(t.seconds) },
    // Before the sparkline, which goes first where the terminal is narrow: a tag is what someone chose to see.
    ...(ranked.some((t) => t.tags) ? [{ title: 'tags', align: 'left', cell: (t) => t.tags?.join(',') ?? '' } satisfies Column] : []),
    code
      ? { title: `${metric.name} by step`, align: 'left', cell: (t) => sparkline(t.epochs.map((e) => epochValue(metric.name, e)).filter(Number.isFinite)) }
      : { title: 'val_acc by epoch', align: 'left', cell: (t) => sparkline(t.epochs.map((e) => e.valAccuracy)) },
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
  const stands = (t: TrialSnapshot) => (fronts ? firstFront(t) : t.id === bestId);
  return (
    <Box flexDirection="column">
      <Text bold>Leaderboard</Text>
      {rows.length === 0 ? <Text dimColor>  no completed trials yet</Text> : (
        <>
          <Text underline>{line(shown.map(title))}</Text>
          {visible.map((t) => {
            const text = line(shown.map((c) => c.cell(t, rankOf.get(t.id)!)));
            return stands(t)
              ? <Text key={t.id} bold color="green">{text}</Text>
              : <Text key={t.id}>{text}</Text>;
          })}
          {more > 0 ? <Text dimColor>{truncate(`  +${more} more${start > 0 ? ` (${start} above)` : ''}  ↑↓ scroll`, width)}</Text> : null}
        </>
      )}
    </Box>
  );
}
