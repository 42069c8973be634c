/** How the datasets read their files and name them in errors. */
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzip as gunzipCb } from 'node:zlib';
import { UserError } from '../errors.js';

const gunzip = promisify(gunzipCb);

/** A path as errors show it: relative where it lies under the working directory, as the user probably typed it. */
export function display(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

/** An error's message, with the cause that fetch() and friends hide behind "fetch failed". */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
}

/** gzip data inflated; corrupt or truncated data is a UserError naming `file`. */
export async function gunzipFile(gz: Uint8Array, file: string): Promise<Buffer> {
  try {
    return await gunzip(gz);
  } catch (err) {
    throw new UserError(`${file}: corrupt or truncated gzip data (${errorText(err)})`);
  }
}
