import { existsSync } from 'node:fs';
import { UserError } from '../errors.js';
import { SqliteStore } from './sqlite.js';
import { isPostgresUrl } from './location.js';
import type { Store } from './store.js';

export { isPostgresUrl } from './location.js';

/**
 * Opens the store at `location`: a `postgres://` URL, or a SQLite file path. Read-only opens
 * are for commands that only look (`ls`, `show`, `query`…): they never create a database; nor
 * does `existing`, for commands that write to what is there (`tag`, `note`).
 */
export async function openStore(location: string, options: { readonly?: boolean; existing?: boolean } = {}): Promise<Store> {
  if (isPostgresUrl(location)) {
    // pg loads only for a PostgreSQL store.
    const { PostgresStore } = await import('./postgres.js');
    return PostgresStore.open(location, { readonly: options.readonly });
  }
  if ((options.readonly || options.existing) && location !== ':memory:' && !existsSync(location)) {
    throw new UserError(`${location}: no database here yet (run \`sweep run SPEC\` first, or pass --db)`);
  }
  return SqliteStore.open(location, { readonly: options.readonly });
}

