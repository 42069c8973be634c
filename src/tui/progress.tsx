import { Box, Text } from 'ink';
import { bar, duration, truncate } from './format.js';
import type { ViewStats } from './view-state.js';

type Props = { readonly stats: ViewStats; readonly width: number };

/** Trials done of total, a bar, elapsed time, ETA and throughput. */
export function Progress({ stats: s, width }: Props) {
  const done = s.completed + s.failed + s.pruned + s.infeasible;
  const pruned = `${s.pruned ? `, ${s.pruned} pruned` : ''}${s.infeasible ? `, ${s.infeasible} infeasible` : ''}`;
  const counts = `${done}/${s.total} trials  (${s.completed} completed${pruned}, ${s.failed} failed, ${s.running} running, ${s.pending} pending)`;
  // A program's trials have no samples sweep can count: their rate is not shown.
  const rate = !s.countsSamples ? '' : `  ·  ${s.samplesPerSecond === null ? '-' : Math.round(s.samplesPerSecond).toLocaleString('en-US')} samples/s`;
  const timing = `elapsed ${duration(s.elapsed)}  ·  ETA ${s.eta === null ? '-' : duration(s.eta)}${rate}`;
  const barWidth = Math.max(10, Math.min(40, width - counts.length - 2));
  return (
    <Box flexDirection="column">
      <Text>{truncate(`${bar(s.total ? done / s.total : 0, barWidth)} ${counts}`, width)}</Text>
      <Text dimColor>{truncate(timing, width)}</Text>
    </Box>
  );
}
