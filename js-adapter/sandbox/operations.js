// @ts-check
// Order operations (§5): synchronous validation of the request body (400 naming the field), then
// asynchronous processing through tickets. The marketplace's rules decide each ticket's outcome,
// the way a real marketplace answers Shoppingfeed minutes after the 202.

import { findChannel } from './channels.js';
import { detailsOf } from './details.js';
import { invalid } from './errors.js';
import { FLAG_FULFILLED, TICKET_TYPES } from './model.js';
import { DAY, formatIso, parseLenientDate } from './time.js';

/** @typedef {import('./state.js').Sandbox} Sandbox */
/** @typedef {import('./state.js').Store} Store */
/** @typedef {import('./state.js').Ticket} Ticket */
/** @typedef {import('./model.js').OrderRecord} OrderRecord */
/** @typedef {import('./channels.js').Channel} Channel */

export const OPERATIONS = Object.freeze(Object.keys(TICKET_TYPES));

/** @typedef {{code: string, message: string}} TicketError */
/** @typedef {{state: 'succeed'|'failed'|'canceled', error?: TicketError}} Outcome */

const isObject = (/** @type {unknown} */ v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const optString = (/** @type {Record<string, any>} */ o, /** @type {string} */ k, /** @type {string} */ f) => {
  if (o[k] !== undefined && o[k] !== null && typeof o[k] !== 'string') throw invalid(`${f}.${k}`, 'must be a string');
};

/**
 * Checks an operation body and returns its entries. Unknown fields are ignored, as the SDK sends
 * extra keys (e.g. legacy identifiers next to `id`).
 * @param {string} operation
 * @param {unknown} body
 * @returns {Record<string, any>[]}
 */
export function validateOperationBody(operation, body) {
  if (!isObject(body)) throw invalid('body', 'must be a JSON object with an `order` array');
  const list = /** @type {Record<string, any>} */ (body).order;
  if (!Array.isArray(list)) throw invalid('order', 'must be an array of orders');
  if (list.length === 0) throw invalid('order', 'must contain at least one order');
  return list.map((entry, i) => {
    const f = `order[${i}]`;
    if (!isObject(entry)) throw invalid(f, 'must be an object');
    /** @type {Record<string, any>} */
    const e = entry;
    if (e.id !== undefined) {
      if (!Number.isSafeInteger(e.id) || e.id <= 0) throw invalid(`${f}.id`, 'must be a positive integer (the Shoppingfeed order id)');
    } else if (typeof e.reference !== 'string' || e.reference === '' || typeof e.channelName !== 'string' || e.channelName === '') {
      throw invalid(`${f}.id`, 'is required (or the deprecated pair reference + channelName)');
    }
    switch (operation) {
      case 'acknowledge':
        if (e.status !== undefined && e.status !== 'success' && e.status !== 'error') throw invalid(`${f}.status`, 'must be success or error');
        optString(e, 'storeReference', f);
        optString(e, 'message', f);
        if (e.acknowledgedAt !== undefined && e.acknowledgedAt !== null && e.acknowledgedAt !== '') {
          if (typeof e.acknowledgedAt !== 'string' || parseLenientDate(e.acknowledgedAt) === null) throw invalid(`${f}.acknowledgedAt`, 'must be an ISO 8601 date-time');
        }
        break;
      case 'accept':
      case 'cancel':
        optString(e, 'reason', f);
        break;
      case 'ship':
        optString(e, 'carrier', f);
        optString(e, 'trackingNumber', f);
        optString(e, 'trackingLink', f);
        optString(e, 'warehouseId', f);
        if (e.items !== undefined && e.items !== null) {
          if (!Array.isArray(e.items)) throw invalid(`${f}.items`, 'must be an array of {id, quantity}');
          e.items.forEach((/** @type {any} */ it, /** @type {number} */ j) => {
            if (!isObject(it)) throw invalid(`${f}.items[${j}]`, 'must be an object');
            if (!Number.isSafeInteger(it.id)) throw invalid(`${f}.items[${j}].id`, 'must be an integer (order item id)');
            if (!Number.isInteger(it.quantity) || it.quantity < 1) throw invalid(`${f}.items[${j}].quantity`, 'must be an integer >= 1');
          });
        }
        if (e.returnInfo !== undefined && e.returnInfo !== null) {
          if (!isObject(e.returnInfo)) throw invalid(`${f}.returnInfo`, 'must be an object');
          optString(e.returnInfo, 'carrier', `${f}.returnInfo`);
          optString(e.returnInfo, 'trackingNumber', `${f}.returnInfo`);
        }
        break;
      case 'refund':
        if (e.refund !== undefined && e.refund !== null) {
          if (!isObject(e.refund)) throw invalid(`${f}.refund`, 'must be an object {shipping, products}');
          if (e.refund.shipping !== undefined && typeof e.refund.shipping !== 'boolean') throw invalid(`${f}.refund.shipping`, 'must be a boolean');
          if (e.refund.products !== undefined && e.refund.products !== null) {
            if (!Array.isArray(e.refund.products)) throw invalid(`${f}.refund.products`, 'must be an array of {reference, quantity}');
            e.refund.products.forEach((/** @type {any} */ p, /** @type {number} */ j) => {
              if (!isObject(p)) throw invalid(`${f}.refund.products[${j}]`, 'must be an object');
              if (typeof p.reference !== 'string' || p.reference === '') throw invalid(`${f}.refund.products[${j}].reference`, 'must be a non-empty string');
              if (!Number.isInteger(p.quantity) || p.quantity < 1) throw invalid(`${f}.refund.products[${j}].quantity`, 'must be an integer >= 1');
            });
          }
        }
        break;
      case 'upload-documents':
        if (!Array.isArray(e.documents) || e.documents.length === 0) throw invalid(`${f}.documents`, 'must be a non-empty array of {type: "invoice"}');
        e.documents.forEach((/** @type {any} */ d, /** @type {number} */ j) => {
          if (!isObject(d) || d.type !== 'invoice') throw invalid(`${f}.documents[${j}].type`, 'must be "invoice" (the only type accepted)');
        });
        break;
      default:
        break;
    }
    return e;
  });
}

/**
 * Finds the order an entry names, in this store only (other stores' orders are "not found").
 * @param {Sandbox} sb
 * @param {Store} store
 * @param {Record<string, any>} e
 * @returns {OrderRecord|null}
 */
function resolve(sb, store, e) {
  if (e.id !== undefined) {
    const rec = sb.ordersById.get(e.id);
    return rec && rec.storeId === store.id && !rec.deleted ? rec : null;
  }
  const name = String(e.channelName).toLowerCase();
  const found = (store.byRef.get(e.reference) ?? []).find((o) => {
    const c = /** @type {Channel} */ (findChannel(o.channelId));
    return !o.deleted && (c.name.toLowerCase() === name || c.key === name);
  });
  return found ?? null;
}

/**
 * Accepts an operation: one batch, one ticket per order found; orders not found go to `report`.
 * @param {Sandbox} sb
 * @param {Store} store
 * @param {string} operation
 * @param {Record<string, any>[]} entries
 * @param {{name: string, size: number}[]} [files] upload-documents files, in entry order
 */
export function submitOperation(sb, store, operation, entries, files = []) {
  const now = sb.clock.now();
  const batchId = sb.newBatchId();
  /** @type {Ticket[]} */
  const tickets = [];
  /** @type {Record<string, any>[]} */
  const report = [];
  let fileIndex = 0;
  for (const e of entries) {
    const docs = operation === 'upload-documents'
      ? e.documents.map((/** @type {any} */ d) => ({ type: d.type, file: files[fileIndex++] ?? null }))
      : null;
    const rec = resolve(sb, store, e);
    if (!rec) {
      report.push({
        id: e.id ?? null,
        channelName: e.channelName ?? null,
        reference: e.reference ?? null,
        state: 'ignored',
        message: 'Order not found in this store',
      });
      continue;
    }
    const channel = /** @type {Channel} */ (findChannel(rec.channelId));
    /** @type {Ticket} */
    const ticket = {
      id: sb.newTicketId(),
      batchId,
      storeId: store.id,
      type: TICKET_TYPES[/** @type {keyof typeof TICKET_TYPES} */ (operation)],
      operation,
      state: 'scheduled',
      scheduledAt: now,
      startedAt: null,
      finishedAt: null,
      orderId: rec.id,
      payload: ticketPayload(rec, channel, e, docs),
      entry: docs ? { ...e, documents: docs } : e,
      errors: [],
    };
    tickets.push(ticket);
    store.tickets.push(ticket);
    store.ticketsById.set(ticket.id, ticket);
    const { start, finish } = sb.options.ticketDelays;
    sb.schedule(now + start, (at) => {
      if (ticket.state === 'scheduled') {
        ticket.state = 'running';
        ticket.startedAt = at;
      }
    });
    sb.schedule(now + Math.max(start, finish), (at) => finishTicket(sb, ticket, at));
  }
  store.batches.set(batchId, tickets);
  return { batchId, report, tickets };
}

/** What the ticket says it is about: the order's reference and channel (§5.11) plus the operation's fields. */
function ticketPayload(/** @type {OrderRecord} */ rec, /** @type {Channel} */ channel, /** @type {Record<string, any>} */ e, /** @type {any[]|null} */ docs) {
  /** @type {Record<string, any>} */
  const payload = { id: rec.id, reference: rec.reference, channel: channel.name };
  for (const k of ['status', 'storeReference', 'acknowledgedAt', 'message', 'reason', 'carrier', 'trackingNumber', 'trackingLink', 'items', 'warehouseId', 'returnInfo', 'refund']) {
    if (e[k] !== undefined) payload[k] = e[k];
  }
  if (docs) payload.documents = docs.map((d) => ({ type: d.type, name: d.file?.name ?? null }));
  return payload;
}

/** @param {Sandbox} sb @param {Ticket} ticket @param {number} at */
function finishTicket(sb, ticket, at) {
  if (ticket.startedAt === null) ticket.startedAt = at;
  const outcome = applyOperation(sb, ticket, at);
  ticket.state = outcome.state;
  ticket.finishedAt = at;
  if (outcome.error) ticket.errors = [outcome.error];
}

const sum = (/** @type {Iterable<number>} */ xs) => {
  let s = 0;
  for (const x of xs) s += x;
  return s;
};

/**
 * The marketplace's answer to one operation, applied at sandbox time `at`.
 * @param {Sandbox} sb
 * @param {Ticket} ticket
 * @param {number} at
 * @returns {Outcome}
 */
function applyOperation(sb, ticket, at) {
  const rec = sb.ordersById.get(ticket.orderId);
  if (!rec || rec.deleted) return { state: 'canceled', error: { code: 'order_deleted', message: 'The order no longer exists' } };
  const channel = /** @type {Channel} */ (findChannel(rec.channelId));
  const op = ticket.operation;
  const e = ticket.entry;
  sb.materialize(rec);
  const mp = rec.isTest ? null : sb.mpState(rec);

  /** @returns {Outcome} */
  const fail = (/** @type {string} */ code, /** @type {string} */ message) => {
    (rec.errors ??= []).push({ type: op === 'ship' ? 'ship' : 'operation', message, occurredAt: at });
    rec.touch(at);
    return { state: 'failed', error: { code, message } };
  };
  /** @returns {Outcome} */
  const ok = () => ({ state: 'succeed' });
  const event = (/** @type {string} */ type, /** @type {string} */ detail) => mp?.events.push({ at, type, detail });

  if (op === 'acknowledge') {
    if (e.status === 'error') {
      // §5.2: an error ack is recorded but leaves the order unacknowledged, so it keeps coming back.
      (rec.errors ??= []).push({ type: 'acknowledge', message: e.message ?? '', occurredAt: at });
    } else {
      const given = typeof e.acknowledgedAt === 'string' && e.acknowledgedAt !== '' ? parseLenientDate(e.acknowledgedAt) : null;
      rec.acknowledgedAt = given ?? at;
      rec.storeReference = e.storeReference ?? '';
    }
    rec.touch(at);
    return ok();
  }
  if (op === 'unacknowledge') {
    rec.acknowledgedAt = null;
    rec.touch(at);
    return ok();
  }

  const notSupported = (/** @type {string} */ what) => fail('operation_not_supported', `${channel.name} does not support ${what} through Shoppingfeed`);
  if (rec.status === 'cancelled' && ['accept', 'refuse', 'ship', 'deliver', 'upload-documents'].includes(op)) {
    return { state: 'canceled', error: { code: 'order_cancelled', message: `The order was cancelled on ${channel.name}` } };
  }
  const fulfilled = rec.has(FLAG_FULFILLED);
  if (fulfilled && ['accept', 'refuse', 'ship', 'cancel'].includes(op)) {
    return fail('fulfilled_by_channel', `The order is fulfilled by ${channel.name}; the marketplace handles it`);
  }

  const d = detailsOf(rec);
  const shippedQty = /** @type {Map<number, number>} */ (rec.shippedQty);
  const refundedQty = /** @type {Map<string, number>} */ (rec.refundedQty);
  const totalQty = sum(d.items.map((it) => it.quantity));
  const shippedTotal = sum(shippedQty.values());

  switch (op) {
    case 'accept': {
      if (rec.status === 'waiting_store_acceptance') {
        rec.status = 'waiting_shipment';
        rec.touch(at);
        if (mp) mp.status = 'awaiting_shipment';
        event('accepted', e.reason ? `accepted by the seller: ${e.reason}` : 'accepted by the seller');
        return ok();
      }
      if (rec.status === 'refused') return fail('order_refused', 'The order was refused and cannot be accepted any more');
      if (rec.status === 'created') return fail('order_not_paid', 'The order is not paid yet');
      return ok(); // already accepted: re-sending a done operation is not an error (§4.2)
    }
    case 'refuse': {
      if (!channel.needsAcceptance) return notSupported('refusing orders (orders need no acceptance)');
      if (rec.status === 'refused') return ok();
      if (rec.status !== 'waiting_store_acceptance') return fail('already_accepted', 'The order was already accepted; cancel it instead');
      rec.status = 'refused';
      rec.touch(at);
      if (mp) mp.status = 'refused';
      event('refused', 'refused by the seller');
      return ok();
    }
    case 'ship': {
      if (rec.status === 'waiting_store_acceptance' || rec.status === 'created') return fail('not_accepted', 'The order must be accepted before it is shipped');
      if (rec.status === 'refused') return fail('order_refused', 'The order was refused');
      if (shippedTotal >= totalQty || rec.status === 'shipped') return fail('already_shipped', 'The order is already shipped: a shipment can be sent only once');
      const carrier = (e.carrier ?? '').trim();
      const trackingNumber = (e.trackingNumber ?? '').trim();
      const trackingLink = (e.trackingLink ?? '').trim();
      if (channel.shipRequires.carrier && carrier === '') return fail('carrier_required', `${channel.name} requires a carrier`);
      if (channel.shipRequires.trackingNumber && trackingNumber === '') return fail('tracking_number_required', `${channel.name} requires a tracking number`);
      if (channel.shipRequires.trackingUrl && trackingLink === '') return fail('tracking_url_required', `${channel.name} requires a tracking URL`);
      if (trackingLink !== '' && !isHttpUrl(trackingLink)) return fail('invalid_tracking_url', 'The tracking URL must be an http(s) URL');
      /** @type {Map<number, number>} */
      const remaining = new Map(d.items.map((it) => [it.id, it.quantity - (shippedQty.get(it.id) ?? 0)]));
      /** @type {Map<number, number>} */
      const lines = new Map();
      if (!Array.isArray(e.items) || e.items.length === 0) {
        for (const [id, q] of remaining) if (q > 0) lines.set(id, q);
      } else {
        for (const it of e.items) {
          if (!remaining.has(it.id)) return fail('unknown_item', `Item ${it.id} is not part of the order`);
          lines.set(it.id, (lines.get(it.id) ?? 0) + it.quantity);
        }
        for (const [id, q] of lines) {
          if (q > /** @type {number} */ (remaining.get(id))) return fail('quantity_exceeded', `Item ${id}: ${q} to ship but only ${remaining.get(id)} left`);
        }
      }
      const completes = [...remaining].every(([id, q]) => (lines.get(id) ?? 0) === q);
      if (!completes && (!channel.capabilities.partialShip || rec.isTest)) {
        return fail('partial_not_supported', rec.isTest ? 'Partial shipment is not supported on test orders' : `${channel.name} does not support partial shipments`);
      }
      for (const [id, q] of lines) shippedQty.set(id, (shippedQty.get(id) ?? 0) + q);
      const wholeOrder = [...lines.values()].reduce((a, b) => a + b, 0) === totalQty;
      (rec.shipments ??= []).push({
        id: sb.shipmentSeq++,
        carrier,
        trackingNumber,
        trackingLink,
        returnInfo: { carrier: e.returnInfo?.carrier ?? null, trackingNumber: e.returnInfo?.trackingNumber ?? null },
        createdAt: at,
        items: [...lines].map(([id, quantity]) => ({ id, quantity })),
      });
      rec.shipmentOverride = { type: wholeOrder ? 'full' : 'partial', carrier, trackingNumber, trackingLink };
      rec.carrier = carrier;
      rec.status = completes ? 'shipped' : 'partially_shipped';
      rec.touch(at);
      if (mp) {
        mp.status = rec.status;
        mp.carrier = carrier;
        mp.trackingNumber = trackingNumber;
        mp.trackingLink = trackingLink || null;
        mp.shippedAt = at;
        event('shipped', `${completes ? 'shipped' : 'partially shipped'} with ${carrier} ${trackingNumber}`);
        if (rec.latestShipDate !== null && at > rec.latestShipDate && !mp.penalties.some((p) => p.type === 'late_shipment')) {
          const hours = Math.ceil((at - rec.latestShipDate) / 3_600_000);
          mp.penalties.push({
            type: 'late_shipment',
            message: `Shipped ${hours} h after the latest ship date ${formatIso(rec.latestShipDate)}`,
            at,
            latestShipDate: rec.latestShipDate,
            shippedAt: at,
          });
          event('penalty', 'late shipment recorded against the seller');
        }
        if (completes && sb.options.autoDeliver) {
          sb.schedule(at + channel.deliveryDays * DAY, (t) => {
            if (rec.mp && rec.mp.status === 'shipped') sb.deliverOnMarketplace(rec, t);
          });
        }
      }
      return ok();
    }
    case 'cancel': {
      if (!channel.capabilities.cancel) return notSupported('cancellation; cancel the order in the marketplace back-office');
      if (rec.status === 'cancelled') return ok();
      if (shippedTotal > 0 || rec.status === 'shipped' || rec.status === 'partially_shipped') {
        return fail('cancel_after_shipment', 'The order has shipped and can no longer be cancelled');
      }
      if (rec.status === 'refunded' || rec.status === 'partially_refunded') return fail('order_refunded', 'The order was refunded and cannot be cancelled');
      rec.status = 'cancelled';
      rec.touch(at);
      if (mp) {
        mp.status = 'cancelled';
        mp.cancelledAt = at;
        mp.cancelledBy = 'seller';
      }
      event('cancelled', e.reason ? `cancelled by the seller: ${e.reason}` : 'cancelled by the seller');
      return ok();
    }
    case 'refund': {
      if (!channel.capabilities.refund) return notSupported('refunds');
      if (rec.status === 'refunded') return ok();
      if (rec.status === 'cancelled') return fail('order_cancelled', 'The order was cancelled; the marketplace refunds the buyer itself');
      if (['created', 'waiting_store_acceptance', 'refused'].includes(rec.status)) return fail('order_not_refundable', `An order in status ${rec.status} cannot be refunded`);
      const products = Array.isArray(e.refund?.products) ? e.refund.products : [];
      /** @type {Map<string, number>} */
      const left = new Map();
      for (const it of d.items) left.set(it.reference, (left.get(it.reference) ?? 0) + it.quantity - (refundedQty.get(it.reference) ?? 0));
      /** @type {Map<string, number>} */
      const lines = new Map();
      if (products.length === 0) {
        for (const [ref, q] of left) if (q > 0) lines.set(ref, q);
      } else {
        for (const p of products) {
          if (!left.has(p.reference)) return fail('unknown_item', `Product ${p.reference} is not part of the order`);
          lines.set(p.reference, (lines.get(p.reference) ?? 0) + p.quantity);
        }
        for (const [ref, q] of lines) {
          if (q > /** @type {number} */ (left.get(ref))) return fail('quantity_exceeded', `Product ${ref}: ${q} to refund but only ${left.get(ref)} left`);
        }
      }
      const completes = [...left].every(([ref, q]) => (lines.get(ref) ?? 0) === q);
      if (!completes && (!channel.capabilities.partialRefund || rec.isTest)) {
        return fail('partial_not_supported', rec.isTest ? 'Partial refund is not supported on test orders' : `${channel.name} does not support partial refunds`);
      }
      for (const [ref, q] of lines) refundedQty.set(ref, (refundedQty.get(ref) ?? 0) + q);
      rec.status = completes ? 'refunded' : 'partially_refunded';
      rec.touch(at);
      if (mp) mp.status = rec.status;
      event('refunded', `${completes ? 'refunded' : 'partially refunded'}${e.refund?.shipping === false ? ' (shipping kept)' : ''}`);
      return ok();
    }
    case 'deliver': {
      if (rec.status !== 'shipped') return fail('order_not_shipped', 'Only a shipped order can be marked delivered');
      if (mp && mp.deliveredAt === null) sb.deliverOnMarketplace(rec, at);
      return ok();
    }
    case 'upload-documents': {
      if (!channel.capabilities.documents) return notSupported('document upload');
      for (const doc of e.documents) {
        (rec.documents ??= []).push({ id: sb.documentSeq++, type: doc.type, name: doc.file?.name ?? 'document.pdf', size: doc.file?.size ?? 0, createdAt: at });
      }
      rec.touch(at);
      if (mp) mp.documents += e.documents.length;
      event('documents', `${e.documents.length} document(s) uploaded`);
      return ok();
    }
    default:
      return fail('operation_not_supported', `Unknown operation ${op}`);
  }
}

function isHttpUrl(/** @type {string} */ s) {
  if (!/^https?:\/\//i.test(s)) return false;
  try {
    new URL(s);
    return true;
  } catch {
    return false;
  }
}
