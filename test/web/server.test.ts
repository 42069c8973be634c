import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/store.js';
import { serveDashboard, type Serving } from '../../src/web/server.js';
import type { DashboardData } from '../../src/web/model.js';
import { tempDir } from '../temp-dir.js';
import { makeFixture, REAL_TRIALS } from './fixture.js';

let fixture: Awaited<ReturnType<typeof makeFixture>>;
let store: Store;
let serving: Serving;
beforeAll(async () => {
  fixture = await makeFixture(tempDir('sweep-serve-'));
  store = await SqliteStore.open(fixture.db, { readonly: true });
  serving = await serveDashboard({ store, host: '127.0.0.1', port: 0, pollMs: 100 });
});
afterAll(async () => {
  await serving?.close();
  await store?.close();
});

/** The JSON a served page carries. */
const embedded = (html: string): DashboardData =>
  JSON.parse(/<script type="application\/json" id="sweep-data">([\s\S]*?)<\/script>/.exec(html)![1]);

describe('sweep serve', () => {
  it('sends / to the first sweep, and serves each sweep\'s page with its data inline and a strict CSP header', async () => {
    const root = await fetch(serving.url, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/sweep/real');
    const page = await fetch(new URL('/sweep/real', serving.url));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const data = embedded(await page.text());
    expect(data.sweep.trials).toHaveLength(REAL_TRIALS);
    expect(data.live?.events).toMatch(/^\/events\/real\?since=\d+$/);
    expect(data.sweeps.map((s) => s.href)).toEqual(['/sweep/real', '/sweep/additive']);
  });

  it('answers 404 for a sweep that is not there and 405 for anything but GET', async () => {
    expect((await fetch(new URL('/sweep/nope', serving.url))).status).toBe(404);
    expect((await fetch(new URL('/events/nope', serving.url))).status).toBe(404);
    expect((await fetch(new URL('/sweep/real', serving.url), { method: 'POST' })).status).toBe(405);
  });

  it('pushes the sweep\'s data again when another process records an epoch, and only then', async () => {
    const controller = new AbortController();
    const page = embedded(await (await fetch(new URL('/sweep/real', serving.url))).text());
    const res = await fetch(new URL(page.live!.events, serving.url), { signal: controller.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const nextEvent = async (): Promise<DashboardData> => {
      let text = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        text += new TextDecoder().decode(value);
        const end = text.indexOf('\n\n');
        if (end >= 0) return JSON.parse(/^data: (.*)$/m.exec(text.slice(0, end))![1]);
      }
    };
    const pushed = nextEvent();
    // The running trial's second epoch, from a writer of its own.
    const writer = await SqliteStore.open(fixture.db);
    const sweepId = (await writer.sweep('real'))!.id;
    const running = (await writer.trials(sweepId)).find((t) => t.id === fixture.runningId)!;
    await writer.recordEpoch({ trial: running, attempt: running.attempts }, { epoch: 2, loss: 0.5, accuracy: 0.6, valLoss: 0.7, valAccuracy: 0.6, seconds: 1 }, 'wasm');
    await writer.close();
    const data = await Promise.race([pushed, new Promise<never>((_, no) => setTimeout(() => no(new Error('no event within 3 s')), 3000))]);
    expect(data.sweep.trials.find((t) => t.id === fixture.runningId)!.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    controller.abort();
  });
});

describe('sweep serve on PostgreSQL', () => {
  it('serves a sweep copied there, and pushes it again when a worker records an epoch (the change token polled)', async () => {
    const { createTestDb } = await import('../store/pg-test-db.js');
    const { PostgresStore } = await import('../../src/store/postgres.js');
    const { sweep } = await import('../cli/run-cli.js');
    const made = await createTestDb();
    try {
      expect((await sweep('copy', '--from', fixture.db, '--to', made.url, '--sweep', 'real')).code).toBe(0);
      const reader = await PostgresStore.open(made.url, { readonly: true });
      const served = await serveDashboard({ store: reader, host: '127.0.0.1', port: 0, pollMs: 100 });
      try {
        const page = embedded(await (await fetch(new URL('/sweep/real', served.url))).text());
        expect(page.sweep.trials).toHaveLength(REAL_TRIALS);
        const controller = new AbortController();
        const res = await fetch(new URL(page.live!.events, served.url), { signal: controller.signal });
        const reader2 = res.body!.getReader();
        // Events until one shows the epoch: the claim, a change of its own, may be pushed first.
        let claimedId = -1;
        const withEpoch = (async () => {
          let text = '';
          for (;;) {
            text += new TextDecoder().decode((await reader2.read()).value);
            for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n')) {
              const data = JSON.parse(/^data: (.*)$/m.exec(text.slice(0, end))![1]) as DashboardData;
              text = text.slice(end + 2);
              if (data.sweep.trials.find((t) => t.id === claimedId)?.epochs.some((e) => e.valAccuracy === 0.6123)) return data;
            }
          }
        })();
        // The copied running trial arrives interrupted: a worker claims it, starts it over and records its first epoch.
        const writer = await PostgresStore.open(made.url);
        const sweepId = (await writer.sweep('real'))!.id;
        const claim = (await writer.claimNext(sweepId, 'w', (await writer.trials(sweepId)).map((t) => t.configId)))!;
        claimedId = claim.trial.id;
        await writer.resumeAt(claim, [], 'wasm');
        await writer.recordEpoch(claim, { epoch: 1, loss: 0.5, accuracy: 0.6, valLoss: 0.7, valAccuracy: 0.6123, seconds: 1 }, 'wasm');
        await writer.close();
        const data = await Promise.race([withEpoch, new Promise<never>((_, no) => setTimeout(() => no(new Error('no event within 3 s')), 3000))]);
        expect(data.sweep.trials.find((t) => t.id === claim.trial.id)).toMatchObject({ status: 'running', epochs: [{ epoch: 1, valAccuracy: 0.6123 }] });
        controller.abort();
      } finally {
        await served.close();
        await reader.close();
      }
    } finally {
      await made.drop();
    }
  });
});
