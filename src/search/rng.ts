import seedrandom from 'seedrandom';

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

/**
 * A generator whose whole stream is a pure function of `key`: the same key gives the same
 * numbers in any process, so a trial's proposal never depends on who proposes it or when.
 */
export function seededRng(key: string): Rng {
  return seedrandom(key);
}
