/**
 * The datasets `sweep` knows, by the name a spec's `data.dataset` gives. Adding one is writing its
 * DatasetKind (see dataset.ts) and listing it here: the spec's data keys (load-spec.ts), the CLI,
 * the workers and the dashboard reach every dataset through this file.
 */
import { resolve } from 'node:path';
import { UserError } from '../errors.js';
import type { DataSettings } from './settings.js';
import type { Dataset, DatasetIdentity, DatasetInfo, DatasetKind, OpenOptions } from './dataset.js';
import { fashionMnist } from './fashion-mnist.js';
import { idxFolder } from './idx-folder.js';

/** The dataset of a spec that names none, and of every trial recorded before there were others. */
export const DEFAULT_DATASET = fashionMnist.name;

const KINDS = new Map<string, DatasetKind>([fashionMnist, idxFolder].map((k) => [k.name, k]));

/** Adds an implementation under its name (tests add their own); a name taken already is our bug. */
export function registerDataset(kind: DatasetKind): void {
  if (KINDS.has(kind.name)) throw new Error(`a dataset named "${kind.name}" is registered already`);
  KINDS.set(kind.name, kind);
}

/** Every registered name, the default first. */
export function datasetNames(): string[] {
  return [...KINDS.keys()];
}

/**
 * A spec's data settings checked against the dataset they name (the keys it takes, its fixed
 * sizes), in their canonical form: the default dataset's without its name and with its sizes as
 * the limits, as its trials have always recorded them. `refuse` throws for the key at a path under `data`.
 */
export function checkSettings(data: DataSettings, refuse: (path: (string | number)[], problem: string) => never): DataSettings {
  const { dataset = DEFAULT_DATASET, path, classes, sha256, validationSplit, trainLimit, testLimit } = data;
  const kind = KINDS.get(dataset);
  if (!kind) return refuse(['dataset'], `must be one of ${datasetNames().join(', ')}`);
  const { keys } = kind;
  if (path === undefined && keys.path === 'required') refuse([], `the ${dataset} dataset needs \`path\`, the folder of its files`);
  for (const key of ['path', 'classes', 'sha256'] as const) {
    if (data[key] !== undefined && !keys[key]) refuse([key], `the ${dataset} dataset takes no ${key}`);
  }
  const { sizes } = keys;
  if (sizes && trainLimit !== undefined && trainLimit > sizes.train) refuse(['trainLimit'], `must be at most ${sizes.train}`);
  if (sizes && testLimit !== undefined && testLimit > sizes.test) refuse(['testLimit'], `must be at most ${sizes.test}`);
  const split = {
    validationSplit,
    ...defined('trainLimit', trainLimit ?? sizes?.train),
    ...defined('testLimit', testLimit ?? sizes?.test),
  };
  if (dataset === DEFAULT_DATASET) return split;
  return { dataset, ...defined('path', path), ...defined('classes', classes), ...defined('sha256', sha256), ...split };
}

/** `{[key]: value}`, or nothing where the value is undefined: settings hold no undefined keys. */
function defined<K extends string, V>(key: K, value: V | undefined): { [k in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [k in K]?: V };
}

function kindOf(settings: DatasetIdentity): DatasetKind {
  const name = settings.dataset ?? DEFAULT_DATASET;
  const kind = KINDS.get(name);
  // The spec's schema refuses unknown names; a recorded one may come from a newer sweep.
  if (!kind) throw new UserError(`data.dataset "${name}": no such dataset (this sweep knows ${datasetNames().join(', ')})`);
  return kind;
}

/** Refuses data whose checksum is not the one the settings pin (a recorded trial's, or the spec's `data.sha256`). */
function checkPin<T extends DatasetInfo>(settings: DatasetIdentity, info: T): T {
  const pinned = settings.sha256;
  if (pinned !== undefined && pinned !== info.checksum) {
    throw new UserError(`${info.label}: its contents' SHA-256 is ${info.checksum.slice(0, 16)}…, not ${pinned.slice(0, 16)}… as data.sha256 records: these are not the files it was recorded with`);
  }
  return info;
}

/** Opens the dataset the settings name (a spec's `data`, or a recorded trial's), verified against any checksum they pin. */
export async function openDataset(settings: DatasetIdentity, options: OpenOptions = {}): Promise<Dataset> {
  return checkPin(settings, await kindOf(settings).open(settings, options));
}

/** openDataset's info, without the images where the implementation knows it so (Fashion-MNIST's is pinned). */
export async function describeDataset(settings: DatasetIdentity, options: OpenOptions = {}): Promise<DatasetInfo> {
  const kind = kindOf(settings);
  return checkPin(settings, await (kind.describe ? kind.describe(settings, options) : kind.open(settings, options)));
}

/**
 * openDataset, remembered: each dataset (by what the settings say it is, and where) is opened once
 * however many sweeps or trials ask for it; `opened` hears of each as it is first opened.
 */
export function datasetOpener(options: OpenOptions = {}, opened?: (d: Dataset) => void): (settings: DatasetIdentity, base?: string) => Promise<Dataset> {
  const cache = new Map<string, Promise<Dataset>>();
  return (settings, base = options.base ?? '.') => {
    const { dataset, path, classes, sha256 } = settings;
    const key = JSON.stringify([dataset, path && resolve(base, path), classes, sha256]);
    if (!cache.has(key)) {
      cache.set(key, openDataset(settings, { ...options, base }).then((d) => {
        opened?.(d);
        return d;
      }));
    }
    return cache.get(key)!;
  };
}
