// The sync log: the store's event log (cycle reports, failed cycles, operations, marketplace status
// changes), newest first.
import { api, link, query } from '../lib/api.js';
import { h, replace, statusLabel, time } from '../lib/dom.js';

const KINDS = [
  ['', 'All events'],
  ['cycle', 'Sync cycles'],
  ['cycle-failed', 'Failed cycles'],
  ['operation', 'Operations'],
  ['marketplace-status', 'Marketplace changes'],
];

/**
 * @param {import('../app.js').Ctx} ctx
 * @param {URLSearchParams} params
 */
export async function renderLog(ctx, params) {
  const gen = ctx.generation;
  const main = ctx.main;
  const kind = params.get('kind') ?? '';
  const limit = Math.min(1000, Math.max(50, Number(params.get('limit')) || 100));
  const fresh = main.dataset.view !== 'log';
  if (fresh) {
    main.dataset.view = 'log';
    const onChange = (/** @type {Event} */ ev) => {
      ev.preventDefault();
      const k = /** @type {HTMLSelectElement} */ (main.querySelector('#log-kind')).value;
      ctx.go(`#/log${query({ kind: k })}`);
    };
    replace(main,
      h('div', { class: 'view-head' }, h('h2', { tabindex: '-1' }, 'Sync log'),
        h('p', { class: 'muted' }, 'What the connector did: import cycles, operations sent, orders changed on the marketplace.')),
      h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter the log', on: { change: onChange, submit: onChange } },
        h('div', { class: 'field inline' }, h('label', { for: 'log-kind' }, 'Show'),
          h('select', { id: 'log-kind', name: 'kind' }, KINDS.map(([value, label]) => h('option', { value }, label))))),
      h('p', { id: 'log-count', class: 'count', role: 'status' }),
      h('div', { class: 'table-wrap' }, h('table', { class: 'log', id: 'log-table' },
        h('caption', { class: 'sr-only' }, 'Sync log, newest first'),
        h('thead', null, h('tr', null, ['Time', 'Event', 'Details'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', { id: 'log-body' }))),
      h('p', { id: 'log-more' }));
  }
  /** @type {HTMLSelectElement} */ (main.querySelector('#log-kind')).value = kind;
  const { items } = await api(`/api/events${query({ kind, limit })}`);
  if (gen !== ctx.generation) return;
  const body = /** @type {HTMLElement} */ (main.querySelector('#log-body'));
  replace(body, items.length ? items.map((/** @type {any} */ e) => h('tr', { class: `log-${e.kind}` },
    h('td', { class: 'nowrap' }, time(e.at, true)),
    h('td', null, h('span', { class: ['kind', `kind-${e.kind}`] }, kindLabel(e.kind))),
    h('td', null, details(e)))) : h('tr', null, h('td', { colspan: '3', class: 'empty' }, 'Nothing logged yet.')));
  /** @type {HTMLElement} */ (main.querySelector('#log-count')).textContent = `${items.length} event${items.length === 1 ? '' : 's'}, newest first`;
  const more = /** @type {HTMLElement} */ (main.querySelector('#log-more'));
  replace(more, items.length >= limit && limit < 1000
    ? h('button', { type: 'button', on: { click: () => ctx.go(`#/log${query({ kind, limit: limit + 100 })}`) } }, 'Show older events')
    : null);
  if (fresh) /** @type {HTMLElement} */ (main.querySelector('h2')).focus();
}

/** @param {string} kind */
function kindLabel(kind) {
  return KINDS.find(([k]) => k === kind)?.[1]?.replace(/s$/, '') ?? kind;
}

/** @param {any} e */
function details(e) {
  const d = e.data ?? {};
  switch (e.kind) {
    case 'cycle': {
      const parts = [`imported ${d.imported ?? 0}`, `acknowledged ${d.acknowledged ?? 0}`, `failed ${d.failed ?? 0}`, `skipped ${d.skipped ?? 0}`,
        `sent ${d.sent ?? 0}`, `confirmed ${d.succeeded ?? 0}`];
      if (d.operationsFailed) parts.push(`${d.operationsFailed} operations failed`);
      if (d.statusChanges) parts.push(`${d.statusChanges} changed on the marketplace`);
      if (d.pending) parts.push(`${d.pending} pending`);
      const issues = Array.isArray(d.issues) ? d.issues : [];
      return [
        h('span', null, `${parts.join(', ')} · ${d.requests ?? 0} HTTP calls`),
        issues.length ? h('details', { class: 'issues' }, h('summary', null, `${issues.length} issue${issues.length === 1 ? '' : 's'}`),
          h('ul', null, issues.map((/** @type {any} */ i) => h('li', null,
            i.orderId ? h('a', { href: link(`#/orders/${Number(i.orderId)}`) }, i.reference ?? String(i.orderId)) : null,
            i.orderId ? ' · ' : null, h('code', null, String(i.code ?? '')), ' ', String(i.message ?? ''))))) : null,
      ];
    }
    case 'cycle-failed':
      return [h('code', null, String(d.code ?? 'Error')), ' ', h('span', { class: 'error-text' }, String(d.message ?? '')),
        d.report ? h('span', { class: 'block muted' }, `before stopping: imported ${d.report.imported ?? 0}, acknowledged ${d.report.acknowledged ?? 0}`) : null];
    case 'operation':
      return [String(d.name ?? 'operation'), ' of order ', d.orderId ? h('a', { href: link(`#/orders/${Number(d.orderId)}`) }, String(d.orderId)) : '—', `: ${d.state ?? ''}`];
    case 'marketplace-status':
      return ['order ', d.shoppingfeedId ? h('a', { href: link(`#/orders/${Number(d.shoppingfeedId)}`) }, String(d.reference ?? d.shoppingfeedId)) : '—',
        d.channel ? ` (${d.channel})` : '', `: ${statusLabel(d.previous ?? '?')} → ${statusLabel(d.status ?? '?')}`,
        d.shopOrderCancelled ? ` · shop order ${d.shopOrderId ?? ''} cancelled` : ''];
    default:
      return h('code', { class: 'small' }, JSON.stringify(d).slice(0, 300));
  }
}
