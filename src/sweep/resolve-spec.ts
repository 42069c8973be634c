/**
 * A spec made concrete against the dataset it names, before anything is recorded or trained: its
 * data settings completed from the data (as every config id needs them), and its models checked
 * against the data's images. `sweep run` (--dry-run too), `sweep worker` and `sweep repro` resolve
 * the spec this way, so they all name a configuration's trial by the same id.
 */
import type { DatasetInfo } from '../data/dataset.js';
import { DEFAULT_DATASET } from '../data/registry.js';
import { splitSizes } from '../data/split.js';
import { UserError } from '../errors.js';
import { combinations, kindAxes } from '../spec/axes.js';
import type { DataSettings, Pooling, SweepSpec } from '../spec/schema.js';
import { inputProblem } from '../train/input-fit.js';

/**
 * The data settings a trial records: the spec's split, its limits bounded by the data's real sizes
 * (absent: all of them), and the dataset's identity (for Fashion-MNIST none). `file` names the spec in errors.
 */
export function resolveData(data: DataSettings, info: DatasetInfo, file: string): DataSettings {
  const named = data.dataset ?? DEFAULT_DATASET;
  // (A sweep whose spec changed its dataset after its trials were recorded gets here.)
  if (named !== info.name) throw new UserError(`${file}: data.dataset is ${named}, but the data its trials were recorded with is ${info.label}`);
  const { counts } = info;
  const trainLimit = data.trainLimit ?? counts.train;
  const testLimit = data.testLimit ?? counts.test;
  if (trainLimit > counts.train) throw new UserError(`${file}: data.trainLimit is ${trainLimit}, more than the ${counts.train} training images of ${info.label}`);
  if (testLimit > counts.test) throw new UserError(`${file}: data.testLimit is ${testLimit}, more than the ${counts.test} test images of ${info.label}`);
  const split = { validationSplit: data.validationSplit, trainLimit, testLimit };
  if (splitSizes(split).train < 1) throw new UserError(`${file}: data.trainLimit ${trainLimit} leaves no training images after the validation split`);
  return { ...info.identity, ...split };
}

/**
 * Refuses a spec with a model that cannot take the data's images (a CNN whose pooling shrinks
 * them below 2×2), naming the first: one line now, rather than a failed trial per configuration.
 */
function checkModelsFit(spec: SweepSpec, info: DatasetInfo, file: string): void {
  for (const { kind, axes } of kindAxes(spec)) {
    if (kind !== 'ann' && kind !== 'cnn') continue;
    // filters and pooling are lists (with probabilities or not), never ranges (their registry entries take none);
    // under a choice (pooling: {none: {filters: …}}) only the combinations the grid has.
    for (const c of combinations(axes, ['filters', 'pooling'])) {
      if (c.filters === undefined || c.pooling === undefined) continue;
      const [filters, pooling] = [c.filters as number[], c.pooling as Pooling];
      const problem = inputProblem({ model: kind, filters, pooling }, info.shape);
      if (problem) {
        throw new UserError(`${file}: filters [${filters.join(', ')}] with pooling ${pooling} do not fit the ${info.shape.slice(0, 2).join('×')} images of ${info.label}: ${problem}`);
      }
    }
  }
}

/** The spec with its data settings resolved against `info` (see resolveData), once its models are known to fit the data. */
export function resolveSpec(spec: SweepSpec, info: DatasetInfo, file: string): SweepSpec {
  const data = resolveData(spec.data, info, file);
  checkModelsFit(spec, info, file);
  return { ...spec, data };
}
