/**
 * The few DOM helpers the views share. The page runs under a Content-Security-Policy without
 * 'unsafe-inline' for styles (src/web/html.ts): styles are set through CSSOM (`el.style.x = …`)
 * or classes, never as a `style` attribute, and text only through text nodes, never innerHTML.
 */

type Attrs = Readonly<Record<string, string | number | boolean | null | undefined>>;
export type Child = Node | string | number | null | undefined | false;

/** A new element with attributes (`class`, `data-*`, …; null, undefined and false leave one out) and children (strings become text). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: readonly Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    // A style attribute would be a CSP violation; CSSOM is not.
    if (name === 'style') throw new Error('set styles through el.style, not a style attribute');
    el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** Appends children to a node, strings as text. */
export function append(parent: Node, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces a node's children. */
export function replace(parent: Element, ...children: readonly Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** The element with this id, which the layout (main.ts) created. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el as T;
}

/**
 * Makes `parent`'s children exactly `nodes`, in order, moving only those out of place: a node
 * that stays where it is keeps its focus and identity (a row's checkbox the reader just ticked).
 */
export function reconcile(parent: Element, nodes: readonly Element[]): void {
  nodes.forEach((node, i) => {
    const at = parent.children[i];
    if (at !== node) parent.insertBefore(node, at ?? null);
  });
  while (parent.children.length > nodes.length) parent.lastElementChild!.remove();
}
