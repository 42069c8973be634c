import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';

type DropoutArgs = { rate: number; seed: number; name?: string };
type DropoutLayer = tf.layers.Layer & { seed?: number };

// tfjs does not export its Dropout class, only the factory.
const Dropout = Object.getPrototypeOf(tf.layers.dropout({ rate: 0.5 })).constructor as new (
  args: { rate: number; seed?: number; name?: string },
) => DropoutLayer;

/**
 * Dropout whose masks are reproducible and still random. A tfjs Dropout given a `seed`
 * re-seeds on every call and so draws the same mask at every step; unseeded it uses
 * Math.random. This one draws a fresh seed per call from its own seeded generator.
 * It serialises as a plain `Dropout`, so saved models load anywhere.
 */
export class SeededDropout extends Dropout {
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
    if (kwargs.training === true) this.seed = Math.floor(this.next() * 2 ** 31);
    return super.call(inputs, kwargs);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), seed: this.baseSeed };
  }
}
