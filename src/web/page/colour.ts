/** The sequential colour scale the HTML heat maps (pair means, confusion matrix) share. */

/** A cell's background for q in [0, 1] (0 light, 1 dark blue), and a text colour readable on it. */
export function heat(q: number): { readonly background: string; readonly color: string } {
  const t = Math.min(1, Math.max(0, Number.isFinite(q) ? q : 0));
  const mix = (a: number, b: number) => Math.round(a + (b - a) * t);
  return { background: `rgb(${mix(241, 24)},${mix(243, 100)},${mix(245, 171)})`, color: t > 0.55 ? '#fff' : '#212529' };
}

/** Paints a cell through CSSOM (a style attribute would break the page's CSP). */
export function paint(el: HTMLElement, q: number): void {
  const c = heat(q);
  el.style.backgroundColor = c.background;
  el.style.color = c.color;
}
