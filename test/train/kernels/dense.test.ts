import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from '../../../src/train/kernels/index.js';
import { DENSE, type DenseAttrs, sweepDense } from '../../../src/train/kernels/dense.js';
import { expectClose, randomValues } from './compare.js';

beforeAll(async () => {
  registerWasmKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

/** Bit patterns, so −0 counts. */
const bits = (t: tf.Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

type Case = { m: number; k: number; n: number; bias: boolean };
// The notebook's layers at batch 32 and a partial batch, then widths that are not a multiple of 4 or 8.
const cases: Case[] = [
  { m: 32, k: 784, n: 128, bias: true }, { m: 32, k: 128, n: 10, bias: true }, { m: 5, k: 128, n: 10, bias: true },
  { m: 7, k: 13, n: 6, bias: true }, { m: 3, k: 9, n: 3, bias: false }, { m: 9, k: 40, n: 20, bias: true },
];
const name = (c: Case) => `[${c.m}×${c.k}]·[${c.k}×${c.n}]${c.bias ? ' + bias' : ''}`;

function operands(c: Case) {
  const seed = `${c.m}-${c.k}-${c.n}`;
  return {
    // Zeros among the inputs, so ReLU sees exact zeros of both signs.
    x: tf.tensor2d(randomValues(c.m * c.k, `x${seed}`, 0.2), [c.m, c.k]),
    w: tf.tensor2d(randomValues(c.k * c.n, `w${seed}`), [c.k, c.n]),
    b: c.bias ? tf.tensor1d(randomValues(c.n, `b${seed}`)) : null,
    r: tf.tensor2d(randomValues(c.m * c.n, `r${seed}`), [c.m, c.n]),
  };
}

/** What tfjs computes for a Dense layer while recording gradients (its fused matMul's choices). */
function stock(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D | null, activation: DenseAttrs['activation'], biasFirst: boolean): tf.Tensor2D {
  if (biasFirst) return tf.fused.matMul({ a: x, b: w, bias: b ?? undefined, activation: 'linear' }) as tf.Tensor2D;
  const y: tf.Tensor2D = b === null ? tf.matMul(x, w) : tf.add(tf.matMul(x, w), b);
  return activation === 'relu' ? tf.relu(y) : y;
}

const modes: [DenseAttrs['activation'], boolean][] = [['relu', false], ['linear', true], ['linear', false]];

describe('the dense kernel on wasm', () => {
  it.each(cases.flatMap((c) => modes.map(([activation, biasFirst]) => ({ c, activation, biasFirst }))))(
    '$activation (bias first: $biasFirst) $c.m×$c.k×$c.n: output and gradients bit-identical to tfjs',
    ({ c, activation, biasFirst }) => {
      const { x, w, b, r } = operands(c);
      // Gradients of Σ r·f(x, W, b) with respect to every input, through each implementation.
      const grads = (f: typeof stock) => tf.grads((xx: tf.Tensor, ww: tf.Tensor, ...bb: tf.Tensor[]) => tf.sum(tf.mul(r,
        f(xx as tf.Tensor2D, ww as tf.Tensor2D, (bb[0] ?? null) as tf.Tensor1D | null, activation, biasFirst))))([x, w, ...(b ? [b] : [])]);
      const ours = (xx: tf.Tensor2D, ww: tf.Tensor2D, bb: tf.Tensor1D | null) => sweepDense(xx, ww, bb, { activation, biasFirst });
      expect(bits(ours(x, w, b))).toEqual(bits(stock(x, w, b, activation, biasFirst)));
      const [g1, g0] = [grads((xx, ww, bb) => ours(xx, ww, bb)), grads(stock)];
      expect(g1).toHaveLength(b ? 3 : 2);
      g1.forEach((g, i) => expect(bits(g)).toEqual(bits(g0[i])));
      tf.dispose([x, w, r, ...(b ? [b] : []), ...g1, ...g0]);
    },
  );

  it('agrees with the cpu backend', async () => {
    const c = cases[3];
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const { x, w, b, r } = operands(c);
      const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(r, backend === 'wasm'
        ? sweepDense(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D, { activation: 'relu', biasFirst: false })
        : tf.relu(tf.add(tf.matMul(xx as tf.Tensor2D, ww as tf.Tensor2D), bb))));
      const out = tf.grads(f)([x, w, b!]).map((g) => g.dataSync() as Float32Array);
      return out;
    };
    const [cpu, wasm] = [await run('cpu'), await run('wasm')];
    wasm.forEach((g, i) => expectClose(g, cpu[i]));
  });

  it("computes only the gradients asked for: none for an input that nothing differentiates", async () => {
    const { x, w, b, r } = operands(cases[0]);
    const profile = await tf.profile(() => {
      const g = tf.grads((ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(r, sweepDense(x, ww as tf.Tensor2D, bb as tf.Tensor1D, { activation: 'relu', biasFirst: false }))))([w, b!]);
      tf.dispose(g);
    });
    const names = profile.kernels.map((k) => k.name);
    expect(names.filter((n) => n === DENSE)).toHaveLength(1);
    expect(names).toContain('SweepDenseGradKernel');
    expect(names).toContain('SweepDenseGradBias');
    expect(names).not.toContain('SweepDenseGradInput');
    expect(names).not.toContain('BatchMatMul');
    tf.dispose([x, w, b!, r]);
  });

  it.each(cases.map((c) => [name(c), c] as const))('%s: the GEMM matches the cpu backend', async (_, c) => {
    const { x, w, b, r } = operands(c);
    const ours = sweepDense(x, w, null, { activation: 'linear', biasFirst: false }).dataSync() as Float32Array;
    await tf.setBackend('cpu');
    const ref = tf.matMul(tf.tensor2d(x.dataSync() as Float32Array, x.shape as [number, number]), tf.tensor2d(w.dataSync() as Float32Array, w.shape as [number, number]));
    const expected = ref.dataSync() as Float32Array;
    ref.dispose();
    await tf.setBackend('wasm');
    expectClose(ours, expected);
    tf.dispose([x, w, r, ...(b ? [b] : [])]);
  });
});
