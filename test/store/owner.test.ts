import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ownerAlive, ownerToken } from '../../src/store/owner.js';

describe('owner tokens', () => {
  it('name this process, which is alive', () => {
    expect(ownerToken()).toMatch(new RegExp(`^${hostname()}:${process.pid}:\\d+:[0-9a-f]{12}$`));
    expect(ownerAlive(ownerToken())).toBe(true);
  });

  it('carry a nonce of their own process, so that twin hosts (same name, same pid, same start tick) never share one', () => {
    // Containers, or pid namespaces, give two workers one hostname, pid 1 and one start tick.
    const other = spawnSync(process.execPath, ['--input-type=module', '-e',
      `import(${JSON.stringify(new URL('../../dist/store/owner.js', import.meta.url).href)}).then((m) => console.log(m.ownerToken()))`,
    ], { encoding: 'utf8' }).stdout.trim();
    expect(other.split(':').slice(3)).not.toEqual(ownerToken().split(':').slice(3));
    expect(other.split(':')[3]).toMatch(/^[0-9a-f]{12}$/);
  });

  it('tell a dead process, and a recycled pid, from a live one', () => {
    const child = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const deadPid = Number(child.stdout.trim());
    expect(ownerAlive(`${hostname()}:${deadPid}:12345`)).toBe(false);
    // Our own pid with another start time: a process that died and whose pid was reused.
    expect(ownerAlive(`${hostname()}:${process.pid}:1`)).toBe(false);
  });

  it('count a process on another host as alive: only its heartbeat can expire', () => {
    expect(ownerAlive('some-other-host:1:1')).toBe(true);
  });
});
