// @ts-check
// The Shoppingfeed API surface (/v1): auth, session, stores, orders, operations, tickets.

import { timingSafeEqual } from 'node:crypto';
import { CHANNELS, channelLink, findChannel } from './channels.js';
import { detailsOf } from './details.js';
import { ProblemError, invalid } from './errors.js';
import { parseMultipart } from './multipart.js';
import { OPERATIONS, submitOperation, validateOperationBody } from './operations.js';
import { collectionHead, lowerBound, parseOrderFilters, parsePaging, selectOrders } from './query.js';
import { rawListed, rawOrderText, takeRawAcks } from './raw.js';
import { empty, json, raw } from './response.js';
import { orderJson, orderObject, ticketObject } from './serialize.js';
import { validateSpec } from './state.js';
import { DAY, formatIso } from './time.js';

/** @typedef {import('./state.js').Sandbox} Sandbox */
/** @typedef {import('./state.js').Store} Store */
/** @typedef {import('./response.js').Reply} Reply */
/** @typedef {import('./model.js').OrderRecord} OrderRecord */

/**
 * @typedef {object} RequestContext
 * @property {string} method
 * @property {string} path
 * @property {string[]} segments  path segments after `/v1`
 * @property {string} rawQuery
 * @property {URLSearchParams} params
 * @property {Record<string, string|string[]|undefined>} headers
 * @property {Buffer|null} body
 * @property {boolean} authorized
 */

export const MAX_FILE_BYTES = 2 * 1024 * 1024;
export const MAX_FILES = 20;

/** Compares a presented bearer token with the sandbox token in constant time. */
export function tokenMatches(/** @type {Sandbox} */ sb, /** @type {string|undefined} */ header) {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]);
  const b = Buffer.from(sb.token);
  return a.length === b.length && timingSafeEqual(a, b);
}

const forbidden = () => new ProblemError(403, 'Service not authorized');
const methodNotAllowed = (/** @type {string[]} */ allow) => new ProblemError(405, 'Method not allowed', {}, { Allow: allow.join(', ') });

/**
 * @param {Sandbox} sb
 * @param {RequestContext} ctx
 * @returns {Reply}
 */
export function handleApi(sb, ctx) {
  const [head, ...rest] = ctx.segments;
  const { method } = ctx;
  if (head === 'auth' && rest.length === 0) {
    if (method !== 'POST') throw methodNotAllowed(['POST']);
    return auth(sb, ctx);
  }
  if (head === 'ping' && rest.length === 0) {
    if (method !== 'GET') throw methodNotAllowed(['GET']);
    return json(200, { timestamp: formatIso(sb.clock.now()) }, 'application/json');
  }
  if (!ctx.authorized) throw forbidden();
  if (head === 'me' && rest.length === 0) {
    if (method !== 'GET') throw methodNotAllowed(['GET']);
    return json(200, me(sb));
  }
  if (head === 'channel' && rest.length === 1) {
    if (method !== 'GET') throw methodNotAllowed(['GET']);
    const c = /^\d+$/.test(rest[0]) ? findChannel(Number(rest[0])) : null;
    if (!c) throw new ProblemError(404, `Channel ${rest[0]} not found`);
    return json(200, { ...channelLink(c), type: c.type, segment: c.segment, countries: c.countries, mode: 'live' });
  }
  if (head === 'store' && rest.length >= 1) {
    // A store the token cannot see is "not authorized", like a wrong token (§1.2).
    const storeId = /^\d+$/.test(rest[0]) ? Number(rest[0]) : NaN;
    const store = sb.stores.get(storeId);
    if (!store) throw forbidden();
    return storeRoutes(sb, store, rest.slice(1), ctx);
  }
  throw new ProblemError(404, `No route for ${ctx.path}`);
}

/** @param {Sandbox} sb @param {RequestContext} ctx */
function auth(sb, ctx) {
  const body = parseJsonBody(ctx.body);
  if (!isObject(body) || body.grant_type !== 'password') throw new ProblemError(400, 'Invalid grant type');
  const user = typeof body.username === 'string' ? body.username : '';
  const pass = typeof body.password === 'string' ? body.password : '';
  if (!safeEqual(user, sb.options.username) || !safeEqual(pass, sb.options.password)) {
    throw new ProblemError(401, 'Invalid username or password');
  }
  return json(200, { access_token: sb.token, token_type: 'Bearer' }, 'application/json');
}

function safeEqual(/** @type {string} */ a, /** @type {string} */ b) {
  const x = Buffer.from(a), y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** @param {Sandbox} sb */
function me(sb) {
  return {
    login: sb.account.login,
    email: sb.account.email,
    token: sb.token,
    language: 'fr_FR',
    roles: ['user'],
    _links: { self: { href: '/v1/me' } },
    _embedded: {
      account: { id: sb.account.id },
      store: [...sb.stores.values()].map(storeSummary),
    },
  };
}

/** A store as embedded in /v1/me; the `order` link is a URI template ([inferred] in the reference). */
function storeSummary(/** @type {Store} */ s) {
  return {
    id: s.id,
    name: s.name,
    status: 'active',
    country: s.country,
    deletedAt: null,
    organization: null,
    _links: storeLinks(s),
  };
}

function storeLinks(/** @type {Store} */ s) {
  const base = `/v1/store/${s.id}`;
  return {
    self: { href: base },
    order: { href: `${base}/order{/operation}`, templated: true },
    ticket: { href: `${base}/ticket` },
    inventory: { href: `${base}/inventory` },
    pricing: { href: `${base}/pricing` },
    channel: { href: `${base}/channel` },
  };
}

/** @param {Sandbox} sb @param {Store} s */
function storeResource(sb, s) {
  const since = sb.clock.now() - DAY;
  let newCount = 0;
  for (let i = lowerBound(s.orders, since); i < s.orders.length; i++) if (!s.orders[i].deleted) newCount++;
  return {
    id: s.id,
    name: s.name,
    customName: s.name,
    status: 'active',
    email: `store-${s.id}@sandbox.example`,
    country: s.country,
    currency: s.currency,
    subscriptionPlan: { name: 'Sandbox' },
    createdAt: formatIso(s.createdAt),
    deletedAt: null,
    feed: { url: `https://feeds.sandbox.example/${s.id}.xml`, source: 'sandbox' },
    _links: storeLinks(s),
    _embedded: { order: { storeId: s.id, newCount } },
  };
}

/**
 * @param {Sandbox} sb
 * @param {Store} store
 * @param {string[]} seg path segments after /v1/store/{id}
 * @param {RequestContext} ctx
 * @returns {Reply}
 */
function storeRoutes(sb, store, seg, ctx) {
  const { method } = ctx;
  if (seg.length === 0) {
    if (method !== 'GET') throw methodNotAllowed(['GET']);
    return json(200, storeResource(sb, store));
  }
  if (seg[0] === 'order') {
    if (seg.length === 1) {
      if (method === 'GET') return listOrders(sb, store, ctx);
      if (method === 'POST') return createTestOrder(sb, store, ctx);
      throw methodNotAllowed(['GET', 'POST']);
    }
    const key = seg[1];
    if (seg.length === 2 && !/^\d+$/.test(key)) {
      if (!OPERATIONS.includes(key)) throw new ProblemError(404, `Unknown order operation ${key}`);
      if (method !== 'POST') throw methodNotAllowed(['POST']);
      return operation(sb, store, key, ctx);
    }
    const rawOrder = seg.length === 2 && method === 'GET' ? store.rawOrders.find((r) => r.id === key) : undefined;
    if (rawOrder) return raw(200, rawOrderText(rawOrder));
    const rec = orderIn(sb, store, key);
    if (seg.length === 2) {
      if (method === 'GET') return raw(200, orderJson(sb, rec));
      if (method === 'PATCH') return patchOrder(sb, rec, ctx);
      if (method === 'DELETE') return deleteTestOrder(sb, rec);
      throw methodNotAllowed(['GET', 'PATCH', 'DELETE']);
    }
    if (seg.length === 3 && (seg[2] === 'shipment' || seg[2] === 'document')) {
      if (method !== 'GET') throw methodNotAllowed(['GET']);
      sb.materialize(rec);
      const items = seg[2] === 'shipment'
        ? (rec.shipments ?? []).map((s) => ({ ...s, createdAt: formatIso(s.createdAt) }))
        : (rec.documents ?? []).map((d) => ({ ...d, createdAt: formatIso(d.createdAt) }));
      return collection(ctx, seg[2], items);
    }
  }
  if (seg[0] === 'ticket') {
    if (method !== 'GET') throw methodNotAllowed(['GET']);
    if (seg.length === 1) return listTickets(store, ctx);
    if (seg.length === 2) {
      const t = store.ticketsById.get(seg[1]);
      if (!t) throw new ProblemError(404, `Ticket ${seg[1]} not found`);
      return json(200, ticketObject(t));
    }
  }
  throw new ProblemError(404, `No route for ${ctx.path}`);
}

/** Orders of other stores are invisible: 404, not 403 (§1.3). */
function orderIn(/** @type {Sandbox} */ sb, /** @type {Store} */ store, /** @type {string} */ key) {
  const rec = /^\d+$/.test(key) ? sb.ordersById.get(Number(key)) : undefined;
  if (!rec || rec.storeId !== store.id || rec.deleted) throw new ProblemError(404, `Order ${key} not found`);
  return rec;
}

/** @param {Sandbox} sb @param {Store} store @param {RequestContext} ctx */
function listOrders(sb, store, ctx) {
  const { page, limit } = parsePaging(ctx.params);
  const filters = parseOrderFilters(ctx.params);
  const { total, items } = selectOrders(store, filters, page, limit);
  // Raw orders head the first page, beyond `limit`: a test shape, not a paging rule.
  const rawOrders = page === 1 ? rawListed(store, filters) : [];
  const head = collectionHead({ path: ctx.path, rawQuery: ctx.rawQuery, total: total + rawOrders.length, page, limit, count: items.length + rawOrders.length });
  const headJson = JSON.stringify(head);
  const parts = rawOrders.map(rawOrderText);
  for (let i = 0; i < items.length; i++) parts.push(orderJson(sb, items[i]));
  return raw(200, `${headJson.slice(0, -1)},"_embedded":{"order":[${parts.join(',')}]}}`);
}

/** A paginated HAL collection of plain objects (shipments, documents, tickets). */
function collection(/** @type {RequestContext} */ ctx, /** @type {string} */ rel, /** @type {unknown[]} */ all, /** @type {Record<string, unknown>} */ extra = {}) {
  const { page, limit } = parsePaging(ctx.params);
  const items = all.slice((page - 1) * limit, page * limit);
  const head = collectionHead({ path: ctx.path, rawQuery: ctx.rawQuery, total: all.length, page, limit, count: items.length });
  return json(200, { ...head, ...extra, _embedded: { [rel]: items } });
}

const TICKET_STATES = ['scheduled', 'running', 'succeed', 'failed', 'canceled'];
const MACRO_STATES = /** @type {Record<string, string[]>} */ ({ processing: ['scheduled', 'running'], processed: ['canceled', 'failed', 'succeed'] });

/** @param {Store} store @param {RequestContext} ctx */
function listTickets(store, ctx) {
  const p = ctx.params;
  const batchId = p.get('batchId');
  const type = p.get('type');
  /** @type {Set<string>|null} */
  let states = null;
  const stateRaw = p.get('state');
  if (stateRaw) {
    states = new Set();
    for (const s of stateRaw.split(',').map((x) => x.trim()).filter(Boolean)) {
      if (MACRO_STATES[s]) MACRO_STATES[s].forEach((x) => states?.add(x));
      else if (TICKET_STATES.includes(s)) states.add(s);
      else throw invalid('state', `must be one of ${[...TICKET_STATES, 'processing', 'processed'].join(', ')}`);
    }
  }
  const payloadId = p.get('payloadId');
  if (payloadId) {
    if (!type || !type.includes('order')) throw invalid('payloadId', 'requires a `type` filter naming an order ticket type');
    if (!/^\d+$/.test(payloadId)) throw invalid('payloadId', 'must be an order id');
  }
  const payloadChannelId = p.get('payloadChannelId');
  const source = batchId ? store.batches.get(batchId) ?? [] : store.tickets;
  const all = source.filter((t) =>
    (!type || t.type === type)
    && (!states || states.has(t.state))
    && (!payloadId || t.orderId === Number(payloadId))
    && (!payloadChannelId || String(findChannel(t.payload.channel)?.id) === payloadChannelId)
    // Feed tickets do not exist in the sandbox.
    && !p.get('payloadFeedId'));
  const processing = all.some((t) => t.state === 'scheduled' || t.state === 'running');
  return collection(ctx, 'ticket', all.map(ticketObject), { meta: { processing } });
}

/** @param {Sandbox} sb @param {Store} store @param {string} op @param {RequestContext} ctx */
function operation(sb, store, op, ctx) {
  /** @type {Record<string, any>[]} */
  let entries;
  /** @type {{name: string, size: number}[]} */
  let files = [];
  if (op === 'upload-documents') {
    const ct = /** @type {string|undefined} */ (ctx.headers['content-type']);
    const parts = parseMultipart(ct, ctx.body ?? Buffer.alloc(0));
    const bodyPart = parts.find((x) => x.name === 'body');
    if (!bodyPart) throw invalid('body', 'the multipart part `body` (JSON) is required');
    const body = parseJsonBody(bodyPart.data, 'body');
    const fileParts = parts.filter((x) => x.name === 'files[]' || x.name === 'files');
    if (fileParts.length > MAX_FILES) throw invalid('files[]', `at most ${MAX_FILES} files per call`);
    fileParts.forEach((f, i) => {
      if (f.data.length > MAX_FILE_BYTES) throw new ProblemError(413, `files[${i}]: ${f.filename ?? 'file'} is larger than 2 MB`);
      if (f.data.subarray(0, 5).toString('latin1') !== '%PDF-') throw invalid(`files[${i}]`, 'must be a PDF document');
    });
    entries = validateOperationBody(op, body);
    const expected = entries.reduce((n, e) => n + e.documents.length, 0);
    if (fileParts.length !== expected) throw invalid('files[]', `expected ${expected} file(s), one per document entry, got ${fileParts.length}`);
    files = fileParts.map((f) => ({ name: f.filename ?? 'document.pdf', size: f.data.length }));
  } else {
    let body = ctx.body;
    if (op === 'acknowledge' && body && body.length > 0) {
      const { rest, taken } = takeRawAcks(store, body.toString('utf8'), sb.clock.now());
      // Only raw orders acknowledged: applied at once, an empty batch answers.
      if (taken > 0 && rest === null) {
        const batchId = sb.newBatchId();
        store.batches.set(batchId, []);
        return json(202, { id: batchId, _links: { ticket: { href: `/v1/store/${store.id}/ticket?batchId=${batchId}` } }, report: [] }, 'application/json');
      }
      if (taken > 0 && rest !== null) body = Buffer.from(rest, 'utf8');
    }
    entries = validateOperationBody(op, parseJsonBody(body));
  }
  const { batchId, report } = submitOperation(sb, store, op, entries, files);
  return json(202, {
    id: batchId,
    _links: { ticket: { href: `/v1/store/${store.id}/ticket?batchId=${batchId}` } },
    report,
  }, 'application/json');
}

/** §5.10: a test order is created in Shoppingfeed directly, `shipped` when a shipment is given. */
function createTestOrder(/** @type {Sandbox} */ sb, /** @type {Store} */ store, /** @type {RequestContext} */ ctx) {
  const body = parseJsonBody(ctx.body);
  if (!isObject(body) || !isObject(body.order)) throw invalid('order', 'must be an object');
  const o = /** @type {Record<string, any>} */ (body.order);
  if (o.items === undefined) throw invalid('order.items', 'is required');
  if (o.channelId === undefined) throw invalid('order.channelId', 'is required');
  if (!Number.isInteger(o.channelId) || !findChannel(o.channelId)) throw invalid('order.channelId', `must be the id of a channel (${CHANNELS.map((c) => c.id).join(', ')})`);
  for (const k of ['payment', 'shipment', 'shippingAddress', 'billingAddress']) {
    if (o[k] !== undefined && !isObject(o[k])) throw invalid(`order.${k}`, 'must be an object');
  }
  if (o.payment?.shippingAmount !== undefined && typeof o.payment.shippingAmount !== 'number') throw invalid('order.payment.shippingAmount', 'must be a number');
  if (o.payment?.currency !== undefined && !/^[A-Z]{3}$/.test(o.payment.currency)) throw invalid('order.payment.currency', 'must be an ISO 4217 code');
  /** @type {Record<string, any>} */
  const spec = {
    channel: o.channelId,
    items: o.items,
    isTest: true,
    status: o.shipment ? 'shipped' : 'created',
  };
  for (const k of ['reference', 'payment', 'shipment', 'shippingAddress', 'billingAddress']) if (o[k] !== undefined) spec[k] = o[k];
  validateSpec(spec, 'order');
  const now = sb.clock.now();
  const p = sb.addMarketplaceOrder(store, spec, now, 'test');
  // Test orders are made in Shoppingfeed itself: no marketplace payment, connection or import tick.
  sb.importOne(store, p, now);
  store.pending = store.pending.filter((x) => x !== p);
  const rec = p.rec;
  if (o.shipment) {
    sb.materialize(rec);
    const d = detailsOf(rec);
    const carrier = String(o.shipment.carrier ?? '');
    const trackingNumber = String(o.shipment.trackingNumber ?? '');
    for (const it of d.items) rec.shippedQty?.set(it.id, it.quantity);
    rec.shipments?.push({ id: sb.shipmentSeq++, carrier, trackingNumber, trackingLink: '', returnInfo: { carrier: null, trackingNumber: null }, createdAt: now, items: d.items.map((it) => ({ id: it.id, quantity: it.quantity })) });
    rec.shipmentOverride = { type: 'full', carrier, trackingNumber, trackingLink: '' };
    rec.touch(now);
  }
  const reply = json(201, orderObject(rec));
  reply.headers.Location = `/v1/store/${store.id}/order/${rec.id}`;
  return reply;
}

/** @param {Sandbox} sb @param {OrderRecord} rec */
function deleteTestOrder(sb, rec) {
  if (!rec.isTest) throw new ProblemError(400, `Order ${rec.id} is not a test order; only test orders can be deleted`);
  rec.deleted = true;
  rec.touch(sb.clock.now());
  return empty(204);
}

const PATCH_LOCKED = ['shipped', 'partially_shipped', 'cancelled', 'refunded', 'partially_refunded', 'refused'];

/** @param {Sandbox} sb @param {OrderRecord} rec @param {RequestContext} ctx */
function patchOrder(sb, rec, ctx) {
  const body = parseJsonBody(ctx.body);
  if (!isObject(body) || !isObject(body.order)) throw invalid('order', 'must be an object');
  const o = /** @type {Record<string, any>} */ (body.order);
  for (const k of ['shippingAddress', 'billingAddress']) {
    if (o[k] === undefined) continue;
    if (!isObject(o[k])) throw invalid(`order.${k}`, 'must be an object');
    for (const [f, v] of Object.entries(o[k])) {
      if (v !== null && typeof v !== 'string') throw invalid(`order.${k}.${f}`, 'must be a string or null');
    }
  }
  if (o.itemsReferencesAliases !== undefined && o.itemsReferencesAliases !== null) {
    if (!isObject(o.itemsReferencesAliases)) throw invalid('order.itemsReferencesAliases', 'must be an object or null');
    for (const [f, v] of Object.entries(o.itemsReferencesAliases)) {
      if (typeof v !== 'string') throw invalid(`order.itemsReferencesAliases.${f}`, 'must be a string');
    }
  }
  if (PATCH_LOCKED.includes(rec.status)) throw new ProblemError(409, `Order ${rec.id} is ${rec.status}; it can no longer be modified`);
  const patch = rec.patch ?? {};
  if (o.shippingAddress) patch.shippingAddress = { ...(patch.shippingAddress ?? {}), ...o.shippingAddress };
  if (o.billingAddress) patch.billingAddress = { ...(patch.billingAddress ?? {}), ...o.billingAddress };
  if (o.itemsReferencesAliases !== undefined) patch.itemsReferencesAliases = o.itemsReferencesAliases;
  rec.patch = patch;
  rec.touch(sb.clock.now());
  return empty(204);
}

const isObject = (/** @type {unknown} */ v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** @returns {any} */
function parseJsonBody(/** @type {Buffer|null} */ body, field = 'body') {
  if (!body || body.length === 0) throw invalid(field, 'a JSON body is required');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw invalid(field, 'is not valid JSON');
  }
}
