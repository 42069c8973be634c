import { UserError } from '../errors.js';
import { openStore } from '../store/open.js';
import { bestAnalyzer } from '../web/best.js';
import { serveDashboard } from '../web/server.js';
import type { Io } from './command.js';
import type { ServeOptions } from './commands.js';
import { userStop } from './user-stop.js';

/** `sweep serve`: the dashboard of each sweep, updated live as sweeps run, until stopped. */
export async function serve(values: ServeOptions, io: Io): Promise<number> {
  // Read-only: the dashboard can never change a result.
  const store = await openStore(values.db, { readonly: true });
  const stop = userStop(io, () => io.out('stopping'));
  try {
    const serving = await serveDashboard({ store, host: values.host, port: values.port, best: bestAnalyzer(store, values.data, io.err) })
      .catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') {
          throw new UserError(`--host ${values.host} --port ${values.port}: cannot listen there (${err.code})`);
        }
        throw err;
      });
    io.out(`serving ${store.location} at ${serving.url} (Ctrl-C stops)`);
    await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
    await serving.close();
    return stop.code === 0 ? 0 : stop.code;
  } finally {
    stop.dispose();
    await store.close();
  }
}
