import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { onTestFinished } from 'vitest';

/**
 * The server tests make their databases on: `SWEEP_TEST_PG`, else the local PostgreSQL as
 * user postgres (trust auth). Its path names the maintenance database connected to.
 */
export const PG_SERVER = process.env.SWEEP_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type TestDb = {
  /** The new database's URL. */
  readonly url: string;
  readonly name: string;
  /** Ends every connection to it, then drops it; the second call does nothing. */
  drop(): Promise<void>;
};

/** The URL of database `name` on PG_SERVER. */
export function dbUrl(name: string): string {
  const u = new URL(PG_SERVER);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Runs `work` on a connection to `url`, closed after. */
export async function withPg<T>(url: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates an empty database `sweep_test_<random>` on PG_SERVER. Made inside a test, it is
 * dropped when that test finishes; made outside one (a beforeAll, where vitest takes no
 * hooks), the caller drops it.
 */
export async function createTestDb(): Promise<TestDb> {
  const name = `sweep_test_${randomBytes(6).toString('hex')}`;
  try {
    await withPg(PG_SERVER, (c) => c.query(`CREATE DATABASE ${name}`));
  } catch (err) {
    throw new Error(`cannot create a test database on ${PG_SERVER} (${(err as Error).message}); `
      + 'start PostgreSQL (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set SWEEP_TEST_PG');
  }
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    // WITH (FORCE) ends the connections still open to it (a store a failing test left open).
    await withPg(PG_SERVER, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  };
  try {
    onTestFinished(drop);
  } catch {
    // Not inside a running test: the caller's to drop.
  }
  return { url: dbUrl(name), name, drop };
}
