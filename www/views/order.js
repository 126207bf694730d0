// One order: facts, what the engine allows, the ship form (validated by the engine in the page before
// any request), cancel, items, amounts, addresses, relay point, shipment, and the journal as a timeline
// (import, acknowledgement, operations and their tickets, with a retry for failed ones).
import { ApiError, api, link } from '../lib/api.js';
import { channelName, deadlineText, h, money, replace, safeHttpUrl, statusLabel, time } from '../lib/dom.js';
import { tick } from './orders.js';

/** Operation names for people. */
const OP_LABEL = /** @type {Record<string, string>} */ ({
  ship: 'Shipment', cancel: 'Cancellation', refund: 'Refund', accept: 'Acceptance', refuse: 'Refusal',
  deliver: 'Delivery', acknowledge: 'Acknowledgement', unacknowledge: 'Unacknowledgement', 'upload-documents': 'Invoice upload',
});

/** What an operation state means here. */
const STATE_TEXT = /** @type {Record<string, string>} */ ({
  pending: 'recorded, waiting to be sent (the next sync sends it)',
  sending: 'being sent to Shoppingfeed',
  sent: 'accepted by Shoppingfeed, waiting for the marketplace (ticket open)',
  succeeded: 'confirmed by the marketplace (ticket succeeded)',
  failed: 'failed',
  canceled: 'canceled (the order changed before the ticket ran)',
});

/** @type {ReturnType<typeof setInterval> | null} */
let ticker = null;

/**
 * @param {import('../app.js').Ctx} ctx
 * @param {number} id
 * @param {{ ship?: boolean }} [options]
 */
export async function renderOrder(ctx, id, options = {}) {
  const gen = ctx.generation;
  const main = ctx.main;
  if (main.dataset.view !== 'order' || main.dataset.order !== String(id)) {
    main.dataset.view = 'order';
    main.dataset.order = String(id);
    replace(main, h('p', { class: 'loading', role: 'status' }, 'Loading the order…'));
  }
  let data;
  try {
    data = await api(`/api/orders/${id}`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      replace(main, h('h2', { tabindex: '-1' }, 'Order not found'), h('p', null, `No order ${id} in the journal. `, h('a', { href: link('#/orders') }, 'Back to the orders')));
      /** @type {HTMLElement} */ (main.querySelector('h2')).focus();
      return;
    }
    throw err;
  }
  if (gen !== ctx.generation) return;
  draw(ctx, data, options);
}

/**
 * @param {import('../app.js').Ctx} ctx
 * @param {{record: any, operations: any[], shopOrder: any}} data
 * @param {{ ship?: boolean, focus?: string }} options
 */
function draw(ctx, data, options) {
  const { engine, main } = ctx;
  const { record, operations, shopOrder } = data;
  const v = engine.orderView(record, operations, ctx.now());
  const lifecycle = engine.allowedOperations(String(v.status));
  const support = engine.channelSupport(v.channel.name);
  const draft = shopOrder?.draft ?? null;
  const currency = shopOrder?.currency ?? draft?.currency ?? '';
  const actions = Boolean(ctx.config.actions);
  const missing = record.state === 'failed' ? 'No shop order: the import failed.' : 'Not kept by this store.';
  const canShip = v.allowed.includes('ship');
  const canCancel = v.allowed.includes('cancel') && support.cancel;

  const shipSection = canShip && actions ? shipForm(ctx, data, v, support) : null;
  const cancelSection = canCancel && actions ? cancelForm(ctx, v) : null;
  const toggle = (/** @type {HTMLElement | null} */ section, /** @type {string} */ focusId) => (/** @type {Event} */ ev) => {
    if (!section) return;
    section.hidden = !section.hidden;
    /** @type {HTMLElement} */ (ev.currentTarget).setAttribute('aria-expanded', String(!section.hidden));
    if (!section.hidden) /** @type {HTMLElement} */ (section.querySelector(`#${focusId}`))?.focus();
  };

  const why = (/** @type {string} */ op) => lifecycle.find((/** @type {any} */ l) => l.operation === op)?.reason;
  const buttons = h('div', { class: 'actions', role: 'group', 'aria-label': 'Actions on this order' },
    canShip && actions
      ? h('button', { type: 'button', id: 'open-ship', 'aria-controls': 'ship-section', 'aria-expanded': String(Boolean(options.ship)), on: { click: toggle(shipSection, 'carrier') } }, 'Ship…')
      : h('button', { type: 'button', disabled: true, 'aria-describedby': 'ship-why' }, 'Ship…'),
    canShip && actions ? null : h('span', { id: 'ship-why', class: 'muted small' }, !actions ? 'read-only dashboard'
      : v.shipment && ['pending', 'sending'].includes(v.shipment.state) ? `shipment ${v.shipment.trackingNumber} is waiting to be sent`
        : v.shipment ? 'already shipped' : why('ship') ?? 'not allowed now'),
    canCancel && actions
      ? h('button', { type: 'button', class: 'danger', id: 'open-cancel', 'aria-controls': 'cancel-section', 'aria-expanded': 'false', on: { click: toggle(cancelSection, 'cancel-reason') } }, 'Cancel order…')
      : null,
    v.state === 'failed' && actions
      ? h('button', { type: 'button', class: 'secondary', on: { click: (/** @type {Event} */ ev) => retryImport(ctx, v.id, /** @type {HTMLButtonElement} */ (ev.currentTarget)) } }, 'Retry the import now')
      : null);

  const heading = h('h2', { tabindex: '-1' }, `${channelName(v.channel)} order ${v.reference}`);
  replace(main,
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: link('#/orders') }, 'Orders'), ' / ', h('span', null, v.reference)),
    h('div', { class: 'view-head' }, heading, h('span', { class: ['status', 'big', `status-${v.status}`] }, statusLabel(v.status)),
      v.needsAttention ? h('span', { class: 'flag' }, 'needs attention') : null),
    h('dl', { class: 'facts' },
      fact('Shoppingfeed id', String(v.id)),
      fact('Acknowledged', v.acknowledged ? 'yes' : v.state === 'failed' ? `no — import failed (${v.tries} ${v.tries === 1 ? 'try' : 'tries'})` : 'no'),
      fact('Shop order', v.storeReference ?? '—'),
      fact('Placed', time(v.createdAt)),
      fact('Ship by', v.latestShipDate ? time(v.latestShipDate)
        : v.latestShipDateUnreadable != null ? h('span', { class: 'error-text' }, `unreadable, as sent: ${v.latestShipDateUnreadable}`) : '—'),
      fact('Deadline', v.deadline.state === 'none'
        ? (v.shipment ? `shipped (${v.shipment.state})` : '—')
        : h('span', { class: ['deadline', `dl-${v.deadline.state}`], dataset: { latest: v.latestShipDate, created: v.createdAt ?? '' } }, deadlineText(v.deadline))),
      v.lastError ? fact('Last import error', h('span', { class: 'error-text' }, v.lastError)) : null),
    buttons,
    lifecycleDetails(v, lifecycle),
    shipSection,
    cancelSection,
    h('div', { class: 'detail-grid' },
      itemsSection(record, shopOrder, currency, missing),
      amountsSection(shopOrder, draft, currency, missing),
      addressSection('Shipping address', shopOrder?.shippingAddress ?? draft?.shippingAddress, shopOrder?.relayPoint ?? draft?.relayPoint ?? null, missing),
      addressSection('Billing address', shopOrder?.billingAddress ?? draft?.billingAddress, null, missing, draft),
      shipmentSection(v)),
    timelineSection(ctx, data, v));

  if (shipSection && options.ship) {
    shipSection.hidden = false;
    /** @type {HTMLElement} */ (shipSection.querySelector('#carrier')).focus();
  } else heading.focus();

  if (ticker) clearInterval(ticker);
  ticker = setInterval(() => {
    if (main.dataset.view !== 'order') {
      if (ticker) clearInterval(ticker);
      ticker = null;
      return;
    }
    tick(ctx, main);
  }, 30_000);
}

/** @param {string} label @param {any} value */
function fact(label, value) {
  return h('div', null, h('dt', null, label), h('dd', null, value));
}

/** The engine's lifecycle row for this status. @param {any} v @param {any[]} lifecycle */
function lifecycleDetails(v, lifecycle) {
  return h('details', { class: 'lifecycle' },
    h('summary', null, `What the engine allows for “${statusLabel(v.status)}”`),
    h('ul', null, lifecycle.map((l) => h('li', { class: l.allowed ? 'ok' : 'muted' },
      h('strong', null, OP_LABEL[l.operation] ?? l.operation), ': ',
      l.allowed ? (v.allowed.includes(l.operation) ? 'allowed' : 'allowed by the status, but already done') : `not allowed — ${l.reason ?? ''}`))));
}

/** @param {any} record @param {any} shopOrder @param {string} currency @param {string} missing */
function itemsSection(record, shopOrder, currency, missing) {
  const lines = shopOrder?.lines ?? record.order.lines.map((/** @type {any} */ l, /** @type {number} */ i) => ({ lineNo: i + 1, itemId: l.id, quantity: l.quantity }));
  return h('section', { class: 'card wide', 'aria-labelledby': 'items-title' },
    h('h3', { id: 'items-title' }, 'Items'),
    h('div', { class: 'table-wrap' }, h('table', { class: 'items' },
      h('thead', null, h('tr', null, ['SKU', 'Product', 'Qty', 'Unit price', 'Tax', 'Line total'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, lines.map((/** @type {any} */ l) => h('tr', null,
        h('td', { class: 'mono' }, l.sku ?? (l.itemId != null ? `item ${l.itemId}` : '—'),
          l.originalReference && l.originalReference !== l.sku ? h('span', { class: 'muted small block' }, `sent as ${l.originalReference}`) : null),
        h('td', null, l.name ?? '—'),
        h('td', { class: 'num' }, String(l.quantity)),
        h('td', { class: 'num' }, l.unitPrice == null ? '—' : money(l.unitPrice, currency)),
        h('td', { class: 'num' }, l.taxAmount == null ? '—' : money(l.taxAmount, currency)),
        h('td', { class: 'num' }, l.unitPrice == null ? '—' : money(l.unitPrice * l.quantity, currency))))))),
    shopOrder ? null : h('p', { class: 'muted small' }, lines.length ? `${missing} Lines as in the journal.` : missing));
}

/** @param {any} shopOrder @param {any} draft @param {string} currency @param {string} missing */
function amountsSection(shopOrder, draft, currency, missing) {
  if (!shopOrder && !draft) return h('section', { class: 'card' }, h('h3', null, 'Amounts'), h('p', { class: 'muted' }, missing));
  const o = shopOrder ?? draft;
  return h('section', { class: 'card', 'aria-labelledby': 'amounts-title' },
    h('h3', { id: 'amounts-title' }, 'Amounts'),
    h('dl', { class: 'amounts' },
      fact('Products', money(o.productAmount, currency)),
      fact('Shipping', money(o.shippingAmount, currency)),
      fact('of which tax', money(o.taxAmount, currency)),
      h('div', { class: 'total' }, h('dt', null, 'Total'), h('dd', null, money(o.totalAmount, currency))),
      fact('Currency', currency || '—'),
      draft?.paymentMethod ? fact('Payment', draft.paymentMethod) : null,
      draft?.carrier ? fact('Carrier asked', draft.carrier) : null,
      ...(draft?.adjustments ?? []).map((/** @type {any} */ a) => fact(`Adjustment (${a.kind})`, money(a.amount, currency)))),
    h('p', { class: 'muted small' }, 'As the marketplace sent them (never recomputed).'),
    draft?.fulfilledByChannel ? h('p', { class: 'flag' }, 'Shipped by the marketplace (no stock effect)') : null,
    draft?.isTest ? h('p', { class: 'flag' }, 'Test order') : null);
}

/**
 * @param {string} title @param {any} a @param {any} relay @param {string} missing @param {any} [draft]
 */
function addressSection(title, a, relay, missing, draft) {
  const id = title.toLowerCase().replace(/\W+/g, '-');
  const line = (/** @type {any[]} */ ...parts) => {
    const text = parts.filter((p) => p !== null && p !== undefined && String(p).trim() !== '').join(' ');
    return text ? h('span', { class: 'block' }, text) : null;
  };
  return h('section', { class: 'card', 'aria-labelledby': id },
    h('h3', { id }, title),
    a ? h('address', null,
      line(a.firstName, a.lastName),
      line(a.company),
      (a.street ?? []).map((/** @type {string} */ s) => line(s)),
      line(a.other),
      line(a.postalCode, a.city),
      line(a.province),
      line(a.country),
      a.phone ? h('span', { class: 'block' }, 'Phone: ', a.phone) : null,
      a.email ? h('span', { class: 'block' }, 'E-mail: ', a.email) : null) : h('p', { class: 'muted' }, missing),
    relay ? h('div', { class: 'relay' }, h('h4', null, 'Relay point'), h('p', null, `${relay.id}`, relay.source ? h('span', { class: 'muted' }, ` (from ${relay.source})`) : null)) : null,
    draft?.business ? h('p', { class: 'small' }, 'Business order', draft.vatId ? ` · VAT ${draft.vatId}` : '') : null,
    draft?.anonymized ? h('p', { class: 'flag' }, 'Buyer data anonymized by the marketplace') : null);
}

/** @param {any} v */
function shipmentSection(v) {
  // Every parcel that went (a partial-ship channel takes several); with none, the last failed try.
  const list = v.parcels?.length ? v.parcels : v.shipment ? [v.shipment] : [];
  if (!list.length) return h('section', { class: 'card' }, h('h3', null, 'Shipment'), h('p', { class: 'muted' }, 'Not shipped yet.'));
  const one = (/** @type {any} */ s, /** @type {number} */ i) => {
    const href = safeHttpUrl(s.trackingUrl);
    return h('dl', { class: 'facts one parcel', dataset: { tracking: s.trackingNumber } },
      list.length > 1 ? fact('Parcel', `${i + 1} of ${list.length}`) : null,
      fact('State', h('span', { class: ['op-state', `op-${s.state}`] }, s.state)),
      fact('Carrier', s.carrier),
      fact('Tracking number', h('span', { class: 'mono' }, s.trackingNumber)),
      fact('Tracking URL', href ? h('a', { href, rel: 'noopener noreferrer', target: '_blank' }, s.trackingUrl) : (s.trackingUrl || '—')),
      fact('Items', s.items.length ? s.items.map((/** @type {any} */ i) => `${i.quantity} × item ${i.id}`).join(', ') : 'whole order'),
      s.message ? fact('Message', h('span', { class: 'error-text' }, s.message)) : null);
  };
  return h('section', { class: 'card', 'aria-labelledby': 'shipment-title' },
    h('h3', { id: 'shipment-title' }, list.length > 1 ? `Shipment (${list.length} parcels)` : 'Shipment'),
    list.map(one));
}

/**
 * The journal as a timeline, oldest first.
 * @param {import('../app.js').Ctx} ctx @param {{record: any, operations: any[], shopOrder: any}} data @param {any} v
 */
function timelineSection(ctx, data, v) {
  const { record, operations, shopOrder } = data;
  /** @type {{at: string | null, order: number, node: HTMLElement}[]} */
  const entries = [];
  // Entries are added in their logical order; the sort is by second (journal times have no
  // milliseconds), so steps of the same second keep that order.
  const add = (/** @type {string | null} */ at, /** @type {string} */ kind, /** @type {any[]} */ ...body) =>
    entries.push({ at, order: entries.length, node: h('li', { class: ['event', `ev-${kind}`] }, h('div', { class: 'when' }, at ? time(at, true) : 'time not kept'), h('div', { class: 'what' }, ...body)) });
  const second = (/** @type {string | null} */ at) => Math.floor((Date.parse(at ?? '') || 0) / 1000);

  if (record.order.createdAt) add(record.order.createdAt, 'created', h('strong', null, 'Placed on ', channelName(v.channel)), ` as ${v.reference}`);
  if (shopOrder) add(shopOrder.createdAt, 'imported', h('strong', null, 'Created in the shop'), ` as ${shopOrder.id}`);
  if (record.state === 'failed') {
    add(record.updatedAt, 'failed', h('strong', null, `Import failed (${record.tries} ${record.tries === 1 ? 'try' : 'tries'})`),
      record.lastError ? h('span', { class: 'block error-text' }, record.lastError) : null,
      record.errorAcked ? h('span', { class: 'block muted' }, 'Error acknowledged to Shoppingfeed (it stays unacknowledged; the next sync retries)') : null);
  } else if (record.state === 'acknowledged') {
    add(record.updatedAt, 'acked', h('strong', null, 'Acknowledged to Shoppingfeed'), ` with shop order ${record.shopOrderId ?? '—'}`,
      record.ackBatchId ? h('span', { class: 'block muted' }, 'ticket batch ', h('span', { class: 'mono' }, record.ackBatchId)) : null);
  } else {
    add(record.updatedAt, 'created', h('strong', null, 'Imported, acknowledgement pending'));
  }
  for (const op of operations) {
    const name = op.payload?.operation ?? 'operation';
    const label = OP_LABEL[name] ?? name;
    const sh = op.payload?.shipment;
    add(op.recordedAt, 'recorded', h('strong', null, `${label} recorded`),
      sh ? h('span', { class: 'block' }, `${sh.carrier} · `, h('span', { class: 'mono' }, sh.trackingNumber), sh.items?.length ? ` · ${sh.items.length} item line(s)` : ' · whole order') : null,
      op.payload?.reason ? h('span', { class: 'block muted' }, `reason: ${op.payload.reason}`) : null);
    if (op.state !== 'pending' || op.updatedAt !== op.recordedAt) {
      const retry = op.state === 'failed' && ctx.config.actions && ['ship', 'cancel', 'accept', 'refuse', 'deliver', 'refund'].includes(name)
        ? h('button', { type: 'button', class: 'small', on: { click: (/** @type {Event} */ ev) => retryOp(ctx, v.id, op, /** @type {HTMLButtonElement} */ (ev.currentTarget)) } }, `Retry ${name}`)
        : null;
      add(op.updatedAt, op.state === 'failed' ? 'failed' : op.state === 'succeeded' ? 'done' : 'sent',
        h('strong', null, `${label}: `), h('span', { class: ['op-state', `op-${op.state}`] }, op.state), ` — ${STATE_TEXT[op.state] ?? ''}`,
        op.batchId ? h('span', { class: 'block muted' }, 'ticket batch ', h('span', { class: 'mono' }, op.batchId), op.attempts > 1 ? ` · ${op.attempts} attempts` : '') : null,
        op.message ? h('span', { class: 'block error-text' }, op.message) : null,
        retry);
    }
  }
  entries.sort((a, b) => second(a.at) - second(b.at) || a.order - b.order);
  return h('section', { class: 'card wide', 'aria-labelledby': 'timeline-title' },
    h('h3', { id: 'timeline-title' }, 'Timeline'),
    h('ol', { class: 'timeline' }, entries.map((e) => e.node)));
}

/**
 * A failed import is retried by the next cycle (the order is still unacknowledged at Shoppingfeed):
 * this runs that cycle now, then shows the order again.
 * @param {import('../app.js').Ctx} ctx @param {number} id @param {HTMLButtonElement} button
 */
async function retryImport(ctx, id, button) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    const { report: r } = await api('/api/sync', { method: 'POST', body: {} });
    const data = await api(`/api/orders/${id}`);
    const issue = r.issues?.find((/** @type {any} */ i) => i.orderId === id);
    ctx.notify(issue ? `Sync cycle done; this order still fails: ${issue.message}` : `Sync cycle done: imported ${r.imported}, failed ${r.failed}.`, issue ? 'error' : 'ok');
    draw(ctx, data, {});
  } catch (err) {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    ctx.notify(`Import failed: ${/** @type {Error} */ (err).message}`, 'error');
  }
}

/** @param {import('../app.js').Ctx} ctx @param {number} id @param {any} op @param {HTMLButtonElement} button */
async function retryOp(ctx, id, op, button) {
  button.disabled = true;
  try {
    const res = await api(`/api/orders/${id}/operations/${encodeURIComponent(op.id)}/retry`, { method: 'POST', body: {} });
    ctx.notify(`${OP_LABEL[res.operation.payload?.operation] ?? 'Operation'} recorded again: ${res.operation.state}.`, 'ok');
    draw(ctx, res.order, {});
  } catch (err) {
    button.disabled = false;
    ctx.notify(`Retry refused: ${/** @type {Error} */ (err).message}`, 'error');
  }
}

/**
 * The ship form. The engine validates it here, exactly as it will on the server, before any request.
 * @param {import('../app.js').Ctx} ctx @param {{record: any, operations: any[], shopOrder: any}} data @param {any} v @param {any} support
 */
function shipForm(ctx, data, v, support) {
  const { record, operations, shopOrder } = data;
  const carriers = /** @type {{name: string, template: string}[]} */ (ctx.config.carriers ?? []);
  const shipped = operations
    .filter((o) => o.payload?.operation === 'ship' && o.state !== 'failed' && o.state !== 'canceled')
    .flatMap((o) => o.payload.shipment?.items ?? []);
  const lines = /** @type {{id: number | null, quantity: number}[]} */ (record.order.lines);
  const names = new Map((shopOrder?.lines ?? []).map((/** @type {any} */ l) => [l.itemId, `${l.sku} — ${l.name}`]));

  const err = (/** @type {string} */ id) => h('p', { id: `${id}-error`, class: 'field-error', hidden: true });
  const carrier = /** @type {HTMLInputElement} */ (h('input', { id: 'carrier', name: 'carrier', list: 'carrier-list', autocomplete: 'off', 'aria-describedby': 'carrier-error carrier-hint', spellcheck: 'false' }));
  const number = /** @type {HTMLInputElement} */ (h('input', { id: 'tracking-number', name: 'trackingNumber', autocomplete: 'off', 'aria-describedby': 'tracking-number-error', spellcheck: 'false', class: 'mono' }));
  const url = /** @type {HTMLInputElement} */ (h('input', { id: 'tracking-url', name: 'trackingUrl', inputmode: 'url', autocomplete: 'off', 'aria-describedby': 'tracking-url-error tracking-url-hint', spellcheck: 'false' }));
  const status = h('p', { class: 'form-status', role: 'status' });
  const submit = /** @type {HTMLButtonElement} */ (h('button', { type: 'submit' }, 'Send the shipment'));

  // Tracking URL from the carrier's template, until the user types their own.
  let urlEdited = false;
  const prefill = () => {
    if (urlEdited) return;
    // The engine's template rule, as `ship --carrier` and the shop plugins apply it.
    url.value = ctx.engine.trackingUrlFor(carriers, carrier.value, number.value) ?? '';
  };
  carrier.addEventListener('input', prefill);
  number.addEventListener('input', prefill);
  url.addEventListener('input', () => { urlEdited = url.value.trim() !== ''; });

  /** Quantities per line when the channel takes partial shipments. */
  const qty = /** @type {HTMLInputElement[]} */ ([]);
  const partial = support.partialShip && lines.length > 0 && lines.every((l) => l.id != null)
    ? h('fieldset', { class: 'items-pick', 'aria-describedby': 'items-error' },
      h('legend', null, 'Items in this parcel (this marketplace takes partial shipments)'),
      lines.map((l, i) => {
        const done = shipped.filter((s) => s.id === l.id).reduce((n, s) => n + s.quantity, 0);
        const left = Math.max(0, l.quantity - done);
        const input = /** @type {HTMLInputElement} */ (h('input', { id: `qty-${i}`, type: 'number', min: '0', max: String(left), step: '1', value: String(left), inputmode: 'numeric', dataset: { item: l.id } }));
        qty.push(input);
        return h('div', { class: 'field inline' }, h('label', { for: `qty-${i}` }, `${names.get(l.id) ?? `item ${l.id}`} (${left} of ${l.quantity} left)`), input);
      }),
      err('items'))
    : null;

  /** Shows the engine's error at its field. @param {{field?: string, message: string}} e */
  const showError = (e) => {
    const field = String(e.field ?? '');
    const target = field === 'carrier' ? carrier : field === 'trackingNumber' ? number : field === 'trackingUrl' ? url : field.startsWith('items') && qty.length ? qty[0] : null;
    const box = target ? form.querySelector(`#${target === carrier ? 'carrier' : target === number ? 'tracking-number' : target === url ? 'tracking-url' : 'items'}-error`) : null;
    if (target && box) {
      box.textContent = e.message;
      /** @type {HTMLElement} */ (box).hidden = false;
      target.setAttribute('aria-invalid', 'true');
      target.focus();
    } else {
      status.textContent = e.message;
      status.className = 'form-status error-text';
    }
  };
  const clearErrors = () => {
    for (const el of form.querySelectorAll('.field-error')) { el.textContent = ''; /** @type {HTMLElement} */ (el).hidden = true; }
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    status.textContent = '';
    status.className = 'form-status';
  };

  const onSubmit = async (/** @type {Event} */ ev) => {
    ev.preventDefault();
    clearErrors();
    /** @type {{id: number, quantity: number}[]} */
    let items = [];
    if (qty.length) {
      const picked = qty.map((input) => ({ id: Number(input.dataset.item), quantity: Number(input.value), max: Number(input.max) }));
      const whole = shipped.length === 0 && picked.every((p) => p.quantity === p.max);
      items = whole ? [] : picked.filter((p) => p.quantity !== 0).map(({ id, quantity }) => ({ id, quantity }));
    }
    const shipment = { carrier: carrier.value, trackingNumber: number.value, trackingUrl: url.value.trim() === '' ? null : url.value.trim(), items };
    try {
      // The same rule as `shoppingfeed-orders ship` and the engine on the server.
      ctx.engine.validateShipment(shipment, { lines, channel: v.channel.name, shipped });
    } catch (e) {
      const error = /** @type {any} */ (e);
      if (error?.name === 'ShipmentError') return showError(error);
      // Not even the shape of a shipment (a quantity that is not a whole number, say).
      if (error?.code === 'InvalidArgument') {
        return showError(qty.length ? { field: 'items', message: 'Each quantity must be a whole number, 0 or more.' } : { message: String(error.message) });
      }
      throw e;
    }
    submit.disabled = true;
    submit.setAttribute('aria-busy', 'true');
    status.textContent = 'Sending the shipment…';
    try {
      const res = await api(`/api/orders/${v.id}/ship`, { method: 'POST', body: shipment });
      const op = res.operation;
      ctx.notify(op.state === 'sent' || op.state === 'succeeded'
        ? `Order ${v.reference}: shipment sent to Shoppingfeed (ticket batch ${op.batchId ?? '—'}); the next sync follows its ticket.`
        : `Order ${v.reference}: shipment recorded (${op.state}); the next sync sends or confirms it.`, 'ok');
      history.replaceState(null, '', link(`#/orders/${v.id}`));
      draw(ctx, res.order, {});
    } catch (e) {
      submit.disabled = false;
      submit.removeAttribute('aria-busy');
      status.textContent = '';
      const error = /** @type {any} */ (e);
      if (error instanceof ApiError && error.field) showError(error);
      else showError({ message: `Not shipped: ${error?.message ?? error}` });
    }
    return undefined;
  };

  const form = h('form', { id: 'ship-form', class: 'ship-form', novalidate: true, 'aria-labelledby': 'ship-title', on: { submit: onSubmit } },
    h('div', { class: 'field' }, h('label', { for: 'carrier' }, 'Carrier'), carrier,
      h('datalist', { id: 'carrier-list' }, carriers.map((c) => h('option', { value: c.name }))),
      h('p', { id: 'carrier-hint', class: 'hint' }, 'As the marketplace should show it; pick one to fill in the tracking URL.'), err('carrier')),
    h('div', { class: 'field' }, h('label', { for: 'tracking-number' }, 'Tracking number'), number, err('tracking-number')),
    h('div', { class: 'field wide' }, h('label', { for: 'tracking-url' }, 'Tracking URL'), url,
      h('p', { id: 'tracking-url-hint', class: 'hint' }, 'Filled in from the carrier’s tracking page; edit it if needed (http or https only).'), err('tracking-url')),
    partial,
    h('div', { class: 'form-actions' }, submit, h('button', { type: 'button', class: 'secondary', on: { click: () => closeSection(section, 'open-ship') } }, 'Close')),
    status);
  const section = h('section', { id: 'ship-section', class: 'card form-card', hidden: true },
    h('h3', { id: 'ship-title' }, `Ship order ${v.reference}`),
    h('p', { class: 'muted small' }, 'Sent once: a marketplace takes a shipment only once, so check it before sending.'),
    form);
  return section;
}

/** Hides a form section and gives the focus back to the button that opened it. @param {HTMLElement} section @param {string} openerId */
function closeSection(section, openerId) {
  section.hidden = true;
  const opener = document.getElementById(openerId);
  opener?.setAttribute('aria-expanded', 'false');
  opener?.focus();
}

/** @param {import('../app.js').Ctx} ctx @param {any} v */
function cancelForm(ctx, v) {
  const reason = /** @type {HTMLInputElement} */ (h('input', { id: 'cancel-reason', name: 'reason', maxlength: '500', autocomplete: 'off' }));
  const status = h('p', { class: 'form-status', role: 'status' });
  const confirm = /** @type {HTMLButtonElement} */ (h('button', { type: 'submit', class: 'danger' }, 'Confirm the cancellation'));
  const form = h('form', { novalidate: true, on: { submit: async (/** @type {Event} */ ev) => {
    ev.preventDefault();
    confirm.disabled = true;
    status.textContent = 'Sending the cancellation…';
    try {
      const res = await api(`/api/orders/${v.id}/cancel`, { method: 'POST', body: { reason: reason.value } });
      ctx.notify(`Order ${v.reference}: cancellation ${res.operation.state}.`, 'ok');
      draw(ctx, res.order, {});
    } catch (e) {
      confirm.disabled = false;
      status.textContent = `Not cancelled: ${/** @type {Error} */ (e).message}`;
      status.className = 'form-status error-text';
    }
  } } },
  h('div', { class: 'field wide' }, h('label', { for: 'cancel-reason' }, 'Reason (optional, sent to the marketplace)'), reason),
  h('div', { class: 'form-actions' }, confirm, h('button', { type: 'button', class: 'secondary', on: { click: () => closeSection(section, 'open-cancel') } }, 'Keep the order')),
  status);
  const section = h('section', { id: 'cancel-section', class: 'card form-card', hidden: true },
    h('h3', null, `Cancel order ${v.reference}`),
    h('p', { class: 'muted small' }, 'The marketplace is told the order will not be shipped. This cannot be undone.'),
    form);
  return section;
}

