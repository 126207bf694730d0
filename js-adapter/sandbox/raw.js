// @ts-check
// Orders served as raw JSON text. The sandbox holds ids as JS numbers, exact only up to 2^53 - 1; the
// API (§3.1: an int of about 11 digits today) documents no bound, so a client must survive a bigger
// one. Such an order is kept as text: listed at the head of the first page of every list whose status
// and acknowledgment filters it matches, served by GET, and acknowledged by the id's digits as sent.

import { invalid } from './errors.js';
import { formatIso } from './time.js';

/** @typedef {import('./state.js').Store} Store */
/** @typedef {import('./query.js').OrderFilters} OrderFilters */

/**
 * An order the sandbox serves as raw JSON text, because its id is beyond what its own numbers hold
 * (above 2^53 - 1) and an API written in another language may still send it.
 * @typedef {object} RawOrder
 * @property {string} id  the id's digits, exactly as served
 * @property {string} reference
 * @property {string} status
 * @property {string} text  the order's JSON with `"errors":__ERRORS__` where its errors go
 * @property {{type: string, message: string, occurredAt: number}[]} errors
 * @property {number|null} acknowledgedAt
 * @property {{status: string, storeReference: string, message: string|null, at: number}[]} acks  acknowledgements received, in order
 */

const ID = '"__RAW_ID__"';
const ERRORS = '"__RAW_ERRORS__"';

/**
 * A raw order from an order object (a served order as template) and the id's digits.
 * @param {string} id
 * @param {Record<string, any>} order
 * @param {number} storeId
 * @returns {RawOrder}
 */
export function makeRawOrder(id, order, storeId) {
  if (typeof id !== 'string' || !/^[1-9]\d{0,29}$/.test(id)) throw invalid('id', 'must be the order id as a string of digits');
  if (Number.isSafeInteger(Number(id))) throw invalid('id', 'fits a JS number: create the order with `createOrders`');
  if (order === null || typeof order !== 'object' || Array.isArray(order)) throw invalid('order', 'must be an order object');
  const status = typeof order.status === 'string' ? order.status : 'waiting_shipment';
  const reference = typeof order.reference === 'string' ? order.reference : `RAW-${id}`;
  const links = { ...(order._links ?? {}), self: { href: `/v1/store/${storeId}/order/${id}` } };
  const text = JSON.stringify({ ...order, id: ID.slice(1, -1), storeId, reference, status, acknowledgedAt: null, errors: ERRORS.slice(1, -1), _links: links }).replace(ID, id);
  return { id, reference, status, text, errors: [], acknowledgedAt: null, acks: [] };
}

/** The order's JSON as served now (its errors and acknowledgement filled in). @param {RawOrder} r */
export function rawOrderText(r) {
  const errors = JSON.stringify(r.errors.map((e) => ({ type: e.type, message: e.message, occurredAt: formatIso(e.occurredAt) })));
  const text = r.text.replace(ERRORS, errors);
  return r.acknowledgedAt === null ? text : text.replace('"acknowledgedAt":null', `"acknowledgedAt":${JSON.stringify(formatIso(r.acknowledgedAt))}`);
}

/** Raw orders a list shows: only the status and acknowledgment filters are applied. @param {Store} store @param {OrderFilters} f */
export function rawListed(store, f) {
  return store.rawOrders.filter((r) => (f.statuses === null || f.statuses.has(r.status)) && (f.acknowledged === null || (r.acknowledgedAt !== null) === f.acknowledged));
}

/**
 * Takes the acknowledgements of raw orders out of an acknowledge body (its text: parsed, the ids
 * would already be rounded). Returns the body text left (null if nothing is left) and applies the
 * raw ones at once: success sets `acknowledgedAt`, error appends to `errors`, as §5.2 says.
 * @param {Store} store
 * @param {string} text
 * @param {number} now
 * @returns {{rest: string|null, taken: number}}
 */
export function takeRawAcks(store, text, now) {
  if (store.rawOrders.length === 0) return { rest: text, taken: 0 };
  let marked = text;
  for (const r of store.rawOrders) marked = marked.replace(new RegExp(`(?<!\\\\)"id"\\s*:\\s*${r.id}(?![\\d.eE])`, 'g'), `"id":"__RAW__${r.id}"`);
  if (marked === text) return { rest: text, taken: 0 };
  /** @type {any} */
  let body;
  try {
    body = JSON.parse(marked);
  } catch {
    return { rest: text, taken: 0 };
  }
  if (!body || !Array.isArray(body.order)) return { rest: text, taken: 0 };
  const rest = [];
  let taken = 0;
  for (const e of body.order) {
    const raw = typeof e?.id === 'string' && e.id.startsWith('__RAW__') ? store.rawOrders.find((r) => `__RAW__${r.id}` === e.id) : undefined;
    if (!raw) {
      rest.push(e);
      continue;
    }
    const status = e.status === 'error' ? 'error' : 'success';
    raw.acks.push({ status, storeReference: typeof e.storeReference === 'string' ? e.storeReference : '', message: typeof e.message === 'string' ? e.message : null, at: now });
    if (status === 'error') raw.errors.push({ type: 'acknowledge', message: typeof e.message === 'string' ? e.message : '', occurredAt: now });
    else raw.acknowledgedAt = now;
    taken++;
  }
  return { rest: rest.length > 0 ? JSON.stringify({ ...body, order: rest }) : null, taken };
}

/** What a test sees of a raw order. @param {RawOrder} r */
export function rawOrderView(r) {
  return {
    id: r.id,
    reference: r.reference,
    status: r.status,
    acknowledgedAt: r.acknowledgedAt === null ? null : formatIso(r.acknowledgedAt),
    errors: r.errors.map((e) => ({ ...e, occurredAt: formatIso(e.occurredAt) })),
    acks: r.acks.map((a) => ({ ...a, at: formatIso(a.at) })),
  };
}
