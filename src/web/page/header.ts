/** The page's header: the sweep, how it is searched and scored, its notes, where the data comes from, and links to the other sweeps. */
import type { DashboardData } from '../model.js';
import { h, replace } from './dom.js';

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'closed';

const STATUS_ORDER = ['completed', 'running', 'pruned', 'interrupted', 'pending', 'failed', 'infeasible'] as const;

export function mountHeader(header: HTMLElement): { readonly render: (d: DashboardData) => void; readonly setLive: (s: LiveState) => void } {
  const name = h('span', { id: 'sweep-name' });
  const live = h('span', { id: 'live-badge', class: 'live-badge', hidden: true, title: 'updates as the sweep runs' });
  const facts = h('p', { class: 'facts' });
  const source = h('p', { class: 'muted source' });
  const nav = h('nav', { id: 'sweeps', 'aria-label': 'other sweeps' });
  const notes = h('ul', { id: 'sweep-notes', class: 'notes', 'aria-label': 'notes on the sweep' });
  header.append(h('h1', {}, 'sweep · ', name, ' ', live), facts, notes, source, nav);
  return {
    render: (d) => {
      const s = d.sweep;
      document.title = `sweep · ${s.name}`;
      name.textContent = s.name;
      const counts = STATUS_ORDER.map((st) => [st, s.trials.filter((t) => t.status === st).length] as const).filter(([, n]) => n > 0);
      replace(facts,
        fact('metric', `${s.metric.name} (${s.metric.goal})`), fact('method', s.method), fact('early stopping', s.earlyStopping ?? 'none'),
        fact('trials', `${s.trials.length}${counts.length > 0 ? ` (${counts.map(([st, n]) => `${n} ${st}`).join(', ')})` : ''}`),
      );
      replace(notes, ...(s.notes ?? []).map((n) => h('li', {}, h('time', { class: 'muted', datetime: n.createdAt }, `${n.createdAt.slice(0, 16).replace('T', ' ')} `), n.text)));
      notes.hidden = (s.notes ?? []).length === 0;
      const at = new Date(d.generatedAt);
      replace(source, `source ${d.source} · generated `,
        h('time', { datetime: d.generatedAt, title: d.generatedAt }, Number.isNaN(at.getTime()) ? d.generatedAt : at.toLocaleString()));
      replace(nav, ...(d.sweeps.length > 1 ? [
        h('span', { class: 'muted' }, 'sweeps: '),
        ...d.sweeps.map((o) => h('a', { href: o.href, 'aria-current': o.name === s.name ? 'page' : null, title: `${o.completed} of ${o.total} trials completed` }, o.name)),
      ] : []));
    },
    setLive: (st) => {
      live.hidden = false;
      live.className = `live-badge live-${st}`;
      live.textContent = st === 'live' ? 'live' : st === 'connecting' ? 'connecting…' : st === 'reconnecting' ? 'reconnecting…' : 'disconnected';
    },
  };
}

function fact(label: string, value: string): HTMLElement {
  return h('span', { class: 'fact' }, h('span', { class: 'muted' }, `${label} `), h('strong', {}, value));
}
