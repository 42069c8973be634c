/**
 * A metric's value as src/pareto/ takes it: every objective minimized. Where a sweep maximizes
 * (val_accuracy) the value is negated; a missing value is NaN, which ranks worst.
 */
import type { Goal } from '../metrics/registry.js';

export function minimized(goal: Goal, value: number | null | undefined): number {
  if (value === null || value === undefined || Number.isNaN(value)) return NaN;
  return goal === 'maximize' ? -value : value;
}
