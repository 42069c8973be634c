/** What each view renders from: the data, the reader's choices, and what follows from both. */
import type { DashboardData, TrialView } from '../model.js';
import type { UiState } from './state.js';

export type View = {
  readonly data: DashboardData;
  readonly state: UiState;
  /** The table's rows: the trials the text filter and the brush let through, in the table's order. */
  readonly shown: readonly TrialView[];
  /** The best completed trial (highlighted everywhere); null before any. */
  readonly bestId: number | null;
};
