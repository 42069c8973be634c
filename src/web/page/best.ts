/**
 * The best trial up close (when the server could analyse it): its confusion matrix on the test
 * images, the images it gets most confidently wrong, and its configuration as a runnable spec.
 */
import type { BestView, DashboardData } from '../model.js';
import { paint } from './colour.js';
import { h, replace } from './dom.js';

export function mountBest(section: HTMLElement): { readonly render: (data: DashboardData) => void } {
  const body = h('div', { class: 'best-body' });
  section.append(body);
  // Redraw only when the analysis changes: a live update resends it whole, and the images need not flicker.
  let shown: string | undefined;
  return {
    render: (d) => {
      const best = d.sweep.best;
      section.hidden = best === null && d.sweep.bestNote === null;
      const key = JSON.stringify([best, d.sweep.bestNote]);
      if (key === shown) return;
      shown = key;
      if (!best) return void replace(body, d.sweep.bestNote === null ? null : h('p', { id: 'best-note', class: 'muted' }, d.sweep.bestNote));
      const trial = d.sweep.trials.find((t) => t.id === best.trialId);
      replace(body,
        h('p', { class: 'muted' }, trial ? `Trial ${trial.id}, on the ${total(best)} test images it was evaluated on.` : `Trial ${best.trialId}.`),
        h('div', { class: 'best-grid' },
          h('div', {}, h('h3', {}, 'Confusion matrix'), confusion(best)),
          h('div', {}, h('h3', {}, 'Most confidently wrong'), wrong(best)),
        ),
        spec(best),
      );
    },
  };
}

function total(best: BestView): string {
  return best.confusion.flat().reduce((a, b) => a + b, 0).toLocaleString('en');
}

/** Rows: the true class; columns: the predicted one. Each cell shaded by its share of its row. */
function confusion(best: BestView): HTMLTableElement {
  const names = best.classNames;
  return h('table', { class: 'heatmap confusion', id: 'confusion' },
    h('caption', {}, 'rows: true class · columns: predicted'),
    h('thead', {}, h('tr', {}, h('th', { class: 'corner', scope: 'col' }, 'true \\ predicted'), ...names.map((n) => h('th', { scope: 'col', class: 'rot' }, h('span', {}, n))))),
    h('tbody', {}, ...best.confusion.map((row, i) => {
      const sum = row.reduce((a, b) => a + b, 0);
      return h('tr', {}, h('th', { scope: 'row' }, names[i] ?? String(i)), ...row.map((n, j) => {
        const td = h('td', { class: `num${i === j ? ' diagonal' : ''}`, title: `true ${names[i]}, predicted ${names[j]}: ${n}` }, String(n));
        if (sum > 0 && n > 0) paint(td, n / sum);
        return td;
      }));
    })),
  );
}

function wrong(best: BestView): HTMLElement {
  if (best.wrong.length === 0) return h('p', { class: 'muted' }, 'It gets none wrong.');
  return h('div', { class: 'wrong' }, ...best.wrong.map((w) => h('figure', { 'data-index': w.index },
    picture(w.pixels, best.shape),
    h('figcaption', {},
      h('span', { class: 'true' }, `true: ${best.classNames[w.label] ?? w.label}`),
      h('span', { class: 'predicted' }, `predicted: ${best.classNames[w.predicted] ?? w.predicted}`),
      h('span', { class: 'muted' }, `${(w.confidence * 100).toFixed(1)}% sure · test #${w.index}`)),
  )));
}

/**
 * An image as the dataset has it (height × width × channels bytes, 0 black … 255 full) on a canvas,
 * grey from one channel, colour from three; CSS scales it ×3 with crisp pixels.
 */
function picture(base64: string, [height, width, channels]: BestView['shape']): HTMLCanvasElement {
  const canvas = h('canvas', { width, height, class: 'digit' });
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const ctx = canvas.getContext('2d');
  if (!ctx) return canvas;
  const img = ctx.createImageData(width, height);
  for (let i = 0; i < width * height; i++) {
    const at = (c: number) => bytes[i * channels + (channels >= 3 ? c : 0)] ?? 0;
    img.data.set([at(0), at(1), at(2), 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}

function spec(best: BestView): HTMLElement {
  const pre = h('pre', { id: 'best-spec' }, best.spec);
  const status = h('span', { class: 'muted', 'aria-live': 'polite' });
  const copy = h('button', { type: 'button', id: 'copy-spec' }, 'Copy');
  copy.addEventListener('click', () => {
    // The clipboard API may be missing or refused (a file:// page, no permission): select the text instead.
    const fallback = () => {
      const range = document.createRange();
      range.selectNodeContents(pre);
      getSelection()?.removeAllRanges();
      getSelection()?.addRange(range);
      status.textContent = 'selected: press Ctrl+C to copy';
    };
    if (!navigator.clipboard?.writeText) return fallback();
    navigator.clipboard.writeText(best.spec).then(() => { status.textContent = 'copied'; }, fallback);
  });
  return h('div', { class: 'spec' }, h('div', { class: 'spec-head' }, h('h3', {}, 'Its configuration, as a spec'), copy, status),
    h('p', { class: 'muted' }, 'Save as best.yaml and run `sweep run best.yaml` to train it again.'), pre);
}
