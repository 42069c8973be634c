import { Box, Text } from 'ink';
import { truncate } from './format.js';
import type { NoteRecord } from '../trial/types.js';

type Props = { readonly notes: readonly NoteRecord[]; readonly width: number };

/** How many notes the screen keeps room for: the latest, which say what is being tried now. */
export const NOTES_SHOWN = 2;

/** The latest notes on the sweep and its trials, one line each; the rest are counted (`sweep show` lists them). */
export function Notes({ notes, width }: Props) {
  if (notes.length === 0) return null;
  const shown = notes.slice(-NOTES_SHOWN);
  const earlier = notes.length - shown.length;
  return (
    <Box flexDirection="column">
      {shown.map((n, i) => (
        <Text key={i} dimColor>{truncate(`note${n.trialId === null ? '' : ` on trial ${n.trialId}`}: ${n.text.replace(/\r?\n/g, ' ⏎ ')}${i === 0 && earlier > 0 ? `  (+${earlier} earlier)` : ''}`, width)}</Text>
      ))}
    </Box>
  );
}
