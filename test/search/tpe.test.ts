import { describe, expect, it } from 'vitest';
import {
  categoricalEstimator, erfc, logGaussMass, logNdtr, numericalEstimator, truncNormLogPdf, truncNormPpf,
  type ParzenParameters,
} from '../../src/search/parzen.js';
import { sampleRandom } from '../../src/search/random.js';
import { seededRng } from '../../src/search/rng.js';
import type { Domain, Observation, Sample, SearchSpace } from '../../src/search/space.js';
import { defaultGamma, defaultWeights, proposeTpe, type TpeOptions } from '../../src/search/tpe.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const complete = (number: number, config: Sample, score: number): Observation => ({ number, config, state: 'complete', score });

/**
 * Runs a sequential sweep of `n` trials, each proposed by `propose` from the ones before it and
 * scored by `score`; configs go through JSON, as they would through the store.
 */
function sweep(n: number, score: (s: Sample) => number, propose: (k: number, history: Observation[]) => Sample): Sample[] {
  const history: Observation[] = [];
  const proposed: Sample[] = [];
  for (const k of range(n)) {
    const s = propose(k, history);
    proposed.push(s);
    history.push(complete(k, JSON.parse(JSON.stringify(s)) as Sample, score(s)));
  }
  return proposed;
}

describe('the truncated normal (parzen.ts)', () => {
  // Reference values from SciPy 1.17 (scipy.special.erfc, log_ndtr; scipy.stats.truncnorm).
  it.each([
    [-1.5, 1.9661051464753108], [0.5, 0.4795001221869535], [1, 0.15729920705028516], [1.99, 0.004888586800383002],
    [2.01, 0.004475150644751764], [3, 2.2090496998585445e-5], [5, 1.5374597944280347e-12], [10, 2.0884875837625446e-45],
    [26, 5.663192408856145e-296],
  ])('erfc(%d) = %d to 1e-13 relative, both sides of the series/continued-fraction switch at 2', (x, expected) => {
    expect(Math.abs(erfc(x) - expected) / expected).toBeLessThan(1e-13);
  });

  it.each([
    [-40, -804.6084420137539], [-20.5, -214.06672896326387], [-19.5, -194.01696577749752], [-5, -15.064998393988727],
    [0, -0.6931471805599453], [1.2, -0.12224636048741773], [5, -2.8665161296376294e-7], [10, -7.61985302416047e-24],
  ])('log Φ(%d) = %d, from the asymptotic left tail to the right tail where Φ is all but 1', (a, expected) => {
    expect(Math.abs(logNdtr(a) - expected) / Math.abs(expected)).toBeLessThan(1e-13);
  });

  it.each([
    [-1, 1, -0.38171514630212616], [-3, -2, -3.844353426334206], [2, 3, -3.844353426334206],
    [-30, -29, -424.78741990973043], [-0.1, 0.1, -2.5300420015472382],
  ])('log mass of [%d, %d] = %d, finite even 30 sigmas out', (a, b, expected) => {
    expect(logGaussMass(a, b)).toBeCloseTo(expected, 12);
  });

  it.each([
    [0.3, -1, 1, -0.3492199324568824], [0.9, -3, -2, -2.0413080531794243], [0.1, 2, 3, 2.0413080531794243],
    [0.5, -30, -29, -29.0238635120206], [0.7, 0.5, 40, 1.3251466284882083], [0.001, -100, 2, -3.0970605095984682],
  ])('the %d-quantile on [%d, %d] is %d (inverse-CDF sampling works in far tails)', (q, a, b, expected) => {
    expect(truncNormPpf(q, a, b)).toBeCloseTo(expected, 10);
  });

  it.each([
    [0.2, -1, 1, 0.1, 0.5, 0.13592379365739882], [3, -2, 4, 1, 2, -2.0890403953700827], [-5, -3, 0.5, -4, 0.3, -Infinity],
  ])('log pdf at %d of N truncated to [%d, %d]σ around %d, σ = %d, is %d (the scale counts)', (x, a, b, mu, sigma, expected) => {
    expect(truncNormLogPdf(x, a, b, mu, sigma)).toBeCloseTo(expected, 12);
  });
});

describe('Parzen estimators against Optuna', () => {
  const p: ParzenParameters = { priorWeight: 1, considerMagicClip: true, considerEndpoints: false, weights: defaultWeights };
  const thirty = range(30).map((i) => 0.01 + (0.98 * i) / 29);
  // Reference log densities from Optuna 3.1.0's _ParzenEstimator (univariate, consider_prior) with its
  // truncnorm.logpdf given the "- log(scale)" term that Optuna 3.x later added: Optuna 4.x's estimator.
  // Log domains' densities are over log x, as Optuna's.
  it.each<[string, Domain, number[], number[], number[]]>([
    ['float', { type: 'float', min: 0, max: 1, log: false }, [0.1, 0.15, 0.8, 0.5, 0.5], [0, 0.12, 0.5, 0.77, 1],
      [-0.012619488264336454, 0.19710603920708503, 0.2083026332103899, -0.26303735074468304, -0.7156589677811926]],
    ['log float', { type: 'float', min: 1e-5, max: 1e-1, log: true }, [1e-3, 2e-3, 5e-4, 1e-2], [1e-5, 1e-3, 3e-2, 0.1],
      [-3.780862751587179, -1.6777888363569995, -2.5041123660461704, -3.156587396174023]],
    ['int (a grid cell\'s mass)', { type: 'int', min: 1, max: 10, log: false }, [2, 3, 3, 9], [1, 3, 5, 10],
      [-2.0988763419702425, -1.8016204100773427, -2.2682509868325456, -2.941933223693648]],
    ['log int', { type: 'int', min: 1, max: 1000, log: true }, [10, 20, 500], [1, 15, 999, 1000],
      [-2.6594789606694818, -1.640023176055329, -2.4327861007609317, -2.432915649310684]],
    ['no observations (the prior alone)', { type: 'float', min: -2, max: 3, log: false }, [], [-2, 0, 3],
      [-1.6934601119431507, -1.5734601119431506, -1.6934601119431507]],
    ['30 observations (default_weights ramps the oldest 5)', { type: 'float', min: 0, max: 1, log: false }, thirty, [0.05, 0.5, 0.95],
      [-0.9398274850246128, 0.06927578831306813, 0.18418814021001673]],
  ])('%s', (_, domain, observed, xs, expected) => {
    const estimator = numericalEstimator(observed, domain as Extract<Domain, { type: 'float' | 'int' }>, p);
    xs.forEach((x, i) => expect(estimator.logPdf(x)).toBeCloseTo(expected[i], 12));
  });

  it('categorical: each observation adds 1 to its choice, the prior weight is spread over all', () => {
    const observedTwice = categoricalEstimator([0, 0, 2], 3, p);
    expect([0, 1, 2].map((x) => observedTwice.logPdf(x))).toEqual(
      [-0.7419373447293773, -1.6582280766035324, -1.0986122886681098].map((v) => expect.closeTo(v, 12)),
    );
    expect(categoricalEstimator([], 3, p).logPdf(1)).toBeCloseTo(Math.log(1 / 3), 12);
  });

  it('samples stay in the domain and follow the kernels: an int estimator draws integers near its observations', () => {
    const rng = seededRng('draws');
    const draws = numericalEstimator([7, 7, 7, 7, 7, 7, 7, 7], { type: 'int', min: 1, max: 100, log: false }, p).sample(rng, 200);
    expect(draws.every((x) => Number.isInteger(x) && x >= 1 && x <= 100)).toBe(true);
    // 8 of the 9 kernels sit on 7, 7 of them with σ = 10 (the magic clip, range / (n + 2)): most draws land within 3σ.
    expect(draws.filter((x) => x <= 37).length).toBeGreaterThan(0.8 * 200);
  });
});

describe('defaults as in Optuna', () => {
  it.each([[0, 0], [1, 1], [10, 1], [11, 2], [100, 10], [250, 25], [1000, 25]])('gamma(%d) = %d', (n, expected) => {
    expect(defaultGamma(n)).toBe(expected);
  });

  it.each([
    [3, [1, 1, 1]],
    [25, Array(25).fill(1)],
    [26, [1 / 26, ...Array(25).fill(1)]],
    [28, [1 / 28, (1 / 28 + 1) / 2, 1, ...Array(25).fill(1)]],
  ])('default_weights(%d): the newest 25 weigh 1, older ones ramp up from 1/n', (n, expected) => {
    expect(defaultWeights(n)).toEqual((expected as number[]).map((v) => expect.closeTo(v, 15)));
  });
});

describe('proposeTpe', () => {
  const lrSpace: SearchSpace = [{ kind: 'ann', params: { learningRate: { type: 'float', min: 1e-5, max: 1e-1, log: true } } }];
  const lrScore = (s: Sample) => -((Math.log10(s.learningRate as number) + 3) ** 2);
  const history = range(25).map((k) => {
    const s = sampleRandom(lrSpace, 4, k);
    return complete(k, s, lrScore(s));
  });

  it('is random search\'s trial k until 10 trials have finished; running ones do not count', () => {
    const running: Observation[] = range(5).map((i) => ({ number: 9 + i, config: history[0].config, state: 'running' }));
    const nine = history.slice(0, 9);
    for (const k of [9, 10, 11]) {
      expect(proposeTpe(lrSpace, 4, k, [...nine, ...running])).toEqual(sampleRandom(lrSpace, 4, k));
    }
    // A pruned trial is finished: the tenth turns TPE on.
    const pruned: Observation = { number: 9, config: history[9].config, state: 'pruned', score: -9, epochs: 2 };
    expect(proposeTpe(lrSpace, 4, 10, [...nine, pruned])).not.toEqual(sampleRandom(lrSpace, 4, 10));
  });

  it('is a pure function of (seed, k, history), whatever order the history comes in', () => {
    const shuffled = [...history].sort((a, b) => ((a.number * 7) % 11) - ((b.number * 7) % 11));
    expect(proposeTpe(lrSpace, 4, 25, shuffled)).toEqual(proposeTpe(lrSpace, 4, 25, history));
    expect(proposeTpe(lrSpace, 4, 26, history)).not.toEqual(proposeTpe(lrSpace, 4, 25, history));
    expect(proposeTpe(lrSpace, 5, 25, history)).not.toEqual(proposeTpe(lrSpace, 4, 25, history));
  });

  it.each([1, 2, 3])('finds the best learning rate (1e-3) far more closely than random search (seed %d)', (seed) => {
    // Distance in decades from 1e-3 over the last 20 of 60 trials: random search's median is about 1;
    // Optuna 3.1's TPESampler, run on this problem, gives 0.22 to 0.33 (10 seeds).
    const distance = (samples: Sample[]) => median(samples.slice(40).map((s) => Math.abs(Math.log10(s.learningRate as number) + 3)));
    const tpe = distance(sweep(60, lrScore, (k, h) => proposeTpe(lrSpace, seed, k, h)));
    const random = distance(sweep(60, lrScore, (k) => sampleRandom(lrSpace, seed, k)));
    expect(tpe).toBeLessThan(0.5 * random);
    expect(tpe).toBeLessThan(0.45);
  });

  it('counts running trials as bad (constant liar), so it proposes away from points already in flight', () => {
    const xSpace: SearchSpace = [{ kind: 'ann', params: { x: { type: 'float', min: 0, max: 1, log: false } } }];
    const gap = (s: Sample) => Math.abs((s.x as number) - 0.3);
    const samples = range(20).map((k) => sampleRandom(xSpace, 5, k));
    const finished = samples.map((s, k) => complete(k, s, -(gap(s) ** 2)));
    const best = samples.reduce((a, b) => (gap(a) < gap(b) ? a : b));
    // Six workers are already training the best configuration so far.
    const inFlight: Observation[] = range(6).map((i) => ({ number: 20 + i, config: best, state: 'running' }));
    const distanceFromInFlight = (options: Partial<TpeOptions>, h: Observation[]) =>
      range(20).map((i) => Math.abs((proposeTpe(xSpace, 5, 26 + i, h, options).x as number) - (best.x as number)));
    const liar = distanceFromInFlight({}, [...finished, ...inFlight]);
    const noRunning = distanceFromInFlight({}, finished);
    expect(median(liar)).toBeGreaterThan(2 * median(noRunning));
    // Without the liar, running trials are ignored altogether.
    expect(distanceFromInFlight({ constantLiar: false }, [...finished, ...inFlight])).toEqual(noRunning);
  });

  it('ranks pruned trials by how far they got before their score, as Optuna\'s _split_trials', () => {
    const xSpace: SearchSpace = [{ kind: 'ann', params: { x: { type: 'float', min: 0, max: 1, log: false } } }];
    // Nine trials stopped after epoch 1 with good scores, one stopped after epoch 5 with a poor one:
    // with no complete trial, that one alone (gamma(10) = 1) is the good group.
    const pruned: Observation[] = range(10).map((i) => ({
      number: i, config: { model: 'ann', x: i === 9 ? 0.9 : 0.05 * i }, state: 'pruned', score: i === 9 ? 0.1 : 0.8, epochs: i === 9 ? 5 : 1,
    }));
    const xs = range(20).map((i) => proposeTpe(xSpace, 1, 10 + i, pruned).x as number);
    expect(median(xs)).toBeGreaterThan(0.7);
  });

  it('proposes a clearly best categorical choice most of the time, matching array choices by value', () => {
    const choices = [[64], [128], [128, 64], [256]];
    const space: SearchSpace = [{ kind: 'ann', params: {
      units: { type: 'categorical', choices },
      learningRate: { type: 'float', min: 1e-4, max: 1e-1, log: true },
    } }];
    // The store hands back configs parsed from JSON, so [128, 64] in the history is a different array from the choice.
    const score = (s: Sample) => (JSON.stringify(s.units) === '[128,64]' ? 0.9 : 0.5);
    const proposed = sweep(50, score, (k, h) => proposeTpe(space, 3, k, h)).slice(10);
    // Random search would pick it a quarter of the time.
    expect(proposed.filter((s) => s.units === choices[2]).length).toBeGreaterThan(0.5 * proposed.length);
    // What comes back is the space's own choice, not a copy.
    expect(proposed.every((s) => choices.includes(s.units as number[]))).toBe(true);
  });

  it('keeps each model kind to its own keys in a conditional space, and learns which kind is better', () => {
    const space: SearchSpace = [
      { kind: 'ann', params: { dropout: { type: 'float', min: 0, max: 0.5, log: false }, units: { type: 'categorical', choices: [[64], [128]] } } },
      { kind: 'cnn', params: {
        dropout: { type: 'float', min: 0, max: 0.5, log: false },
        filters: { type: 'categorical', choices: [[8], [16, 32]] },
        kernelSize: { type: 'int', min: 2, max: 7, log: false },
      } },
    ];
    const score = (s: Sample) => (s.model === 'cnn' ? 0.9 - 0.01 * Math.abs((s.kernelSize as number) - 3) : 0.6) - (s.dropout as number) / 10;
    const proposed = sweep(40, score, (k, h) => proposeTpe(space, 9, k, h));
    for (const s of proposed) {
      expect(Object.keys(s).sort()).toEqual(s.model === 'ann' ? ['dropout', 'model', 'units'] : ['dropout', 'filters', 'kernelSize', 'model']);
    }
    expect(proposed.slice(10).filter((s) => s.model === 'cnn').length).toBeGreaterThan(20);
  });

  it('keeps every proposal in its domain: ints integral, log ints, q multiples, fixed values as given', () => {
    const domains: Record<string, Domain> = {
      batchSize: { type: 'int', min: 16, max: 256, log: false, q: 16 },
      dropout: { type: 'float', min: 0, max: 0.5, log: false, q: 0.05 },
      epochs: { type: 'int', min: 1, max: 6, log: false },
      fixed: { type: 'categorical', choices: [[128, 64]] },
      learningRate: { type: 'float', min: 1e-5, max: 1e-1, log: true, q: 1e-5 },
      width: { type: 'int', min: 1, max: 1000, log: true },
    };
    const space: SearchSpace = [{ kind: 'ann', params: domains }];
    const score = (s: Sample) => -Math.abs((s.batchSize as number) - 64) / 100 - Math.abs((s.epochs as number) - 4) - Math.abs(Math.log10(s.width as number) - 2);
    for (const s of sweep(30, score, (k, h) => proposeTpe(space, 2, k, h)).slice(10)) {
      for (const [key, d] of Object.entries(domains)) {
        const v = s[key];
        if (d.type === 'categorical') {
          expect(v).toBe(d.choices[0]);
          continue;
        }
        expect(v).toBeGreaterThanOrEqual(d.min);
        expect(v).toBeLessThanOrEqual(d.max);
        if (d.type === 'int') expect(Number.isInteger(v)).toBe(true);
        if (d.q !== undefined) expect(Math.abs((v as number) / d.q - Math.round((v as number) / d.q))).toBeLessThan(1e-9);
      }
    }
  });
});

// W&B's normal, log_normal, beta (and q_ forms) and categorical_w_probabilities: TPE models a
// domain with a prior in quantile space, as W&B's Bayesian search does (bayes_search.py maps
// runs through each parameter's cdf and back through its ppf), and spreads a categorical's
// prior weight by its probabilities.
describe('proposeTpe on domains with a prior or weights', () => {
  const p: ParzenParameters = { priorWeight: 1, considerMagicClip: true, considerEndpoints: false, weights: defaultWeights };

  it('a weighted categorical estimator: its prior is the probabilities, and each kernel\'s prior share is spread by them', () => {
    const w = [0.5, 0.3, 0.2];
    expect([0, 1, 2].map((x) => categoricalEstimator([], 3, p, w).logPdf(x))).toEqual(w.map((v) => expect.closeTo(Math.log(v), 12)));
    // Observed choice 0 once: its kernel is ([1.5, 0.9, 0.6] / 2 + [1, 0, 0]) / 2.5 = [0.7, 0.18, 0.12], the prior's [0.5, 0.3, 0.2], weighed equally.
    expect([0, 1, 2].map((x) => categoricalEstimator([0], 3, p, w).logPdf(x))).toEqual([0.6, 0.24, 0.16].map((v) => expect.closeTo(Math.log(v), 12)));
  });

  const domains: Record<string, Domain> = {
    beta: { type: 'float', min: 0, max: 1, log: false, prior: { kind: 'beta', a: 0.5, b: 2 } },
    logNormal: { type: 'float', min: 0, max: Infinity, log: true, prior: { kind: 'normal', mu: -7, sigma: 1 } },
    normal: { type: 'float', min: -Infinity, max: Infinity, log: false, prior: { kind: 'normal', mu: 0, sigma: 2 } },
    optimizer: { type: 'categorical', choices: ['adam', 'sgd', 'rmsprop'], weights: [0.6, 0.4, 0] },
    qBeta: { type: 'float', min: 0, max: 1, log: false, q: 0.6, prior: { kind: 'beta', a: 2, b: 2 } },
    qLogNormal: { type: 'float', min: 0, max: Infinity, log: true, q: 8, prior: { kind: 'normal', mu: 4, sigma: 0.5 } },
    qNormal: { type: 'float', min: -Infinity, max: Infinity, log: false, q: 0.25, prior: { kind: 'normal', mu: 1, sigma: 1 } },
  };
  const space: SearchSpace = [{ kind: 'ann', params: domains }];
  const score = (s: Sample) => -(((s.normal as number) - 2.5) ** 2) - Math.abs(Math.log(s.logNormal as number) + 6) - (s.optimizer === 'sgd' ? 0 : 1);

  it('proposes only what the distribution can draw: finite numbers, q multiples, a beta in [0, 1], never a choice of probability 0', () => {
    for (const s of sweep(40, score, (k, h) => proposeTpe(space, 6, k, h)).slice(10)) {
      for (const key of ['beta', 'logNormal', 'normal', 'qBeta', 'qLogNormal', 'qNormal']) expect(Number.isFinite(s[key])).toBe(true);
      expect(s.beta as number).toBeGreaterThanOrEqual(0);
      expect(s.beta as number).toBeLessThanOrEqual(1);
      expect(s.logNormal as number).toBeGreaterThan(0);
      expect([0, 0.6, 1.2]).toContain(s.qBeta);
      expect((s.qLogNormal as number) % 8).toBe(0);
      expect(Math.abs((s.qNormal as number) / 0.25 - Math.round((s.qNormal as number) / 0.25))).toBeLessThan(1e-9);
      expect(['adam', 'sgd']).toContain(s.optimizer);
    }
  });

  it('learns where a normal\'s best values lie (2.5 with mu 0, sigma 2) far more closely than random search', () => {
    const normalSpace: SearchSpace = [{ kind: 'ann', params: { normal: domains.normal } }];
    const gap = (samples: Sample[]) => median(samples.slice(40).map((s) => Math.abs((s.normal as number) - 2.5)));
    const closeness = (s: Sample) => -(((s.normal as number) - 2.5) ** 2);
    for (const seed of [1, 2, 3]) {
      const tpe = gap(sweep(60, closeness, (k, h) => proposeTpe(normalSpace, seed, k, h)));
      const random = gap(sweep(60, closeness, (k) => sampleRandom(normalSpace, seed, k)));
      expect(tpe).toBeLessThan(0.5 * random);
    }
  });

  it('prefers the better of two weighted choices though the prior favours the other', () => {
    const proposed = sweep(50, score, (k, h) => proposeTpe(space, 8, k, h)).slice(20);
    // The prior gives sgd 0.4; the scores favour it.
    expect(proposed.filter((s) => s.optimizer === 'sgd').length).toBeGreaterThan(0.6 * proposed.length);
  });

  it('takes observations from far out in a normal\'s tails (cdf 0 or 1) and still proposes finite values', () => {
    const normalSpace: SearchSpace = [{ kind: 'ann', params: { normal: domains.normal } }];
    const far = range(12).map((k) => complete(k, { model: 'ann', normal: k % 2 ? 1e6 : -1e6 }, k));
    expect(Number.isFinite(proposeTpe(normalSpace, 1, 12, far).normal)).toBe(true);
  });
});
