import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { classify, networkFilesystem, refuseNetworkFilesystem } from '../../src/store/filesystem.js';
import { tempDir } from '../temp-dir.js';

describe('classify', () => {
  it('names network filesystems by their statfs magic, signed or unsigned', () => {
    expect(classify(0x6969)).toBe('nfs');
    expect(classify(0x517b)).toBe('smb');
    expect(classify(0xff534d42)).toBe('cifs');
    expect(classify(0xff534d42 | 0)).toBe('cifs'); // the same type read as a signed 32-bit number
    expect(classify(0xfe534d42)).toBe('smb2');
    expect(classify(0x01021997)).toBe('9p');
    expect(classify(0x5346414f)).toBe('afs');
    expect(classify(0x00c36400)).toBe('ceph');
    expect(classify(0x73757245)).toBe('coda');
    expect(classify(0x0bd00bd0)).toBe('lustre');
  });

  it('counts disks, memory and overlay filesystems as local', () => {
    for (const local of [0xef53, 0x58465342, 0x9123683e, 0x01021994, 0x794c7630, 0x2fc12fc1]) {
      expect(classify(local)).toBeNull(); // ext4, xfs, btrfs, tmpfs, overlayfs, zfs
    }
  });

  it('counts FUSE as network, by its subtype, except fuseblk and fuse-overlayfs', () => {
    expect(classify(0x65735546, 'fuse.sshfs')).toBe('fuse.sshfs');
    expect(classify(0x65735546, 'fuse.glusterfs')).toBe('fuse.glusterfs');
    expect(classify(0x65735546)).toBe('fuse');
    expect(classify(0x65735546, 'ext4')).toBe('fuse'); // mountinfo disagrees with statfs: a race
    expect(classify(0x65735546, 'fuseblk')).toBeNull();
    expect(classify(0x65735546, 'fuse.fuse-overlayfs')).toBeNull();
  });
});

describe('networkFilesystem', () => {
  it('finds a local folder, a file not made yet and an in-memory database local', () => {
    const dir = tempDir();
    expect(networkFilesystem(dir)).toBeNull();
    expect(networkFilesystem(join(dir, 'not', 'yet', 'sweeps.db'))).toBeNull();
    expect(networkFilesystem(':memory:')).toBeNull();
    expect(() => refuseNetworkFilesystem(join(dir, 'sweeps.db'))).not.toThrow();
  });

  // A real FUSE mount: bindfs mirrors a local folder, with the subtype that sshfs and the
  // others set for themselves. It needs Linux, /dev/fuse and the bindfs package.
  const cannotMount =
    process.platform !== 'linux'
      ? 'not Linux'
      : !existsSync('/dev/fuse')
        ? 'no /dev/fuse'
        : spawnSync('bindfs', ['--version']).error
          ? 'bindfs is not installed (apt-get install bindfs)'
          : null;

  const title = `names a FUSE mount by its subtype and refuses it${cannotMount ? ` (skipped: ${cannotMount})` : ''}`;
  it.skipIf(cannotMount)(title, () => {
    const dir = tempDir();
    const source = join(dir, 'source');
    const mount = join(dir, 'mount point'); // a space: mountinfo writes it as \040
    mkdirSync(source);
    mkdirSync(mount);
    const mounted = spawnSync('bindfs', ['-o', 'subtype=bindfs', source, mount], { encoding: 'utf8' });
    expect(mounted.stderr).toBe('');
    expect(mounted.status).toBe(0);
    try {
      writeFileSync(join(mount, 'sweeps.db'), '');
      expect(networkFilesystem(mount)).toBe('fuse.bindfs');
      expect(networkFilesystem(join(mount, 'sweeps.db'))).toBe('fuse.bindfs');
      expect(networkFilesystem(join(mount, 'runs', 'new.db'))).toBe('fuse.bindfs');
      expect(networkFilesystem(source)).toBeNull(); // the same files, seen without FUSE

      const db = join(mount, 'runs', 'new.db');
      expect(() => refuseNetworkFilesystem(db)).toThrow(UserError);
      expect(() => refuseNetworkFilesystem(db)).toThrow(
        `${db}: on a network filesystem (fuse.bindfs), where SQLite's locks are not safe: keep the database ` +
          'on a local disk, or share the sweep across machines with PostgreSQL: --db postgres://USER@HOST:5432/DB',
      );
    } finally {
      // Before tempDir removes the folder: rm through a live mount cannot remove its mount point.
      const unmounted = spawnSync('fusermount', ['-u', mount]);
      if (unmounted.status !== 0) spawnSync('umount', [mount]);
    }
  });
});
