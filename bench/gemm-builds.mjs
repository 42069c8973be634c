// node bench/gemm-builds.mjs [ADDON.node ...]: the native addon's fused GEMM (src/train/kernels/
// native.c) on the shapes the training steps give it, for one or more builds of the addon (default:
// build/Release/sweep_native.node), interleaved in one process: each build in turn, 21 times,
// medians, GFLOP/s and the first build's time over each other's. To compare with an older
// revision, copy its build/Release/sweep_native.node aside first. The operands lie 8 bytes past a
// 64-byte line, as the wasm heap's tensors do as often as not (GEMM_OFFSET=0 aligns them), and
// stay in cache between calls, as a step's do between its chunks. Also whole convolutions
// (conv_forward). GEMM_SHAPES=REGEX keeps the shapes whose names it matches; GEMM_ISA=avx2 runs the
// 256-bit kernels where the 512-bit ones would.
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const require = createRequire(import.meta.url);
const paths = process.argv.slice(2);
const builds = (paths.length > 0 ? paths : ['build/Release/sweep_native.node']).map((p) => [p, require(resolve(p))]);
const memory = new ArrayBuffer(256 << 20);
const floats = new Float32Array(memory);
for (let i = 0; i < floats.length; i++) floats[i] = (i % 97) / 97 - 0.5;
// name, m, k, n, A's strides (row, term): C [m × n] = A [m × k] · B [k × n].
const SHAPES = [
  ['ANN batch 128: forward [128×784]·[784×128]', 128, 784, 128, 784, 1],
  ['ANN batch 128: weights\' gradient xᵀ·dy', 784, 128, 128, 1, 784],
  ['ANN batch 32: forward', 32, 784, 128, 784, 1],
  ['ANN batch 32: weights\' gradient', 784, 32, 128, 1, 784],
  ['conv 32→64, im2col chunk forward (113 rows)', 113, 288, 64, 288, 1],
  ['conv 32→64, chunk filter gradient', 288, 113, 64, 1, 288],
  ['conv 32→64, chunk input gradient (56 rows)', 56, 576, 32, 576, 1],
  ['dense 3136→128 at batch 32: forward', 32, 3136, 128, 3136, 1],
  ['dense 3136→128 at batch 32: weights\' gradient', 3136, 32, 128, 1, 3136],
];
// Whole convolutions (conv_forward: im2col's rows and their GEMMs, `rows` positions a chunk, as
// conv2d.ts sizes them): name, n, h, w, ci, co, 3×3 'same', stride 1.
const CONVS = [
  ['conv 32→64 forward, batch 32', 32, 14, 14, 32, 64],
  ['conv 32→64 input gradient (64→32), batch 32', 32, 14, 14, 64, 32],
  ['conv 32→64 forward, batch 128', 128, 14, 14, 32, 64],
];
const OFFSET = Number(process.env.GEMM_OFFSET ?? 8);
// GEMM_ISA=avx2: the 256-bit kernels on a machine that has 512-bit ones.
const ISA = process.env.GEMM_ISA === 'avx2' ? ['avx2'] : [];
const [A, B, C] = [0, 64 << 20, 128 << 20].map((at) => at + OFFSET);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(`builds: ${builds.map(([p], i) => `${i + 1} ${p}`).join(', ')}; isa ${ISA[0] ?? builds[0][1].isa()}`);
/** Each build's median seconds a call of `run(addon)`, interleaved. */
function timed(flops, run) {
  const calls = Math.max(3, Math.round(3e8 / flops));
  const seconds = builds.map(() => []);
  for (let rep = 0; rep < 21; rep++) {
    builds.forEach(([, addon], i) => {
      const t0 = process.hrtime.bigint();
      for (let c = 0; c < calls; c++) run(addon);
      seconds[i].push(Number(process.hrtime.bigint() - t0) / 1e9 / calls);
    });
  }
  return seconds.map(median);
}
const cases = [
  ...SHAPES.map(([name, m, k, n, sai, sap]) => [name, 2 * m * k * n, (addon) => addon.gemm(memory, A, B, C, m, k, n, sai, sap, 0, ...ISA)]),
  ...CONVS.map(([name, n, h, w, ci, co]) => {
    const k = 9 * ci;
    const rows = Math.max(4, Math.floor(32768 / k));
    const col = (192 << 20) + OFFSET;
    return [name, 2 * n * h * w * k * co, (addon) => addon.conv_forward(memory, A, B, C, col, rows, n, h, w, ci, h, w, co, 3, 3, 1, 1, 1, 1, ...ISA)];
  }),
].filter(([name]) => !process.env.GEMM_SHAPES || new RegExp(process.env.GEMM_SHAPES).test(name));
for (const [name, flops, run] of cases) {
  const med = timed(flops, run);
  const cells = med.map((s) => `${(s * 1e6).toFixed(1)} µs ${(flops / s / 1e9).toFixed(1)} GFLOP/s`);
  const ratios = med.slice(1).map((s) => `×${(med[0] / s).toFixed(2)}`);
  console.log(`${name} | ${cells.join(' | ')}${ratios.length > 0 ? ` | ${ratios.join(' ')}` : ''}`);
}
