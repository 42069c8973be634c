import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NATIVE_ADDON } from '../../../src/train/kernels/native.js';

const SCRIPT = fileURLToPath(new URL('./native-check.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const node20 = Number(process.versions.node.split('.')[0]) < 22;
type Report = {
  fma: boolean; isa: string; dispatched: boolean; exactDispatched: boolean; rangeError: string | null;
  gemm: { m: number; k: number; n: number; transposed: boolean; acc: number; isa: string; same: boolean }[];
  gemmExact: { m: number; k: number; n: number; transposed: boolean; acc: number; isa: string; same: boolean; fusedWouldDiffer: boolean }[];
  conv: { geometry: number[]; rows: number; isa: string; forward: boolean; filterGrad: boolean; exact: boolean }[];
  adam: { n: number; inPlace: boolean; isa: string; same: boolean; flushed: number; nan: boolean }[];
  gather: { same: boolean; refused: string | null; untouched: boolean } | null;
  peak: { isa: string; ran: string; flops: number; seconds: number; cpuSeconds: number; gflops: number; medianGflops: number }[];
};

// Reads dist/ and build/: `npm ci` builds the addon, `npm test` dist/.
describe.runIf(process.arch === 'x64' && process.platform === 'linux')('the native kernels (native.c)', () => {
  it('is built by npm ci on this machine', () => {
    expect(existsSync(NATIVE_ADDON)).toBe(true);
  });

  const report = JSON.parse(execFileSync(process.execPath, [...(node20 ? ['--experimental-wasm-relaxed-simd'] : []), SCRIPT], { encoding: 'utf8' })) as Report;

  it('runs the products where the wasm GEMM would fuse its multiply-adds', () => {
    expect(report.fma).toBe(true);
    expect(['avx512', 'avx2']).toContain(report.isa);
    expect(report.dispatched).toBe(true);
  });

  it('gives the wasm fused GEMM\'s floats, bit for bit, at every block edge and with each vector width', () => {
    expect(report.gemm.length).toBeGreaterThanOrEqual(44);
    expect(report.gemm.filter((g) => !g.same)).toEqual([]);
    expect(new Set(report.gemm.map((g) => g.isa))).toContain('avx2');
  });

  it('gives the wasm exact GEMM\'s floats (each product rounded, then added), bit for bit, signed zeros and NaN included, and evaluation uses it', () => {
    expect(report.exactDispatched).toBe(true);
    expect(report.gemmExact.length).toBeGreaterThanOrEqual(44);
    expect(report.gemmExact.filter((g) => !g.same)).toEqual([]);
    expect(new Set(report.gemmExact.map((g) => g.isa))).toContain('avx2');
    // It is not the fused GEMM under another name: on long sums the two builds' floats differ.
    expect(report.gemmExact.filter((g) => g.k >= 64).every((g) => g.fusedWouldDiffer)).toBe(true);
  });

  it('convolves (im2col\'s rows copied, or read in place) and takes filter gradients as the wasm kernels do, bit for bit, in both builds', () => {
    expect(report.conv.length).toBeGreaterThanOrEqual(10);
    expect(report.conv.filter((c) => !c.forward || !c.filterGrad || !c.exact)).toEqual([]);
    // Kernel rows of 64 floats or more (kw·ci) are read in place: seven of the ten geometries.
    expect(report.conv.filter((c) => c.geometry[8] * c.geometry[3] >= 64).length).toBeGreaterThanOrEqual(7);
  });

  it('updates Adam\'s weights and moments as the wasm adam_fast does, bit for bit, flush and NaN included', () => {
    expect(report.adam.length).toBeGreaterThanOrEqual(18);
    expect(report.adam.filter((a) => !a.same)).toEqual([]);
    // The cases hold what they claim: flushed moments, and a NaN carried into the weights.
    expect(report.adam.some((a) => a.flushed > 0 && a.nan)).toBe(true);
    expect(new Set(report.adam.map((a) => a.isa))).toContain('avx2');
  });

  it('measures the core\'s peak with each vector width: 16 chains of 16 lanes (AVX-512), 12 of 8 (AVX2), 2 operations per FMA', () => {
    const want = report.isa === 'avx512' ? ['avx512', 'avx2'] : ['avx2'];
    expect(report.peak.map((p) => p.ran)).toEqual(want);
    expect(report.peak.map((p) => p.flops)).toEqual(want.map((isa) => 1000 * (isa === 'avx512' ? 16 * 16 : 12 * 8) * 2));
    for (const p of report.peak) {
      expect(p.seconds).toBeGreaterThan(0);
      expect(p.cpuSeconds).toBeGreaterThanOrEqual(0);
      // Any x86-64 core with FMA manages several GFLOP/s; a loop the compiler dropped would read as infinite.
      expect(p.gflops).toBeGreaterThan(1);
      expect(p.gflops).toBeLessThan(10_000);
      expect(p.medianGflops).toBeLessThanOrEqual(p.gflops);
    }
  });

  it('gathers a batch\'s rows as a copy in JavaScript would, and refuses an index past the last row before writing', () => {
    expect(report.gather).toEqual({ same: true, refused: expect.stringMatching(/^RangeError: .*outside the rows/), untouched: true });
  });

  it('refuses an operand outside the memory', () => {
    expect(report.rangeError).toMatch(/^RangeError: .*outside the memory/);
  });

  it('leaves the wasm GEMM running, and says why, where the built addon does not load', () => {
    // native.js in a tree of its own whose build/Release/sweep_native.node is not a shared library.
    const root = mkdtempSync(join(tmpdir(), 'sweep-native-'));
    try {
      mkdirSync(join(root, 'dist/train/kernels'), { recursive: true });
      mkdirSync(join(root, 'build/Release'), { recursive: true });
      cpSync(fileURLToPath(new URL('../../../dist/train/kernels/native.js', import.meta.url)), join(root, 'dist/train/kernels/native.js'));
      writeFileSync(join(root, 'build/Release/sweep_native.node'), 'not an ELF file');
      const probe = `import(${JSON.stringify(join(root, 'dist/train/kernels/native.js'))}).then((m) => console.log(JSON.stringify([m.nativeAddon(), m.nativeStatus()])))`;
      const [addon, status] = JSON.parse(execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' })) as [unknown, string];
      expect(addon).toBeNull();
      expect(status).toMatch(/^failed to load: .*sweep_native\.node/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('leaves the install working, in one line, where it cannot build (here: no Python, no compiler on the PATH)', () => {
    const root = mkdtempSync(join(tmpdir(), 'sweep-native-install-'));
    try {
      for (const f of ['binding.gyp', 'scripts/build-native.mjs', 'src/train/kernels/native.c']) cpSync(join(ROOT, f), join(root, f), { recursive: true });
      mkdirSync(join(root, 'bin'));
      symlinkSync(process.execPath, join(root, 'bin/node'));
      const out = execFileSync(join(root, 'bin/node'), ['scripts/build-native.mjs'], {
        cwd: root, encoding: 'utf8', env: { PATH: join(root, 'bin'), HOME: root },
      });
      expect(out.trim().split('\n')).toHaveLength(1);
      expect(out).toMatch(/^sweep: the native kernels did not build \(.+\); the wasm kernels will run$/m);
      expect(existsSync(join(root, 'build/Release/sweep_native.node'))).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
}, 60_000);
