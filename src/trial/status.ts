/**
 * Where a trial stands. A module of its own, with no imports, so that the dashboard page (bundled
 * for the browser) can name it without the spec and the store behind src/trial/types.ts.
 * `pruned`: stopped early by the sweep's early-stopping rule; it keeps its epochs and counts as done.
 * `infeasible`: its parameters alone break one of the sweep's constraints, so it was recorded and
 * never trained (its `error` says what it breaks); it counts as done, and is never retried.
 */
export type TrialStatus = 'pending' | 'running' | 'completed' | 'failed' | 'interrupted' | 'pruned' | 'infeasible';
