export { App } from './app.js';
export { mount, type Mounted } from './mount.js';
export { Leaderboard, sortKeys, sortTrials, type SortKey } from './leaderboard.js';
export { createViewStore, type ViewStore } from './view-store.js';
export { best, initialState, reduce, stats, type ViewAction, type ViewHeader, type ViewState, type ViewStats } from './view-state.js';
