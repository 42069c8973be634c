import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';

/**
 * Two hosts on one machine, for the fault tests (two-hosts.test.ts): each "host" is a Linux
 * network namespace reached over a veth pair of its own, and every worker runs in a pid
 * namespace of its own besides, so that the workers' pids collide as they do on two real
 * hosts (each is pid 1). One PostgreSQL cluster of the test's own, made with initdb in a
 * temp folder, listens on the host-side address of each pair, and nowhere else (no TCP on
 * loopback: its admin connections from the test go to the same addresses).
 *
 * Topology (X: a free third octet, chosen at random among 10.251.1–254):
 *
 *   namespace sweep-<id>-a: 10.251.X.2/30 ── veth ── 10.251.X.1/30 (root ns; PostgreSQL :15432)
 *   namespace sweep-<id>-b: 10.251.X.6/30 ── veth ── 10.251.X.5/30 (root ns; PostgreSQL :15432)
 *
 * Host a's workers connect to 10.251.X.1, host b's to 10.251.X.5: one server, two routes,
 * and every connection's client address says which host it came from (`inet_client_addr()`).
 * Nothing here sends a packet anywhere else.
 *
 * Everything made is undone by `cleanup.run()` (the tests' afterAll), which is synchronous so
 * that it can also run from the process's 'exit' handler: processes killed, the cluster
 * stopped, the namespaces (and with them the veth pairs) deleted, the folders removed.
 */

const PG_BIN = '/usr/lib/postgresql/15/bin';
/** The CLI the workers run (the tests build it first). */
export const BIN = resolve('dist/cli/main.js');
export const PG_PORT = 15432;
/** The cluster's superuser, trusted from the namespaces' addresses. */
const PG_USER = 'sweep';

// --- cleanup -----------------------------------------------------------------------------

/** Undo steps, run last-made first; each step runs once, and a failing one does not stop the rest. */
class Cleanup {
  private steps: { what: string; undo: () => void }[] = [];

  add(what: string, undo: () => void): void {
    this.steps.push({ what, undo });
  }

  /** Runs every step; returns the ones that threw, as "what: message". */
  run(): string[] {
    const failed: string[] = [];
    for (const { what, undo } of this.steps.splice(0).reverse()) {
      try {
        undo();
      } catch (err) {
        failed.push(`${what}: ${(err as Error).message}`);
      }
    }
    return failed;
  }
}

export const cleanup = new Cleanup();
// Should the test process end without its afterAll (process.exit, or a signal: vitest's
// teardown, a timeout's kill), the same steps run here; only SIGKILL leaves anything behind.
process.once('exit', () => { cleanup.run(); });
for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130], ['SIGHUP', 129]] as const) {
  process.once(signal, () => {
    cleanup.run();
    process.exit(code);
  });
}

// --- running commands --------------------------------------------------------------------

type Result = { code: number | null; out: string; err: string };

/** Runs a command to its end, synchronously (setup and cleanup); bounded by `timeoutMs`. */
function runSync(cmd: string, args: string[], timeoutMs = 30_000): Result {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** As runSync, throwing with the command's stderr when it fails. */
function must(cmd: string, args: string[], timeoutMs?: number): string {
  const r = runSync(cmd, args, timeoutMs);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.err.trim() || r.out.trim()}`);
  return r.out;
}

/** Runs a command without blocking the event loop (workers' output keeps flowing meanwhile). */
function runAsync(cmd: string, args: string[], timeoutMs = 60_000): Promise<Result> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', (e) => { err += String(e); });
    child.on('close', (code) => done({ code, out, err }));
  });
}

// --- can this machine do it? -------------------------------------------------------------

/**
 * Whether this machine lets the test make namespaces, veth pairs and a PostgreSQL cluster:
 * null if so, else why not (shown as the skipped suite's name). Each capability is tried
 * for real, once, and what it made is removed at once.
 */
export function cannotMakeHosts(): string | null {
  if (process.platform !== 'linux') return `needs Linux namespaces (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root (ip netns, veth pairs, unshare --pid)';
  for (const tool of ['ip', 'unshare', 'runuser']) {
    if (runSync('sh', ['-c', `command -v ${tool}`]).code !== 0) return `needs \`${tool}\` (iproute2, util-linux)`;
  }
  for (const tool of ['initdb', 'pg_ctl', 'postgres']) {
    if (!existsSync(join(PG_BIN, tool))) return `needs PostgreSQL 15's ${join(PG_BIN, tool)}`;
  }
  if (clusterUser() === null) return 'needs a system user (postgres or nobody) to run initdb as';
  const id = randomBytes(3).toString('hex');
  const ns = `sweep-probe-${id}`;
  const tried = [
    ['ip netns add', () => runSync('ip', ['netns', 'add', ns])],
    ['veth pair', () => runSync('ip', ['link', 'add', `swp${id}h`, 'type', 'veth', 'peer', 'name', `swp${id}n`, 'netns', ns])],
    ['unshare --pid', () => runSync('ip', ['netns', 'exec', ns, 'unshare', '--pid', '--fork', '--mount-proc', 'true'])],
  ] as const;
  let reason: string | null = null;
  for (const [what, attempt] of tried) {
    const r = attempt();
    if (r.code !== 0) {
      reason = `cannot make namespaces here: ${what} failed (${(r.err.trim() || `exit ${r.code}`).split('\n')[0]})`;
      break;
    }
  }
  // Deleting the namespace deletes the veth pair with it.
  runSync('ip', ['link', 'del', `swp${id}h`]);
  runSync('ip', ['netns', 'del', ns]);
  return reason;
}

/** The system user the cluster runs as (initdb refuses root). */
function clusterUser(): { name: string; uid: number; gid: number } | null {
  for (const name of ['postgres', 'nobody']) {
    const uid = runSync('id', ['-u', name]);
    const gid = runSync('id', ['-g', name]);
    if (uid.code === 0 && gid.code === 0) return { name, uid: Number(uid.out), gid: Number(gid.out) };
  }
  return null;
}

// --- the two hosts -----------------------------------------------------------------------

export type Host = {
  /** 'a' or 'b'. */
  readonly name: string;
  /** The network namespace. */
  readonly ns: string;
  /** This host's own address (inside its namespace): what the server sees as the client. */
  readonly address: string;
  /** The root-namespace end of its veth pair: where the server listens for this host. */
  readonly serverAddress: string;
};

export type Topology = { readonly id: string; readonly hosts: readonly [Host, Host] };

/** A third octet of 10.251.0.0/16 that no address or route of this machine uses (other runs of this test included). */
function freeSubnet(): number {
  const used = must('ip', ['-4', '-o', 'addr', 'show']) + must('ip', ['-4', 'route', 'show', 'table', 'all']);
  const start = 1 + (randomBytes(1)[0] % 254);
  for (let i = 0; i < 254; i++) {
    const x = 1 + ((start - 1 + i) % 254);
    if (!used.includes(`10.251.${x}.`)) return x;
  }
  throw new Error('no free 10.251.X.0/24 subnet on this machine');
}

/** Makes the two namespaces and their veth pairs; undone by `cleanup.run()`. */
export function makeHosts(): Topology {
  const id = randomBytes(2).toString('hex');
  const x = freeSubnet();
  const hosts = (['a', 'b'] as const).map((name, i): Host => ({
    name, ns: `sweep-${id}-${name}`, address: `10.251.${x}.${4 * i + 2}`, serverAddress: `10.251.${x}.${4 * i + 1}`,
  })) as unknown as [Host, Host];
  for (const h of hosts) {
    const outside = `sw${id}${h.name}h`;
    const inside = `sw${id}${h.name}n`;
    must('ip', ['netns', 'add', h.ns]);
    cleanup.add(`namespace ${h.ns}`, () => {
      // The namespace's end goes with the namespace, and the pair with it; the outer end too, to be sure.
      runSync('ip', ['link', 'del', outside]);
      const r = runSync('ip', ['netns', 'del', h.ns]);
      if (r.code !== 0 && existsSync(`/run/netns/${h.ns}`)) throw new Error(r.err.trim());
    });
    must('ip', ['link', 'add', outside, 'type', 'veth', 'peer', 'name', inside, 'netns', h.ns]);
    must('ip', ['addr', 'add', `${h.serverAddress}/30`, 'dev', outside]);
    must('ip', ['link', 'set', outside, 'up']);
    must('ip', ['-n', h.ns, 'addr', 'add', `${h.address}/30`, 'dev', inside]);
    must('ip', ['-n', h.ns, 'link', 'set', inside, 'up']);
    must('ip', ['-n', h.ns, 'link', 'set', 'lo', 'up']);
  }
  return { id, hosts };
}

/** Whether anything this topology made is still on the machine (after cleanup: nothing). */
export function leftovers(t: Topology): string[] {
  const links = runSync('ip', ['-o', 'link', 'show']).out;
  const found: string[] = [];
  for (const h of t.hosts) {
    if (existsSync(`/run/netns/${h.ns}`)) found.push(`namespace ${h.ns}`);
    if (links.includes(`sw${t.id}${h.name}h`)) found.push(`link sw${t.id}${h.name}h`);
  }
  return found;
}

// --- the PostgreSQL cluster --------------------------------------------------------------

/** A PostgreSQL 15 cluster of the test's own, in a temp folder, listening on the hosts' server addresses only. */
export class Cluster {
  readonly dir: string;
  readonly data: string;
  readonly log: string;
  private readonly user: { name: string; uid: number; gid: number };

  private constructor(dir: string, user: { name: string; uid: number; gid: number }, readonly listen: readonly string[]) {
    this.dir = dir;
    this.data = join(dir, 'data');
    this.log = join(dir, 'server.log');
    this.user = user;
  }

  /** initdb, then start; stopped and removed by `cleanup.run()`. */
  static async create(listen: readonly string[]): Promise<Cluster> {
    const user = clusterUser()!;
    const dir = mkdtempSync(join(tmpdir(), 'sweep-faults-pg-'));
    cleanup.add(`cluster folder ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
    chownSync(dir, user.uid, user.gid);
    const c = new Cluster(dir, user, listen);
    const init = await c.pg('initdb', ['-D', c.data, '-U', PG_USER, '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    if (init.code !== 0) throw new Error(`initdb failed: ${init.err}`);
    // Trust from the test's own 10.251.X.0/24 only, and the socket in the cluster's folder.
    const subnet = `${listen[0].replace(/\.\d+$/, '.0')}/24`;
    writeFileSync(join(c.data, 'pg_hba.conf'), `local all all trust\nhost all all ${subnet} trust\n`);
    writeFileSync(join(c.data, 'postgresql.auto.conf'), [
      `listen_addresses = '${listen.join(',')}'`,
      `port = ${PG_PORT}`,
      `unix_socket_directories = '${dir}'`,
      'max_connections = 100',
      'shared_buffers = 32MB',
      // The OS does not crash in these tests (an immediate stop is the server's crash, not the
      // kernel's): what was committed is in the page cache either way, so fsync only costs time.
      'fsync = off',
      'log_connections = on',
      "log_line_prefix = '%m [%p] %h '",
      '',
    ].join('\n'));
    for (const f of ['pg_hba.conf', 'postgresql.auto.conf']) chownSync(join(c.data, f), user.uid, user.gid);
    cleanup.add('cluster', () => c.stopSync());
    await c.start();
    return c;
  }

  /** Runs a PostgreSQL tool as the cluster's user. */
  private pg(tool: string, args: string[]): Promise<Result> {
    return runAsync('runuser', ['-u', this.user.name, '--', join(PG_BIN, tool), ...args]);
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    const r = await this.pg('pg_ctl', ['start', '-D', this.data, '-l', this.log, '-w', '-t', '30']);
    if (r.code !== 0) throw new Error(`pg_ctl start failed: ${r.err || r.out}\n${this.serverLog().slice(-2000)}`);
  }

  /** Stops the server: 'immediate' is a crash (no checkpoint; recovery from WAL at the next start). */
  async stop(mode: 'fast' | 'immediate'): Promise<void> {
    const r = await this.pg('pg_ctl', ['stop', '-D', this.data, '-m', mode, '-w', '-t', '30']);
    if (r.code !== 0) throw new Error(`pg_ctl stop failed: ${r.err || r.out}`);
  }

  /** For cleanup: stops it however it can, synchronously. */
  private stopSync(): void {
    if (!existsSync(join(this.data, 'postmaster.pid'))) return;
    const r = runSync('runuser', ['-u', this.user.name, '--', join(PG_BIN, 'pg_ctl'), 'stop', '-D', this.data, '-m', 'immediate', '-w', '-t', '20']);
    if (r.code === 0) return;
    const pid = Number(readFileSync(join(this.data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (pid > 0) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }

  /** The server's log so far. */
  serverLog(): string {
    try {
      return readFileSync(this.log, 'utf8');
    } catch {
      return '';
    }
  }

  /** The URL of database `db` as host `h` reaches it. */
  url(h: Host, db: string): string {
    return `postgres://${PG_USER}@${h.serverAddress}:${PG_PORT}/${db}`;
  }

  /** Runs `work` on a connection of the test's own to `db` (over host a's server address), closed after. */
  async with<T>(db: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ host: this.listen[0], port: PG_PORT, user: PG_USER, database: db, connectionTimeoutMillis: 10_000 });
    client.on('error', () => {});
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end().catch(() => {});
    }
  }

  async createDatabase(name: string): Promise<void> {
    await this.with('postgres', (c) => c.query(`CREATE DATABASE ${name}`));
  }
}

// --- workers -----------------------------------------------------------------------------

export type Line = { readonly text: string; readonly index: number; readonly at: number };

/**
 * `sweep worker` on a host: `ip netns exec NS unshare --pid --fork --mount-proc --kill-child
 * node dist/cli/main.js worker …`, so node is pid 1 of a pid namespace of its own. Its
 * output is kept line by line with each line's arrival time (performance.now()), and the
 * test waits on lines, never on time.
 */
export class Worker {
  readonly child: ChildProcess;
  readonly out: Line[] = [];
  readonly err: Line[] = [];
  /** Resolves when the `unshare` process (and so node, its only child) has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private waiters: (() => void)[] = [];
  /** node's pid as the root namespace sees it (what the test signals), and as its own namespace does. */
  hostPid = 0;
  nsPid = 0;

  constructor(readonly label: string, readonly host: Host, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }) {
    this.child = spawn('ip', [
      'netns', 'exec', host.ns, 'unshare', '--pid', '--fork', '--mount-proc', '--kill-child',
      process.execPath, BIN, 'worker', ...args,
    ], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const pid = this.child.pid;
    cleanup.add(`worker ${label}`, () => this.killNow());
    const collect = (into: Line[]) => {
      let partial = '';
      return (d: Buffer) => {
        const at = performance.now();
        const parts = (partial + d.toString()).split('\n');
        partial = parts.pop()!;
        for (const text of parts) into.push({ text, index: into.length, at });
        this.wake();
      };
    };
    this.child.stdout!.on('data', collect(this.out));
    this.child.stderr!.on('data', collect(this.err));
    this.exited = new Promise((done) => {
      this.child.on('close', (code, signal) => {
        this.exitInfo = { code, signal };
        this.wake();
        done(this.exitInfo);
      });
    });
    if (pid === undefined) throw new Error(`worker ${label}: could not start ip netns exec`);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /**
   * Finds node's pid (the child `unshare` forked), and checks that it runs in its host's
   * network namespace and a pid namespace of its own, as pid `nsPid` there.
   */
  async started(timeoutMs = 10_000): Promise<this> {
    const unshare = this.child.pid!;
    const node = realpathSync(process.execPath);
    const deadline = performance.now() + timeoutMs;
    // Until unshare has forked and its child has exec'd node: a few ms, bounded in tries and time.
    for (let tries = 0; this.hostPid === 0; tries++) {
      const kids = childrenOf(unshare);
      if (kids.length === 1 && readlinkSafe(`/proc/${kids[0]}/exe`) === node) this.hostPid = kids[0];
      else if (this.exitInfo || performance.now() > deadline || tries > 2000) {
        throw new Error(`worker ${this.label}: node did not start in its namespaces\n${this.transcript()}`);
      } else await new Promise((r) => setTimeout(r, 5));
    }
    const status = readFileSync(`/proc/${this.hostPid}/status`, 'utf8');
    const nspids = /^NSpid:\s*(.*)$/m.exec(status)![1].trim().split(/\s+/).map(Number);
    if (nspids.length < 2) throw new Error(`worker ${this.label}: not in a pid namespace of its own (NSpid ${nspids})`);
    this.nsPid = nspids[nspids.length - 1];
    const netns = statSync(`/proc/${this.hostPid}/ns/net`).ino;
    if (netns !== statSync(`/run/netns/${this.host.ns}`).ino) throw new Error(`worker ${this.label}: not in network namespace ${this.host.ns}`);
    return this;
  }

  /** Whether the process is still there (it has not exited). */
  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** Sends a signal to node (pid 1 of its namespace; from outside, SIGKILL and SIGSTOP are always delivered). */
  signal(sig: NodeJS.Signals): void {
    process.kill(this.hostPid, sig);
  }

  /** Whether node is stopped (SIGSTOP), by /proc. */
  isStopped(): boolean {
    return /^State:\s*T/m.test(readFileSync(`/proc/${this.hostPid}/status`, 'utf8'));
  }

  /** SIGKILL to node and unshare both, if they are still there; for cleanup. */
  killNow(): void {
    if (this.exitInfo) return;
    for (const pid of [this.hostPid, this.child.pid]) {
      if (pid) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
  }

  /**
   * The first line of stdout ('out') or stderr ('err') from `from` on that matches `re`; rejects
   * when the worker exits without printing one, or after `timeoutMs`.
   */
  async waitFor(re: RegExp, options: { stream?: 'out' | 'err'; from?: number; timeoutMs?: number } = {}): Promise<Line> {
    const lines = options.stream === 'err' ? this.err : this.out;
    const deadline = performance.now() + (options.timeoutMs ?? 30_000);
    let next = options.from ?? 0;
    for (;;) {
      for (; next < lines.length; next++) if (re.test(lines[next].text)) return lines[next];
      const left = deadline - performance.now();
      if (this.exitInfo || left <= 0) {
        throw new Error(`worker ${this.label}: ${this.exitInfo ? `exited (${JSON.stringify(this.exitInfo)})` : 'timed out'} `
          + `without printing ${re}\n${this.transcript()}`);
      }
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, left);
        this.waiters.push(() => { clearTimeout(timer); wake(); });
      });
    }
  }

  /** Waits for the process to end, bounded; rejects with its transcript after `timeoutMs`. */
  async exit(timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`worker ${this.label} still running after ${timeoutMs} ms\n${this.transcript()}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Everything it printed, for failure messages. */
  transcript(): string {
    const show = (lines: Line[]) => lines.map((l) => `  ${l.text}`).join('\n');
    return `--- worker ${this.label} (${this.host.ns}) stdout:\n${show(this.out)}\n--- stderr:\n${show(this.err)}`;
  }
}

/** The pids whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // No CONFIG_PROC_CHILDREN: scan every process's parent.
    return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((p) => {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    });
  }
}

function readlinkSafe(path: string): string | null {
  try {
    return readlinkSync(path);
  } catch {
    return null;
  }
}

/** A temp folder removed by `cleanup.run()`. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanup.add(`folder ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
