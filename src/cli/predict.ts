import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseIdx } from '../data/idx.js';
import type { DatasetIdentity, ImageShape } from '../data/dataset.js';
import { openDataset } from '../data/registry.js';
import { UsageError, UserError } from '../errors.js';
import { MODEL_JSON } from '../train/model-format.js';
import type { Io } from './command.js';
import type { PredictOptions } from './commands.js';
import { formatTable } from './table.js';
import { checkTfjsVersions } from '../train/tfjs-version.js';

/** What predict reads of an exported model's card.json (see export.ts); a folder may have none. */
type Card = { metrics?: { testAccuracy?: number }; data?: DatasetIdentity & { testLimit?: number }; classes?: string[] };

function readCard(dir: string): Card | undefined {
  const file = join(dir, 'card.json');
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Card;
  } catch (err) {
    throw new UserError(`${file}: not a card \`sweep export\` wrote (${(err as Error).message})`);
  }
}

/**
 * `sweep predict DIR`: classifies the test images of the exported model's dataset (its card's; a
 * model without a card, Fashion-MNIST's), or images of your own, and prints the accuracy, the
 * confusion matrix and the most confused pairs of classes.
 */
export async function predict(dir: string, values: PredictOptions, { out }: Io): Promise<number> {
  if (!existsSync(join(dir, MODEL_JSON))) throw new UserError(`${dir}: no ${MODEL_JSON} here (make one with \`sweep export\`)`);
  if (values.labels && !values.images) throw new UsageError('--labels needs --images');
  checkTfjsVersions();
  const card = readCard(dir);
  const input = values.images ? readImages(values.images, values.labels) : await testSet(card?.data ?? {}, values.data);
  const count = Math.min(values.limit ?? input.count, input.count);
  // tfjs loads only here, after the arguments and files are known to be good.
  const { initBackend } = await import('../train/backend.js');
  const { classifyExported } = await import('../train/predict.js');
  const backend = await initBackend('auto');
  const { predicted, classes: outputs } = await classifyExported(dir, input.images, count, input.shape);
  const names = card?.classes ?? input.classes ?? Array.from({ length: outputs }, (_, i) => String(i));
  if (!input.labels) {
    out(`${dir}: ${count} images from ${input.name} (backend ${backend}), predicted classes:`);
    out(formatTable(['class', 'images'], names.map((c, i) => [c, predicted.filter((p) => p === i).length])));
    return 0;
  }
  const confusion = names.map(() => new Array<number>(names.length).fill(0));
  for (let i = 0; i < count; i++) {
    if (input.labels[i] >= names.length) throw new UserError(`${input.labelsFile}: label ${input.labels[i]} (image ${i}) is out of range: the model has ${names.length} classes`);
    confusion[input.labels[i]][predicted[i]]++;
  }
  const r = { accuracy: confusion.reduce((sum, row, i) => sum + row[i], 0) / count, confusion };

  out(`${dir}: accuracy ${(r.accuracy * 100).toFixed(2)}% on the first ${count} ${input.name} (backend ${backend})`);
  if (card?.metrics?.testAccuracy != null && !values.images) {
    out(`recorded test accuracy: ${(card.metrics.testAccuracy * 100).toFixed(2)}% (on the first ${card.data?.testLimit ?? '?'} test images)`);
  }
  out('');
  out('confusion matrix (rows: true class, columns: predicted)');
  const short = names.map((c) => c.split('/')[0]);
  out(formatTable(['', ...short], r.confusion.map((row, i) => [names[i], ...row])));
  const pairs = r.confusion.flatMap((row, t) => row.map((n, p) => ({ t, p, n }))).filter((x) => x.t !== x.p && x.n > 0)
    .sort((a, b) => b.n - a.n).slice(0, 5);
  out('');
  out('most confused (true → predicted):');
  for (const { t, p, n } of pairs) out(`  ${names[t]} → ${names[p]}: ${n} (${((n / r.confusion[t].reduce((a, b) => a + b, 0)) * 100).toFixed(1)}% of ${names[t]})`);
  return 0;
}

type Images = {
  name: string; images: Uint8Array; shape: ImageShape; labels: Uint8Array | null; count: number;
  /** The dataset's class names, where the images are a dataset's. */
  classes?: readonly string[];
  /** Where the labels come from, for errors. */
  labelsFile?: string;
};

/** The test images of the dataset a card names (the one its trial trained on), found and verified as the trial recorded it. */
async function testSet(data: DatasetIdentity, dataDir: string | undefined): Promise<Images> {
  const d = await openDataset(data, { dataDir });
  return {
    name: `test images of ${d.label}`, images: d.test.images, shape: d.shape, labels: d.test.labels, count: d.test.count,
    classes: d.classes, labelsFile: `the test labels of ${d.label}`,
  };
}

/** Images (count × rows × columns, one channel) and labels from IDX files, gzipped or not. */
function readImages(imagesPath: string, labelsPath: string | undefined): Images {
  const read = (path: string) => {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (err) {
      throw new UserError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`);
    }
    try {
      return path.endsWith('.gz') ? new Uint8Array(gunzipSync(bytes)) : bytes;
    } catch {
      throw new UserError(`${path}: not a valid gzip file`);
    }
  };
  const images = parseIdx(read(imagesPath), imagesPath, { rank: 3 });
  const labels = labelsPath ? parseIdx(read(labelsPath), labelsPath, { rank: 1 }) : null;
  if (labels && labels.dims[0] !== images.dims[0]) {
    throw new UserError(`${labelsPath}: ${labels.dims[0]} labels for ${images.dims[0]} images in ${imagesPath}`);
  }
  const [count, rows, cols] = images.dims;
  return { name: `images of ${imagesPath}`, images: images.data, shape: [rows, cols, 1], labels: labels?.data ?? null, count, labelsFile: labelsPath };
}
