import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../temp-dir.js';

/**
 * The built CLI where @tensorflow/tfjs is another version than sweep's kernels were written for:
 * a copy of dist/ beside a node_modules whose packages are this project's, but for a
 * @tensorflow/tfjs that says it is 4.23.0 (nothing of it is loaded before the check).
 */
function installWithTfjs(version: string): string {
  const root = tempDir('sweep-tfjs-');
  cpSync(resolve('dist'), join(root, 'dist'), { recursive: true });
  cpSync(resolve('package.json'), join(root, 'package.json'));
  const modules = join(root, 'node_modules');
  mkdirSync(join(modules, '@tensorflow', 'tfjs'), { recursive: true });
  for (const name of readdirSync(resolve('node_modules'))) {
    if (name !== '@tensorflow' && name !== '.bin') symlinkSync(resolve('node_modules', name), join(modules, name));
  }
  for (const name of readdirSync(resolve('node_modules/@tensorflow'))) {
    if (name !== 'tfjs') symlinkSync(resolve('node_modules/@tensorflow', name), join(modules, '@tensorflow', name));
  }
  writeFileSync(join(modules, '@tensorflow', 'tfjs', 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs', version }));
  // tfjs-core and tfjs-layers are tfjs's own dependencies: found beside it, as npm hoists them.
  for (const dep of ['tfjs-core', 'tfjs-layers']) {
    if (!existsSync(join(modules, '@tensorflow', dep))) symlinkSync(resolve('node_modules/@tensorflow', dep), join(modules, '@tensorflow', dep));
  }
  return root;
}

describe('another TensorFlow.js installed', () => {
  it('sweep run says so in one line, naming the package and the version its kernels were written for, and trains nothing', () => {
    const root = installWithTfjs('4.23.0');
    const spec = join(root, 'one.yaml');
    writeFileSync(spec, 'name: one\ngrid:\n  epochs: [1]\n');
    const db = join(root, 'runs', 'sweeps.db');
    const r = spawnSync(process.execPath, [join(root, 'dist/cli/main.js'), 'run', spec, '--db', db], {
      encoding: 'utf8', env: { ...process.env, CI: '1' },
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      "sweep: @tensorflow/tfjs 4.23.0 is installed; sweep's kernels reach into tfjs internals written for 4.22.0 (src/train/tfjs-internals.ts): install 4.22.0 (npm ci)",
    ]);
    expect(existsSync(db)).toBe(false);
  });
});
