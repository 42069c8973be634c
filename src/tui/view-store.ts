import { reduce, type ViewAction, type ViewState } from './view-state.js';

/**
 * Holds the view state outside React and tells subscribers at most every `throttleMs`,
 * so a burst of events costs one render and training never waits for the terminal.
 */
export function createViewStore(initial: ViewState, throttleMs = 100) {
  let state = initial;
  const listeners = new Set<() => void>();
  let timer: NodeJS.Timeout | undefined;
  const notify = () => {
    timer = undefined;
    for (const l of listeners) l();
  };
  return {
    getState: () => state,
    dispatch(action: ViewAction, immediately = false): void {
      state = reduce(state, action);
      if (immediately) {
        clearTimeout(timer);
        notify();
      } else {
        timer ??= setTimeout(notify, throttleMs);
      }
    },
    /** Replaces the whole state (`sweep watch` rebuilds it from the database). */
    set(next: ViewState): void {
      state = next;
      timer ??= setTimeout(notify, throttleMs);
    },
    subscribe(listener: () => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export type ViewStore = ReturnType<typeof createViewStore>;
