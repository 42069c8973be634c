// `npm ci`'s install step: builds the native kernels (src/train/kernels/native.c, binding.gyp) with node-gyp, as
// better-sqlite3 builds its own. Where it cannot build (no compiler, not x86-64, no Node headers)
// it says so in one line and the wasm kernels run instead: the install never fails for it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const args = ['rebuild', '--release'];
// Node's headers where Node itself is installed (Debian's /usr/include/node); node-gyp would
// otherwise download them, and this machine may have no internet.
const prefix = dirname(dirname(process.execPath));
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
let gyp = process.env.npm_config_node_gyp;
if (!gyp) {
  try {
    gyp = createRequire(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'package.json')).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    gyp = undefined;
  }
}
const result = gyp ? spawnSync(process.execPath, [gyp, ...args], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' }) : null;
if (result?.status === 0) {
  console.log('sweep: built the native kernels (build/Release/sweep_native.node)');
} else {
  // The line that says most: a missing tool or a compiler's error, else node-gyp's own error.
  const lines = result === null ? [] : `${result.stderr}\n${result.stdout}`.split('\n').map((l) => l.replace(/^gyp ERR! (stack |find Python )?/, '').trim());
  const why = result === null ? 'node-gyp not found'
    : lines.find((l) => /not found|No such file|You need to install| error: /i.test(l)) ?? lines.find((l) => /^Error: /.test(l)) ?? `node-gyp exited ${result.status}`;
  console.log(`sweep: the native kernels did not build (${why}); the wasm kernels will run`);
}
