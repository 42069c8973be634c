import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { nativeAddon } from './kernels/native.js';
import { dropoutClass, dropoutState } from './tfjs-internals.js';

type DropoutArgs = { rate: number; seed: number; name?: string };

/**
 * Dropout whose masks are reproducible and still random. A tfjs Dropout given a `seed`
 * re-seeds on every call and so draws the same mask at every step; unseeded it uses
 * Math.random. This one draws a fresh seed per call from its own seeded generator.
 * It serialises as a plain `Dropout`, so saved models load anywhere.
 */
export class SeededDropout extends dropoutClass() {
  static className = 'Dropout';
  private readonly baseSeed: number;
  private next: seedrandom.StatefulPRNG<seedrandom.State.Arc4>;

  constructor(args: DropoutArgs) {
    super({ rate: args.rate, seed: args.seed, name: args.name });
    this.baseSeed = args.seed;
    this.next = seedrandom(`dropout:${args.seed}`, { state: true });
  }

  /** The generator's state, to resume training exactly where a checkpoint left it. */
  rngState(): seedrandom.State.Arc4 {
    return this.next.state();
  }

  restoreRng(state: seedrandom.State.Arc4): void {
    this.next = seedrandom('', { state });
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    if (kwargs.training !== true) return super.call(inputs, kwargs);
    const s = dropoutState(this);
    const seed = this.drawSeed();
    s.seed = seed;
    if (!this.masksInOneLoop()) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      return tf.mul(x, dropoutMultiplier(x.shape, s.rate, seed));
    });
  }

  /** The seed of the next training call's mask: each training call draws one. */
  drawSeed(): number {
    return Math.floor(this.next() * 2 ** 31);
  }

  /** Whether a training call's mask is `dropoutMask`'s (else tfjs's Dropout makes it). */
  masksInOneLoop(): boolean {
    const { rate, noiseShape } = dropoutState(this);
    return rate > 0 && rate < 1 && noiseShape == null;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), seed: this.baseSeed };
  }
}

/**
 * The multiplier tfjs's `tf.dropout(x, rate, undefined, seed)` builds (floor(u + keep) / keep, u
 * from `randomUniform`'s seeded alea), to the bit, computed in one loop here instead of a
 * JavaScript generator call per value and three more kernels (add, floor, div): the same
 * generator inlined and the same float32 roundings, so training takes the same steps.
 */
export function dropoutMultiplier(shape: number[], rate: number, seed: number): tf.Tensor {
  return tf.tensor(dropoutMask(new Float32Array(tf.util.sizeFromShape(shape)), rate, seed), shape);
}

/**
 * Fills `out` with dropoutMultiplier's values, in place, and returns it: in the native addon
 * where it loads (native.c's dropout_mask, the same double and float operations as the loop
 * below, three to four times as fast), else here.
 */
export function dropoutMask(out: Float32Array, rate: number, seed: number): Float32Array {
  // randomUniform's UniformRandom seeds alea with the seed's decimal text.
  const { c, s0, s1, s2 } = seedrandom.alea(String(seed), { state: true }).state();
  const keep = Math.fround(1 - rate);
  const native = nativeAddon();
  if (native !== null && out.buffer instanceof ArrayBuffer && out.length > 0) {
    native.dropout_mask(out.buffer, out.byteOffset, out.length, c, s0, s1, s2, keep);
    return out;
  }
  return dropoutMaskLoop(out, c, s0, s1, s2, keep);
}

/** dropoutMask's loop in JavaScript, from alea's state (c, s0, s1, s2): where the addon does not load, and to test it against. */
export function dropoutMaskLoop(out: Float32Array, c: number, s0: number, s1: number, s2: number, keep: number): Float32Array {
  for (let i = 0; i < out.length; i++) {
    // seedrandom's alea step (lib/alea.js), inlined.
    const t = 2091639 * s0 + c * 2.3283064365386963e-10;
    s0 = s1;
    s1 = s2;
    c = t | 0;
    s2 = t - c;
    // u stored as float32, then add, floor and div as float32 kernels do.
    out[i] = Math.fround(Math.floor(Math.fround(Math.fround(s2) + keep)) / keep);
  }
  return out;
}
