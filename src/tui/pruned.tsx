import { Text } from 'ink';
import { truncate } from './format.js';
import type { TrialSnapshot } from '../trial/types.js';

type Props = { readonly pruned: readonly TrialSnapshot[]; readonly why: Readonly<Record<number, string>>; readonly width: number };

/** How many trials the early-stopping rule stopped, and why the latest was, on one line. */
export function Pruned({ pruned, why, width }: Props) {
  if (pruned.length === 0) return null;
  const latest = pruned.reduce((a, b) => (b.id > a.id ? b : a));
  return <Text color="yellow">{truncate(`${pruned.length} pruned · latest: trial ${latest.id} ${why[latest.id] ?? 'pruned'}`, width)}</Text>;
}
