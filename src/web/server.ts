/**
 * `sweep serve`'s HTTP server: the dashboard page of each sweep, and a stream of server-sent
 * events that pushes the page's data again whenever the database changes. It only reads: the
 * store it is given is opened read-only.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Store } from '../store/store.js';
import type { SweepRecord } from '../trial/types.js';
import { buildDashboard, type BuildOptions } from './build-data.js';
import { loadAssets, renderPage } from './html.js';

export type ServeOptions = {
  readonly store: Store;
  readonly host: string;
  readonly port: number;
  readonly best?: BuildOptions['best'];
  /** How often the database's change token is read (ms). */
  readonly pollMs?: number;
};

export type Serving = { readonly url: string; close(): Promise<void> };

const pageOf = (name: string) => `/sweep/${encodeURIComponent(name)}`;
const eventsOf = (name: string) => `/events/${encodeURIComponent(name)}`;

/** Starts serving; resolves once listening, with the URL to open. */
export async function serveDashboard(o: ServeOptions): Promise<Serving> {
  const assets = loadAssets();
  const streams = new Set<{ sweep: string; res: ServerResponse; token: string | null }>();
  // A page carries the change token its data was read at, and its event stream starts from it:
  // a change committed between the page's read and the stream's opening is pushed, not missed.
  const build = async (record: SweepRecord) => {
    const since = await o.store.changeToken();
    const live = { events: `${eventsOf(record.name)}?since=${encodeURIComponent(since)}` };
    return buildDashboard(o.store, record, { live, href: pageOf, best: o.best });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return void send(res, 405, 'text/plain', 'only GET\n');
    const url = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(url.pathname);
    if (path === '/') {
      const first = (await o.store.sweeps())[0];
      if (!first) return void send(res, 200, 'text/plain', `no sweeps in ${o.store.location} yet: run one, then reload\n`);
      res.writeHead(302, { location: pageOf(first.name) }).end();
      return;
    }
    const page = /^\/sweep\/(.+)$/.exec(path);
    if (page) {
      const record = await o.store.sweep(page[1]);
      if (!record) return void send(res, 404, 'text/plain', `no sweep named "${page[1]}"\n`);
      const { html, csp } = renderPage(await build(record), assets);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp, 'cache-control': 'no-store' });
      res.end(html);
      return;
    }
    const events = /^\/events\/(.+)$/.exec(path);
    if (events) {
      if (!(await o.store.sweep(events[1]))) return void send(res, 404, 'text/plain', `no sweep named "${events[1]}"\n`);
      // The page has the data it was served with, as of `since`: the first push comes with the first change after it.
      const stream = { sweep: events[1], res, token: url.searchParams.get('since') ?? await o.store.changeToken() };
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      // Sent now, so the page's EventSource opens at once rather than with the first change.
      res.flushHeaders();
      streams.add(stream);
      req.on('close', () => streams.delete(stream));
      return;
    }
    send(res, 404, 'text/plain', 'not found\n');
  };

  // One reader polls the database's change token (SQLite's data_version moves only when another
  // connection commits) and pushes each stream's sweep again when it moved.
  let polling = false;
  const poll = setInterval(async () => {
    if (polling || streams.size === 0) return;
    polling = true;
    try {
      const token = await o.store.changeToken();
      // Each changed sweep is read once, however many pages show it.
      const events = new Map<string, Promise<string | null>>();
      const eventOf = (sweep: string) => events.get(sweep) ?? events.set(sweep, (async () => {
        const record = await o.store.sweep(sweep);
        return record ? `event: data\ndata: ${JSON.stringify(await build(record))}\n\n` : null;
      })()).get(sweep)!;
      for (const s of [...streams]) {
        if (s.token === token) continue;
        s.token = token;
        const event = await eventOf(s.sweep);
        if (event) s.res.write(event);
      }
    } catch {
      // A busy or restarting database: the next poll tries again.
    } finally {
      polling = false;
    }
  }, o.pollMs ?? 1000);

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain', `internal error: ${(err as Error).message}\n`);
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${host}:${port}/`,
    close: async () => {
      clearInterval(poll);
      for (const s of streams) s.res.end();
      streams.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8` }).end(body);
}
