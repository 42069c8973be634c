import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, onTestFinished } from 'vitest';

/** Folders not yet removed: those made outside a test (a describe block, a beforeAll) wait for the file's end. */
const pending = new Set<string>();

// Registered as this module loads, that is while the importing test file is collected:
// vitest takes no new hooks from inside a running beforeAll.
afterAll(() => {
  for (const dir of pending) rmSync(dir, { recursive: true, force: true });
  pending.clear();
});

/**
 * A fresh folder under the OS temp dir, removed when the test that made it finishes; made
 * outside a test (in a describe block, a beforeAll, or at the top of a file), when the
 * file's tests have all finished. Tests write nowhere else.
 */
export function tempDir(prefix = 'sweep-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  pending.add(dir);
  try {
    onTestFinished(() => {
      rmSync(dir, { recursive: true, force: true });
      pending.delete(dir);
    });
  } catch {
    // Not inside a running test: vitest refuses onTestFinished there; the file's end removes it.
  }
  return dir;
}
