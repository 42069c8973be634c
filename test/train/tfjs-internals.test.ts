import { describe, expect, it, vi } from 'vitest';
import { UserError } from '../../src/errors.js';
import { initBackend } from '../../src/train/backend.js';
import {
  checkTfjsVersions, readInstalledVersion, TFJS_PACKAGES, TFJS_VERSION, type TfjsPackage,
} from '../../src/train/tfjs-internals.js';

// initBackend calls the check with its default reader: this lets a test give it another one.
const simulated = vi.hoisted(() => ({ read: undefined as ((name: TfjsPackage) => string | null) | undefined }));
vi.mock(import('../../src/train/tfjs-internals.js'), async (importOriginal) => {
  const real = await importOriginal();
  return { ...real, checkTfjsVersions: (read = simulated.read ?? real.readInstalledVersion) => real.checkTfjsVersions(read) };
});

/** A reader that finds TFJS_VERSION everywhere except the versions given. */
const installed = (others: Partial<Record<TfjsPackage, string | null>>) => (name: TfjsPackage) =>
  (name in others ? others[name]! : TFJS_VERSION);

/** The error the check throws with `read`, or null. */
function failure(read: (name: TfjsPackage) => string | null): unknown {
  try {
    checkTfjsVersions(read);
    return null;
  } catch (err) {
    return err;
  }
}

const ADVICE = "sweep's kernels reach into tfjs internals written for 4.22.0 (src/train/tfjs-internals.ts): install 4.22.0 (npm ci)";

describe('checkTfjsVersions', () => {
  it('passes on the packages installed here, each resolvable and at the version the internals were written for', () => {
    expect(TFJS_VERSION).toBe('4.22.0');
    expect(Object.fromEntries(TFJS_PACKAGES.map((name) => [name, readInstalledVersion(name)])))
      .toEqual(Object.fromEntries(TFJS_PACKAGES.map((name) => [name, '4.22.0'])));
    expect(() => checkTfjsVersions()).not.toThrow();
  });

  it.each(TFJS_PACKAGES)('names %s installed at another version, in one line, as a user error', (name) => {
    const err = failure(installed({ [name]: '4.23.0' }));
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe(`${name} 4.23.0 is installed; ${ADVICE}`);
  });

  it('names every package that is off, a missing one included', () => {
    const err = failure(installed({ '@tensorflow/tfjs-core': '5.0.0', '@tensorflow/tfjs-backend-wasm': null }));
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe(`@tensorflow/tfjs-core 5.0.0 and no @tensorflow/tfjs-backend-wasm are installed; ${ADVICE}`);
  });

  it('stops initBackend, so that a worker with another tfjs fails its trial with that line', async () => {
    simulated.read = installed({ '@tensorflow/tfjs-layers': '4.21.0' });
    try {
      const started = initBackend('cpu');
      await expect(started).rejects.toBeInstanceOf(UserError);
      await expect(started).rejects.toThrow(`@tensorflow/tfjs-layers 4.21.0 is installed; ${ADVICE}`);
    } finally {
      simulated.read = undefined;
    }
    expect(await initBackend('cpu')).toBe('cpu');
  });
});
