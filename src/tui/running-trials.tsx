import { Box, Text } from 'ink';
import { epochValue, formatMetric, type Objective } from '../metrics/registry.js';
import { isCodeConfig } from '../spec/code.js';
import { describeConfig, plannedSteps } from '../spec/labels.js';
import { bar, percent, truncate } from './format.js';
import type { EpochMetrics, TrialSnapshot } from '../trial/types.js';

type Props = {
  readonly trials: readonly TrialSnapshot[];
  readonly keys: readonly string[];
  readonly metric: Objective;
  readonly width: number;
};

/** One row per running trial: its distinguishing values, epoch n of N, latest loss and val accuracy. */
export function RunningTrials({ trials, keys, metric, width }: Props) {
  // A built-in model's epoch: its loss and validation accuracy; a step of the user's code: the sweep's metric.
  const latest = (t: TrialSnapshot, last: EpochMetrics) => (isCodeConfig(t.config)
    ? `${metric.name} ${formatMetric(metric.name, epochValue(metric.name, last))}`
    : `loss ${last.loss.toFixed(4)}  val ${percent(last.valAccuracy)}`);
  if (trials.length === 0) return null;
  return (
    <Box flexDirection="column">
      <Text bold>Running</Text>
      {trials.map((t) => {
        const last = t.epochs[t.epochs.length - 1];
        const n = plannedSteps(t.config);
        const progress = n === null ? `step ${t.epochs.length}` : `${isCodeConfig(t.config) ? 'step' : 'epoch'} ${t.epochs.length}/${n} ${bar(t.epochs.length / n, 10)}`;
        const line = `  trial ${t.id}  ${describeConfig(t.config, keys) || t.configId}  ${progress}  ${last ? latest(t, last) : 'starting…'}`;
        return <Text key={t.id}>{truncate(line, width)}</Text>;
      })}
    </Box>
  );
}
