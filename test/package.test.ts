import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

type Lock = { packages: Record<string, { hasInstallScript?: boolean }> };
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { allowScripts?: Record<string, boolean> };
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as Lock;

describe('install hygiene', () => {
  // npm 11 runs a dependency's install scripts only where package.json's allowScripts approves
  // them (and warns on every `npm ci` about those it does not cover); a newer npm that blocks
  // unapproved scripts would leave better-sqlite3 unbuilt. Every package with one is decided.
  it('allowScripts decides every locked package that has an install script', () => {
    const scripted = Object.entries(lock.packages)
      // The root ('') is sweep itself: its own install script is not a dependency's.
      .filter(([path, p]) => path !== '' && p.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(scripted).toContain('better-sqlite3');
    const undecided = scripted.filter((name) => typeof pkg.allowScripts?.[name] !== 'boolean');
    expect(undecided).toEqual([]);
  });

  it('approves better-sqlite3, whose addon the store needs', () => {
    expect(pkg.allowScripts?.['better-sqlite3']).toBe(true);
  });
});
