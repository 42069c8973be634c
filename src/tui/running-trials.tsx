import { Box, Text } from 'ink';
import { describeConfig } from '../spec/labels.js';
import { bar, percent, truncate } from './format.js';
import type { TrialConfig, TrialSnapshot } from '../trial/types.js';

type Props = {
  readonly trials: readonly TrialSnapshot[];
  readonly keys: readonly (keyof TrialConfig)[];
  readonly width: number;
};

/** One row per running trial: its distinguishing values, epoch n of N, latest loss and val accuracy. */
export function RunningTrials({ trials, keys, width }: Props) {
  if (trials.length === 0) return null;
  return (
    <Box flexDirection="column">
      <Text bold>Running</Text>
      {trials.map((t) => {
        const last = t.epochs[t.epochs.length - 1];
        const n = t.config.epochs;
        const line = `  trial ${t.id}  ${describeConfig(t.config, keys) || t.configId}  epoch ${t.epochs.length}/${n} ${bar(t.epochs.length / n, 10)}  ${last ? `loss ${last.loss.toFixed(4)}  val ${percent(last.valAccuracy)}` : 'starting…'}`;
        return <Text key={t.id}>{truncate(line, width)}</Text>;
      })}
    </Box>
  );
}
