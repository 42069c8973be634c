import { readFileSync, realpathSync, statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from '../errors.js';

/**
 * Network, cluster and VM-shared filesystems by statfs f_type, from linux/magic.h, statfs(2)
 * and coreutils' stat.c (for those outside the kernel tree). SQLite's POSIX locks and WAL's
 * shared memory only hold within one kernel, so another host can corrupt a database on these.
 */
const NETWORK: ReadonlyMap<number, string> = new Map([
  [0x6969, 'nfs'],
  [0x517b, 'smb'],
  [0xff534d42, 'cifs'],
  [0xfe534d42, 'smb2'],
  [0x564c, 'ncp'],
  [0x5346414f, 'afs'], // OpenAFS
  [0x6b414653, 'afs'], // the kernel's kAFS
  [0x73757245, 'coda'],
  [0x00c36400, 'ceph'],
  [0x01021997, '9p'], // also WSL2's /mnt/c and QEMU host shares
  [0x0bd00bd0, 'lustre'],
  [0x47504653, 'gpfs'],
  [0x19830326, 'beegfs'],
  [0x20030528, 'orangefs'],
  [0xaad7aaea, 'panfs'],
  [0x01161970, 'gfs2'], // shared-disk cluster filesystems: several hosts mount one disk
  [0x7461636f, 'ocfs2'],
  [0x786f4256, 'vboxsf'], // a VM's view of a host folder: the host's locks are not the VM's
  [0xbacbacbc, 'vmhgfs'],
  [0x7c7c6673, 'prl_fs'],
]);

const FUSE_SUPER_MAGIC = 0x65735546;

/**
 * FUSE mounts that are local. Every other FUSE mount counts as network: a FUSE daemon decides
 * what locks and shared memory mean and we cannot see behind it, and the FUSE mounts people keep
 * data on are mostly remote (sshfs, s3fs, gcsfuse, rclone, glusterfs, ceph-fuse, JuiceFS).
 * fuseblk sits on a local block device (ntfs-3g, exfat); fuse-overlayfs is the root filesystem
 * of rootless Podman containers.
 */
const LOCAL_FUSE = /^(fuseblk(\..*)?|fuse\.fuse-overlayfs)$/;

/**
 * The network filesystem that a statfs `type` names, or null for a local one; `type` may come
 * signed or unsigned. `fuseType` is a FUSE mount's type in /proc/self/mountinfo ('fuse.sshfs').
 */
export function classify(type: number, fuseType?: string): string | null {
  const magic = type >>> 0;
  if (magic !== FUSE_SUPER_MAGIC) return NETWORK.get(magic) ?? null;
  const name = fuseType?.startsWith('fuse') ? fuseType : 'fuse';
  return LOCAL_FUSE.test(name) ? null : name;
}

/**
 * The network filesystem holding the file at `path`, or its nearest existing folder if the file
 * is not there yet ('nfs', 'cifs', 'fuse.sshfs'…); null for a local one, and off Linux.
 */
export function networkFilesystem(path: string): string | null {
  // f_type's numbers are Linux's own (macOS numbers its types per boot); SQLite's in-memory
  // and temporary databases have no file.
  if (process.platform !== 'linux' || path === '' || path === ':memory:') return null;
  let at = resolve(path);
  for (;;) {
    try {
      // bigint: a 32-bit kernel's sign-extended type would lose its low bits in a double.
      const type = Number(BigInt.asUintN(32, statfsSync(at, { bigint: true }).type));
      return classify(type, type === FUSE_SUPER_MAGIC ? mountType(realpathSync(at)) : undefined);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(at) === at) return null;
      at = dirname(at);
    }
  }
}

/**
 * Refuses a SQLite database at `path` on a network filesystem, in one line that names the
 * filesystem and PostgreSQL, which is how a sweep is shared across machines.
 */
export function refuseNetworkFilesystem(path: string): void {
  const fs = networkFilesystem(path);
  if (fs === null) return;
  throw new UserError(
    `${path}: on a network filesystem (${fs}), where SQLite's locks are not safe: keep the database ` +
      'on a local disk, or share the sweep across machines with PostgreSQL: --db postgres://USER@HOST:5432/DB',
  );
}

/** The type ('fuse.sshfs') of the mount holding the real path `path`, from /proc/self/mountinfo. */
function mountType(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return undefined;
  }
  let best: { point: string; type: string } | undefined;
  for (const line of text.split('\n')) {
    // "36 35 0:38 / /mnt/a\040b rw - fuse.sshfs host:/x rw": the mount point is field 5,
    // the type follows the "-" that ends the optional fields.
    const fields = line.split(' ');
    const dash = fields.indexOf('-', 6);
    if (dash < 0) continue;
    const point = fields[4].replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
    const inside = point === '/' || path === point || path.startsWith(`${point}/`);
    // The longest mount point holds the path; of equal ones, the later line is mounted on top.
    if (inside && (!best || point.length >= best.point.length)) best = { point, type: fields[dash + 1] };
  }
  return best?.type;
}
