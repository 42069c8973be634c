import { Text } from 'ink';
import { truncate } from './format.js';
import type { ViewHeader } from './view-state.js';

type Props = { readonly header: ViewHeader; readonly width: number };

/** Sweep name, spec, backend, workers, database. */
export function Header({ header: h, width }: Props) {
  const parts = [
    h.mode === 'watch' ? `watching ${h.sweep}` : `sweep ${h.sweep}`,
    h.specPath ? `spec ${h.specPath}` : null,
    `backend ${h.backend}`,
    h.workers === null ? null : `workers ${h.workers}`,
    `db ${h.dbPath}`,
  ].filter(Boolean);
  return <Text bold>{truncate(parts.join('  ·  '), width)}</Text>;
}
