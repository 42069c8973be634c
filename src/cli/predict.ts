import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLASS_NAMES, loadFashionMnist } from '../data/fashion-mnist.js';
import { UsageError, UserError } from '../errors.js';
import { parse } from './args.js';
import { formatTable } from './table.js';

export const PREDICT_USAGE = 'sweep predict DIR [--limit N] [--data DIR]';

/**
 * `sweep predict DIR`: classifies the Fashion-MNIST test images with an exported model and
 * prints the accuracy, the confusion matrix and the most confused pairs of classes.
 */
export async function predict(argv: string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parse('predict', argv, {
    limit: { type: 'string' }, data: { type: 'string' },
  }, ['dir']);
  const dir = positionals[0];
  if (!existsSync(join(dir, 'model.json'))) throw new UserError(`${dir}: no model.json here (make one with \`sweep export\`)`);
  const dataset = await loadFashionMnist({ dir: values.data });
  const limit = values.limit === undefined ? dataset.test.count : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`sweep predict: --limit must be a positive integer, got "${values.limit}"`);
  const count = Math.min(limit, dataset.test.count);
  // tfjs loads only here, after the arguments and files are known to be good.
  const { initBackend } = await import('../train/backend.js');
  const { evaluateExported } = await import('../train/predict.js');
  const backend = await initBackend('auto');
  const r = await evaluateExported(dir, dataset.test.images, dataset.test.labels, count);

  out(`${dir}: accuracy ${(r.accuracy * 100).toFixed(2)}% on the first ${count} Fashion-MNIST test images (backend ${backend})`);
  const cardPath = join(dir, 'card.json');
  if (existsSync(cardPath)) {
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
