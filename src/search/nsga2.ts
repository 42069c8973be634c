/**
 * NSGA-II's proposal (Deb et al. 2002), after Optuna's NSGAIISampler as of v4.9.0 (and HEAD,
 * 5.0.0.dev, which is the same here): optuna/samplers/nsgaii/_sampler.py (defaults),
 * _child_generation_strategy.py (crossover, then mutation), _crossover.py (binary tournaments,
 * the categorical uniform crossover), _crossovers/_uniform.py, _elite_population_selection_strategy.py
 * (elites), _constraints_evaluation.py, and optuna/samplers/_ga/_base.py (generations, v4.3.0 on).
 *
 * One trial of generation g ≥ 1 is bred as Optuna breeds it:
 * - with probability crossoverProb (0.9), two parents are picked from the generation's parent
 *   population by binary tournaments (two candidates drawn with replacement; the first wins only if
 *   it constrained-dominates the second), the second from the population less the first; each gene
 *   comes from the second parent when a uniform draw is ≥ swappingProb (0.5), else from the first
 *   (`masks = rng.rand(n) >= swapping_prob` picks parents[-1]); otherwise one parent is picked
 *   uniformly and copied;
 * - then each gene mutates with probability mutationProb, by default 1 / (number of genes): with
 *   Optuna's default `mutation=None` a mutated parameter is left out of the child, so that the
 *   RandomSampler draws it; here it is drawn by `sampleDomain` from the trial's generator.
 * Genes are the model kind (when the space has more than one) and the chosen kind's parameters,
 * in sorted order; a parameter with one possible value is no gene (Optuna leaves single-value
 * distributions out of the relative search space). Generation 0 is random search: trial k is
 * `sampleRandom(space, seed, k)`, random search's trial k (Optuna samples it with RandomSampler).
 *
 * Where we differ from Optuna, deliberately:
 * - The proposal is a pure function of (space, recorded trials, number, seed): the generator is
 *   seeded from `nsga2:${seed}:${number}` (Optuna keeps one generator per sampler), and the
 *   generation and its parents are read from what earlier proposals recorded, never from a cache.
 * - Several model kinds. Optuna's define-by-run search space is the intersection over all complete
 *   trials, so a parameter only CNNs have is never crossed over there, only drawn at random. Here the
 *   kind is a gene like any other; each parameter of the child's kind comes from the parent the
 *   uniform crossover picks, or from the other parent when the picked one lacks it (another kind, or
 *   a value outside a domain the spec has since changed), and is drawn at random only when neither
 *   has it. Inherited numbers are snapped and clipped to the domain (`snap`).
 * - Conditional parameters (src/spec/conditional.ts) likewise: a parameter's choice is a gene, and
 *   the parameters under the child's choice come after it, each from the parent the crossover picks
 *   or the other, where that parent made the same choices above it, else drawn; so a child whose
 *   choice differs from its parents' still gets every parameter of its choice, and none of another's. The mutation probability counts the genes that the first parent's
 *   choices lead to (Optuna counts the child's parameters after the crossover, from a search space
 *   that leaves conditional parameters out altogether).
 * - A parent population is kept in trial-number order (Optuna's is in elite order for the trial
 *   that selects it and in trial order afterwards, which only changes which draw picks whom).
 */
import { crowdingDistanceSort } from '../pareto/crowding.js';
import { constrainedDominates, type Candidate } from '../pareto/dominance.js';
import { nonDominatedRanks } from '../pareto/sort.js';
import { fixedValue, sampleDomain, sampleRandom, snap } from './random.js';
import { seededRng, type Rng } from './rng.js';
import { meets, resolveLevel, type Domain, type KindSpace, type Sample, type SearchSpace } from './space.js';

/**
 * A trial of the sweep as NSGA-II sees it.
 * - `values`: the objectives, each turned to be minimised (a maximised one negated); complete
 *   trials only. A complete trial without them takes no part.
 * - `violation`: the sum of its constraints' positive parts; 0 or absent is feasible.
 * - `generation`, `parents`: what `proposeNsga2` returned for it, recorded with the trial. A trial
 *   without a generation (one not proposed by NSGA-II) belongs to no generation, as in Optuna.
 */
export type MoObservation = {
  readonly number: number;
  readonly config: Sample;
  readonly state: 'complete' | 'running' | 'pruned' | 'failed';
  readonly values?: readonly number[];
  readonly violation?: number;
  readonly generation?: number;
  readonly parents?: readonly number[];
};

/** NSGAIISampler's arguments (Optuna's names in camelCase); crossover is always UniformCrossover. */
export type Nsga2Options = {
  /** Individuals per generation: a generation is full once this many of its trials are complete. */
  readonly populationSize: number;
  /** Per gene; undefined means 1 / (number of genes), Optuna's `mutation_prob=None`. */
  readonly mutationProb: number | undefined;
  /** Probability that a child is a crossover of two parents rather than a copy of one. */
  readonly crossoverProb: number;
  /** Probability that a gene comes from the first parent; from the second otherwise (see above). */
  readonly swappingProb: number;
};

/** Optuna's NSGAIISampler defaults (optuna/samplers/nsgaii/_sampler.py, v3.1.0 to v4.9.0). */
export const NSGA2_DEFAULTS: Nsga2Options = {
  populationSize: 50,
  mutationProb: undefined,
  crossoverProb: 0.9,
  swappingProb: 0.5,
};

/** A proposal, and what the caller records with the trial. */
export type Nsga2Proposal = {
  readonly sample: Sample;
  /** The trial's generation: record it (MoObservation.generation). */
  readonly generation: number;
  /**
   * The generation's parent population, trial numbers ascending ([] in generation 0): record it
   * (MoObservation.parents), so that every later trial of the generation breeds from the same one.
   */
  readonly parents: readonly number[];
  /** The trials this child was bred from: two after a crossover, one for a copy, none in generation 0. */
  readonly bredFrom: readonly number[];
  /** Whether the child is a crossover of two parents. */
  readonly crossover: boolean;
  /** Genes that mutated (drawn at random), `model` for the kind. */
  readonly mutated: readonly string[];
  /** Genes no parent had a usable value for, so drawn at random too. */
  readonly missing: readonly string[];
};

/** A complete trial that can be a parent. */
type Individual = Candidate & { readonly number: number; readonly config: Sample };

/**
 * Trial `number`'s proposal given every trial of the sweep as recorded (in any order). Generation
 * 0 is random search's trial `number`; from generation 1 on, a child of the generation's parents
 * (random search's trial again if none of them is among the complete trials, which only a store
 * that lost trials would give).
 * `number` only seeds the generator: a caller that must propose again (the child repeats a
 * configuration already tried) may pass another key, as strategy.ts does for TPE.
 */
export function proposeNsga2(
  space: SearchSpace,
  observations: readonly MoObservation[],
  number: number,
  seed: number,
  options: Partial<Nsga2Options> = {},
): Nsga2Proposal {
  if (space.length === 0) throw new Error('the search space has no model kind');
  const o: Nsga2Options = { ...NSGA2_DEFAULTS, ...options };
  checkOptions(o);
  const generation = nsga2Generation(observations, o.populationSize);
  const parents = parentPopulation(observations, generation, o.populationSize);
  const individuals = individualsOf(observations);
  const population = parents.map((n) => individuals.get(n)).filter((t): t is Individual => t !== undefined);
  if (population.length === 0) {
    return { sample: sampleRandom(space, seed, number), generation, parents, bredFrom: [], crossover: false, mutated: [], missing: [] };
  }
  return { generation, parents, ...breed(space, population, seededRng(`nsga2:${seed}:${number}`), o) };
}

/**
 * The generation a new trial joins (optuna/samplers/_ga/_base.py `get_trial_generation`, v4.3.0
 * on): the highest generation among complete trials, or the next one once that generation has
 * `populationSize` complete trials. Running, pruned and failed trials do not count, nor do trials
 * without a generation. A function of the recorded trials alone: a generation is full exactly when
 * its populationSize-th trial completes, whoever asks and when.
 */
export function nsga2Generation(observations: readonly MoObservation[], populationSize: number): number {
  let highest = 0;
  let count = 0;
  for (const t of observations) {
    if (!isComplete(t) || t.generation === undefined || t.generation < highest) continue;
    if (t.generation > highest) [highest, count] = [t.generation, 0];
    count++;
  }
  return count < populationSize ? highest : highest + 1;
}

/**
 * The parent population of `generation`, trial numbers ascending; [] for generation 0.
 * - If a trial of that generation recorded one (the lowest-numbered such trial), it is that: the
 *   first proposal of a generation fixes its parents, as Optuna caches them in the study's system
 *   attributes (`get_parent_population`), so every later trial of the generation, from any worker
 *   that proposes under the store's lock, breeds from the same parents and no generation is ever
 *   produced twice. A trial of generation g-1 that completes after generation g began does not
 *   change g's parents (nor, as in Optuna 4.x, will it be a parent later).
 * - Otherwise it is selected now (`select_parent`): the elites (`selectElite`) of generation
 *   g − 1's complete trials and of generation g − 1's own parents.
 */
export function parentPopulation(observations: readonly MoObservation[], generation: number, populationSize: number): number[] {
  const sorted = [...observations].sort((a, b) => a.number - b.number);
  const individuals = individualsOf(sorted);
  const memo = new Map<number, number[]>();
  const parentsOf = (g: number): number[] => {
    if (g <= 0) return [];
    const known = memo.get(g);
    if (known) return known;
    const recorded = sorted.find((t) => t.generation === g && t.parents !== undefined);
    let parents: number[];
    if (recorded) {
      parents = [...recorded.parents!].sort((a, b) => a - b);
    } else {
      // Optuna: get_population(g - 1) + get_parent_population(g - 1), each in trial order.
      const pool = [
        ...sorted.filter((t) => t.generation === g - 1).map((t) => individuals.get(t.number)),
        ...parentsOf(g - 1).map((n) => individuals.get(n)),
      ].filter((t): t is Individual => t !== undefined);
      parents = selectElite(pool, populationSize).sort((a, b) => a - b);
    }
    memo.set(g, parents);
    return parents;
  };
  return parentsOf(generation);
}

/**
 * NSGA-II's elite selection (`NSGAIIElitePopulationSelectionStrategy.__call__`): whole fronts by
 * constrained non-dominated rank while they fit in `size`; of the front that does not fit, the
 * least crowded first (`crowdingDistanceSort`). Returns the elites' numbers, in selection order.
 */
export function selectElite(pool: readonly (Candidate & { readonly number: number })[], size: number): number[] {
  const ranks = nonDominatedRanks(pool);
  const fronts: number[][] = [];
  ranks.forEach((r, i) => (fronts[r - 1] ??= []).push(i));
  const elite: number[] = [];
  for (const front of fronts) {
    if (!front) continue;
    if (elite.length + front.length < size) {
      elite.push(...front.map((i) => pool[i].number));
      continue;
    }
    const order = crowdingDistanceSort(front.map((i) => pool[i].values));
    elite.push(...order.slice(0, size - elite.length).map((k) => pool[front[k]].number));
    break;
  }
  return elite;
}

/**
 * A binary tournament (optuna/samplers/nsgaii/_crossover.py `_select_parent`): two candidates
 * drawn uniformly, with replacement; the first if it constrained-dominates the second, else the second.
 */
export function selectParent<T extends Candidate>(population: readonly T[], rng: Rng): T {
  const first = population[Math.floor(rng() * population.length)];
  const second = population[Math.floor(rng() * population.length)];
  return constrainedDominates(first, second) ? first : second;
}

type Bred = Pick<Nsga2Proposal, 'sample' | 'bredFrom' | 'crossover' | 'mutated' | 'missing'>;

/** One child of `population` (NSGAIIChildGenerationStrategy.__call__ with UniformCrossover and mutation=None). */
function breed(space: SearchSpace, population: readonly Individual[], rng: Rng, o: Nsga2Options): Bred {
  // Optuna cannot cross a population of one (its second tournament would have no one to draw).
  const crossover = rng() < o.crossoverProb && population.length >= 2;
  let mates: Individual[];
  if (crossover) {
    const first = selectParent(population, rng);
    mates = [first, selectParent(population.filter((t) => t !== first), rng)];
  } else {
    mates = [population[Math.floor(rng() * population.length)]];
  }
  // The parents to take one gene from, in order of preference: the uniform crossover's pick first.
  const donors = (): Individual[] => (crossover ? (rng() >= o.swappingProb ? [mates[1], mates[0]] : mates) : mates);
  const mutated: string[] = [];
  const missing: string[] = [];

  const kinds: Domain = { type: 'categorical', choices: space.map((s) => s.kind) };
  let kind: KindSpace = space[0];
  if (space.length > 1) {
    const from = donors().find((t) => space.some((s) => s.kind === t.config.model));
    if (from) kind = space.find((s) => s.kind === from.config.model)!;
    else {
      missing.push('model');
      kind = kindOf(space, sampleDomain(kinds, rng));
    }
  }
  // Optuna: mutation_prob = 1 / max(1, len(child_params)), counted after the crossover: here the
  // genes of the child's kind that the preferred parent's choices lead to.
  const mutationProb = o.mutationProb ?? 1 / Math.max(1, genes(kind, mates[0].config) + (space.length > 1 ? 1 : 0));
  if (space.length > 1 && rng() < mutationProb) {
    mutated.push('model');
    kind = kindOf(space, sampleDomain(kinds, rng));
  }

  // Parents before the parameters under them: a child whose choice differs from a parent's gets
  // the parameters of its own choice, each from a parent that has it, else drawn.
  const values = resolveLevel(kind.params, (key, domain, under) => {
    const fixed = fixedValue(domain);
    if (fixed) return fixed.value;
    // A parent has the parameter where it made the same choices above it (a same-named parameter of another choice is another parameter).
    const inherited = donors().map((t) => (meets(t.config, under) ? valueIn(domain, t.config[key]) : undefined)).find((v) => v !== undefined);
    if (rng() < mutationProb) {
      mutated.push(key);
      return sampleDomain(domain, rng);
    }
    if (inherited === undefined) {
      missing.push(key);
      return sampleDomain(domain, rng);
    }
    return inherited.value;
  });
  return { sample: { model: kind.kind, ...values } as Sample, bredFrom: mates.map((t) => t.number), crossover, mutated, missing };
}

/** How many genes a configuration of `kind` has where it makes `config`'s choices: its parameters with more than one value. */
function genes(kind: KindSpace, config: Sample): number {
  let n = 0;
  resolveLevel(kind.params, (key, domain) => {
    if (!fixedValue(domain)) n++;
    return config[key];
  });
  return n;
}

function kindOf(space: SearchSpace, kind: unknown): KindSpace {
  return space.find((s) => s.kind === kind)!;
}

/**
 * A parent's value as a value of `domain`, or undefined if it has none: a number snapped and
 * clipped to a numeric domain; for a categorical one, the choice equal to it (compared as JSON,
 * since choices such as [128, 64] come back from the store as new arrays).
 */
function valueIn(domain: Domain, v: unknown): { readonly value: unknown } | undefined {
  if (domain.type === 'categorical') {
    const key = JSON.stringify(v);
    const at = v === undefined ? -1 : domain.choices.findIndex((c) => JSON.stringify(c) === key);
    return at < 0 ? undefined : { value: domain.choices[at] };
  }
  return typeof v === 'number' && Number.isFinite(v) ? { value: snap(domain, v) } : undefined;
}

function isComplete(t: MoObservation): t is MoObservation & { readonly values: readonly number[] } {
  return t.state === 'complete' && t.values !== undefined;
}

/** The complete trials that can be parents, by number. */
function individualsOf(observations: readonly MoObservation[]): Map<number, Individual> {
  const out = new Map<number, Individual>();
  for (const t of observations) {
    if (isComplete(t)) out.set(t.number, { number: t.number, config: t.config, values: t.values, violation: t.violation ?? 0 });
  }
  return out;
}

/** Option checks name the field, as NSGAIISampler's do. */
function checkOptions(o: Nsga2Options): void {
  if (!Number.isInteger(o.populationSize) || o.populationSize < 2) throw new Error('options.populationSize must be an integer of at least 2');
  const probability = (x: number) => x >= 0 && x <= 1;
  if (o.mutationProb !== undefined && !probability(o.mutationProb)) throw new Error('options.mutationProb must be undefined or within [0, 1]');
  if (!probability(o.crossoverProb)) throw new Error('options.crossoverProb must be within [0, 1]');
  if (!probability(o.swappingProb)) throw new Error('options.swappingProb must be within [0, 1]');
}
