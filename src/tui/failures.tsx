import { Text } from 'ink';
import { truncate } from './format.js';
import type { TrialSnapshot } from '../trial/types.js';

type Props = { readonly failed: readonly TrialSnapshot[]; readonly width: number };

/** How many trials failed, and the latest error on one line. */
export function Failures({ failed, width }: Props) {
  if (failed.length === 0) return null;
  const latest = failed.reduce((a, b) => (b.id > a.id ? b : a));
  const error = (latest.error ?? 'unknown error').replace(/\s+/g, ' ');
  return <Text color="red">{truncate(`${failed.length} failed · latest: trial ${latest.id}: ${error}`, width)}</Text>;
}
