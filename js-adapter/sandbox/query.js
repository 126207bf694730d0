// @ts-check
// List filters and HAL pagination (§2.1, §2.2). Orders of a store are kept sorted by creation date,
// so since/until narrow the scan by binary search and every other filter is a cheap field test.

import { findChannel } from './channels.js';
import { invalid } from './errors.js';
import { parseLenientDate } from './time.js';

/** @typedef {import('./model.js').OrderRecord} OrderRecord */
/** @typedef {import('./state.js').Store} Store */

export const MAX_LIMIT = 200;
export const DEFAULT_LIMIT = 20;

/**
 * @typedef {object} OrderFilters
 * @property {Set<string>|null} statuses
 * @property {boolean|null} acknowledged
 * @property {number|null} channelId
 * @property {string|null} reference
 * @property {string|null} storeReference
 * @property {number|null} since
 * @property {number|null} until
 * @property {string|null} carrier
 * @property {string|null} tag
 * @property {Set<string>|null} errorTypes
 * @property {string|null} search
 * @property {string|null} fulfilledBy
 * @property {boolean|null} isTest
 */

/**
 * Reads page/limit. A limit above 200 is capped, not refused ([unsure] in the reference).
 * @param {URLSearchParams} params
 */
export function parsePaging(params) {
  const page = intParam(params, 'page', 1);
  const limit = Math.min(intParam(params, 'limit', DEFAULT_LIMIT), MAX_LIMIT);
  return { page, limit };
}

function intParam(/** @type {URLSearchParams} */ params, /** @type {string} */ name, /** @type {number} */ dflt) {
  const raw = params.get(name);
  if (raw === null || raw === '') return dflt;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1) throw invalid(name, 'must be an integer >= 1');
  return Number(raw);
}

function list(/** @type {string|null} */ raw) {
  if (raw === null) return null;
  const items = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return items.length > 0 ? items : null;
}

/**
 * @param {URLSearchParams} params
 * @returns {OrderFilters}
 */
export function parseOrderFilters(params) {
  const statuses = list(params.get('status'));
  const ack = params.get('acknowledgment');
  if (ack !== null && ack !== '' && ack !== 'acknowledged' && ack !== 'unacknowledged') {
    throw invalid('acknowledgment', 'must be acknowledged or unacknowledged');
  }
  // The SDK documents `channel`, the spec `channelId`: both are read ([unsure] in the reference).
  let channelId = null;
  for (const name of ['channelId', 'channel']) {
    const raw = params.get(name);
    if (raw === null || raw === '') continue;
    if (!/^\d+$/.test(raw.trim())) {
      const c = findChannel(raw);
      if (!c) throw invalid(name, 'must be a channel id (integer)');
      channelId = c.id;
    } else channelId = Number(raw);
    break;
  }
  const date = (/** @type {string} */ name) => {
    const raw = params.get(name);
    if (raw === null || raw === '') return null;
    const ms = parseLenientDate(raw);
    if (ms === null) throw invalid(name, `cannot read ${JSON.stringify(raw)} as a date-time (ISO 8601 expected)`);
    return ms;
  };
  const errorTypes = list(params.get('error'));
  const fulfilledBy = params.get('fulfilledBy');
  if (fulfilledBy !== null && fulfilledBy !== '' && !['store', 'channel', 'undefined'].includes(fulfilledBy)) {
    throw invalid('fulfilledBy', 'must be store, channel or undefined');
  }
  const isTestRaw = params.get('isTest');
  let isTest = null;
  if (isTestRaw !== null && isTestRaw !== '') {
    if (['true', '1'].includes(isTestRaw)) isTest = true;
    else if (['false', '0'].includes(isTestRaw)) isTest = false;
    else throw invalid('isTest', 'must be true or false');
  }
  const search = params.get('search');
  const tag = params.get('tagName') ?? params.get('tag');
  return {
    statuses: statuses ? new Set(statuses) : null,
    acknowledged: ack === 'acknowledged' ? true : ack === 'unacknowledged' ? false : null,
    channelId,
    reference: nonEmpty(params.get('reference')),
    storeReference: nonEmpty(params.get('storeReference')),
    since: date('since'),
    until: date('until'),
    carrier: nonEmpty(params.get('carrier')),
    tag: nonEmpty(tag),
    errorTypes: errorTypes ? new Set(errorTypes) : null,
    search: search && search.trim() !== '' ? search.trim().toLowerCase() : null,
    fulfilledBy: nonEmpty(fulfilledBy),
    isTest,
  };
}

const nonEmpty = (/** @type {string|null} */ s) => (s === null || s === '' ? null : s);

/**
 * @param {OrderRecord} o
 * @param {OrderFilters} f
 */
function matches(o, f) {
  if (o.deleted) return false;
  if (f.statuses !== null && !f.statuses.has(o.status)) return false;
  if (f.acknowledged !== null && (o.acknowledgedAt !== null) !== f.acknowledged) return false;
  if (f.channelId !== null && o.channelId !== f.channelId) return false;
  if (f.storeReference !== null && o.storeReference !== f.storeReference) return false;
  if (f.fulfilledBy !== null && (o.fulfilledBy ?? 'undefined') !== f.fulfilledBy) return false;
  if (f.isTest === true && !o.isTest) return false;
  if (f.isTest === false && o.isTest) return false;
  if (f.carrier !== null && o.carrier !== f.carrier) return false;
  // The sandbox creates no tags, so a tag filter matches nothing.
  if (f.tag !== null) return false;
  if (f.errorTypes !== null) {
    if (o.errors === null) return false;
    let hit = false;
    for (const e of o.errors) if (f.errorTypes.has(e.type)) hit = true;
    if (!hit) return false;
  }
  if (f.search !== null && !o.searchText.includes(f.search)) return false;
  return true;
}

/**
 * One page of matching orders, newest first (the default sort is [unsure]; clients must not rely on it).
 * @param {Store} store
 * @param {OrderFilters} f
 * @param {number} page
 * @param {number} limit
 * @returns {{total: number, items: OrderRecord[]}}
 */
export function selectOrders(store, f, page, limit) {
  const offset = (page - 1) * limit;
  /** @type {OrderRecord[]} */
  const items = [];
  let total = 0;
  const take = (/** @type {OrderRecord} */ o) => {
    if (total >= offset && items.length < limit) items.push(o);
    total++;
  };
  if (f.reference !== null) {
    const candidates = (store.byRef.get(f.reference) ?? []).slice().sort((a, b) => b.createdAt - a.createdAt || b.id - a.id);
    for (const o of candidates) {
      if ((f.since === null || o.createdAt >= f.since) && (f.until === null || o.createdAt <= f.until) && matches(o, f)) take(o);
    }
    return { total, items };
  }
  const arr = store.orders;
  const lo = f.since === null ? 0 : lowerBound(arr, f.since);
  const hi = f.until === null ? arr.length : upperBound(arr, f.until);
  for (let i = hi - 1; i >= lo; i--) {
    const o = arr[i];
    if (matches(o, f)) take(o);
  }
  return { total, items };
}

/** First index with createdAt >= t. */
export function lowerBound(/** @type {OrderRecord[]} */ arr, /** @type {number} */ t) {
  let lo = 0, hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid].createdAt < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index with createdAt > t. */
function upperBound(/** @type {OrderRecord[]} */ arr, /** @type {number} */ t) {
  let lo = 0, hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid].createdAt <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Relative href to another page: the client's query string is kept as sent (same order, same
 * encoding) and only `page` / `limit` are replaced, as the reference shows (`/res?page=4&limit=2`).
 * @param {string} path
 * @param {string} rawQuery
 * @param {number} page
 * @param {number} limit
 */
export function pageHref(path, rawQuery, page, limit) {
  const parts = rawQuery === '' ? [] : rawQuery.split('&').filter((p) => p !== '');
  let sawPage = false, sawLimit = false;
  const out = [];
  for (const p of parts) {
    const key = decodeKey(p.split('=')[0]);
    if (key === 'page') {
      if (!sawPage) out.push(`page=${page}`);
      sawPage = true;
    } else if (key === 'limit') {
      if (!sawLimit) out.push(`limit=${limit}`);
      sawLimit = true;
    } else out.push(p);
  }
  if (!sawPage) out.push(`page=${page}`);
  if (!sawLimit) out.push(`limit=${limit}`);
  return `${path}?${out.join('&')}`;
}

function decodeKey(/** @type {string} */ k) {
  try {
    return decodeURIComponent(k.replace(/\+/g, ' '));
  } catch {
    return k;
  }
}

/**
 * HAL collection head (§2.2): `total, limit, pages, page, count, _links`; `prev` is absent on the
 * first page and `next` on the last, which is how clients know to stop.
 * @param {{path: string, rawQuery: string, total: number, page: number, limit: number, count: number}} c
 */
export function collectionHead(c) {
  const pages = Math.ceil(c.total / c.limit);
  /** @type {Record<string, {href: string}>} */
  const links = {
    self: { href: pageHref(c.path, c.rawQuery, c.page, c.limit) },
    first: { href: pageHref(c.path, c.rawQuery, 1, c.limit) },
    last: { href: pageHref(c.path, c.rawQuery, Math.max(1, pages), c.limit) },
  };
  if (c.page > 1) links.prev = { href: pageHref(c.path, c.rawQuery, Math.min(c.page - 1, Math.max(1, pages)), c.limit) };
  if (c.page < pages) links.next = { href: pageHref(c.path, c.rawQuery, c.page + 1, c.limit) };
  return { total: c.total, limit: c.limit, pages, page: c.page, count: c.count, _links: links };
}
