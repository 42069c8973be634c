import { render } from 'ink';
import { App } from './app.js';
import type { ViewStore } from './view-store.js';

export type Mounted = {
  /** Renders the final frame, leaves it on screen and releases the terminal. */
  close(): Promise<void>;
};

/** Shows the live screen for a view store until `close`; keys call the handlers. */
export function mount(store: ViewStore, handlers: { onQuit: () => void; onInterrupt: () => void }): Mounted {
  // Ctrl-C arrives as a key in raw mode; the App turns it into a graceful stop.
  const instance = render(<App store={store} {...handlers} />, { exitOnCtrlC: false, patchConsole: true, maxFps: 10 });
  const clock = setInterval(() => store.dispatch({ type: 'tick', now: Date.now() }), 1000);
  return {
    async close() {
      clearInterval(clock);
      store.dispatch({ type: 'tick', now: Date.now() }, true);
      await new Promise((resolve) => setTimeout(resolve, 50));
      instance.unmount();
      await instance.waitUntilExit();
    },
  };
}
