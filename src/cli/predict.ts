import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseIdx } from '../data/idx.js';
import { CLASS_NAMES, loadFashionMnist } from '../data/fashion-mnist.js';
import { Option } from 'commander';
import { UsageError, UserError } from '../errors.js';
import { MODEL_JSON } from '../train/model-format.js';
import { defineCommand, integer, type Io } from './command.js';
import { formatTable } from './table.js';

type PredictOptions = { limit?: number; data?: string; images?: string; labels?: string };

export const predictCommand = defineCommand<PredictOptions>({
  name: 'predict',
  summary: 'classify images with an exported model: accuracy, confusion matrix, most confused pairs',
  args: ['<dir>'],
  options: [
    new Option('--limit <n>', 'only the first N images').argParser(integer(1)),
    new Option('--data <dir>', 'the Fashion-MNIST files whose test set to classify').conflicts('images'),
    new Option('--images <idx>', '28×28 images of your own, an IDX file (gzipped or not)'),
    new Option('--labels <idx>', 'their labels, an IDX file'),
  ],
  example: 'sweep predict best-model --limit 1000',
  action: ([dir], opts, io) => predict(dir, opts, io),
});

/**
 * `sweep predict DIR`: classifies the Fashion-MNIST test images with an exported model and
 * prints the accuracy, the confusion matrix and the most confused pairs of classes.
 */
export async function predict(dir: string, values: PredictOptions, { out }: Io): Promise<number> {
  if (!existsSync(join(dir, MODEL_JSON))) throw new UserError(`${dir}: no ${MODEL_JSON} here (make one with \`sweep export\`)`);
  if (values.labels && !values.images) throw new UsageError('--labels needs --images');
  const input = values.images ? readImages(values.images, values.labels) : await testSet(values.data);
  const count = Math.min(values.limit ?? input.count, input.count);
  // tfjs loads only here, after the arguments and files are known to be good.
  const { initBackend } = await import('../train/backend.js');
  const { classifyExported } = await import('../train/predict.js');
  const backend = await initBackend('auto');
  const predicted = await classifyExported(dir, input.images, count);
  if (!input.labels) {
    out(`${dir}: ${count} images from ${input.name} (backend ${backend}), predicted classes:`);
    out(formatTable(['class', 'images'], CLASS_NAMES.map((c, i) => [c, predicted.filter((p) => p === i).length])));
    return 0;
  }
  const confusion = CLASS_NAMES.map(() => new Array<number>(CLASS_NAMES.length).fill(0));
  for (let i = 0; i < count; i++) confusion[input.labels[i]][predicted[i]]++;
  const r = { accuracy: confusion.reduce((sum, row, i) => sum + row[i], 0) / count, confusion };

  out(`${dir}: accuracy ${(r.accuracy * 100).toFixed(2)}% on the first ${count} ${input.name} (backend ${backend})`);
  const cardPath = join(dir, 'card.json');
  if (existsSync(cardPath) && !values.images) {
    const card = JSON.parse(readFileSync(cardPath, 'utf8')) as { metrics?: { testAccuracy?: number }; data?: { testLimit?: number } };
    if (card.metrics?.testAccuracy != null) out(`recorded test accuracy: ${(card.metrics.testAccuracy * 100).toFixed(2)}% (on the first ${card.data?.testLimit ?? '?'} test images)`);
  }
  out('');
  out('confusion matrix (rows: true class, columns: predicted)');
  const short = CLASS_NAMES.map((c) => c.split('/')[0]);
  out(formatTable(['', ...short], r.confusion.map((row, i) => [CLASS_NAMES[i], ...row])));
  const pairs = r.confusion.flatMap((row, t) => row.map((n, p) => ({ t, p, n }))).filter((x) => x.t !== x.p && x.n > 0)
    .sort((a, b) => b.n - a.n).slice(0, 5);
  out('');
  out('most confused (true → predicted):');
  for (const { t, p, n } of pairs) out(`  ${CLASS_NAMES[t]} → ${CLASS_NAMES[p]}: ${n} (${((n / r.confusion[t].reduce((a, b) => a + b, 0)) * 100).toFixed(1)}% of ${CLASS_NAMES[t]})`);
  return 0;
}

type Images = { name: string; images: Uint8Array; labels: Uint8Array | null; count: number };

async function testSet(data: string | undefined): Promise<Images> {
  const d = await loadFashionMnist({ dir: data });
  return { name: 'Fashion-MNIST test images', images: d.test.images, labels: d.test.labels, count: d.test.count };
}

/** 28×28 images (and labels) from IDX files, gzipped or not. */
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
  const images = parseIdx(read(imagesPath), imagesPath, { rank: 3, dims: [-1, 28, 28] });
  const labels = labelsPath ? parseIdx(read(labelsPath), labelsPath, { rank: 1 }) : null;
  if (labels && labels.dims[0] !== images.dims[0]) {
    throw new UserError(`${labelsPath}: ${labels.dims[0]} labels for ${images.dims[0]} images in ${imagesPath}`);
  }
  return { name: `images of ${imagesPath}`, images: images.data, labels: labels?.data ?? null, count: images.dims[0] };
}
