// The stores of a scale-out and how each is doing, from the shared journal: last cycle, orders in the
// shop, failed imports, operations not confirmed yet or refused, and the oldest order still to ship against its
// deadline (the engine's deadlineStatus, recomputed in the page). Refreshed every 15 seconds while shown.
import { api } from '../lib/api.js';
import { count, deadlineText, h, replace, when } from '../lib/dom.js';

/** @type {ReturnType<typeof setInterval> | null} */
let refresher = null;

/**
 * @param {import('../app.js').Ctx} ctx
 */
export async function renderStores(ctx) {
  const main = ctx.main;
  const gen = ctx.generation;
  const fresh = main.dataset.view !== 'stores';
  if (fresh) {
    main.dataset.view = 'stores';
    replace(main,
      h('div', { class: 'view-head' },
        h('h2', { tabindex: '-1' }, 'Stores'),
        h('p', { class: 'muted' }, 'Every Shoppingfeed store the workers serve, from the shared journal.')),
      h('p', { id: 'stores-count', class: 'count', role: 'status' }),
      h('div', { class: 'table-wrap' },
        h('table', { id: 'stores-table', class: 'orders stores' },
          h('caption', { class: 'sr-only' }, 'Stores and their metrics'),
          h('thead', null, h('tr', null,
            ['Store', 'Schedule', 'Last cycle', 'In the shop', 'Failed imports', 'Pending operations', 'Refused operations', 'To ship', 'Oldest to ship', 'Actions']
              .map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', { id: 'stores-body' }))));
  }
  const body = /** @type {HTMLElement} */ (main.querySelector('#stores-body'));
  const countLine = /** @type {HTMLElement} */ (main.querySelector('#stores-count'));
  const table = /** @type {HTMLElement} */ (main.querySelector('#stores-table'));
  table.setAttribute('aria-busy', 'true');
  const { items } = await api('/api/stores');
  if (gen !== ctx.generation) return;
  const now = ctx.now();
  replace(body, items.length
    ? items.map((/** @type {any} */ s) => row(ctx, s, now))
    : h('tr', null, h('td', { colspan: '10', class: 'empty' }, 'No store registered: shoppingfeed-orders stores add ID --token-ref env:NAME')));
  const late = items.filter((/** @type {any} */ s) => ['at_risk', 'overdue'].includes(s.metrics?.oldestUnshipped?.deadline?.state)).length;
  countLine.textContent = `${count(items.length)} store${items.length === 1 ? '' : 's'}${late ? ` · ${count(late)} with an order to ship at risk or overdue` : ''}`;
  table.removeAttribute('aria-busy');
  if (fresh) /** @type {HTMLElement} */ (main.querySelector('h2'))?.focus();

  if (refresher) clearInterval(refresher);
  refresher = setInterval(() => {
    if (main.dataset.view !== 'stores') {
      if (refresher) clearInterval(refresher);
      refresher = null;
      return;
    }
    renderStores(ctx).catch(() => {});
  }, 15_000);
}

/** @param {import('../app.js').Ctx} ctx @param {any} s @param {number} now */
function row(ctx, s, now) {
  const m = s.metrics;
  const id = String(Number(s.id));
  const last = m?.lastCycle;
  // `late` is the server's verdict (scale overview()); the page only words it.
  const idleMin = Math.round((now - Date.parse(last?.at ?? s.addedAt)) / 60_000);
  const lateNote = s.late
    ? h('span', { class: 'block error-text small' },
      `late: no cycle ${last ? 'for' : 'since it was registered,'} ${idleMin} min (every ${s.everyMinutes} min) — are the workers running?`)
    : null;
  const lastCell = !m
    ? h('span', { class: 'muted' }, 'no metrics')
    : !last
      ? h('span', { class: 'muted' }, 'never', lateNote)
      : h('span', { class: last.ok ? 'ok-text' : 'error-text', title: last.error?.message ?? null },
        `${when(last.at, true)} · ${last.ok ? `imported ${count(last.imported)}, failed ${count(last.failed)}` : `failed (${last.error?.code ?? 'error'})`}`,
        last.durationMs != null ? h('span', { class: 'block muted small' }, `${(last.durationMs / 1000).toFixed(1)} s${last.worker ? ` on ${last.worker}` : ''}`) : null,
        lateNote);
  const oldest = m?.oldestUnshipped;
  const oldestCell = oldest
    ? h('span', null,
      h('a', { href: `#/s/${id}/orders/${Number(oldest.id)}` }, oldest.reference || `#${oldest.id}`),
      oldest.channel ? h('span', { class: 'muted' }, ` ${oldest.channel}`) : null,
      h('span', { class: 'block' }, deadline(ctx, oldest, now)))
    : h('span', { class: 'muted' }, '—');
  return h('tr', { dataset: { store: id } },
    h('th', { scope: 'row', class: 'ref' }, h('a', { href: `#/s/${id}/orders` }, s.name || `Store ${id}`), h('span', { class: 'block muted small' }, id)),
    h('td', null, `every ${s.everyMinutes} min`, s.nextRunAt ? h('span', { class: 'block muted small' }, `next ${when(s.nextRunAt, true)}`) : null),
    h('td', null, lastCell),
    h('td', { class: 'num' }, m ? count(m.imported) : '—'),
    h('td', { class: ['num', m?.failed ? 'error-text' : ''] }, m ? count(m.failed) : '—'),
    h('td', { class: 'num' }, m ? count(m.pendingOperations) : '—'),
    h('td', { class: ['num', m?.failedOperations ? 'error-text' : ''], title: m?.failedOperations ? 'orders with a ship, cancel… the marketplace refused and not retried: see the store’s orders, "Needs attention"' : null },
      m ? count(m.failedOperations ?? 0) : '—'),
    h('td', { class: 'num' }, m ? count(m.unshipped) : '—'),
    h('td', null, oldestCell),
    h('td', { class: 'actions' },
      h('button', { type: 'button', class: 'small', 'aria-label': `Queue a cycle of ${s.name || `store ${id}`} now`, on: { click: (/** @type {Event} */ ev) => runNow(ctx, id, /** @type {HTMLButtonElement} */ (ev.currentTarget)) } }, 'Run now')));
}

/** The oldest order's deadline, as the engine computes it now. @param {import('../app.js').Ctx} ctx @param {any} o @param {number} now */
function deadline(ctx, o, now) {
  if (!o.latestShipDate) return h('span', { class: 'deadline dl-none' }, 'no ship-by date');
  const d = ctx.engine.deadlineStatus(o.latestShipDate, o.createdAt ?? null, now);
  return h('span', { class: ['deadline', `dl-${d.state}`], title: `ship by ${when(o.latestShipDate)}`, dataset: { latest: o.latestShipDate, created: o.createdAt ?? '' } }, deadlineText(d));
}

/** @param {import('../app.js').Ctx} ctx @param {string} id @param {HTMLButtonElement} button */
async function runNow(ctx, id, button) {
  button.disabled = true;
  try {
    await api(`/api/stores/${id}/sync`, { method: 'POST', body: {} });
    ctx.notify(`A cycle of store ${id} is queued: the next free worker runs it.`, 'ok');
  } catch (err) {
    ctx.notify(`Could not queue a cycle of store ${id}: ${/** @type {Error} */ (err).message}`, 'error');
  } finally {
    button.disabled = false;
  }
}
