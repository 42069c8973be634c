import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, onTestFinished } from 'vitest';

/**
 * A fresh folder under the OS temp dir, removed when the test that made it finishes; made
 * outside a test (in a describe block or at the top of a file), when the file's tests have
 * all finished. Tests write nowhere else.
 */
export function tempDir(prefix = 'sweep-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    onTestFinished(remove);
  } catch {
    // Not inside a running test: vitest refuses onTestFinished there, so the file's end it is.
    afterAll(remove);
  }
  return dir;
}
