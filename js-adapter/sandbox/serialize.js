// @ts-check
// Orders and tickets as JSON. Order JSON is cached per revision, so a client polling the same pages
// pays for generation once; the cache is bounded so paging through 100,000 orders stays in memory budget.

import { channelLink, findChannel } from './channels.js';
import { detailsOf } from './details.js';
import { FLAG_NO_ADDRESS, FLAG_NO_ITEM_IDS, FLAG_ODD_FIELDS, FLAG_SEED_SHIPPED } from './model.js';
import { seedShipmentBlock } from './state.js';
import { formatIso, formatSpaced } from './time.js';

/** @typedef {import('./state.js').Sandbox} Sandbox */
/** @typedef {import('./state.js').Ticket} Ticket */
/** @typedef {import('./model.js').OrderRecord} OrderRecord */
/** @typedef {import('./channels.js').Channel} Channel */

const CACHE_MAX = 20_000;
/** @type {WeakMap<Sandbox, Map<number, {rev: number, json: string}>>} */
const caches = new WeakMap();

const PERSONAL = ['firstName', 'lastName', 'company', 'street', 'street2', 'other', 'phone', 'mobilePhone', 'email'];

/** An order as the API serves it (key order of the fixtures). */
export function orderObject(/** @type {OrderRecord} */ rec) {
  const channel = /** @type {Channel} */ (findChannel(rec.channelId));
  const d = detailsOf(rec);
  const over = rec.shipmentOverride ?? (!rec.materialized && rec.has(FLAG_SEED_SHIPPED) ? seedShipmentBlock(rec, d) : null);
  const shipment = over ? { ...d.shipment, ...over } : d.shipment;
  let shippingAddress = d.shippingAddress;
  let billingAddress = d.billingAddress;
  if (rec.patch?.shippingAddress) shippingAddress = { ...shippingAddress, ...rec.patch.shippingAddress };
  if (rec.patch?.billingAddress) billingAddress = { ...billingAddress, ...rec.patch.billingAddress };
  if (rec.anonymized) {
    shippingAddress = anonymize(shippingAddress);
    billingAddress = anonymize(billingAddress);
  }
  const aliases = rec.patch && 'itemsReferencesAliases' in rec.patch ? rec.patch.itemsReferencesAliases : d.itemsReferencesAliases;
  // Odd values in fields nothing depends on, while the order is new (once acknowledged, real dates).
  const odd = rec.has(FLAG_ODD_FIELDS) && rec.acknowledgedAt === null;
  /** @type {Record<string, any>} */
  const o = {
    id: rec.id,
    storeId: rec.storeId,
    channelId: rec.channelId,
    reference: rec.reference,
    storeReference: rec.storeReference,
    isTest: rec.isTest,
    acknowledgedAt: rec.acknowledgedAt === null ? (odd ? '' : null) : formatIso(rec.acknowledgedAt),
    createdAt: formatIso(rec.createdAt),
    updatedAt: odd ? '0000-00-00 00:00:00' : formatIso(rec.updatedAt),
    status: rec.status,
    anonymized: rec.anonymized,
    payment: d.payment,
    shipment: odd && 'type' in shipment ? { ...shipment, type: 'premium_express' } : shipment,
    additionalFields: rec.isTest ? { ...(d.additionalFields ?? {}), isTestOrder: '1' } : d.additionalFields,
    latestShipDate: rec.latestShipDate === null ? null : channel.latestShipDateFormat === 'spaced' ? formatSpaced(rec.latestShipDate) : formatIso(rec.latestShipDate),
    errors: (rec.errors ?? []).map((e) => ({ type: e.type, message: e.message, occurredAt: e.example ? 'string' : formatIso(e.occurredAt) })),
    itemsReferencesAliases: aliases,
    fulfilledBy: rec.fulfilledBy,
    items: rec.has(FLAG_NO_ITEM_IDS) ? d.items.map(({ id, ...line }) => line) : odd ? d.items.map((line) => ({ ...line, image: '', commission: '' })) : d.items,
    commission: d.commission,
    shippingAddress: rec.has(FLAG_NO_ADDRESS) ? null : shippingAddress,
    billingAddress,
    _links: {
      self: { href: `/v1/store/${rec.storeId}/order/${rec.id}` },
      store: { href: `/v1/store/${rec.storeId}` },
    },
    _embedded: { channel: channelLink(channel), tag: [] },
  };
  if (rec.fulfilledBy === null) delete o.fulfilledBy;
  if (rec.spec?.omit || rec.spec?.override) applyRaw(o, rec.spec.omit ?? [], rec.spec.override ?? {});
  return o;
}

/** JSON text of an order, cached until the order changes. */
export function orderJson(/** @type {Sandbox} */ sb, /** @type {OrderRecord} */ rec) {
  let cache = caches.get(sb);
  if (!cache) {
    cache = new Map();
    caches.set(sb, cache);
  }
  const hit = cache.get(rec.id);
  if (hit && hit.rev === rec.rev) return hit.json;
  const json = JSON.stringify(orderObject(rec));
  if (hit) cache.delete(rec.id);
  else if (cache.size >= CACHE_MAX) cache.delete(/** @type {number} */ (cache.keys().next().value));
  cache.set(rec.id, { rev: rec.rev, json });
  return json;
}

/** Drops cached JSON (after a reset reuses ids). */
export function clearCache(/** @type {Sandbox} */ sb) {
  caches.delete(sb);
}

/** @param {Record<string, any>} a */
function anonymize(a) {
  const out = { ...a };
  for (const k of PERSONAL) if (k in out) out[k] = '#GDPR';
  return out;
}

/**
 * Deliberate damage requested by a spec: `omit` removes fields, `override` sets raw values.
 * Paths look like `shippingAddress.phone`, `items[0].id` or `items.0.id`.
 * @param {Record<string, any>} o
 * @param {string[]} omit
 * @param {Record<string, unknown>} override
 */
function applyRaw(o, omit, override) {
  for (const path of omit) {
    const segs = splitPath(path);
    const parent = walk(o, segs.slice(0, -1), false);
    const last = segs[segs.length - 1];
    if (Array.isArray(parent) && /^\d+$/.test(last)) parent.splice(Number(last), 1);
    else if (parent && typeof parent === 'object') delete parent[last];
  }
  for (const [path, value] of Object.entries(override)) {
    const segs = splitPath(path);
    const parent = walk(o, segs.slice(0, -1), true);
    if (parent && typeof parent === 'object') parent[segs[segs.length - 1]] = value;
  }
}

function splitPath(/** @type {string} */ path) {
  return path.replace(/\[(\d+)\]/g, '.$1').split('.').filter((s) => s !== '');
}

/** @returns {any} */
function walk(/** @type {any} */ o, /** @type {string[]} */ segs, /** @type {boolean} */ create) {
  let cur = o;
  for (const s of segs) {
    if (cur === null || typeof cur !== 'object') return null;
    if (cur[s] === undefined || cur[s] === null) {
      if (!create) return null;
      // Shared structures (details) are copied on write so one order's damage cannot leak to another.
      cur[s] = {};
    } else if (typeof cur[s] === 'object') {
      cur[s] = Array.isArray(cur[s]) ? cur[s].map((x) => (x && typeof x === 'object' ? { ...x } : x)) : { ...cur[s] };
    }
    cur = cur[s];
  }
  return cur;
}

/** A ticket resource (§5.11). Failure reasons are in `errors` ([unsure] in the reference; sandbox choice). */
export function ticketObject(/** @type {Ticket} */ t) {
  return {
    id: t.id,
    batchId: t.batchId,
    type: t.type,
    state: t.state,
    scheduledAt: formatIso(t.scheduledAt),
    startedAt: t.startedAt === null ? null : formatIso(t.startedAt),
    finishedAt: t.finishedAt === null ? null : formatIso(t.finishedAt),
    payload: t.payload,
    errors: t.errors,
    _links: {
      self: { href: `/v1/store/${t.storeId}/ticket/${t.id}` },
    },
  };
}
