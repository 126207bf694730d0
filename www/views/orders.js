// The orders table: counters per channel, filters (status, channel, needs attention), server-side pages,
// and a deadline countdown the engine computes in the page (deadlineStatus) every 30 seconds.
import { api, link, query } from '../lib/api.js';
import { channelName, count, deadlineText, h, replace, statusLabel, when } from '../lib/dom.js';

const PAGE_SIZES = [25, 50, 100, 200];
const DEFAULT_SIZE = 50;

/** @type {ReturnType<typeof setInterval> | null} */
let ticker = null;

/** Filters from the address. @param {URLSearchParams} p */
function filtersOf(p) {
  const size = Number(p.get('size'));
  const page = Number(p.get('page'));
  return {
    status: p.get('status') ?? '',
    channel: p.get('channel') ?? '',
    attention: p.get('attention') === '1',
    size: PAGE_SIZES.includes(size) ? size : DEFAULT_SIZE,
    page: Number.isInteger(page) && page > 0 ? page : 1,
  };
}

/** @param {ReturnType<typeof filtersOf>} f */
function hashOf(f) {
  return `#/orders${query({
    status: f.status,
    channel: f.channel,
    attention: f.attention ? '1' : '',
    size: f.size === DEFAULT_SIZE ? '' : f.size,
    page: f.page > 1 ? f.page : '',
  })}`;
}

/** The API calls a view of the orders makes (the page starts them while the engine loads). @param {URLSearchParams} params */
export function requests(params) {
  const f = filtersOf(params);
  const offset = (f.page - 1) * f.size;
  return ['/api/summary', `/api/orders${query({ limit: f.size, offset, status: f.status, channel: f.channel, attention: f.attention ? '1' : '' })}`];
}

/**
 * @param {import('../app.js').Ctx} ctx
 * @param {URLSearchParams} params
 */
export async function renderOrders(ctx, params) {
  const f = filtersOf(params);
  const gen = ctx.generation;
  const main = ctx.main;
  const fresh = main.dataset.view !== 'orders';
  if (fresh) buildFrame(ctx);
  const frame = {
    channels: /** @type {HTMLElement} */ (main.querySelector('#channel-counters')),
    form: /** @type {HTMLFormElement} */ (main.querySelector('#filters')),
    countLine: /** @type {HTMLElement} */ (main.querySelector('#orders-count')),
    body: /** @type {HTMLElement} */ (main.querySelector('#orders-body')),
    pager: /** @type {HTMLElement} */ (main.querySelector('#pager')),
    table: /** @type {HTMLElement} */ (main.querySelector('#orders-table')),
  };
  frame.table.setAttribute('aria-busy', 'true');
  const offset = (f.page - 1) * f.size;
  // The page of orders and the counters travel together; the table does not wait for the counters
  // (with many orders the server needs longer for them).
  const [summaryPath, listPath] = requests(params);
  let counted = false;
  const summaryDone = api(summaryPath).then((summary) => {
    if (gen !== ctx.generation) return;
    counted = true;
    renderCounters(ctx, frame.channels, summary, f);
    syncForm(frame.form, summary, f);
  });
  const list = await api(listPath);
  if (gen !== ctx.generation) return;
  if (fresh && !counted) syncForm(frame.form, { statuses: [], channels: [] }, f);

  const now = ctx.now();
  const rows = list.items.map((/** @type {any} */ item) => row(ctx, item, now));
  replace(frame.body, rows.length ? rows : h('tr', null, h('td', { colspan: '8', class: 'empty' }, 'No order matches these filters.')));
  const last = Math.max(1, Math.ceil(list.total / f.size));
  frame.countLine.textContent = list.total === 0
    ? 'No orders'
    : `Showing ${count(offset + 1)}–${count(Math.min(offset + list.items.length, list.total))} of ${count(list.total)} orders`;
  renderPager(ctx, frame.pager, f, last);
  frame.table.removeAttribute('aria-busy');
  if (fresh) /** @type {HTMLElement} */ (main.querySelector('h2'))?.focus();
  if (!performance.getEntriesByName('sfo:table-rendered').length) performance.mark('sfo:table-rendered');
  await summaryDone;
  if (gen !== ctx.generation) return;

  if (ticker) clearInterval(ticker);
  ticker = setInterval(() => {
    if (main.dataset.view !== 'orders') {
      if (ticker) clearInterval(ticker);
      ticker = null;
      return;
    }
    tick(ctx, main);
  }, 30_000);
}

/** The parts that stay while the filters change (so focus stays where the user is). @param {import('../app.js').Ctx} ctx */
function buildFrame(ctx) {
  const main = ctx.main;
  main.dataset.view = 'orders';
  const onChange = () => {
    const form = /** @type {HTMLFormElement} */ (main.querySelector('#filters'));
    const data = new FormData(form);
    const size = Number(data.get('size'));
    ctx.go(hashOf({
      status: String(data.get('status') ?? ''),
      channel: String(data.get('channel') ?? ''),
      attention: data.get('attention') === '1',
      size: PAGE_SIZES.includes(size) ? size : DEFAULT_SIZE,
      page: 1,
    }));
  };
  replace(main,
    h('div', { class: 'view-head' },
      h('h2', { tabindex: '-1' }, 'Orders'),
      h('p', { class: 'muted' }, 'Marketplace orders imported through Shoppingfeed, newest first.')),
    h('section', { 'aria-labelledby': 'counters-title', class: 'counters-wrap' },
      h('h3', { id: 'counters-title', class: 'sr-only' }, 'Orders per channel'),
      h('div', { id: 'channel-counters', class: 'counters' })),
    h('form', { id: 'filters', class: 'filters', role: 'search', 'aria-label': 'Filter the orders', on: { change: onChange, submit: (/** @type {Event} */ e) => { e.preventDefault(); onChange(); } } },
      h('div', { class: 'field inline' }, h('label', { for: 'f-status' }, 'Status'), h('select', { id: 'f-status', name: 'status' })),
      h('div', { class: 'field inline' }, h('label', { for: 'f-channel' }, 'Channel'), h('select', { id: 'f-channel', name: 'channel' })),
      h('div', { class: 'field inline check' }, h('input', { id: 'f-attention', name: 'attention', type: 'checkbox', value: '1' }),
        h('label', { for: 'f-attention' }, 'Needs attention only')),
      h('div', { class: 'field inline' }, h('label', { for: 'f-size' }, 'Per page'),
        h('select', { id: 'f-size', name: 'size' }, PAGE_SIZES.map((n) => h('option', { value: String(n) }, String(n)))))),
    h('p', { id: 'orders-count', class: 'count', role: 'status' }),
    h('div', { class: 'table-wrap' },
      h('table', { id: 'orders-table', class: 'orders' },
        h('caption', { class: 'sr-only' }, 'Orders'),
        h('thead', null, h('tr', null,
          ['Channel', 'Marketplace reference', 'Status', 'Acknowledged', 'Shop order', 'Ship-by deadline', 'Last error', 'Actions']
            .map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', { id: 'orders-body' }))),
    h('nav', { id: 'pager', class: 'pager', 'aria-label': 'Pages of orders' }));
}

/**
 * @param {import('../app.js').Ctx} ctx
 * @param {HTMLElement} el @param {any} summary @param {ReturnType<typeof filtersOf>} f
 */
function renderCounters(ctx, el, summary, f) {
  const chip = (/** @type {string} */ name, /** @type {string} */ label, /** @type {number} */ total, /** @type {number} */ attention) => h('button', {
    type: 'button',
    class: 'counter',
    'aria-pressed': String(f.channel.toLowerCase() === name.toLowerCase()),
    on: { click: () => ctx.go(hashOf({ ...f, channel: name, page: 1 })) },
  },
  h('span', { class: 'counter-name' }, label),
  h('span', { class: 'counter-total' }, count(total)),
  attention ? h('span', { class: 'counter-attention' }, `${count(attention)} need attention`) : h('span', { class: 'counter-ok' }, 'all clear'));
  // Orders whose channel could not be read (malformed at import) are counted, not filterable.
  const unnamed = (/** @type {any} */ c) => h('span', { class: 'counter' },
    h('span', { class: 'counter-name' }, 'No channel'), h('span', { class: 'counter-total' }, count(c.total)),
    h('span', { class: 'counter-attention' }, 'unreadable at import'));
  replace(el,
    chip('', 'All channels', summary.total, summary.attention),
    summary.channels.map((/** @type {any} */ c) => (c.name ? chip(c.name, c.name, c.total, c.attention) : unnamed(c))));
}

/** @param {HTMLFormElement} form @param {any} summary @param {ReturnType<typeof filtersOf>} f */
function syncForm(form, summary, f) {
  const status = /** @type {HTMLSelectElement} */ (form.elements.namedItem('status'));
  const statuses = summary.statuses.map((/** @type {any} */ s) => s.status);
  if (f.status && !statuses.includes(f.status)) statuses.push(f.status);
  replace(status, h('option', { value: '' }, 'All statuses'),
    statuses.map((/** @type {string} */ s) => h('option', { value: s, selected: s === f.status }, statusLabel(s))));
  status.value = f.status;
  const channel = /** @type {HTMLSelectElement} */ (form.elements.namedItem('channel'));
  const names = summary.channels.map((/** @type {any} */ c) => c.name).filter(Boolean);
  if (f.channel && !names.some((/** @type {string} */ n) => n.toLowerCase() === f.channel.toLowerCase())) names.push(f.channel);
  replace(channel, h('option', { value: '' }, 'All channels'),
    names.map((/** @type {string} */ n) => h('option', { value: n, selected: n.toLowerCase() === f.channel.toLowerCase() }, n)));
  /** @type {HTMLInputElement} */ (form.elements.namedItem('attention')).checked = f.attention;
  /** @type {HTMLSelectElement} */ (form.elements.namedItem('size')).value = String(f.size);
}

/**
 * One table row. The engine computes the view (allowed operations, deadline, attention) in the page.
 * @param {import('../app.js').Ctx} ctx @param {{record: any, operations: any[]}} item @param {number} now
 */
function row(ctx, item, now) {
  const v = ctx.engine.orderView(item.record, item.operations, now);
  const failedOp = [...v.operations].reverse().find((/** @type {any} */ o) => o.state === 'failed');
  const error = v.lastError ?? failedOp?.message ?? (failedOp ? `${failedOp.operation} failed` : null);
  const ack = v.acknowledged ? 'yes' : v.state === 'failed' ? 'no · import failed' : 'no';
  return h('tr', { class: v.needsAttention ? 'attention' : null, dataset: { id: v.id } },
    h('td', { class: 'channel' }, channelName(v.channel)),
    h('td', { class: 'ref' }, h('a', { href: link(`#/orders/${v.id}`) }, v.reference || `#${v.id}`)),
    h('td', null, h('span', { class: ['status', `status-${v.status}`] }, statusLabel(v.status))),
    h('td', { class: v.acknowledged ? 'ok' : 'warn' }, ack),
    h('td', { class: 'mono' }, v.storeReference ?? '—'),
    h('td', null, deadlineCell(v)),
    h('td', { class: 'error-cell' }, error ? h('span', { title: error }, error) : '—'),
    h('td', { class: 'actions' }, v.allowed.includes('ship') && ctx.config.actions
      ? h('a', { class: 'button small', href: link(`#/orders/${v.id}/ship`), 'aria-label': `Ship order ${v.reference}` }, 'Ship')
      : null));
}

/** @param {any} v */
function deadlineCell(v) {
  if (v.deadline.state === 'none') {
    return h('span', { class: 'deadline dl-none', title: v.latestShipDate ? `ship by ${when(v.latestShipDate)}` : null }, v.shipment ? `shipped (${v.shipment.state})` : '—');
  }
  return h('span', {
    class: ['deadline', `dl-${v.deadline.state}`],
    title: v.latestShipDate ? `ship by ${when(v.latestShipDate)}` : `ship by (unreadable): ${v.latestShipDateUnreadable ?? ''}`,
    dataset: { latest: v.latestShipDate, created: v.createdAt ?? '' },
  }, deadlineText(v.deadline));
}

/** Recomputes the countdowns with the engine. @param {import('../app.js').Ctx} ctx @param {HTMLElement} root */
export function tick(ctx, root) {
  const now = ctx.now();
  for (const el of root.querySelectorAll('.deadline[data-latest]')) {
    const e = /** @type {HTMLElement} */ (el);
    const d = ctx.engine.deadlineStatus(e.dataset.latest, e.dataset.created || null, now);
    e.className = `deadline dl-${d.state}`;
    e.textContent = deadlineText(d);
  }
}

/**
 * @param {import('../app.js').Ctx} ctx
 * @param {HTMLElement} el @param {ReturnType<typeof filtersOf>} f @param {number} last
 */
function renderPager(ctx, el, f, last) {
  const page = Math.min(f.page, last);
  const to = (/** @type {number} */ p) => () => ctx.go(hashOf({ ...f, page: p }));
  const btn = (/** @type {string} */ label, /** @type {number} */ p, /** @type {boolean} */ off, /** @type {string} */ aria) =>
    h('button', { type: 'button', disabled: off, 'aria-label': aria, on: { click: to(p) } }, label);
  replace(el,
    btn('« First', 1, page <= 1, 'First page'),
    btn('‹ Previous', page - 1, page <= 1, 'Previous page'),
    h('span', { class: 'page-of' }, `Page ${count(page)} of ${count(last)}`),
    btn('Next ›', page + 1, page >= last, 'Next page'),
    btn('Last »', last, page >= last, 'Last page'));
}
