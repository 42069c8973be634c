/** The numbers rules' options take, as zod schemas with the messages a spec error shows. */
import { z } from 'zod';

/** A positive integer of at most `max` (a bound keeps a typo from meaning a week of epochs). */
export const positiveInt = (max: number) =>
  z.number().gte(1, 'must be a positive integer').lte(max, `must be at most ${max}`).int('must be an integer');

/** A whole number of at least 0. */
export const count = z.number().int('must be an integer').gte(0, 'must be at least 0');

/** A reduction factor: an integer of at least 2. */
export const factor = z.number().int('must be an integer').gte(2, 'must be an integer of at least 2');
