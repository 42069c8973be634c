import { Box, Text } from 'ink';
import { describeConfig, paramsOf } from '../spec/labels.js';
import type { SweepResult } from '../sweep/events.js';
import { duration, percent, truncate } from './format.js';
import { formatMetric, type Objective } from '../metrics/registry.js';
import { isCodeConfig } from '../spec/code.js';
import type { TrialSnapshot } from '../trial/types.js';

type Props = {
  readonly sweep: string;
  readonly result: SweepResult | null;
  readonly best: TrialSnapshot | null;
  readonly keys: readonly string[];
  readonly metric: Objective;
  readonly width: number;
};

/** After the sweep: what happened, the best configuration, and how to reproduce it. */
export function Summary({ sweep, result, best, keys, metric, width }: Props) {
  const lines: string[] = [];
  if (result) {
    const pruned = `${result.pruned ? `, ${result.pruned} pruned` : ''}${result.infeasible ? `, ${result.infeasible} infeasible` : ''}`;
    lines.push(`sweep ${sweep} ${result.interrupted ? 'stopped' : 'finished'} after ${duration(result.seconds)}: ${result.completed} completed${pruned}, ${result.failed} failed, ${result.interrupted} interrupted, ${result.skipped} done before; ${result.epochsTrained} epochs trained`);
  }
  if (best) {
    const code = isCodeConfig(best.config);
    const shown = keys.length ? keys : code ? Object.keys(paramsOf(best.config)) : ['model', 'units', 'dropout'];
    const scores = code ? `${metric.name} ${formatMetric(metric.name, best.metricValue)}` : `val ${percent(best.valAccuracy)}  test ${percent(best.testAccuracy)}`;
    lines.push(`best: trial ${best.id}  ${describeConfig(best.config, shown)}  ${scores}`);
    lines.push(`reproduce: sweep best ${sweep} > best.yaml && sweep run best.yaml`);
  }
  return (
    <Box flexDirection="column" marginTop={1}>
      {lines.map((l, i) => <Text key={i} bold={i === 1} color={i === 1 ? 'green' : undefined}>{truncate(l, width)}</Text>)}
    </Box>
  );
}
