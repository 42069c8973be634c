import { useSyncExternalStore } from 'react';
import type { ViewState } from './view-state.js';
import type { ViewStore } from './view-store.js';

/** The current view state; re-renders when the store notifies. */
export function useViewState(store: ViewStore): ViewState {
  return useSyncExternalStore(store.subscribe, store.getState);
}
